// Teku beacon node (`teku`, no subcommand).
// Pinned: 26.8.0 (Consensys/teku tag, 2026-08-05), the newest release tag in the repository. Flags were checked
// in that tag's picocli option classes under teku/src/main/java/tech/pegasys/teku/cli/options/ (rows and the
// class of each: src/clients/flags/teku.json). minVersion 25.3.0: every flag rendered here is in that tag's
// option classes too, and it is the first tag whose Eth2Network.java knows hoodi (25.2.0 does not).

import { NodeformError } from '../errors.js';
import { CommandLine } from './args.js';
import { alternativesUnused, beaconRendering, blockFileUnused, checkpointUrlIsSecret, consensusPeers, engineUrl } from './consensus-common.js';
import type { ClientProfile, ClientRendering, EnvironmentSetting, NodeSpec, NotApplicable } from './types.js';

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
  // `--name=value`, as Teku's docs write every option.
  const cmd = new CommandLine(cl.binary, 'equals');
  const notApplicable: NotApplicable[] = [];
  const environment: EnvironmentSetting[] = [];

  if (net.files) {
    // Eth2NetworkOptions: --network takes a name or a config.yaml path; the genesis state comes separately.
    cmd.set('--network', net.files.configYaml, 'network.files');
    cmd.set('--genesis-state', net.files.genesisSsz, 'network.files');
  } else if (BUILT_IN.has(net.name)) {
    cmd.set('--network', net.name, 'network.name');
  } else {
    throw new NodeformError('CONFIG', `teku: network "${net.name}" has no built-in Teku config: set network.files (config.yaml, genesis.ssz)`);
  }
  cmd.set('--data-path', cl.dataDir, 'consensus.data_dir');
  cmd.set('--ee-endpoint', engineUrl(node), 'execution.ports.engine');
  cmd.set('--ee-jwt-secret-file', node.jwtPath, 'jwt_path');
  // P2POptions: --p2p-port is TCP, and UDP (discovery) defaults to it.
  cmd.set('--p2p-port', cl.ports.p2p, 'consensus.ports.p2p');
  if (net.bootnodesCl.length > 0) cmd.set('--p2p-discovery-bootnodes', net.bootnodesCl.join(','), 'network.bootnodes_cl');

  cmd.set('--rest-api-enabled', 'true', 'consensus.ports.http');
  cmd.set('--rest-api-interface', cl.listenAddress, 'consensus.listen_address');
  cmd.set('--rest-api-port', cl.ports.http, 'consensus.ports.http');
  cmd.set('--rest-api-host-allowlist', hostAllowlist(cl.listenAddress), 'consensus.listen_address');

  const peers = consensusPeers(node);
  if (peers) {
    // The target is the upper bound; the lower bound keeps Teku's default unless that would exceed it.
    cmd.set('--p2p-peer-lower-bound', Math.min(peers.value, DEFAULT_LOWER_BOUND), peers.setting);
    cmd.set('--p2p-peer-upper-bound', peers.value, peers.setting);
  }

  if (cp.enabled) {
    // --initial-state takes a state (file or URL) only.
    notApplicable.push(...blockFileUnused(node, 'Teku', '--initial-state'));
    if (cp.stateFile) cmd.set('--initial-state', cp.stateFile, 'checkpoint_sync.state_file');
    else if (cp.url && checkpointUrlIsSecret(node)) {
      // A URL with a secret goes in the environment, never the command line: Teku reads every option from
      // TEKU_<NAME> (teku/src/main/java/tech/pegasys/teku/cli/util/EnvironmentVariableParamsProvider.java, at
      // tags 25.3.0 and 26.8.0; BeaconNodeCommand.parse adds it to the arguments inside the JVM, so it never
      // reaches /proc/PID/cmdline). The environment file is 0640 root:teku.
      cmd.own('--checkpoint-sync-url', 'checkpoint_sync.url');
      environment.push({ name: 'TEKU_CHECKPOINT_SYNC_URL', value: cp.url, setting: 'checkpoint_sync.url' });
    } else if (cp.url) cmd.set('--checkpoint-sync-url', cp.url, 'checkpoint_sync.url');
    notApplicable.push(...alternativesUnused(node, 'Teku', '--checkpoint-sync-url'));
    // StateStorageMode.java: a new database defaults to MINIMAL (blocks only within the retention period);
    // PRUNE stores all blocks, so historical sync runs back to genesis (states stay pruned). A database keeps
    // the mode it was created with (data-storage-mode.txt).
    if (cp.backfill) cmd.set('--data-storage-mode', 'prune', 'checkpoint_sync.backfill');
  }

  // StoreOptions.java: both are hidden (`hidden = true`) X-options, real in 26.8.0 (defaults: state 8, block 32).
  if (node.cache.stateCacheSize !== undefined) cmd.set('--Xstore-state-cache-size', node.cache.stateCacheSize, 'cache.teku.state_cache_size');
  if (node.cache.blockCacheSize !== undefined) cmd.set('--Xstore-block-cache-size', node.cache.blockCacheSize, 'cache.teku.block_cache_size');

  if (node.monitoring.metrics) {
    cmd.set('--metrics-enabled', 'true', 'monitoring.metrics');
    cmd.set('--metrics-interface', node.monitoring.metricsAddress, 'monitoring.metrics_address');
    cmd.set('--metrics-port', cl.ports.metrics, 'consensus.ports.metrics');
    cmd.set('--metrics-host-allowlist', hostAllowlist(node.monitoring.metricsAddress), 'monitoring.metrics_address');
  }

  return beaconRendering(node, cmd, notApplicable, {
    environment,
    // BeaconChainController.java: the generated p2p key lives in <data-path>/beacon/kvstore
    // (DatabaseMigrater.java carries kvstore over as the node's own state).
    identityPaths: ['beacon/kvstore'],
    // What --force-clear-db removes (BeaconDatabaseReset.clearBeaconDatabase), all under <data-path>/beacon.
    chainDataPaths: ['beacon/db', 'beacon/archive', 'beacon/network.yml', 'beacon/metadata.yml', 'beacon/db.version', 'beacon/data-storage-mode.txt'],
  });
}

export const teku: ClientProfile = {
  name: 'teku',
  kind: 'consensus',
  targetVersion: '26.8.0',
  minVersion: '25.3.0',
  render,
};
