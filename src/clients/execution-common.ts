// Helpers the four execution client profiles share. Pure: no I/O, no clock.

import { NodeformError } from '../errors.js';
import { flag, type FlagStyle } from './args.js';
import type { NetworkFiles, NodeSpec, NotApplicable } from './types.js';

/**
 * Builds a command line and, for every flag it adds, records the NodeSpec setting that owns it
 * (ClientRendering.managedFlags), so argv and managedFlags cannot drift apart.
 */
export class CommandLine {
  readonly argv: string[];
  readonly managed: Record<string, string> = {};

  constructor(
    binary: string,
    private readonly style: FlagStyle,
  ) {
    this.argv = [binary];
  }

  /** A flag with a value, in the client's documented style. */
  set(name: string, value: string | number, setting: string): this {
    this.argv.push(...flag(this.style, name, value));
    this.managed[name] = setting;
    return this;
  }

  /** A flag without a value. */
  on(name: string, setting: string): this {
    this.argv.push(name);
    this.managed[name] = setting;
    return this;
  }

  /** Words nodeform does not own (extra_args), appended as given. */
  append(words: readonly string[]): this {
    this.argv.push(...words);
    return this;
  }
}

/** The execution peer target and the setting it comes from: network_tuning.peers_el overrides execution.peers. */
export function executionPeers(node: NodeSpec): { value: number; setting: string } | undefined {
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

/**
 * The cache settings that belong to the consensus client (states and blocks kept in memory): declared on
 * every node, but no execution client has a flag for them.
 */
export function consensusCacheSettings(node: NodeSpec, client: string): NotApplicable[] {
  const out: NotApplicable[] = [];
  if (node.cache.stateCacheSize !== undefined) {
    out.push({ setting: 'cache.state_cache_size', reason: `consensus-side setting (beacon states kept in memory); ${client} has no such flag` });
  }
  if (node.cache.blockCacheSize !== undefined) {
    out.push({ setting: 'cache.block_cache_size', reason: `consensus-side setting (beacon blocks kept in memory); ${client} has no such flag` });
  }
  return out;
}
