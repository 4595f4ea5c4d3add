// Prysm beacon node (`beacon-chain`, no subcommand).
// Pinned: v7.1.6 (OffchainLabs/prysm tag, 2026-06-30), the newest release tag in the repository. Flags were
// checked in that tag's source: cmd/flags.go, cmd/beacon-chain/flags/base.go, cmd/beacon-chain/sync/checkpoint/
// options.go, cmd/beacon-chain/genesis/options.go, cmd/beacon-chain/sync/backfill/flags/flags.go,
// cmd/beacon-chain/das/flags/flags.go and config/features/flags.go (rows: src/clients/flags/prysm.json).
// minVersion v6.1.0: the oldest tag where every flag this profile renders exists (v6.0.0 still named
// --enable-backfill `--enable-experimental-backfill`); v6.1.0 also persists the p2p key once Fulu is scheduled.

import { NodeformError } from '../errors.js';
import { CommandLine } from './args.js';
import { alternativesUnused, beaconRendering, checkpointStateAndBlock, checkpointUrlIsSecret, consensusPeers, engineUrl } from './consensus-common.js';
import type { ClientProfile, ClientRendering, EnvironmentSetting, NodeSpec, NotApplicable } from './types.js';

/** config/features/flags.go: network selection is a switch per network. */
const BUILT_IN: Record<string, string> = { mainnet: '--mainnet', hoodi: '--hoodi', sepolia: '--sepolia' };

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  // `--name=value` (urfave/cli, as Prysm's docs write it).
  const cmd = new CommandLine(cl.binary, 'equals');
  const notApplicable: NotApplicable[] = [];
  let checkpointConfig: ClientRendering['checkpointConfig'];

  // cmd/flags.go: without it Prysm prompts for the terms of use and a service cannot answer.
  cmd.on('--accept-terms-of-use', 'consensus.client');
  cmd.set('--datadir', cl.dataDir, 'consensus.data_dir');
  const builtIn = BUILT_IN[net.name];
  if (net.files) {
    cmd.set('--chain-config-file', net.files.configYaml, 'network.files');
    cmd.set('--genesis-state', net.files.genesisSsz, 'network.files');
  } else if (builtIn) {
    cmd.on(builtIn, 'network.name');
  } else {
    throw new NodeformError('CONFIG', `prysm: network "${net.name}" has no built-in Prysm config: set network.files (config.yaml, genesis.ssz)`);
  }
  // `--bootstrap-node`: "multiple times but not comma-separated".
  cmd.repeat('--bootstrap-node', net.bootnodesCl, 'network.bootnodes_cl');

  cmd.set('--execution-endpoint', engineUrl(node), 'execution.ports.engine');
  cmd.set('--jwt-secret', node.jwtPath, 'jwt_path');
  // Defaults are TCP 13000, discv5 UDP 12000, QUIC UDP 13000. nodeform's one p2p port: TCP and discovery UDP
  // on it and QUIC on port + 1, as Lighthouse lays them out (discv5 and QUIC cannot share a UDP port).
  cmd.set('--p2p-tcp-port', cl.ports.p2p, 'consensus.ports.p2p');
  cmd.set('--p2p-udp-port', cl.ports.p2p, 'consensus.ports.p2p');
  cmd.set('--p2p-quic-port', cl.ports.p2p + 1, 'consensus.ports.p2p');
  // The HTTP (Beacon API) server is always on in v7; these only place it.
  cmd.set('--http-host', cl.listenAddress, 'consensus.listen_address');
  cmd.set('--http-port', cl.ports.http, 'consensus.ports.http');

  const peers = consensusPeers(node);
  if (peers) cmd.set('--p2p-max-peers', peers.value, peers.setting);

  if (cp.enabled) {
    // sync/checkpoint/options.go: "BlockPath is required when using StatePath".
    const fromFiles = checkpointStateAndBlock(cmd, node, 'Prysm', notApplicable);
    if (!fromFiles && cp.url && checkpointUrlIsSecret(node)) {
      // A URL with a secret goes in a YAML file Prysm loads, never the command line: --config-file fills every
      // flag not given on the command line from it (cmd/flags.go LoadFlagsFromConfig, altsrc over all the
      // beacon-chain flags: cmd/beacon-chain/main.go, at v6.1.0 and v7.1.6). The file is 0640 root:prysm.
      const entries: EnvironmentSetting[] = [{ name: 'checkpoint-sync-url', value: cp.url, setting: 'checkpoint_sync.url' }];
      cmd.own('--checkpoint-sync-url', 'checkpoint_sync.url');
      if (!net.files) {
        entries.push({ name: 'genesis-beacon-api-url', value: cp.url, setting: 'checkpoint_sync.url' });
        cmd.own('--genesis-beacon-api-url', 'checkpoint_sync.url');
      }
      cmd.own('--config-file', 'checkpoint_sync.url');
      checkpointConfig = { flag: '--config-file', entries };
    } else if (!fromFiles && cp.url) {
      cmd.set('--checkpoint-sync-url', cp.url, 'checkpoint_sync.url');
      // Prysm's checkpoint sync docs pair it with --genesis-beacon-api-url; with a genesis file the state is local.
      if (!net.files) cmd.set('--genesis-beacon-api-url', cp.url, 'checkpoint_sync.url');
    }
    notApplicable.push(...alternativesUnused(node, 'Prysm', '--checkpoint-sync-url'));
    if (cp.backfill) {
      // backfill/flags/flags.go: backfill runs only with --enable-backfill; das/flags/flags.go: it stops at
      // MIN_EPOCHS_FOR_BLOCK_REQUESTS unless --backfill-oldest-slot is set (IsSet, so 0 means genesis).
      cmd.on('--enable-backfill', 'checkpoint_sync.backfill');
      cmd.set('--backfill-oldest-slot', 0, 'checkpoint_sync.backfill');
    }
  }

  // No cache setting: Prysm has no flag for its state or block cache size (none in cmd/beacon-chain/flags or config/features).

  if (node.monitoring.metrics) {
    cmd.set('--monitoring-host', node.monitoring.metricsAddress, 'monitoring.metrics_address');
    cmd.set('--monitoring-port', cl.ports.metrics, 'consensus.ports.metrics');
  } else {
    // Prysm serves metrics by default (127.0.0.1:8080): off has to be said.
    cmd.on('--disable-monitoring', 'monitoring.metrics');
  }

  return beaconRendering(node, cmd, notApplicable, {
    ...(checkpointConfig ? { checkpointConfig } : {}),
    // beacon-chain/p2p/utils.go: the key lives in <datadir>/network-keys and, once Fulu is scheduled (all
    // networks nodeform targets), is written there on first start and reused. Metadata moved into the DB in v7.
    identityPaths: ['network-keys'],
    // db/kv/kv.go: beaconchaindata; cmd/beacon-chain/storage/options.go: blobs and data-columns next to it.
    chainDataPaths: ['beaconchaindata', 'blobs', 'data-columns'],
  });
}

export const prysm: ClientProfile = {
  name: 'prysm',
  kind: 'consensus',
  targetVersion: 'v7.1.6',
  minVersion: 'v6.1.0',
  render,
};
