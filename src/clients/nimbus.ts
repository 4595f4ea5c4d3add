// Nimbus beacon node (`nimbus_beacon_node`, no subcommand to run; `trustedNodeSync` is a one-shot subcommand).
// Pinned: v26.6.2 (the nimbus-eth2 release status-im/nimbus-eth1#4384 updates to). Its source is not in the
// snapshots available here, so each flag was checked in beacon_chain/conf.nim at tag v24.9.0 (minVersion: every
// flag below is there) and against the current Nimbus book (docs/the_nimbus_book/src/options.md,
// trusted-node-sync.md); these options are unchanged since. Rows: src/clients/flags/nimbus.json.

import { NodeformError } from '../errors.js';
import { CommandLine } from './args.js';
import { alternativesUnused, beaconRendering, blockFileUnused, checkpointUrlOnArgv, consensusPeers, engineUrl, metricsFlags } from './consensus-common.js';
import type { Setting } from './settings.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

const BUILT_IN = new Set(['mainnet', 'hoodi', 'sepolia']);

function render(node: NodeSpec): ClientRendering {
  const cl = node.consensus;
  const net = node.network;
  const cp = node.checkpointSync;
  // `--name=value` (confutils; the book writes every option so).
  const cmd = new CommandLine(cl.binary, 'equals');
  const notApplicable: NotApplicable[] = [];
  const argvSecrets: NotApplicable[] = [];

  // network_metadata.nim loadEth2NetworkMetadata: a directory holding config.yaml, genesis.ssz,
  // deposit_contract_block.txt (+ _hash.txt) and boot_enr.yaml / bootstrap_nodes.txt.
  let network: [string, Setting];
  if (net.files) network = [net.files.dir, 'network.files'];
  else if (BUILT_IN.has(net.name)) network = [net.name, 'network.name'];
  else throw new NodeformError('CONFIG', `nimbus: network "${net.name}" has no built-in Nimbus config: set network.files (a directory with config.yaml, genesis.ssz, ...)`);

  cmd.set('--network', network[0], network[1]);
  cmd.set('--data-dir', cl.dataDir, 'consensus.data_dir');
  // conf.nim: quit on missing configuration instead of prompting (a service has no terminal).
  cmd.on('--non-interactive', 'consensus.client');
  cmd.repeat('--bootstrap-node', net.bootnodesCl, 'network.bootnodes_cl');

  cmd.set('--el', engineUrl(node), 'execution.ports.engine');
  cmd.set('--jwt-secret', node.jwtPath, 'jwt_path');
  cmd.set('--tcp-port', cl.ports.p2p, 'consensus.ports.p2p');
  cmd.set('--udp-port', cl.ports.p2p, 'consensus.ports.p2p');
  cmd.on('--rest', 'consensus.ports.http');
  cmd.set('--rest-address', cl.listenAddress, 'consensus.listen_address');
  cmd.set('--rest-port', cl.ports.http, 'consensus.ports.http');

  const peers = consensusPeers(node);
  if (peers) cmd.set('--max-peers', peers.value, peers.setting);

  let initArgv: string[] | undefined;
  if (cp.enabled) {
    notApplicable.push(...blockFileUnused(node, 'Nimbus', '--finalized-checkpoint-state', '--finalized-checkpoint-block is deprecated and ignored'));
    if (cp.stateFile) {
      cmd.set('--finalized-checkpoint-state', cp.stateFile, 'checkpoint_sync.state_file');
    } else {
      if (cp.url) {
        // The beacon node's own --external-beacon-api-url ignores the URL unless --trusted-block-root or
        // --trusted-state-root names a root (nimbus_beacon_node.nim), which nodeform does not have. The book
        // (trusted-node-sync.md) documents checkpoint sync as the one-shot `trustedNodeSync` on an empty data
        // dir, then the node as usual; --backfill=false leaves block history to the p2p network, which spares
        // third-party providers (their REST limits).
        notApplicable.push({ setting: 'checkpoint_sync.url', reason: 'the Nimbus beacon node cannot checkpoint-sync from a URL without a trusted root; nodeform runs the one-shot `trustedNodeSync --trusted-node-url` (init step) before the first start instead' });
        // Its flags are reported with the service's (one managedFlags record).
        const init = new CommandLine([cl.binary, 'trustedNodeSync'], 'equals', cmd.managed);
        init.set('--network', network[0], network[1]);
        init.set('--data-dir', cl.dataDir, 'consensus.data_dir');
        init.set('--trusted-node-url', cp.url, 'checkpoint_sync.url');
        init.set('--backfill', 'false', 'checkpoint_sync.url');
        initArgv = init.argv;
        // No verified way around argv. Nimbus has a TOML --config-file (beacon_chain/nimbus_binary_common.nim
        // makeBannerAndConfig, at v24.9.0), not checked for a subcommand's option. confutils reads an environment
        // variable per missing option (confutils.nim processMissingOpts), but the nim-confutils v24.9.0 vendors
        // (cb640db) prefixes it with the whole getAppFilename() path (/USR/LOCAL/BIN/..._TRUSTED_NODE_URL), a name
        // systemd cannot set; newer confutils uses the executable's file name, which nodeform cannot know.
        argvSecrets.push(...checkpointUrlOnArgv(node, 'Nimbus\' one-shot trustedNodeSync takes the checkpoint URL on its command line (--trusted-node-url)'));
      }
    }
    notApplicable.push(...alternativesUnused(node, 'Nimbus trustedNodeSync', '--trusted-node-url'));
    if (cp.backfill) notApplicable.push({ setting: 'checkpoint_sync.backfill', reason: 'Nimbus backfills blocks over p2p only to its --history horizon (prune keeps the spec minimum); history back to genesis needs --history=archive, which also keeps every historical state: add it to extra_args if wanted' });
  }

  // No cache setting: conf.nim has only --rest-statecache-size, full states kept for REST requests (default 3),
  // not a chain state cache; sizing it like another client's state cache would hold that many full states in memory.

  metricsFlags(cmd, node, { on: '--metrics', address: '--metrics-address', port: '--metrics-port' });

  return beaconRendering(node, cmd, notApplicable, {
    argvSecrets,
    // --netkey-file defaults to `random` (conf.nim; eth2_network.nim getPersistentNetKeys): a new network key
    // at every start, nothing on disk to keep. A persistent key needs a password-protected keystore.
    identityPaths: [],
    // conf.nim databaseDir: <data-dir>/db. First, so an init step can test for it.
    chainDataPaths: ['db'],
    initArgv,
  });
}

export const nimbus: ClientProfile = {
  name: 'nimbus',
  kind: 'consensus',
  targetVersion: 'v26.6.2',
  minVersion: 'v24.9.0',
  render,
};
