// Geth (go-ethereum) execution client profile.
// targetVersion v1.17.5 (tag of 2026-07-27): every flag checked against ethereum/go-ethereum@v1.17.5
// cmd/utils/flags.go and cmd/geth/chaincmd.go (the `init` subcommand), recorded in flags/geth.json.
// minVersion v1.15.6: the first tag whose cmd/utils/flags.go has `--hoodi`; every other flag rendered here is older.

import { CommandLine } from './args.js';
import { executionPeers, gethApiFlags, gethCustomNetwork, httpUrl, isPublicNetwork, metricsFlags } from './execution-common.js';
import type { ClientProfile, ClientRendering, NodeSpec } from './types.js';

export const geth: ClientProfile = {
  name: 'geth',
  kind: 'execution',
  targetVersion: 'v1.17.5',
  minVersion: 'v1.15.6',
  render(node: NodeSpec): ClientRendering {
    const el = node.execution;
    // geth's help prints `--flag value`; urfave/cli accepts `--flag=value` too.
    const cmd = new CommandLine(el.binary, 'separate').set('--datadir', el.dataDir, 'execution.data_dir');

    let initArgv: string[] | undefined;
    const network = node.network.name;
    if (isPublicNetwork(network)) {
      cmd.on(`--${network}`, 'network.name');
    } else {
      // A custom genesis is written once into an empty datadir (`geth init`, cmd/geth/chaincmd.go); the
      // service then starts from the stored genesis with the network id and bootnodes given here.
      initArgv = gethCustomNetwork(cmd, node, 'geth');
    }

    cmd.set('--syncmode', 'snap', 'execution.client');
    cmd.set('--port', el.ports.p2p, 'execution.ports.p2p');
    const peers = executionPeers(node);
    if (peers) cmd.set('--maxpeers', peers.value, peers.setting);
    if (node.cache.executionCacheMb !== undefined) cmd.set('--cache', node.cache.executionCacheMb, 'cache.execution_cache_mb');

    gethApiFlags(cmd, node);

    // `--metrics` collects; `--metrics.addr` starts the stand-alone HTTP endpoint (cmd/utils/flags.go).
    metricsFlags(cmd, node, { on: '--metrics', address: '--metrics.addr', port: '--metrics.port' });
    cmd.append(el.extraArgs);

    return {
      argv: cmd.argv,
      files: [],
      dataDirs: [],
      // The instance directory is `geth/` (node/config.go: nodekey, nodes, chaindata resolve under it).
      identityPaths: ['geth/nodekey'],
      // chaindata first: the init unit runs only while it is absent. lightchaindata and triecache are
      // left by older releases; blobpool and transactions.rlp hold the old chain's pending transactions.
      chainDataPaths: ['geth/chaindata', 'geth/lightchaindata', 'geth/nodes', 'geth/triecache', 'geth/blobpool', 'geth/transactions.rlp'],
      ...(initArgv ? { initArgv } : {}),
      health: { kind: 'json-rpc', url: httpUrl(el.listenAddress, el.ports.http) },
      notApplicable: [],
      managedFlags: cmd.managed,
    };
  },
};
