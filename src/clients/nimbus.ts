// Nimbus beacon node (`nimbus_beacon_node`, no subcommand to run; `trustedNodeSync` is a one-shot subcommand).
// Pinned: v26.6.2 (the nimbus-eth2 release status-im/nimbus-eth1#4384 updates to). Its source is not in the
// snapshots available here, so each flag was checked in beacon_chain/conf.nim at tag v24.9.0 (minVersion: every
// flag below is there) and against the current Nimbus book (docs/the_nimbus_book/src/options.md,
// trusted-node-sync.md); these options are unchanged since. Rows: src/clients/flags/nimbus.json.

import { NodeformError } from '../errors.js';
import { flag } from './args.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

class Args {
  readonly argv: string[];
  readonly managed: Record<string, string>;
  constructor(first: string[], managed: Record<string, string>) {
    this.argv = [...first];
    this.managed = managed;
  }
  /** A flag nodeform owns: `--name=value` (confutils; the book writes every option so), or a bare switch. */
  set(name: string, owner: string, value?: string | number): void {
    this.argv.push(...(value === undefined ? [name] : flag('equals', name, value)));
    this.managed[name] = owner;
  }
}

function urlHost(address: string): string {
  const a = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  return a.includes(':') ? `[${a}]` : a;
}

const BUILT_IN = new Set(['mainnet', 'hoodi', 'sepolia']);

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  const managed: Record<string, string> = {};
  const a = new Args([cl.binary], managed);
  const notApplicable: NotApplicable[] = [];

  // network_metadata.nim loadEth2NetworkMetadata: a directory holding config.yaml, genesis.ssz,
  // deposit_contract_block.txt (+ _hash.txt) and boot_enr.yaml / bootstrap_nodes.txt.
  let network: [string, string];
  if (net.files) network = [net.files.dir, 'network.files'];
  else if (BUILT_IN.has(net.name)) network = [net.name, 'network.name'];
  else throw new NodeformError('CONFIG', `nimbus: network "${net.name}" has no built-in Nimbus config: set network.files (a directory with config.yaml, genesis.ssz, ...)`);

  a.set('--network', network[1], network[0]);
  a.set('--data-dir', 'consensus.data_dir', cl.dataDir);
  // conf.nim: quit on missing configuration instead of prompting (a service has no terminal).
  a.set('--non-interactive', 'consensus.client');
  for (const enr of net.bootnodesCl) a.argv.push(...flag('equals', '--bootstrap-node', enr));
  if (net.bootnodesCl.length > 0) managed['--bootstrap-node'] = 'network.bootnodes_cl';

  a.set('--el', 'execution.ports.engine', `http://${urlHost(node.execution.listenAddress)}:${node.execution.ports.engine}`);
  a.set('--jwt-secret', 'jwt_path', node.jwtPath);
  a.set('--tcp-port', 'consensus.ports.p2p', cl.ports.p2p);
  a.set('--udp-port', 'consensus.ports.p2p', cl.ports.p2p);
  a.set('--rest', 'consensus.ports.http');
  a.set('--rest-address', 'consensus.listen_address', cl.listenAddress);
  a.set('--rest-port', 'consensus.ports.http', cl.ports.http);

  const peers = node.networkTuning.peersCl ?? cl.peers;
  if (peers !== undefined) a.set('--max-peers', node.networkTuning.peersCl !== undefined ? 'network_tuning.peers_cl' : 'consensus.peers', peers);

  let initArgv: string[] | undefined;
  if (cp.enabled) {
    if (cp.stateFile) {
      a.set('--finalized-checkpoint-state', 'checkpoint_sync.state_file', cp.stateFile);
      if (cp.blockFile) notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: 'Nimbus starts from a state alone (--finalized-checkpoint-state); --finalized-checkpoint-block is deprecated and ignored' });
    } else {
      if (cp.blockFile) notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: 'Nimbus starts from a state alone (--finalized-checkpoint-state); --finalized-checkpoint-block is deprecated and ignored' });
      if (cp.url) {
        // The beacon node's own --external-beacon-api-url ignores the URL unless --trusted-block-root or
        // --trusted-state-root names a root (nimbus_beacon_node.nim), which nodeform does not have. The book
        // (trusted-node-sync.md) documents checkpoint sync as the one-shot `trustedNodeSync` on an empty data
        // dir, then the node as usual; --backfill=false leaves block history to the p2p network, which spares
        // third-party providers (their REST limits).
        notApplicable.push({ setting: 'checkpoint_sync.url', reason: 'the Nimbus beacon node cannot checkpoint-sync from a URL without a trusted root; nodeform runs the one-shot `trustedNodeSync --trusted-node-url` (init step) before the first start instead' });
        const init = new Args([cl.binary, 'trustedNodeSync'], managed);
        init.set('--network', network[1], network[0]);
        init.set('--data-dir', 'consensus.data_dir', cl.dataDir);
        init.set('--trusted-node-url', 'checkpoint_sync.url', cp.url);
        init.set('--backfill', 'checkpoint_sync.url', 'false');
        initArgv = init.argv;
      }
    }
    if (cp.alternatives.length > 0) notApplicable.push({ setting: 'checkpoint_sync.alternatives', reason: 'Nimbus trustedNodeSync takes one --trusted-node-url; the alternatives only feed nodeform\'s provider choice' });
    if (cp.backfill) notApplicable.push({ setting: 'checkpoint_sync.backfill', reason: 'Nimbus backfills blocks over p2p only to its --history horizon (prune keeps the spec minimum); history back to genesis needs --history=archive, which also keeps every historical state: add it to extra_args if wanted' });
  }

  // conf.nim has only --rest-statecache-size: full states kept for REST requests (default 3), not a chain
  // state cache; sizing it like another client's state cache would hold that many full states in memory.
  if (node.cache.stateCacheSize !== undefined) notApplicable.push({ setting: 'cache.state_cache_size', reason: 'Nimbus has no chain state cache flag; --rest-statecache-size only sizes the REST API\'s cache of full states (default 3)' });
  if (node.cache.blockCacheSize !== undefined) notApplicable.push({ setting: 'cache.block_cache_size', reason: 'Nimbus has no block cache size flag' });

  if (node.monitoring.metrics) {
    a.set('--metrics', 'monitoring.metrics');
    a.set('--metrics-address', 'monitoring.metrics_address', node.monitoring.metricsAddress);
    a.set('--metrics-port', 'consensus.ports.metrics', cl.ports.metrics);
  }

  return {
    argv: [...a.argv, ...cl.extraArgs],
    files: [],
    dataDirs: [cl.dataDir],
    // --netkey-file defaults to `random` (conf.nim; eth2_network.nim getPersistentNetKeys): a new network key
    // at every start, nothing on disk to keep. A persistent key needs a password-protected keystore.
    identityPaths: [],
    // conf.nim databaseDir: <data-dir>/db. First, so an init step can test for it.
    chainDataPaths: ['db'],
    ...(initArgv ? { initArgv } : {}),
    health: { kind: 'beacon-api', url: `http://${urlHost(cl.listenAddress)}:${cl.ports.http}` },
    notApplicable,
    managedFlags: managed,
  };
}

export const nimbus: ClientProfile = {
  name: 'nimbus',
  kind: 'consensus',
  targetVersion: 'v26.6.2',
  minVersion: 'v24.9.0',
  render,
};
