// Lighthouse beacon node (`lighthouse bn`).
// Pinned: v8.2.2 (sigp/lighthouse release PR #9840, 2026-08-17), the newest stable release found. Every flag
// below was checked in book/src/help_bn.md (the generated `lighthouse bn --help`, as published in the book for
// the v8 line: it already lists --semi-supernode, added in v8.0.0) and, for minVersion, in the same file at
// tag v5.3.0, where each rendered flag already exists (`--network hoodi` needs a later release: v5.3.0's
// --network lists mainnet, gnosis, chiado, sepolia, holesky).
// Rows and sources: src/clients/flags/lighthouse.json.

import { NodeformError } from '../errors.js';
import { CommandLine } from './args.js';
import { alternativesUnused, beaconRendering, checkpointStateAndBlock, checkpointUrlOnArgv, consensusPeers, engineUrl, metricsFlags } from './consensus-common.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

const BUILT_IN = new Set(['mainnet', 'hoodi', 'sepolia']);

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  // `--name value`, as the book's help_bn.md (clap) writes every option.
  const cmd = new CommandLine([cl.binary, 'bn'], 'separate');
  const notApplicable: NotApplicable[] = [];
  const argvSecrets: NotApplicable[] = [];

  cmd.set('--datadir', cl.dataDir, 'consensus.data_dir');
  if (net.files) {
    // help_bn.md: --testnet-dir <DIR>, the dir holding config.yaml, genesis.ssz, boot_enr.yaml and
    // deposit_contract_block.txt (the eth2_network_config layout).
    cmd.set('--testnet-dir', net.files.dir, 'network.files');
  } else if (BUILT_IN.has(net.name)) {
    cmd.set('--network', net.name, 'network.name');
  } else {
    throw new NodeformError('CONFIG', `lighthouse: network "${net.name}" has no built-in Lighthouse config: set network.files (config.yaml, genesis.ssz, boot_enr.yaml, deposit_contract_block.txt)`);
  }
  // Added to the testnet dir's boot_enr.yaml (beacon_node/src/config.rs extends boot_nodes_enr).
  if (net.bootnodesCl.length > 0) cmd.set('--boot-nodes', net.bootnodesCl.join(','), 'network.bootnodes_cl');

  cmd.set('--execution-endpoint', engineUrl(node), 'execution.ports.engine');
  cmd.set('--execution-jwt', node.jwtPath, 'jwt_path');
  // --port sets TCP and discovery UDP; QUIC listens on port + 1 (help_bn.md).
  cmd.set('--port', cl.ports.p2p, 'consensus.ports.p2p');
  cmd.on('--http', 'consensus.ports.http');
  cmd.set('--http-address', cl.listenAddress, 'consensus.listen_address');
  cmd.set('--http-port', cl.ports.http, 'consensus.ports.http');

  const peers = consensusPeers(node);
  if (peers) cmd.set('--target-peers', peers.value, peers.setting);

  if (cp.enabled) {
    // beacon_node/src/cli.rs: --checkpoint-state `.requires("checkpoint-block")`, so one file alone cannot start it.
    if (!checkpointStateAndBlock(cmd, node, 'Lighthouse', notApplicable) && cp.url) {
      cmd.set('--checkpoint-sync-url', cp.url, 'checkpoint_sync.url');
      // No other way in: since the clap 4 move (v5.x) Lighthouse has no --config-file (lighthouse/src/main.rs at
      // v5.3.0) and clap is built without its `env` feature (Cargo.toml), so no option is read from the environment.
      argvSecrets.push(...checkpointUrlOnArgv(node, 'Lighthouse takes the checkpoint URL only on its command line (--checkpoint-sync-url)'));
    }
    notApplicable.push(...alternativesUnused(node, 'Lighthouse', '--checkpoint-sync-url'));
    // Without it Lighthouse still backfills, but only to the weak subjectivity / blob retention boundary.
    if (cp.backfill) cmd.on('--genesis-backfill', 'checkpoint_sync.backfill');
  } else {
    // help_bn.md: genesis sync must be allowed explicitly (it refuses once Deneb is older than the blob window).
    cmd.on('--allow-insecure-genesis-sync', 'checkpoint_sync.enabled');
  }

  if (node.cache.stateCacheSize !== undefined) cmd.set('--state-cache-size', node.cache.stateCacheSize, 'cache.lighthouse.state_cache_size');
  // Default 0 (block cache off) since v8.0.0, sigp/lighthouse#8066; setting it turns the cache back on.
  if (node.cache.blockCacheSize !== undefined) cmd.set('--block-cache-size', node.cache.blockCacheSize, 'cache.lighthouse.block_cache_size');

  metricsFlags(cmd, node, { on: '--metrics', address: '--metrics-address', port: '--metrics-port' });

  return beaconRendering(node, cmd, notApplicable, {
    argvSecrets,
    // <datadir>/beacon/network holds `key` (libp2p secret), `enr.dat` and `metadata`
    // (lighthouse_network service/utils.rs, discovery/mod.rs; common/directory: beacon/, network/).
    identityPaths: ['beacon/network'],
    // beacon_node/client/src/config.rs: chain_db, freezer_db, blobs_db under <datadir>/beacon.
    chainDataPaths: ['beacon/chain_db', 'beacon/freezer_db', 'beacon/blobs_db'],
  });
}

export const lighthouse: ClientProfile = {
  name: 'lighthouse',
  kind: 'consensus',
  targetVersion: 'v8.2.2',
  minVersion: 'v5.3.0',
  render,
};
