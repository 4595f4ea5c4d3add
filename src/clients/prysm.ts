// Prysm beacon node (`beacon-chain`, no subcommand).
// Pinned: v7.1.6 (OffchainLabs/prysm tag, 2026-06-30), the newest release tag in the repository. Flags were
// checked in that tag's source: cmd/flags.go, cmd/beacon-chain/flags/base.go, cmd/beacon-chain/sync/checkpoint/
// options.go, cmd/beacon-chain/genesis/options.go, cmd/beacon-chain/sync/backfill/flags/flags.go,
// cmd/beacon-chain/das/flags/flags.go and config/features/flags.go (rows: src/clients/flags/prysm.json).
// minVersion v6.1.0: the oldest tag where every flag this profile renders exists (v6.0.0 still named
// --enable-backfill `--enable-experimental-backfill`); v6.1.0 also persists the p2p key once Fulu is scheduled.

import { NodeformError } from '../errors.js';
import { flag } from './args.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

class Args {
  readonly argv: string[];
  readonly managed: Record<string, string> = {};
  constructor(first: string[]) {
    this.argv = [...first];
  }
  /** A flag nodeform owns: `--name=value` (urfave/cli, as Prysm's docs write it), or a bare switch. */
  set(name: string, owner: string, value?: string | number): void {
    this.argv.push(...(value === undefined ? [name] : flag('equals', name, value)));
    this.managed[name] = owner;
  }
  /** A flag given more than once (`--bootstrap-node`: "multiple times but not comma-separated"). */
  repeat(name: string, owner: string, values: readonly string[]): void {
    for (const v of values) this.argv.push(...flag('equals', name, v));
    if (values.length > 0) this.managed[name] = owner;
  }
}

function urlHost(address: string): string {
  const a = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  return a.includes(':') ? `[${a}]` : a;
}

