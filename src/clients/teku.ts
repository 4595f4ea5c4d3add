// Teku beacon node (`teku`, no subcommand).
// Pinned: 26.8.0 (Consensys/teku tag, 2026-08-05), the newest release tag in the repository. Flags were checked
// in that tag's picocli option classes under teku/src/main/java/tech/pegasys/teku/cli/options/ (rows and the
// class of each: src/clients/flags/teku.json). minVersion 25.3.0: every flag rendered here is in that tag's
// option classes too, and it is the first tag whose Eth2Network.java knows hoodi (25.2.0 does not).

import { NodeformError } from '../errors.js';
import { flag } from './args.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

class Args {
  readonly argv: string[];
  readonly managed: Record<string, string> = {};
  constructor(first: string[]) {
    this.argv = [...first];
  }
  /** A flag nodeform owns: `--name=value`, as Teku's docs write every option. */
  set(name: string, owner: string, value: string | number): void {
    this.argv.push(...flag('equals', name, value));
    this.managed[name] = owner;
  }
}

function urlHost(address: string): string {
  const a = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  return a.includes(':') ? `[${a}]` : a;
}

/**
 * Teku answers only requests whose Host header is on its allowlist (default `127.0.0.1, localhost`):
 * the health check and Prometheus reach it by the address it listens on, so that address must be on it.
 */
function hostAllowlist(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '*';
  return [...new Set(['localhost', '127.0.0.1', address])].join(',');
}

/** Eth2Network.java: built-in network names (ephemery included, with its own reset handling). */
const BUILT_IN = new Set(['mainnet', 'hoodi', 'sepolia', 'ephemery']);
/** DiscoveryConfig.java: DEFAULT_P2P_PEERS_LOWER_BOUND. */
const DEFAULT_LOWER_BOUND = 64;

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  const a = new Args([cl.binary]);
  const notApplicable: NotApplicable[] = [];

  if (net.files) {
    // Eth2NetworkOptions: --network takes a name or a config.yaml path; the genesis state comes separately.
    a.set('--network', 'network.files', net.files.configYaml);
    a.set('--genesis-state', 'network.files', net.files.genesisSsz);
  } else if (BUILT_IN.has(net.name)) {
    a.set('--network', 'network.name', net.name);
  } else {
    throw new NodeformError('CONFIG', `teku: network "${net.name}" has no built-in Teku config: set network.files (config.yaml, genesis.ssz)`);
  }
  a.set('--data-path', 'consensus.data_dir', cl.dataDir);
  a.set('--ee-endpoint', 'execution.ports.engine', `http://${urlHost(node.execution.listenAddress)}:${node.execution.ports.engine}`);
  a.set('--ee-jwt-secret-file', 'jwt_path', node.jwtPath);
  // P2POptions: --p2p-port is TCP, and UDP (discovery) defaults to it.
  a.set('--p2p-port', 'consensus.ports.p2p', cl.ports.p2p);
  if (net.bootnodesCl.length > 0) a.set('--p2p-discovery-bootnodes', 'network.bootnodes_cl', net.bootnodesCl.join(','));

  a.set('--rest-api-enabled', 'consensus.ports.http', 'true');
  a.set('--rest-api-interface', 'consensus.listen_address', cl.listenAddress);
  a.set('--rest-api-port', 'consensus.ports.http', cl.ports.http);
  a.set('--rest-api-host-allowlist', 'consensus.listen_address', hostAllowlist(cl.listenAddress));

  const peers = node.networkTuning.peersCl ?? cl.peers;
  if (peers !== undefined) {
    const owner = node.networkTuning.peersCl !== undefined ? 'network_tuning.peers_cl' : 'consensus.peers';
    // The target is the upper bound; the lower bound keeps Teku's default unless that would exceed it.
    a.set('--p2p-peer-lower-bound', owner, Math.min(peers, DEFAULT_LOWER_BOUND));
    a.set('--p2p-peer-upper-bound', owner, peers);
  }

  if (cp.enabled) {
    if (cp.stateFile) {
      // --initial-state takes a state (file or URL) only.
      a.set('--initial-state', 'checkpoint_sync.state_file', cp.stateFile);
      if (cp.blockFile) notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: 'Teku starts from a state alone (--initial-state); it has no checkpoint block flag' });
    } else {
      if (cp.blockFile) notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: 'Teku starts from a state alone (--initial-state); it has no checkpoint block flag' });
      if (cp.url) a.set('--checkpoint-sync-url', 'checkpoint_sync.url', cp.url);
    }
    if (cp.alternatives.length > 0) notApplicable.push({ setting: 'checkpoint_sync.alternatives', reason: 'Teku takes one --checkpoint-sync-url; the alternatives only feed nodeform\'s provider choice' });
    // StateStorageMode.java: a new database defaults to MINIMAL (blocks only within the retention period);
    // PRUNE stores all blocks, so historical sync runs back to genesis (states stay pruned). A database keeps
    // the mode it was created with (data-storage-mode.txt).
    if (cp.backfill) a.set('--data-storage-mode', 'checkpoint_sync.backfill', 'prune');
  }

  // StoreOptions.java: both are hidden (`hidden = true`) X-options, real in 26.8.0 (defaults: state 8, block 32).
  if (node.cache.stateCacheSize !== undefined) a.set('--Xstore-state-cache-size', 'cache.state_cache_size', node.cache.stateCacheSize);
  if (node.cache.blockCacheSize !== undefined) a.set('--Xstore-block-cache-size', 'cache.block_cache_size', node.cache.blockCacheSize);

  if (node.monitoring.metrics) {
    a.set('--metrics-enabled', 'monitoring.metrics', 'true');
    a.set('--metrics-interface', 'monitoring.metrics_address', node.monitoring.metricsAddress);
    a.set('--metrics-port', 'consensus.ports.metrics', cl.ports.metrics);
    a.set('--metrics-host-allowlist', 'monitoring.metrics_address', hostAllowlist(node.monitoring.metricsAddress));
  }

  return {
    argv: [...a.argv, ...cl.extraArgs],
    files: [],
    dataDirs: [cl.dataDir],
    // BeaconChainController.java: the generated p2p key lives in <data-path>/beacon/kvstore
    // (DatabaseMigrater.java carries kvstore over as the node's own state).
    identityPaths: ['beacon/kvstore'],
    // What --force-clear-db removes (BeaconDatabaseReset.clearBeaconDatabase), all under <data-path>/beacon.
    chainDataPaths: ['beacon/db', 'beacon/archive', 'beacon/network.yml', 'beacon/metadata.yml', 'beacon/db.version', 'beacon/data-storage-mode.txt'],
    health: { kind: 'beacon-api', url: `http://${urlHost(cl.listenAddress)}:${cl.ports.http}` },
    notApplicable,
    managedFlags: a.managed,
  };
}

export const teku: ClientProfile = {
  name: 'teku',
  kind: 'consensus',
  targetVersion: '26.8.0',
  minVersion: '25.3.0',
  render,
};
