// Nethermind execution client profile.
// targetVersion 1.39.3 (patch release of August 2026 on the 1.39 line). Options checked against
// NethermindEth/docs versioned_docs/version-1.39.0/fundamentals/configuration.md (generated from the 1.39 config
// classes), recorded in flags/nethermind.json. Options are `--Section.Key value` (the docs' CLI form).
// minVersion 1.34.0: the oldest docs version kept (version-1.34.0) lists every option rendered here, `--data-dir` included.

import { CommandLine } from './args.js';
import { customNetwork, executionPeers, httpUrl, isPublicNetwork, releaseFile } from './execution-common.js';
import type { ClientFile, ClientProfile, ClientRendering, NodeSpec } from './types.js';

/**
 * Nethermind's chain spec for Ephemery and custom networks. Nethermind reads a Parity-style chain spec
 * (`Init.ChainSpecPath`, docs configuration.md), not geth's genesis.json; the Ephemery release ships one,
 * `chainspec.json` (ephemery-genesis scripts/check-genesis.sh requires it). Convention: it sits in
 * NetworkFiles.dir next to genesis.json, as in the release's testnet-all.tar.gz (network-config.tar.gz has
 * it under metadata/), so whoever installs the network files must install it there. (Newer releases also
 * auto-detect a geth-style genesis, NethermindEth/nethermind#10046, but the 1.39 docs do not say so.)
 */
export const NETHERMIND_CHAINSPEC_FILE = 'chainspec.json';

/** nodeform's own config preset for a network Nethermind does not ship one for; /etc/ethereum is nodeform's config dir. */
export function nethermindConfigPath(network: string): string {
  return `/etc/ethereum/nethermind-${network}.json`;
}

export const nethermind: ClientProfile = {
  name: 'nethermind',
  kind: 'execution',
  targetVersion: '1.39.3',
  minVersion: '1.34.0',
  render(node: NodeSpec): ClientRendering {
    const el = node.execution;
    const cmd = new CommandLine(el.binary, 'separate');
    const files: ClientFile[] = [];

    const network = node.network.name;
    if (isPublicNetwork(network)) {
      // Built-in presets (`-c, --config`): chain spec, genesis hash, pivot and db path nethermind_db/<network>.
      cmd.set('--config', network, 'network.name');
      cmd.set('--data-dir', el.dataDir, 'execution.data_dir');
    } else {
      const custom = customNetwork(node, 'nethermind');
      // Without --config Nethermind loads the mainnet preset (mainnet genesis hash and pivot), and a config
      // file that does not exist is an error (Nethermind.Runner Program.cs); so nodeform writes a preset of
      // its own. It only names the database directory, as the shipped presets do; the rest is on the command line.
      const path = nethermindConfigPath(network);
      files.push({ path, mode: '0644', content: `${JSON.stringify({ Init: { BaseDbPath: `nethermind_db/${network}` } }, null, 2)}\n` });
      cmd.set('--config', path, 'network.name');
      cmd.set('--data-dir', el.dataDir, 'execution.data_dir');
      // The network id comes from the chain spec (params.networkID); Nethermind has no option for it.
      cmd.set('--Init.ChainSpecPath', releaseFile(custom.files, NETHERMIND_CHAINSPEC_FILE), 'network.files.dir');
      if (custom.bootnodes.length > 0) cmd.set('--Network.Bootnodes', custom.bootnodes.join(','), 'network.bootnodes_el');
    }

    // Snap sync is fast sync with snap state download (docs fundamentals/sync.md): both on, as the shipped presets set them.
    cmd.set('--Sync.FastSync', 'true', 'execution.client');
    cmd.set('--Sync.SnapSync', 'true', 'execution.client');
    cmd.set('--Network.P2PPort', el.ports.p2p, 'execution.ports.p2p');
    // The docs advise keeping the discovery (UDP) port equal to the TCP port.
    cmd.set('--Network.DiscoveryPort', el.ports.p2p, 'execution.ports.p2p');
    const peers = executionPeers(node);
    if (peers) cmd.set('--Network.MaxActivePeers', peers.value, peers.setting);
    // The pruning (trie) cache is Nethermind's memory cache knob (docs fundamentals/performance-tuning.md).
    if (node.cache.executionCacheMb !== undefined) cmd.set('--Pruning.CacheMb', node.cache.executionCacheMb, 'cache.execution_cache_mb');

    cmd.set('--JsonRpc.Enabled', 'true', 'execution.ports.http');
    cmd.set('--JsonRpc.Host', el.listenAddress, 'execution.listen_address');
    cmd.set('--JsonRpc.Port', el.ports.http, 'execution.ports.http');
    // EngineHost needs EnginePort as well (docs interacting/json-rpc-server.md).
    cmd.set('--JsonRpc.EngineHost', el.listenAddress, 'execution.listen_address');
    cmd.set('--JsonRpc.EnginePort', el.ports.engine, 'execution.ports.engine');
    cmd.set('--JsonRpc.JwtSecretFile', node.jwtPath, 'jwt_path');

    if (node.monitoring.metrics) {
      cmd.set('--Metrics.Enabled', 'true', 'monitoring.metrics');
      cmd.set('--Metrics.ExposeHost', node.monitoring.metricsAddress, 'monitoring.metrics_address');
      cmd.set('--Metrics.ExposePort', el.ports.metrics, 'execution.ports.metrics');
    }
    cmd.append(el.extraArgs);

    return {
      argv: cmd.argv,
      files,
      dataDirs: [],
      // KeyStore.KeyStoreDirectory (default `keystore`, under --data-dir) holds the generated node.key.plain.
      identityPaths: ['keystore/node.key.plain'],
      // Every preset puts its databases under nethermind_db/<network> (Init.BaseDbPath), peer and discovery DBs included.
      chainDataPaths: ['nethermind_db'],
      health: { kind: 'json-rpc', url: httpUrl(el.listenAddress, el.ports.http) },
      notApplicable: [],
      managedFlags: cmd.managed,
    };
  },
};
