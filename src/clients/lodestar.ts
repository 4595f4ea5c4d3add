// Lodestar beacon node (`lodestar beacon`).
// Pinned: v1.48.0 (ChainSafe/lodestar release PR #10067, 2026-09-15). The lab runs 1.5.1 from npm, so every
// flag rendered here exists in BOTH: checked in packages/cli/src/options/ (globalOptions.ts,
// beaconNodeOptions/{api,execution,metrics,network}.ts) and packages/cli/src/cmds/beacon/options.ts at tags
// v1.5.1 and v1.22.0, in the newer option files and in the published beacon CLI docs (1.45/1.50).
// minVersion: 1.5.1. Rows: src/clients/flags/lodestar.json.

import { NodeformError } from '../errors.js';
import { CommandLine } from './args.js';
import { alternativesUnused, beaconRendering, blockFileUnused, checkpointUrlIsSecret, consensusPeers, engineUrl, metricsFlags } from './consensus-common.js';
import type { ClientProfile, ClientRendering, EnvironmentSetting, NodeSpec, NotApplicable } from './types.js';

/** Names --network accepts in the pinned release (ephemery is built in there, not in 1.5.1). */
const BUILT_IN = new Set(['mainnet', 'hoodi', 'sepolia', 'ephemery']);

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  // Always `--name=value`: yargs `array` options (--bootnodes, --execution.urls) would swallow following
  // words given `--name value`.
  const cmd = new CommandLine([cl.binary, 'beacon'], 'equals');
  const notApplicable: NotApplicable[] = [];
  const environment: EnvironmentSetting[] = [];

  cmd.set('--dataDir', cl.dataDir, 'consensus.data_dir');
  if (net.files) {
    // As the Ephemery scripts run it: no --network (the name comes from CONFIG_NAME in the params file).
    // --genesisStateFile is hidden from 1.5.1's --help but exists there (cmds/beacon/options.ts).
    cmd.set('--paramsFile', net.files.configYaml, 'network.files');
    cmd.set('--genesisStateFile', net.files.genesisSsz, 'network.files');
    // applyPreset.ts picks the preset from --preset, LODESTAR_PRESET or --network, never from the params file:
    // without it a minimal-preset network's config is refused ("Can only create a config for the active preset").
    if (net.preset === 'minimal') cmd.set('--preset', 'minimal', 'network.files');
  } else if (BUILT_IN.has(net.name)) {
    cmd.set('--network', net.name, 'network.name');
  } else {
    throw new NodeformError('CONFIG', `lodestar: network "${net.name}" has no built-in Lodestar config: set network.files (config.yaml, genesis.ssz)`);
  }
  // network.ts: comma-separated entries are split.
  if (net.bootnodesCl.length > 0) cmd.set('--bootnodes', net.bootnodesCl.join(','), 'network.bootnodes_cl');

  cmd.set('--execution.urls', engineUrl(node), 'execution.ports.engine');
  // 1.5.1 declares `jwt-secret`, v1.12.0+ `jwtSecret`; yargs' camel-case expansion (on by default, yargs 16
  // and 17 in strict mode, tried here) accepts either spelling for either declaration, and only this one is
  // in 1.5.1's --help.
  cmd.set('--jwt-secret', node.jwtPath, 'jwt_path');
  // network.ts: --port is TCP, discovery UDP defaults to it.
  cmd.set('--port', cl.ports.p2p, 'consensus.ports.p2p');
  cmd.on('--rest', 'consensus.ports.http');
  cmd.set('--rest.address', cl.listenAddress, 'consensus.listen_address');
  cmd.set('--rest.port', cl.ports.http, 'consensus.ports.http');

  const peers = consensusPeers(node);
  if (peers) cmd.set('--targetPeers', peers.value, peers.setting);

  if (cp.enabled) {
    notApplicable.push(...blockFileUnused(node, 'Lodestar', '--checkpointState'));
    if (cp.stateFile) cmd.set('--checkpointState', cp.stateFile, 'checkpoint_sync.state_file');
    else if (cp.url && checkpointUrlIsSecret(node)) {
      // A URL with a secret goes in the environment, never the command line: the CLI reads every option from
      // LODESTAR_<NAME> too (packages/cli/src/cli.ts: yargs `.env("LODESTAR")`, at tags v1.5.1 and v1.22.0;
      // yargs-parser camel-cases CHECKPOINT_SYNC_URL to checkpointSyncUrl). The environment file is 0640 root:lodestar.
      cmd.own('--checkpointSyncUrl', 'checkpoint_sync.url');
      environment.push({ name: 'LODESTAR_CHECKPOINT_SYNC_URL', value: cp.url, setting: 'checkpoint_sync.url' });
    } else if (cp.url) cmd.set('--checkpointSyncUrl', cp.url, 'checkpoint_sync.url');
    notApplicable.push(...alternativesUnused(node, 'Lodestar', '--checkpointSyncUrl'));
    // beacon-node/src/sync/options.ts: backfillBatchSize 0 "would mean backfill sync will be skipped"; the only
    // switch is the hidden, experimental --sync.backfillBatchSize, whose size nodeform has no setting for.
    if (cp.backfill) notApplicable.push({ setting: 'checkpoint_sync.backfill', reason: 'Lodestar skips backfill by default; only the hidden, experimental --sync.backfillBatchSize (a batch size, 0 = off) turns it on: add it to extra_args to try it' });
  }

  // No cache setting: only the hidden --chain.maxBlockStates (since v1.18.0, not in 1.5.1) sizes the state cache
  // (docs/node.md, cache).

  metricsFlags(cmd, node, { on: '--metrics', address: '--metrics.address', port: '--metrics.port' });

  return beaconRendering(node, cmd, notApplicable, {
    environment,
    // cmds/beacon/initPeerIdAndEnr.ts: with persistNetworkIdentity (default true in current releases) the
    // identity is <dataDir>/peer-id.json and <dataDir>/enr; 1.5.1 made a new one at each start.
    identityPaths: ['peer-id.json', 'enr'],
    // cmds/beacon/paths.ts: dbDir = <dataDir>/chain-db.
    chainDataPaths: ['chain-db'],
  });
}

export const lodestar: ClientProfile = {
  name: 'lodestar',
  kind: 'consensus',
  targetVersion: 'v1.48.0',
  minVersion: 'v1.5.1',
  render,
};