/** config/features/flags.go: network selection is a switch per network. */
const BUILT_IN: Record<string, string> = { mainnet: '--mainnet', hoodi: '--hoodi', sepolia: '--sepolia' };

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  const a = new Args([cl.binary]);
  const notApplicable: NotApplicable[] = [];

  // cmd/flags.go: without it Prysm prompts for the terms of use and a service cannot answer.
  a.set('--accept-terms-of-use', 'consensus.client');
  a.set('--datadir', 'consensus.data_dir', cl.dataDir);
  const builtIn = BUILT_IN[net.name];
  if (net.files) {
    a.set('--chain-config-file', 'network.files', net.files.configYaml);
    a.set('--genesis-state', 'network.files', net.files.genesisSsz);
  } else if (builtIn) {
    a.set(builtIn, 'network.name');
  } else {
    throw new NodeformError('CONFIG', `prysm: network "${net.name}" has no built-in Prysm config: set network.files (config.yaml, genesis.ssz)`);
  }
  a.repeat('--bootstrap-node', 'network.bootnodes_cl', net.bootnodesCl);

  a.set('--execution-endpoint', 'execution.ports.engine', `http://${urlHost(node.execution.listenAddress)}:${node.execution.ports.engine}`);
  a.set('--jwt-secret', 'jwt_path', node.jwtPath);
  // Defaults are TCP 13000, discv5 UDP 12000, QUIC UDP 13000. nodeform's one p2p port: TCP and discovery UDP
  // on it and QUIC on port + 1, as Lighthouse lays them out (discv5 and QUIC cannot share a UDP port).
  a.set('--p2p-tcp-port', 'consensus.ports.p2p', cl.ports.p2p);
  a.set('--p2p-udp-port', 'consensus.ports.p2p', cl.ports.p2p);
  a.set('--p2p-quic-port', 'consensus.ports.p2p', cl.ports.p2p + 1);
  // The HTTP (Beacon API) server is always on in v7; these only place it.
  a.set('--http-host', 'consensus.listen_address', cl.listenAddress);
  a.set('--http-port', 'consensus.ports.http', cl.ports.http);

  const peers = node.networkTuning.peersCl ?? cl.peers;
  if (peers !== undefined) a.set('--p2p-max-peers', node.networkTuning.peersCl !== undefined ? 'network_tuning.peers_cl' : 'consensus.peers', peers);

  if (cp.enabled) {
    if (cp.stateFile && cp.blockFile) {
      a.set('--checkpoint-state', 'checkpoint_sync.state_file', cp.stateFile);
      a.set('--checkpoint-block', 'checkpoint_sync.block_file', cp.blockFile);
    } else {
      // sync/checkpoint/options.go: "BlockPath is required when using StatePath".
      if (cp.stateFile) notApplicable.push({ setting: 'checkpoint_sync.state_file', reason: 'Prysm needs --checkpoint-block together with --checkpoint-state; no checkpoint_sync.block_file is declared' });
      else if (cp.blockFile) notApplicable.push({ setting: 'checkpoint_sync.block_file', reason: 'Prysm needs --checkpoint-state together with --checkpoint-block; no checkpoint_sync.state_file is declared' });
      if (cp.url) {
        a.set('--checkpoint-sync-url', 'checkpoint_sync.url', cp.url);
        // Prysm's checkpoint sync docs pair it with --genesis-beacon-api-url; with a genesis file the state is local.
        if (!net.files) a.set('--genesis-beacon-api-url', 'checkpoint_sync.url', cp.url);
      }
    }
    if (cp.alternatives.length > 0) notApplicable.push({ setting: 'checkpoint_sync.alternatives', reason: 'Prysm takes one --checkpoint-sync-url; the alternatives only feed nodeform\'s provider choice' });
    if (cp.backfill) {
      // backfill/flags/flags.go: backfill runs only with --enable-backfill; das/flags/flags.go: it stops at
      // MIN_EPOCHS_FOR_BLOCK_REQUESTS unless --backfill-oldest-slot is set (IsSet, so 0 means genesis).
      a.set('--enable-backfill', 'checkpoint_sync.backfill');
      a.set('--backfill-oldest-slot', 'checkpoint_sync.backfill', 0);
    }
  }

  if (node.cache.stateCacheSize !== undefined) notApplicable.push({ setting: 'cache.state_cache_size', reason: 'Prysm has no flag for its state cache size (none in cmd/beacon-chain/flags or config/features)' });
  if (node.cache.blockCacheSize !== undefined) notApplicable.push({ setting: 'cache.block_cache_size', reason: 'Prysm has no block cache size flag' });

  if (node.monitoring.metrics) {
    a.set('--monitoring-host', 'monitoring.metrics_address', node.monitoring.metricsAddress);
    a.set('--monitoring-port', 'consensus.ports.metrics', cl.ports.metrics);
  } else {
    // Prysm serves metrics by default (127.0.0.1:8080): off has to be said.
    a.set('--disable-monitoring', 'monitoring.metrics');
  }

  return {
    argv: [...a.argv, ...cl.extraArgs],
    files: [],
    dataDirs: [cl.dataDir],
    // beacon-chain/p2p/utils.go: the key lives in <datadir>/network-keys and, once Fulu is scheduled (all
    // networks nodeform targets), is written there on first start and reused. Metadata moved into the DB in v7.
    identityPaths: ['network-keys'],
    // db/kv/kv.go: beaconchaindata; cmd/beacon-chain/storage/options.go: blobs and data-columns next to it.
    chainDataPaths: ['beaconchaindata', 'blobs', 'data-columns'],
    health: { kind: 'beacon-api', url: `http://${urlHost(cl.listenAddress)}:${cl.ports.http}` },
    notApplicable,
    managedFlags: a.managed,
  };
}

export const prysm: ClientProfile = {
  name: 'prysm',
  kind: 'consensus',
  targetVersion: 'v7.1.6',
  minVersion: 'v6.1.0',
  render,
};
