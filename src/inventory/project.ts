// The whole pure pipeline from file contents to Desired[]: inventory, -e, playbook, templates.
// load.ts reads the files and calls this; tests call it with in-memory sources.

import type { NetworkTuningSpec } from '../clients/types.js';
import type { CheckpointFilesRequest } from '../node/checkpoint.js';
import type { ConfigProblem } from '../errors.js';
import type { Desired } from '../model/types.js';
import { buildDesired, selectInventoryHosts, type InventoryHostEntry } from './desired.js';
import { parseExtraVars, type ExtraVarsResult } from './extra-vars.js';
import { parseInventory, type Inventory, type InventoryResult, type VarsFile } from './inventory.js';
import type { NodeInputs } from './node-play.js';
import { parsePlaybook, type PlaybookResult } from './playbook.js';
import type { SourceFile } from './source.js';

export interface ProjectSources {
  inventory: SourceFile;
  /** group_vars files in merge order; `name` is the group. */
  groupVars?: VarsFile[];
  /** host_vars files in merge order; `name` is the host. */
  hostVars?: VarsFile[];
  playbook: SourceFile;
  /** Template files by the reference written in the playbook; missing means not found, `refused` says why it may not be used. */
  templates?: Record<string, SourceFile | { refused: string }>;
  /** Files of `-e @file` by the name written after '@'; a string is why it could not be read. */
  extraVarFiles?: Record<string, SourceFile | string>;
  /** The unit templates and config_source files plays with ethereum_node need. */
  node?: NodeInputs;
}

export interface ProjectOptions {
  /** Absolute directory of the inventory file (relative paths in vars resolve against it). */
  baseDir: string;
  /** For `~/` in key and known_hosts paths. */
  homeDir?: string;
  /** Raw -e arguments in command-line order. */
  extraVars?: string[];
  limit?: string;
  tags?: string[];
  skipTags?: string[];
}

export interface ProjectResult {
  desired: Desired[];
  inventory: Inventory;
  problems: ConfigProblem[];
  warnings: string[];
  /** Checkpoint providers to probe before the nodes can be built for a plan (see node-play.ts). */
  providersToProbe: { url: string; tuning: NetworkTuningSpec }[];
  /** Fleet-cache checkpoint files to get before the nodes can be built for a plan. */
  checkpointFilesToFetch: CheckpointFilesRequest[];
}

/** The parses of a project's sources; load.ts keeps them for the builds after a probe or a download. */
export interface ParsedSources {
  inventory: InventoryResult;
  playbook: PlaybookResult;
  extra: ExtraVarsResult;
}

/** `inventory`, when given, is parseInventory of the same sources (load.ts parses it first to find the playbook). */
export function parseSources(
  sources: ProjectSources,
  options: Pick<ProjectOptions, 'baseDir' | 'homeDir' | 'extraVars'>,
  inventory: InventoryResult = parseInventory(sources, { baseDir: options.baseDir, ...(options.homeDir !== undefined ? { homeDir: options.homeDir } : {}) }),
): ParsedSources {
  return {
    inventory,
    playbook: parsePlaybook(sources.playbook),
    extra: parseExtraVars(options.extraVars ?? [], sources.extraVarFiles ?? {}),
  };
}

/** `parsed`, when given, must be parseSources of the same sources and options (parsing is the costly part). */
export function buildProject(sources: ProjectSources, options: ProjectOptions, parsed: ParsedSources = parseSources(sources, options)): ProjectResult {
  const { inventory: parsedInventory, playbook: parsedPlaybook, extra } = parsed;
  // Without all hosts and variables, host patterns and templates would fail in ways that only
  // echo the syntax error: report that first.
  const built =
    parsedInventory.fatal || extra.fatal
      ? { desired: [], problems: [], warnings: [], providersToProbe: [], checkpointFilesToFetch: [] }
      : buildDesired({
          inventory: parsedInventory.inventory,
          playbook: parsedPlaybook.playbook,
          extraVars: extra.vars,
          extraVarOrigins: extra.origins,
          templates: sources.templates ?? {},
          ...(sources.node ? { node: sources.node } : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.tags !== undefined ? { tags: options.tags } : {}),
          ...(options.skipTags !== undefined ? { skipTags: options.skipTags } : {}),
        });
  return {
    desired: built.desired,
    inventory: parsedInventory.inventory,
    problems: dedupe([...parsedInventory.problems, ...extra.problems, ...parsedPlaybook.problems, ...built.problems]),
    warnings: [...new Set([...parsedInventory.warnings, ...extra.warnings, ...built.warnings])],
    providersToProbe: built.providersToProbe,
    checkpointFilesToFetch: built.checkpointFilesToFetch,
  };
}

export interface InventoryOnlyResult {
  inventory: Inventory;
  /** Hosts selected by --limit (all without it), in inventory order. */
  hosts: InventoryHostEntry[];
  problems: ConfigProblem[];
  warnings: string[];
}

/** The inventory alone (no playbook): for commands that only need to reach hosts. */
export function buildInventory(
  sources: Pick<ProjectSources, 'inventory' | 'groupVars' | 'hostVars' | 'extraVarFiles'>,
  options: Omit<ProjectOptions, 'tags' | 'skipTags'>,
): InventoryOnlyResult {
  const parsedInventory = parseInventory(sources, { baseDir: options.baseDir, ...(options.homeDir !== undefined ? { homeDir: options.homeDir } : {}) });
  const extra = parseExtraVars(options.extraVars ?? [], sources.extraVarFiles ?? {});
  const selected = selectInventoryHosts(parsedInventory.inventory, {
    extraVars: extra.vars,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  return {
    inventory: parsedInventory.inventory,
    hosts: selected.hosts,
    problems: dedupe([...parsedInventory.problems, ...extra.problems, ...selected.problems]),
    warnings: [...new Set([...parsedInventory.warnings, ...extra.warnings, ...selected.warnings])],
  };
}

/** Two checks may catch the same mistake at the same place; say it once. */
export function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.position.file}:${problem.position.line}:${problem.position.column}\u0000${problem.field}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
