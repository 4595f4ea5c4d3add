// Ephemery releases (ephemery-testnet/ephemery-genesis): which files a node needs, how they are checked,
// and how bootnodes are read from them. Pure: fetch.ts does the downloading and caching.

import { NodeformError } from '../errors.js';

/** Ephemery's execution chain id is this plus the iteration. */
export const EPHEMERY_CHAIN_ID_BASE = 39438000;

/** Files of testnet-all.tar.gz that clients read; the rest of the archive is left out. */
export const RELEASE_FILES = [
  'config.yaml',
  'genesis.ssz',
  'genesis.json',
  'chainspec.json',
  'besu.json',
  'boot_enr.yaml',
  'boot_enode.txt',
  'bootstrap_nodes.txt',
  'deposit_contract.txt',
  'deposit_contract_block.txt',
  'deposit_contract_block_hash.txt',
  'nodevars_env.txt',
  'retention.vars',
] as const;

export interface Release {
  iteration: number;
  tag: string;
  chainId: number;
  /** File name -> bytes, for the files of RELEASE_FILES the archive holds. */
  files: Map<string, Buffer>;
  bootnodesCl: string[];
  bootnodesEl: string[];
}

export function tagOf(iteration: number): string {
  return `ephemery-${iteration}`;
}

export function iterationOf(tag: string): number {
  const m = /^ephemery-(\d+)$/.exec(tag);
  if (!m) throw new NodeformError('CONFIG', `release tag "${tag}" is not of the form ephemery-N`);
  return Number(m[1]);
}

/** KEY=value lines (nodevars_env.txt, retention.vars); quotes around values dropped. */
export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim().replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

function yamlScalar(text: string, key: string): string | undefined {
  const m = new RegExp(`^${key}:\\s*['"]?([^'"\\s#]+)`, 'm').exec(text);
  return m?.[1];
}

export function parseBootnodes(files: Map<string, Buffer>): { cl: string[]; el: string[] } {
  const text = (name: string) => files.get(name)?.toString('utf8') ?? '';
  const cl = [...text('boot_enr.yaml').matchAll(/enr:[A-Za-z0-9_-]+/g)].map((m) => m[0]);
  const el = [...text('boot_enode.txt').matchAll(/enode:\/\/[0-9a-f]+@[^\s,"']+/g)].map((m) => m[0]);
  return { cl: [...new Set(cl)], el: [...new Set(el)] };
}

/**
 * Checks a release holds what nodes need and that its files agree with each other and with the
 * iteration: the chain id of genesis.json, config.yaml and the env files is 39438000 + iteration.
 */
export function verifyRelease(tag: string, files: Map<string, Buffer>): Release {
  const iteration = iterationOf(tag);
  const problems: string[] = [];
  for (const name of ['config.yaml', 'genesis.ssz', 'genesis.json']) {
    if (!files.get(name)?.length) problems.push(`${name} is missing or empty`);
  }
  const expected = EPHEMERY_CHAIN_ID_BASE + iteration;
  const ids: [string, number | undefined][] = [];
  const genesisJson = files.get('genesis.json');
  if (genesisJson?.length) {
    try {
      ids.push(['genesis.json config.chainId', Number((JSON.parse(genesisJson.toString('utf8')) as { config?: { chainId?: unknown } }).config?.chainId)]);
    } catch (error) {
      problems.push(`genesis.json is not JSON (${(error as Error).message})`);
    }
  }
  const config = files.get('config.yaml')?.toString('utf8');
  if (config) ids.push(['config.yaml DEPOSIT_CHAIN_ID', Number(yamlScalar(config, 'DEPOSIT_CHAIN_ID'))]);
  for (const envFile of ['nodevars_env.txt', 'retention.vars']) {
    const env = files.get(envFile);
    if (env) {
      const id = parseEnv(env.toString('utf8')).CHAIN_ID;
      if (id !== undefined) ids.push([`${envFile} CHAIN_ID`, Number(id)]);
    }
  }
  for (const [where, id] of ids) {
    if (id !== expected) problems.push(`${where} is ${Number.isNaN(id) ? 'unreadable' : id}, expected ${expected} (39438000 + ${iteration})`);
  }
  if (problems.length > 0) {
    throw new NodeformError('CONFIG', `Ephemery release ${tag} failed verification:\n  ${problems.join('\n  ')}`);
  }
  const boot = parseBootnodes(files);
  return { iteration, tag, chainId: expected, files, bootnodesCl: boot.cl, bootnodesEl: boot.el };
}
