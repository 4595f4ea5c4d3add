// Besu execution client profile.
// targetVersion 26.8.0 (tag of 2026-08-18; the project moved from hyperledger/besu to besu-eth/besu). Every flag
// checked against besu-eth/besu@26.8.0 app/src/main/java/org/hyperledger/besu/cli/ (BesuCommand.java and
// options/*.java), recorded in flags/besu.json.
// minVersion 25.3.0: the first tag whose network list has HOODI; every other flag rendered here is older.

import { CommandLine } from './args.js';
import { customNetwork, executionPeers, httpUrl, isPublicNetwork, metricsFlags, releaseFile } from './execution-common.js';
import type { ClientProfile, ClientRendering, NodeSpec, NotApplicable } from './types.js';

/**
 * Besu's genesis for Ephemery and custom networks: `besu.json`, which the Ephemery release ships next to
 * genesis.json (ephemery-genesis scripts/check-genesis.sh requires it; it is ethereum-genesis-generator's
 * Besu flavour, with `ethash: {}`, `preMergeForkBlock` and `baseFeePerGas`). Convention: it sits in
 * NetworkFiles.dir, as in the release's testnet-all.tar.gz (network-config.tar.gz has it under metadata/).
 */
export const BESU_GENESIS_FILE = 'besu.json';

/** Besu answers only requests whose Host header is on its allowlist (default localhost,127.0.0.1). */
function allowlist(listenAddress: string): string {
  return [...new Set(['localhost', '127.0.0.1', listenAddress])].join(',');
}

export const besu: ClientProfile = {
  name: 'besu',
  kind: 'execution',
  targetVersion: '26.8.0',
  minVersion: '25.3.0',
  render(node: NodeSpec): ClientRendering {
    const el = node.execution;
    // The Besu CLI reference writes options as `--name=value` (picocli accepts both forms).
    const cmd = new CommandLine(el.binary, 'equals').set('--data-path', el.dataDir, 'execution.data_dir');

    const network = node.network.name;
    if (isPublicNetwork(network)) {
      cmd.set('--network', network, 'network.name');
    } else {
      const custom = customNetwork(node, 'besu');
      cmd.set('--genesis-file', releaseFile(custom.files, BESU_GENESIS_FILE), 'network.files.dir');
      cmd.set('--network-id', custom.chainId, 'network.chain_id');
      if (custom.bootnodes.length > 0) cmd.set('--bootnodes', custom.bootnodes.join(','), 'network.bootnodes_el');
    }
    // With --genesis-file the default is FULL (BesuCommand.getDefaultSyncModeIfNotSet), so always say SNAP.
    cmd.set('--sync-mode', 'SNAP', 'execution.client');
    cmd.set('--p2p-port', el.ports.p2p, 'execution.ports.p2p');
    const peers = executionPeers(node);
    if (peers) cmd.set('--max-peers', peers.value, peers.setting);

    cmd.on('--rpc-http-enabled', 'execution.ports.http');
    // The engine API listens on --rpc-http-host too: Besu has no engine host option
    // (BesuCommand.createEngineJsonRpcConfiguration reuses the JSON-RPC HTTP host).
    cmd.set('--rpc-http-host', el.listenAddress, 'execution.listen_address');
    cmd.set('--rpc-http-port', el.ports.http, 'execution.ports.http');
    // Host-header allowlists: a client calling http://<listen address>:port is refused (403) unless the address is listed.
    cmd.set('--host-allowlist', allowlist(el.listenAddress), 'execution.listen_address');
    cmd.set('--engine-rpc-port', el.ports.engine, 'execution.ports.engine');
    cmd.set('--engine-jwt-secret', node.jwtPath, 'jwt_path');
    cmd.set('--engine-host-allowlist', allowlist(el.listenAddress), 'execution.listen_address');

    metricsFlags(cmd, node, { on: '--metrics-enabled', address: '--metrics-host', port: '--metrics-port' });
    cmd.append(el.extraArgs);

    const notApplicable: NotApplicable[] = [];
    if (node.cache.executionCacheMb !== undefined) {
      notApplicable.push({
        setting: 'cache.execution_cache_mb',
        reason:
          'besu has no supported database cache size option: --cache-last-blocks counts blocks and --Xplugin-rocksdb-cache-capacity is an experimental X option (besu CLI, RocksDBCLIOptions.java)',
      });
    }

    return {
      argv: cmd.argv,
      files: [],
      dataDirs: [],
      // KeyPairUtil: the node key is <data-path>/key.
      identityPaths: ['key'],
      // BesuController DATABASE_PATH/CACHE_PATH and the metadata files that describe that database.
      chainDataPaths: ['database', 'caches', 'DATABASE_METADATA.json', 'VERSION_METADATA.json'],
      health: { kind: 'json-rpc', url: httpUrl(el.listenAddress, el.ports.http) },
      notApplicable,
      managedFlags: cmd.managed,
    };
  },
};
