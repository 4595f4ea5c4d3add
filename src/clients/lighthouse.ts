// Lighthouse beacon node (`lighthouse bn`).
// Pinned: v8.2.2 (sigp/lighthouse release PR #9840, 2026-08-17), the newest stable release found. Every flag
// below was checked in book/src/help_bn.md (the generated `lighthouse bn --help`, as published in the book for
// the v8 line: it already lists --semi-supernode, added in v8.0.0) and, for minVersion, in the same file at
// tag v5.3.0, where each rendered flag already exists (`--network hoodi` needs a later release: v5.3.0's
// --network lists mainnet, gnosis, chiado, sepolia, holesky).
// Rows and sources: src/clients/flags/lighthouse.json.

import { NodeformError } from '../errors.js';
import { flag } from './args.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

class Args {
  readonly argv: string[];
  readonly managed: Record<string, string> = {};
  constructor(first: string[]) {
    this.argv = [...first];
  }
  /** A flag nodeform owns: `--name value` (Lighthouse/clap style in the book), or a bare switch. */
  set(name: string, owner: string, value?: string | number): void {
    this.argv.push(...(value === undefined ? [name] : flag('separate', name, value)));
    this.managed[name] = owner;
  }
}

/** Host part of a URL to reach an address on this host: a wildcard listen address is reached on loopback. */
function urlHost(address: string): string {
  const a = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  return a.includes(':') ? `[${a}]` : a;
}

const BUILT_IN = new Set(['mainnet', 'hoodi', 'sepolia']);

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  const a = new Args([cl.binary, 'bn']);
  const notApplicable: NotApplicable[] = [];

  a.set('--datadir', 'consensus.data_dir', cl.dataDir);
  if (net.files) {
    // help_bn.md: --testnet-dir <DIR>, the dir holding config.yaml, genesis.ssz, boot_enr.yaml and
    // deposit_contract_block.txt (the eth2_network_config layout).
    a.set('--testnet-dir', 'network.files', net.files.dir);
  } else if (BUILT_IN.has(net.name)) {
    a.set('--network', 'network.name', net.name);
  } else {
    throw new NodeformError('CONFIG', `lighthouse: network "${net.name}" has no built-in Lighthouse config: set network.files (config.yaml, genesis.ssz, boot_enr.yaml, deposit_contract_block.txt)`);
  }
  // Added to the testnet dir's boot_enr.yaml (beacon_node/src/config.rs extends boot_nodes_enr).
  if (net.bootnodesCl.length > 0) a.set('--boot-nodes', 'network.bootnodes_cl', net.bootnodesCl.join(','));

  a.set('--execution-endpoint', 'execution.ports.engine', `http://${urlHost(node.execution.listenAddress)}:${node.execution.ports.engine}`);
  a.set('--execution-jwt', 'jwt_path', node.jwtPath);
  // --port sets TCP and discovery UDP; QUIC listens on port + 1 (help_bn.md).
  a.set('--port', 'consensus.ports.p2p', cl.ports.p2p);
  a.set('--http', 'consensus.ports.http');
  a.set('--http-address', 'consensus.listen_address', cl.listenAddress);
  a.set('--http-port', 'consensus.ports.http', cl.ports.http);

  const peers = node.networkTuning.peersCl ?? cl.peers;
  if (peers !== undefined) a.set('--target-peers', node.networkTuning.peersCl !== undefined ? 'network_tuning.peers_cl' : 'consensus.peers', peers);

  if (cp.enabled) {
    if (cp.stateFile && cp.blockFile) {
      a.set('--checkpoint-state', 'checkpoint_sync.state_file', cp.stateFile);
      a.set('--checkpoint-block', 'checkpoint_sync.block_file', cp.blockFile);
    } else {
      // beacon_node/src/cli.rs: --checkpoint-state `.requires("checkpoint-block")`, so one file alone cannot start it.
      if (cp.stateFile) notApplicable.push({ setting: 'checkpoint_sync.state_file', reason: 'Lighthouse needs --checkpoint-block together with --checkpoint-state; no checkpoint_sync.block_file is declared' });
      else if (cp.blockFile) notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: 'Lighthouse needs --checkpoint-state together with --checkpoint-block; no checkpoint_sync.state_file is declared' });
      if (cp.url) a.set('--checkpoint-sync-url', 'checkpoint_sync.url', cp.url);
    }
    if (cp.alternatives.length > 0) notApplicable.push({ setting: 'checkpoint_sync.alternatives', reason: 'Lighthouse takes one --checkpoint-sync-url; the alternatives only feed nodeform\'s provider choice' });
    // Without it Lighthouse still backfills, but only to the weak subjectivity / blob retention boundary.
    if (cp.backfill) a.set('--genesis-backfill', 'checkpoint_sync.backfill');
  } else {
    // help_bn.md: genesis sync must be allowed explicitly (it refuses once Deneb is older than the blob window).
    a.set('--allow-insecure-genesis-sync', 'checkpoint_sync.enabled');
  }

  if (node.cache.stateCacheSize !== undefined) a.set('--state-cache-size', 'cache.state_cache_size', node.cache.stateCacheSize);
  // Default 0 (block cache off) since v8.0.0, sigp/lighthouse#8066; setting it turns the cache back on.
  if (node.cache.blockCacheSize !== undefined) a.set('--block-cache-size', 'cache.block_cache_size', node.cache.blockCacheSize);

  if (node.monitoring.metrics) {
    a.set('--metrics', 'monitoring.metrics');
    a.set('--metrics-address', 'monitoring.metrics_address', node.monitoring.metricsAddress);
    a.set('--metrics-port', 'consensus.ports.metrics', cl.ports.metrics);
  }

  return {
    argv: [...a.argv, ...cl.extraArgs],
    files: [],
    dataDirs: [cl.dataDir],
    // <datadir>/beacon/network holds `key` (libp2p secret), `enr.dat` and `metadata`
    // (lighthouse_network service/utils.rs, discovery/mod.rs; common/directory: beacon/, network/).
    identityPaths: ['beacon/network'],
    // beacon_node/client/src/config.rs: chain_db, freezer_db, blobs_db under <datadir>/beacon.
    chainDataPaths: ['beacon/chain_db', 'beacon/freezer_db', 'beacon/blobs_db'],
    health: { kind: 'beacon-api', url: `http://${urlHost(cl.listenAddress)}:${cl.ports.http}` },
    notApplicable,
    managedFlags: a.managed,
  };
}

export const lighthouse: ClientProfile = {
  name: 'lighthouse',
  kind: 'consensus',
  targetVersion: 'v8.2.2',
  minVersion: 'v5.3.0',
  render,
};
