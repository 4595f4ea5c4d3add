// Helpers the four execution client profiles share. Pure: no I/O, no clock.

import { NodeformError } from '../errors.js';
import type { CommandLine } from './args.js';
import type { Setting } from './settings.js';
import type { NetworkFiles, NodeSpec } from './types.js';

/** The execution peer target and the setting it comes from: network_tuning.peers_el overrides execution.peers. */
export function executionPeers(node: NodeSpec): { value: number; setting: Setting } | undefined {
  if (node.networkTuning.peersEl !== undefined) return { value: node.networkTuning.peersEl, setting: 'network_tuning.peers_el' };
  if (node.execution.peers !== undefined) return { value: node.execution.peers, setting: 'execution.peers' };
  return undefined;
}

/** Where to reach an API on this host: a wildcard listen address is reached on loopback. */
export function httpUrl(address: string, port: number): string {
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The built-in public networks every execution client knows by name. */
export type PublicNetwork = 'mainnet' | 'hoodi' | 'sepolia';

export function isPublicNetwork(name: NodeSpec['network']['name']): name is PublicNetwork {
  return name === 'mainnet' || name === 'hoodi' || name === 'sepolia';
}

/** Ephemery and custom networks: the release files, the chain id and the execution bootnodes. */
export function customNetwork(node: NodeSpec, client: string): { files: NetworkFiles; chainId: number; bootnodes: string[] } {
  const { name, files, chainId, bootnodesEl } = node.network;
  if (!files || chainId === undefined) {
    throw new NodeformError(
      'CONFIG',
      `network ${name}: ${client} needs the network's files (genesis) and its chain id; set network.files and network.chain_id for ${name} networks`,
    );
  }
  return { files, chainId, bootnodes: bootnodesEl };
}

/** A file the Ephemery release (and ethereum-genesis-generator output) ships next to genesis.json. */
export function releaseFile(files: NetworkFiles, name: string): string {
  return `${files.dir.replace(/\/+$/, '')}/${name}`;
}

/** A metrics switch, listen address and port, when monitoring.metrics is on (geth, Erigon, Besu). */
export function metricsFlags(cmd: CommandLine, node: NodeSpec, names: { on: string; address: string; port: string }): void {
  if (!node.monitoring.metrics) return;
  cmd.on(names.on, 'monitoring.metrics');
  cmd.set(names.address, node.monitoring.metricsAddress, 'monitoring.metrics_address');
  cmd.set(names.port, node.execution.ports.metrics, 'execution.ports.metrics');
}

/**
 * geth and Erigon (a geth fork: cmd/utils/flags.go in both) name their JSON-RPC and engine API flags alike:
 * `--http`, `--http.addr`, `--http.port`, `--authrpc.addr`, `--authrpc.port`, `--authrpc.jwtsecret`.
 */
export function gethApiFlags(cmd: CommandLine, node: NodeSpec): void {
  const el = node.execution;
  cmd.on('--http', 'execution.ports.http');
  cmd.set('--http.addr', el.listenAddress, 'execution.listen_address');
  cmd.set('--http.port', el.ports.http, 'execution.ports.http');
  cmd.set('--authrpc.addr', el.listenAddress, 'execution.listen_address');
  cmd.set('--authrpc.port', el.ports.engine, 'execution.ports.engine');
  cmd.set('--authrpc.jwtsecret', node.jwtPath, 'jwt_path');
}

/**
 * geth and Erigon on Ephemery or a custom network: `<binary> init --datadir D genesis.json` writes the genesis
 * into an empty datadir once (the returned init step); the service then runs with the network id and bootnodes.
 */
export function gethCustomNetwork(cmd: CommandLine, node: NodeSpec, client: string): string[] {
  const el = node.execution;
  const custom = customNetwork(node, client);
  cmd.set('--networkid', custom.chainId, 'network.chain_id');
  if (custom.bootnodes.length > 0) cmd.set('--bootnodes', custom.bootnodes.join(','), 'network.bootnodes_el');
  return [el.binary, 'init', '--datadir', el.dataDir, custom.files.genesisJson];
}
