// Helpers the five consensus client profiles share. Pure: no I/O, no clock.
// Like execution-common.ts, this sits below the profiles and imports none of them (nor the consensus.ts
// registry, which imports every profile): profiles import from here, never the other way round.

import type { CommandLine } from './args.js';
import type { Setting } from './settings.js';
import type { ClientRendering, EnvironmentSetting, NodeSpec, NotApplicable } from './types.js';

/**
 * Where a consensus client reaches an address on this host: a wildcard listen address (IPv4 or IPv6) is
 * reached on 127.0.0.1. (execution-common.ts httpUrl reaches `::` on ::1 instead; both are kept as they are.)
 */
export function localUrl(address: string, port: number): string {
  const a = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  return `http://${a.includes(':') ? `[${a}]` : a}:${port}`;
}

/** The execution client's engine API, as the consensus client calls it. */
export function engineUrl(node: NodeSpec): string {
  return localUrl(node.execution.listenAddress, node.execution.ports.engine);
}

/** The consensus peer target and the setting it comes from: network_tuning.peers_cl overrides consensus.peers. */
export function consensusPeers(node: NodeSpec): { value: number; setting: Setting } | undefined {
  if (node.networkTuning.peersCl !== undefined) return { value: node.networkTuning.peersCl, setting: 'network_tuning.peers_cl' };
  if (node.consensus.peers !== undefined) return { value: node.consensus.peers, setting: 'consensus.peers' };
  return undefined;
}

/**
 * Lighthouse and Prysm: `--checkpoint-state` and `--checkpoint-block` only work together. Renders both when
 * both files are declared and returns true; otherwise a lone file is not applicable and it returns false
 * (the caller then starts from the checkpoint URL, if any).
 */
export function checkpointStateAndBlock(cmd: CommandLine, node: NodeSpec, client: string, notApplicable: NotApplicable[]): boolean {
  const cp = node.checkpointSync;
  if (cp.stateFile && cp.blockFile) {
    cmd.set('--checkpoint-state', cp.stateFile, 'checkpoint_sync.state_file');
    cmd.set('--checkpoint-block', cp.blockFile, 'checkpoint_sync.block_file');
    return true;
  }
  if (cp.stateFile) {
    notApplicable.push({ setting: 'checkpoint_sync.state_file', reason: `${client} needs --checkpoint-block together with --checkpoint-state; no checkpoint_sync.block_file is declared` });
  } else if (cp.blockFile) {
    notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: `${client} needs --checkpoint-state together with --checkpoint-block; no checkpoint_sync.state_file is declared` });
  }
  return false;
}

/**
 * Teku, Nimbus and Lodestar start from a checkpoint state alone (`stateFlag`): a declared block file is not
 * applicable, whether or not a state file is. `why` says what the client has instead of a block flag.
 */
export function blockFileUnused(node: NodeSpec, client: string, stateFlag: string, why = 'it has no checkpoint block flag'): NotApplicable[] {
  if (!node.checkpointSync.blockFile) return [];
  return [{ setting: 'checkpoint_sync.block_file', reason: `${client} starts from a state alone (${stateFlag}); ${why}` }];
}

/** Every client takes one checkpoint URL (`urlFlag`); checkpoint_sync.alternatives only feed the provider choice. */
export function alternativesUnused(node: NodeSpec, who: string, urlFlag: string): NotApplicable[] {
  if (node.checkpointSync.alternatives.length === 0) return [];
  return [{ setting: 'checkpoint_sync.alternatives', reason: `${who} takes one ${urlFlag}; the alternatives only feed nodeform's provider choice` }];
}

/** Whether a URL carries a secret: credentials (`user:password@`) or a query (an API key). */
export function urlCarriesSecret(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '' || u.search !== '';
  } catch {
    return false;
  }
}

/**
 * Whether the node's checkpoint URL may carry a secret: any of its providers does (the on-host fallback may
 * switch the client to each of them, so the way the URL reaches the client does not depend on the choice).
 */
export function checkpointUrlIsSecret(node: NodeSpec): boolean {
  const cp = node.checkpointSync;
  return [...cp.providers, ...(cp.url !== undefined ? [cp.url] : [])].some(urlCarriesSecret);
}

/**
 * The checkpoint URL on a client that reads it only from its command line, when it carries a secret: a
 * warning for the plan (every user of the host can read /proc/PID/cmdline). `how` names the flag.
 */
export function checkpointUrlOnArgv(node: NodeSpec, how: string): NotApplicable[] {
  // With the fleet cache the client starts from files (until they are fetched, the URL is only a placeholder).
  if (!checkpointUrlIsSecret(node) || node.checkpointSync.source === 'fleet-cache') return [];
  return [{
    setting: 'checkpoint_sync.url',
    reason: `${how}, so a provider's credentials (or API key) are readable by every user of the host in /proc/PID/cmdline while it runs; use checkpoint_sync.source: fleet-cache (the client then starts from files nodeform uploads) or providers without credentials`,
  }];
}

/** A metrics switch, listen address and port, when monitoring.metrics is on (Lighthouse, Nimbus, Lodestar). */
export function metricsFlags(cmd: CommandLine, node: NodeSpec, names: { on: string; address: string; port: string }): void {
  if (!node.monitoring.metrics) return;
  cmd.on(names.on, 'monitoring.metrics');
  cmd.set(names.address, node.monitoring.metricsAddress, 'monitoring.metrics_address');
  cmd.set(names.port, node.consensus.ports.metrics, 'consensus.ports.metrics');
}

/**
 * The rendering of a beacon node: argv with extra_args last, the data dir, the Beacon API as health check.
 * `paths` carries what differs per client: its identity and chain data paths and an init step.
 */
export function beaconRendering(
  node: NodeSpec,
  cmd: CommandLine,
  notApplicable: NotApplicable[],
  paths: Pick<ClientRendering, 'identityPaths' | 'chainDataPaths' | 'checkpointConfig'> & { initArgv?: string[] | undefined; environment?: EnvironmentSetting[]; argvSecrets?: NotApplicable[] },
): ClientRendering {
  const cl = node.consensus;
  const { initArgv, environment, argvSecrets, checkpointConfig, ...rest } = paths;
  return {
    argv: [...cmd.argv, ...cl.extraArgs],
    files: [],
    dataDirs: [cl.dataDir],
    ...rest,
    ...(initArgv ? { initArgv } : {}),
    ...(environment && environment.length > 0 ? { environment } : {}),
    ...(argvSecrets && argvSecrets.length > 0 ? { argvSecrets } : {}),
    ...(checkpointConfig ? { checkpointConfig } : {}),
    health: { kind: 'beacon-api', url: localUrl(cl.listenAddress, cl.ports.http) },
    notApplicable,
    managedFlags: cmd.managed,
  };
}
