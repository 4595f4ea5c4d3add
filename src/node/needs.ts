// What the selected nodes need from outside the hosts, computed from their resolved NodeSpecs (never from
// the raw variables of every host): --limit and --tags narrow it. Two rounds, because a fleet cache's files
// depend on which providers agree: nodeNeeds -> fetch -> checkpointFileNeeds -> fetch -> build once. Pure.

import type { InstallSpec, NetworkTuningSpec } from '../clients/types.js';
import { resolveLocalPath } from '../inventory/inventory.js';
import { needsProviderChoice, type CheckpointFilesRequest } from './checkpoint.js';
import { chooseCheckpoint } from './checkpoint-choice.js';
import { SILENT, declaredNode, resolveNode } from './host-spec.js';
import { installKey, releaseKey, type NodeInputs } from './inputs.js';

/** One selected host's node play: its variables for that play (inventory, play vars, -e). */
export interface NodeHost {
  host: string;
  vars: Record<string, unknown>;
}

export interface ReleaseNeed {
  url: string;
  iteration: number | 'latest';
}

export interface ProviderNeed {
  url: string;
  /** The network_tuning of the last node naming it: the provider is probed with it. */
  tuning: NetworkTuningSpec;
}

export interface NodeNeeds {
  /** network.config_source directories, resolved (local files, read even by validate). */
  networkSourceDirs: string[];
  releases: ReleaseNeed[];
  binaries: InstallSpec[];
  providers: ProviderNeed[];
}

export interface NeedsPaths {
  baseDir: string;
  homeDir?: string;
}

/** Round one: what the nodes' declared specs name. Hosts whose variables have problems need nothing (the build reports them). */
export function nodeNeeds(hosts: readonly NodeHost[], inputs: Pick<NodeInputs, 'profiles'>, paths: NeedsPaths): NodeNeeds {
  const dirs = new Set<string>();
  const releases = new Map<string, ReleaseNeed>();
  const binaries = new Map<string, InstallSpec>();
  const providers = new Map<string, ProviderNeed>();
  for (const { host, vars } of hosts) {
    const declared = declaredNode(vars, host, inputs, SILENT);
    const spec = declared?.spec;
    if (!declared || !spec) continue;
    const source = declared.networkSource;
    if (source?.kind === 'directory') dirs.add(resolveLocalPath(source.path, paths.baseDir, paths.homeDir));
    if (source?.kind === 'ephemery-release') releases.set(releaseKey(source.url, source.iteration), { url: source.url, iteration: source.iteration });
    for (const kind of ['consensus', 'execution'] as const) {
      const install = spec[kind].install;
      if (install) binaries.set(installKey(install), install);
    }
    if (needsProviderChoice(spec)) {
      for (const url of spec.checkpointSync.providers) providers.set(url, { url, tuning: spec.networkTuning });
    }
  }
  return { networkSourceDirs: [...dirs], releases: [...releases.values()], binaries: [...binaries.values()], providers: [...providers.values()] };
}

/** Round two: the fleet cache's files, once per network, for nodes whose providers agree (after round one's fetch). */
export function checkpointFileNeeds(hosts: readonly NodeHost[], inputs: NodeInputs, paths: NeedsPaths): CheckpointFilesRequest[] {
  const wanted = new Map<string, CheckpointFilesRequest>();
  for (const { host, vars } of hosts) {
    const resolved = resolveNode(vars, host, inputs, paths, SILENT);
    if (!resolved) continue;
    const request = chooseCheckpoint(resolved.spec, inputs).filesRequest;
    if (request) wanted.set(request.networkKey, request);
  }
  return [...wanted.values()];
}
