// Lodestar beacon node (`lodestar beacon`).
// Pinned: v1.48.0 (ChainSafe/lodestar release PR #10067, 2026-09-15). The lab runs 1.5.1 from npm, so every
// flag rendered here exists in BOTH: checked in packages/cli/src/options/ (globalOptions.ts,
// beaconNodeOptions/{api,execution,metrics,network}.ts) and packages/cli/src/cmds/beacon/options.ts at tags
// v1.5.1 and v1.22.0, in the newer option files and in the published beacon CLI docs (1.45/1.50).
// minVersion: 1.5.1. Rows: src/clients/flags/lodestar.json.

import { NodeformError } from '../errors.js';
import { flag } from './args.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

class Args {
  readonly argv: string[];
  readonly managed: Record<string, string> = {};
  constructor(first: string[]) {
    this.argv = [...first];
  }
  /**
   * A flag nodeform owns: always `--name=value`. yargs `array` options (--bootnodes, --execution.urls) would
   * swallow following words given `--name value`.
   */
  set(name: string, owner: string, value?: string | number): void {
    this.argv.push(...(value === undefined ? [name] : flag('equals', name, value)));
    this.managed[name] = owner;
  }
}

function urlHost(address: string): string {
  const a = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  return a.includes(':') ? `[${a}]` : a;
}

/** Names --network accepts in the pinned release (ephemery is built in there, not in 1.5.1). */
const BUILT_IN = new Set(['mainnet', 'hoodi', 'sepolia', 'ephemery']);

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  const a = new Args([cl.binary, 'beacon']);
  const notApplicable: NotApplicable[] = [];

  a.set('--dataDir', 'consensus.data_dir', cl.dataDir);
  if (net.files) {
    // As the Ephemery scripts run it: no --network (the name comes from CONFIG_NAME in the params file).
    // --genesisStateFile is hidden from 1.5.1's --help but exists there (cmds/beacon/options.ts).
    a.set('--paramsFile', 'network.files', net.files.configYaml);
    a.set('--genesisStateFile', 'network.files', net.files.genesisSsz);
  } else if (BUILT_IN.has(net.name)) {
    a.set('--network', 'network.name', net.name);
  } else {
    throw new NodeformError('CONFIG', `lodestar: network "${net.name}" has no built-in Lodestar config: set network.files (config.yaml, genesis.ssz)`);
  }
  // network.ts: comma-separated entries are split.
  if (net.bootnodesCl.length > 0) a.set('--bootnodes', 'network.bootnodes_cl', net.bootnodesCl.join(','));

  a.set('--execution.urls', 'execution.ports.engine', `http://${urlHost(node.execution.listenAddress)}:${node.execution.ports.engine}`);
  // 1.5.1 declares `jwt-secret`, v1.12.0+ `jwtSecret`; yargs' camel-case expansion (on by default, yargs 16
  // and 17 in strict mode, tried here) accepts either spelling for either declaration, and only this one is
  // in 1.5.1's --help.
  a.set('--jwt-secret', 'jwt_path', node.jwtPath);
  // network.ts: --port is TCP, discovery UDP defaults to it.
  a.set('--port', 'consensus.ports.p2p', cl.ports.p2p);
  a.set('--rest', 'consensus.ports.http');
  a.set('--rest.address', 'consensus.listen_address', cl.listenAddress);
  a.set('--rest.port', 'consensus.ports.http', cl.ports.http);

  const peers = node.networkTuning.peersCl ?? cl.peers;
  if (peers !== undefined) a.set('--targetPeers', node.networkTuning.peersCl !== undefined ? 'network_tuning.peers_cl' : 'consensus.peers', peers);

  if (cp.enabled) {
    if (cp.stateFile) {
      a.set('--checkpointState', 'checkpoint_sync.state_file', cp.stateFile);
      if (cp.blockFile) notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: 'Lodestar starts from a state alone (--checkpointState); it has no checkpoint block flag' });
    } else {
      if (cp.blockFile) notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: 'Lodestar starts from a state alone (--checkpointState); it has no checkpoint block flag' });
      if (cp.url) a.set('--checkpointSyncUrl', 'checkpoint_sync.url', cp.url);
    }
    if (cp.alternatives.length > 0) notApplicable.push({ setting: 'checkpoint_sync.alternatives', reason: 'Lodestar takes one --checkpointSyncUrl; the alternatives only feed nodeform\'s provider choice' });
    // beacon-node/src/sync/options.ts: backfillBatchSize 0 "would mean backfill sync will be skipped"; the only
    // switch is the hidden, experimental --sync.backfillBatchSize, whose size nodeform has no setting for.
    if (cp.backfill) notApplicable.push({ setting: 'checkpoint_sync.backfill', reason: 'Lodestar skips backfill by default; only the hidden, experimental --sync.backfillBatchSize (a batch size, 0 = off) turns it on: add it to extra_args to try it' });
  }

  // Only the hidden --chain.maxBlockStates (since v1.18.0) sizes the state cache; it is not in 1.5.1.
  if (node.cache.stateCacheSize !== undefined) notApplicable.push({ setting: 'cache.state_cache_size', reason: 'Lodestar\'s only state cache flag is the hidden --chain.maxBlockStates (v1.18.0 and later, not in 1.5.1): add it to extra_args on a release that has it' });
  if (node.cache.blockCacheSize !== undefined) notApplicable.push({ setting: 'cache.block_cache_size', reason: 'Lodestar has no block cache size flag' });

  if (node.monitoring.metrics) {
    a.set('--metrics', 'monitoring.metrics');
    a.set('--metrics.address', 'monitoring.metrics_address', node.monitoring.metricsAddress);
    a.set('--metrics.port', 'consensus.ports.metrics', cl.ports.metrics);
  }

  return {
    argv: [...a.argv, ...cl.extraArgs],
    files: [],
    dataDirs: [cl.dataDir],
    // cmds/beacon/initPeerIdAndEnr.ts: with persistNetworkIdentity (default true in current releases) the
    // identity is <dataDir>/peer-id.json and <dataDir>/enr; 1.5.1 made a new one at each start.
    identityPaths: ['peer-id.json', 'enr'],
    // cmds/beacon/paths.ts: dbDir = <dataDir>/chain-db.
    chainDataPaths: ['chain-db'],
    health: { kind: 'beacon-api', url: `http://${urlHost(cl.listenAddress)}:${cl.ports.http}` },
    notApplicable,
    managedFlags: a.managed,
  };
}

export const lodestar: ClientProfile = {
  name: 'lodestar',
  kind: 'consensus',
  targetVersion: 'v1.48.0',
  minVersion: 'v1.5.1',
  render,
};
