// The whole pure pipeline from file contents to Desired[]: inventory, -e, playbook, templates, nodes.
// load.ts reads the files and calls this; tests call it with in-memory sources.

import type { ConfigProblem } from '../errors.js';
import type { CopySource, Desired } from '../model/types.js';
import type { CheckpointFilesRequest } from '../node/checkpoint.js';
import type { NodeInputs } from '../node/inputs.js';
import { checkpointFileNeeds, nodeNeeds, type NodeHost, type NodeNeeds } from '../node/needs.js';
import { buildDesiredSteps, finish, selectInventoryHosts, selectedNodeHosts, type InventoryHostEntry } from './desired.js';
import { parseExtraVars, type ExtraVarsResult } from '../inventory/extra-vars.js';
import { parseInventory, type Inventory, type InventoryResult, type VarsFile } from '../inventory/inventory.js';
import { parsePlaybook, type PlaybookResult } from '../inventory/playbook.js';
import type { SourceFile } from '../inventory/source.js';
import { dedupeWarnings } from '../inventory/warnings.js';

export interface ProjectSources {
  inventory: SourceFile;
  /** group_vars files in merge order; `name` is the group. */
  groupVars?: VarsFile[];
  /** host_vars files in merge order; `name` is the host. */
  hostVars?: VarsFile[];
  playbook: SourceFile;
  /** Template files by the reference written in the playbook; missing means not found, `refused` says why it may not be used. */
  templates?: Record<string, SourceFile | { refused: string }>;
  /** `source:` files by the reference written in the playbook (the loader found and hashed them). */
  copies?: Record<string, CopySource>;
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
  warnings: ConfigProblem[];
}

/** The parses of a project's sources, made once: the needs and the build both read them. */
export interface ParsedSources {
  inventory: InventoryResult;
  playbook: PlaybookResult;
  extra: ExtraVarsResult;
}

/**
 * `inventory`, when given, is parseInventory of the same sources (load.ts parses it first to find the playbook);
 * `playbook`, parsePlaybook of the same playbook (load.ts may have it from its cache).
 */
export function parseSources(
  sources: ProjectSources,
  options: Pick<ProjectOptions, 'baseDir' | 'homeDir' | 'extraVars'>,
  inventory: InventoryResult = parseInventory(sources, { baseDir: options.baseDir, ...(options.homeDir !== undefined ? { homeDir: options.homeDir } : {}) }),
  playbook: PlaybookResult = parsePlaybook(sources.playbook),
): ParsedSources {
  return {
    inventory,
    playbook,
    extra: parseExtraVars(options.extraVars ?? [], sources.extraVarFiles ?? {}),
  };
}

/** `parsed`, when given, must be parseSources of the same sources and options (parsing is the costly part). */
export function buildProject(sources: ProjectSources, options: ProjectOptions, parsed: ParsedSources = parseSources(sources, options)): ProjectResult {
  return finish(buildProjectSteps(sources, options, parsed));
}

/** buildProject in steps (buildDesiredSteps): the loader lets the hosts' SSH handshakes go on between them. */
export function* buildProjectSteps(sources: ProjectSources, options: ProjectOptions, parsed: ParsedSources): Generator<void, ProjectResult, void> {
  const { inventory: parsedInventory, playbook: parsedPlaybook, extra } = parsed;
  // Without all hosts and variables, host patterns and templates would fail in ways that only
  // echo the syntax error: report that first.
  const built =
    parsedInventory.fatal || extra.fatal
      ? { desired: [], problems: [], warnings: [] }
      : yield* buildDesiredSteps({
          inventory: parsedInventory.inventory,
          playbook: parsedPlaybook.playbook,
          extraVars: extra.vars,
          extraVarOrigins: extra.origins,
          templates: sources.templates ?? {},
          copies: sources.copies ?? {},
          ...(sources.node ? { node: sources.node } : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.tags !== undefined ? { tags: options.tags } : {}),
          ...(options.skipTags !== undefined ? { skipTags: options.skipTags } : {}),
        });
  return {
    desired: built.desired,
    inventory: parsedInventory.inventory,
    problems: dedupe([...parsedInventory.problems, ...extra.problems, ...parsedPlaybook.problems, ...built.problems]),
    warnings: dedupeWarnings([...parsedInventory.warnings, ...extra.warnings, ...built.warnings]),
  };
}

/** The node plays of the hosts --limit selects whose resources --tags can select; none when the sources have problems. */
export function projectNodeHosts(parsed: ParsedSources, options: Pick<ProjectOptions, 'limit' | 'tags' | 'skipTags'>): NodeHost[] {
  if (parsed.inventory.problems.length + parsed.playbook.problems.length + parsed.extra.problems.length > 0) return [];
  return selectedNodeHosts({
    inventory: parsed.inventory.inventory,
    playbook: parsed.playbook.playbook,
    extraVars: parsed.extra.vars,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.tags !== undefined ? { tags: options.tags } : {}),
    ...(options.skipTags !== undefined ? { skipTags: options.skipTags } : {}),
  });
}

/** Round one of what the selected nodes need from outside (src/node/needs.ts). */
export function projectNeeds(parsed: ParsedSources, options: ProjectOptions, node: Pick<NodeInputs, 'profiles'> = {}): NodeNeeds {
  return nodeNeeds(projectNodeHosts(parsed, options), node, options);
}

/** Round two: fleet-cache files, once round one's fetch is in `node`. */
export function projectCheckpointFileNeeds(parsed: ParsedSources, options: ProjectOptions, node: NodeInputs): CheckpointFilesRequest[] {
  return checkpointFileNeeds(projectNodeHosts(parsed, options), node, options);
}

export interface InventoryOnlyResult {
  inventory: Inventory;
  /** Hosts selected by --limit (all without it), in inventory order. */
  hosts: InventoryHostEntry[];
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
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
    warnings: dedupeWarnings([...parsedInventory.warnings, ...extra.warnings, ...selected.warnings]),
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
