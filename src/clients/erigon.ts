// Erigon execution client profile.
// targetVersion v3.4.4 (released 2026-06-18; erigontech/erigon PRs #21868 "bump version to 3.4.4" and #21889
// release notes). Flags checked against erigontech/erigon docs/docusaurus/docs/fundamentals/configuring-erigon/index.mdx
// (the CLI reference of the 3.4 line, with the full `erigon --help` listing) and cmd/utils/flags.go; `init` against
// cmd/utils/app/init_cmd.go. Recorded in flags/erigon.json.
// minVersion v3.0.0: Erigon 3 brought `--externalcl` back (Caplin on by default) and Hoodi (#14223, cherry-picked for 3.0).

import { CommandLine } from './args.js';
import { executionPeers, gethApiFlags, gethCustomNetwork, httpUrl, isPublicNetwork, metricsFlags } from './execution-common.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

export const erigon: ClientProfile = {
  name: 'erigon',
  kind: 'execution',
  targetVersion: 'v3.4.4',
  minVersion: 'v3.0.0',
  render(node: NodeSpec): ClientRendering {
    const el = node.execution;
    const cmd = new CommandLine(el.binary, 'separate').set('--datadir', el.dataDir, 'execution.data_dir');

    let initArgv: string[] | undefined;
    const network = node.network.name;
    if (isPublicNetwork(network)) {
      cmd.set('--chain', network, 'network.name');
    } else {
      // `erigon init --datadir D genesis.json` (cmd/utils/app/init_cmd.go) stores the genesis; with a
      // non-mainnet --networkid and no --chain, Erigon keeps that stored genesis (SetEthConfig, cmd/utils/flags.go).
      initArgv = gethCustomNetwork(cmd, node, 'erigon');
    }

    // Caplin, the built-in consensus layer, is on unless --externalcl is given (CLI reference: "Default: false,
    // means that Caplin is enabled"); nodeform always runs a separate consensus client.
    cmd.on('--externalcl', 'execution.client');
    // Erigon has no snap sync: known chains start from OtterSync snapshots by default. `full` is the documented
    // default pruning preset, stated so the node type shows in the plan.
    cmd.set('--prune.mode', 'full', 'execution.client');
    cmd.set('--port', el.ports.p2p, 'execution.ports.p2p');
    const peers = executionPeers(node);
    // In 3.4 --maxpeers counts per eth protocol version (68 and 69 each), per the CLI reference.
    if (peers) cmd.set('--maxpeers', peers.value, peers.setting);

    gethApiFlags(cmd, node);

    metricsFlags(cmd, node, { on: '--metrics', address: '--metrics.addr', port: '--metrics.port' });
    cmd.append(el.extraArgs);

    const notApplicable: NotApplicable[] = [];
    if (node.cache.executionCacheMb !== undefined) {
      notApplicable.push({
        setting: 'cache.execution_cache_mb',
        reason:
          'erigon has no database cache size: MDBX uses the OS page cache; --state.cache only applies to an RPC daemon without --datadir and --batchSize is the execution write batch (Erigon CLI reference)',
      });
    }

    return {
      argv: cmd.argv,
      files: [],
      dataDirs: [],
      // p2p.NodeKeyConfig.DefaultPath: <datadir>/nodekey.
      identityPaths: ['nodekey'],
      // db/datadir/dirs.go. chaindata first: the init unit runs only while it is absent.
      chainDataPaths: ['chaindata', 'snapshots', 'temp', 'txpool', 'nodes', 'downloader', 'caplin'],
      ...(initArgv ? { initArgv } : {}),
      health: { kind: 'json-rpc', url: httpUrl(el.listenAddress, el.ports.http) },
      notApplicable,
      managedFlags: cmd.managed,
    };
  },
};
