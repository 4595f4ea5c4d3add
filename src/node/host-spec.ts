// Step one of a node play: a host's variables -> its NodeSpec with the network's own files applied (an
// Ephemery release or a config_source directory). The needs (what to fetch) and the build both go through
// here, so they agree on every key. Pure: problems and warnings go to the caller's `report`.

import type { ClientProfile, NodeSpec } from '../clients/types.js';
import { resolveLocalPath } from '../inventory/inventory.js';
import { NODE_VARIABLES } from './schema.js';
import { matchesSchema } from '../inventory/schema-check.js';
import type { PathSegment } from '../inventory/source.js';
import { DEFAULT_PROFILES, releaseKey, type NodeInputs } from './inputs.js';
import { customNetwork, upcomingIterationNote } from './network.js';
import type { NetworkFile } from './resources.js';
import { nodeSpecFor, type NodeSpecResult } from './spec.js';
import { compareVersions } from '../util/version.js';

/** A place among the host's variables: the variable's path, its key or a column inside its value. */
export interface Issue {
  path: PathSegment[];
  key?: boolean;
  column?: number;
}

export interface NodeReport {
  problem(issue: Issue, message: string): void;
  warning(issue: Issue, message: string): void;
}

/** Reports nothing: for the needs, which ask only what to fetch (the build reports). */
export const SILENT: NodeReport = { problem: () => undefined, warning: () => undefined };

export interface ResolvedNode {
  spec: NodeSpec;
  /** nodeSpecFor's result: the spec before the network's files, where each extra_args word was written. */
  declared: NodeSpecResult & { spec: NodeSpec };
  profiles: { consensus: ClientProfile; execution: ClientProfile };
  networkFiles: NetworkFile[];
  /** What the plan says about the node's network (a new Ephemery iteration that has not started yet). */
  notes: string[];
}

/** Only node variables, and only when the schema took them: building on rejected values would repeat the mistake. */
export function nodeVariablesValid(vars: Record<string, unknown>): boolean {
  const nodeVars = Object.fromEntries(Object.entries(vars).filter(([name]) => Object.prototype.hasOwnProperty.call(NODE_VARIABLES, name)));
  return matchesSchema('inventoryVars', nodeVars);
}

/** The host's declared NodeSpec (no network files yet): what the needs read releases, binaries and providers from. */
export function declaredNode(vars: Record<string, unknown>, host: string, inputs: NodeInputs, report: NodeReport): NodeSpecResult | undefined {
  if (!nodeVariablesValid(vars)) return undefined;
  const profiles = inputs.profiles ?? DEFAULT_PROFILES;
  const defaultVersions = Object.fromEntries(
    [...Object.values(profiles.consensus), ...Object.values(profiles.execution)].map((profile) => [profile.name, profile.targetVersion]),
  );
  const result = nodeSpecFor(vars, host, { defaultVersions });
  for (const warning of result.warnings) report.warning(warning, warning.message);
  for (const issue of result.problems) report.problem(issue, issue.message);
  return result;
}

/**
 * The host's NodeSpec on its own network. Undefined when there is a problem (reported), or when the network
 * cannot be known without a download that was not made (validate with iteration latest: a warning).
 */
export function resolveNode(
  vars: Record<string, unknown>,
  host: string,
  inputs: NodeInputs,
  paths: { baseDir: string; homeDir?: string },
  report: NodeReport,
): ResolvedNode | undefined {
  const result = declaredNode(vars, host, inputs, report);
  if (!result?.spec) return undefined;
  const declared = { ...result, spec: result.spec };
  let spec: NodeSpec = result.spec;
  const all = inputs.profiles ?? DEFAULT_PROFILES;
  const profiles = { consensus: all.consensus[spec.consensus.client], execution: all.execution[spec.execution.client] };

  let ok = true;
  for (const kind of ['consensus', 'execution'] as const) {
    const { version, client } = spec[kind];
    const profile = profiles[kind];
    if ((compareVersions(version, profile.minVersion) ?? 0) < 0) {
      report.problem(
        { path: [kind, 'version'] },
        `${client} ${version} is older than ${profile.minVersion}, the oldest release nodeform's flags work with (they are checked against ${profile.targetVersion}): upgrade it`,
      );
      ok = false;
    }
  }
  let networkFiles: NetworkFile[] = [];
  const notes: string[] = [];
  const source = result.networkSource;
  // Without fetched releases (validate, which downloads nothing) a pinned iteration still renders,
  // its chain id known, its network files left out.
  if (source?.kind === 'ephemery-release' && inputs.releases === undefined && source.iteration === 'latest') {
    report.warning({ path: ['network'] }, `host ${host}: ephemery with iteration latest is checked without its release (nothing is downloaded here)`);
    return undefined;
  }
  if (source?.kind === 'ephemery-release' && inputs.releases !== undefined) {
    const { url, iteration } = source;
    const release = inputs.releases[releaseKey(url, iteration)];
    if (release === undefined || typeof release === 'string') {
      report.problem({ path: ['network'] }, `cannot get the Ephemery release (${url}, iteration ${iteration})${release ? `: ${release}` : ''}`);
      return undefined;
    }
    const ephemery = customNetwork({ ...spec.network, iteration: release.iteration, chainId: undefined }, release.files);
    for (const message of ephemery.problems) report.problem({ path: ['network'] }, `Ephemery release ${release.iteration} ${message}`);
    if (ephemery.problems.length > 0) return undefined;
    spec = { ...spec, network: ephemery.network };
    // The host records the iteration it runs: a change of it is what triggers a reset of the chain.
    const dir = spec.network.files?.dir ?? '/etc/ethereum/ephemery';
    networkFiles = [...ephemery.files, { path: `${dir}/iteration`, base64: Buffer.from(`${release.iteration}\n`).toString('base64') }];
    if (release.upcoming) notes.push(upcomingIterationNote(release.upcoming, release.iteration));
  }
  if (source?.kind === 'directory') {
    const dir = resolveLocalPath(source.path, paths.baseDir, paths.homeDir);
    const files = inputs.networkSources?.[dir];
    const at: Issue = { path: ['network', 'config_source'] };
    if (files === undefined || typeof files === 'string') {
      report.problem(at, `cannot read the directory ${dir}${files ? `: ${files}` : ''}`);
      return undefined;
    }
    const custom = customNetwork(spec.network, files);
    for (const message of custom.problems) report.problem(at, `${dir} ${message}`);
    if (custom.problems.length > 0) return undefined;
    spec = { ...spec, network: custom.network };
    networkFiles = custom.files;
  }
  if (!ok) return undefined;
  return { spec, declared, profiles, networkFiles, notes };
}
