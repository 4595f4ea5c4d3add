// Ephemery releases fetched from a local HTTP server speaking GitHub's release layout: real tar.gz, real cache.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRelease } from '../../src/network/fetch.js';
import { parseBootnodes, verifyRelease } from '../../src/network/release.js';

export function releaseFiles(iteration: number, overrides: Record<string, string> = {}): Record<string, string> {
  const chainId = 39438000 + iteration;
  return {
    'config.yaml': `PRESET_BASE: mainnet\nCONFIG_NAME: ephemery\nDEPOSIT_CHAIN_ID: ${chainId}\nDEPOSIT_NETWORK_ID: ${chainId}\n`,
    'genesis.json': JSON.stringify({ config: { chainId }, alloc: {} }),
    'genesis.ssz': `ssz-state-of-${iteration}`,
    'boot_enr.yaml': '- enr:-Iq4QJk4WqRkjsX5c2CXtOra6HnxN\n- enr:-Iq4QAbcdef\n',
    'boot_enode.txt': 'enode://0f2c301a9a3f@135.181.140.168:30343,enode://abcdef01@10.0.0.1:30303\n',
    'nodevars_env.txt': `CHAIN_ID=${chainId}\nGENESIS_VALROOT=0xabc\n`,
    'unrelated.txt': 'not needed by clients\n',
    ...overrides,
  };
}

export async function releaseArchive(dir: string, files: Record<string, string>): Promise<Buffer> {
  const src = mkdtempSync(join(dir, 'src-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(src, name), text);
  const out = join(dir, `release-${Math.random().toString(36).slice(2)}.tar.gz`);
  await tar.c({ gzip: true, file: out, cwd: src }, Object.keys(files));
  return readFileSync(out);
}

let server: Server;
let base: string;
const requests: string[] = [];
const archives = new Map<string, Buffer>();
let latest = 'ephemery-161';
const work = mkdtempSync(join(tmpdir(), 'nodeform-release-'));

beforeAll(async () => {
  archives.set('ephemery-161', await releaseArchive(work, releaseFiles(161)));
  archives.set('ephemery-162', await releaseArchive(work, releaseFiles(162)));
  archives.set('ephemery-163', await releaseArchive(work, releaseFiles(163, { 'genesis.json': JSON.stringify({ config: { chainId: 39438162 } }) })));
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/releases/latest') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ tag_name: latest }));
    }
    const m = /^\/releases\/download\/([^/]+)\/testnet-all\.tar\.gz$/.exec(req.url ?? '');
    const archive = m && archives.get(m[1]!);
    if (!archive) {
      res.statusCode = 404;
      return res.end('not found');
    }
    res.end(archive);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Ephemery releases', () => {
  it('downloads once, keeps only the files clients need, and serves later asks from the cache', async () => {
    const cacheDir = join(work, 'cache-a');
    requests.length = 0;
    const release = await fetchRelease({ releaseUrl: base, iteration: 'latest', cacheDir });
    expect(release.iteration).toBe(161);
    expect(release.chainId).toBe(39438161);
    expect([...release.files.keys()].sort()).toEqual(['boot_enode.txt', 'boot_enr.yaml', 'config.yaml', 'genesis.json', 'genesis.ssz', 'nodevars_env.txt']);
    expect(release.bootnodesCl).toEqual(['enr:-Iq4QJk4WqRkjsX5c2CXtOra6HnxN', 'enr:-Iq4QAbcdef']);
    expect(release.bootnodesEl).toEqual(['enode://0f2c301a9a3f@135.181.140.168:30343', 'enode://abcdef01@10.0.0.1:30303']);
    expect(requests).toEqual(['/releases/latest', '/releases/download/ephemery-161/testnet-all.tar.gz']);

    requests.length = 0;
    const again = await fetchRelease({ releaseUrl: base, iteration: 161, cacheDir });
    expect(again.files.get('genesis.ssz')?.toString()).toBe('ssz-state-of-161');
    expect(requests).toEqual([]);
  });

  it('follows latest to a new iteration', async () => {
    latest = 'ephemery-162';
    const release = await fetchRelease({ releaseUrl: base, iteration: 'latest', cacheDir: join(work, 'cache-b') });
    expect(release.iteration).toBe(162);
    latest = 'ephemery-161';
  });

  it('fetches again when a cached file was damaged', async () => {
    const cacheDir = join(work, 'cache-c');
    await fetchRelease({ releaseUrl: base, iteration: 161, cacheDir });
    writeFileSync(join(cacheDir, 'ephemery', 'ephemery-161', 'genesis.ssz'), 'tampered');
    requests.length = 0;
    const release = await fetchRelease({ releaseUrl: base, iteration: 161, cacheDir });
    expect(release.files.get('genesis.ssz')?.toString()).toBe('ssz-state-of-161');
    expect(requests).toEqual(['/releases/download/ephemery-161/testnet-all.tar.gz']);
  });

  it('refuses an inconsistent release and caches nothing of it', async () => {
    const cacheDir = join(work, 'cache-d');
    await expect(fetchRelease({ releaseUrl: base, iteration: 163, cacheDir })).rejects.toThrow(
      /ephemery-163 failed verification:\n {2}genesis\.json config\.chainId is 39438162, expected 39438163/,
    );
    mkdirSync(join(cacheDir, 'ephemery'), { recursive: true });
    expect(() => readFileSync(join(cacheDir, 'ephemery', 'ephemery-163', '.verified'))).toThrow();
  });

  it('says which release is missing', async () => {
    await expect(fetchRelease({ releaseUrl: base, iteration: 999, cacheDir: join(work, 'cache-e') })).rejects.toThrow(/answered 404: is ephemery-999 released\?/);
  });
});

describe('verifyRelease and bootnodes (pure)', () => {
  const files = (o: Record<string, string>) => new Map(Object.entries(releaseFiles(5, o)).map(([k, v]) => [k, Buffer.from(v)]));
  it.each([
    ['missing genesis.ssz', { 'genesis.ssz': '' }, /genesis\.ssz is missing or empty/],
    ['config.yaml chain id', { 'config.yaml': 'DEPOSIT_CHAIN_ID: 1\n' }, /config\.yaml DEPOSIT_CHAIN_ID is 1, expected 39438005/],
    ['env chain id', { 'nodevars_env.txt': 'CHAIN_ID="7"\n' }, /nodevars_env\.txt CHAIN_ID is 7/],
    ['bad json', { 'genesis.json': '{' }, /genesis\.json is not JSON/],
  ])('%s', (_name, overrides, error) => {
    expect(() => verifyRelease('ephemery-5', files(overrides))).toThrow(error);
  });
  it('rejects a tag of another shape', () => {
    expect(() => verifyRelease('v1.0', files({}))).toThrow(/not of the form ephemery-N/);
  });
  it('reads bootnodes from either file, deduplicated', () => {
    const f = new Map([['boot_enr.yaml', Buffer.from('- "enr:-A"\n- enr:-A\n')]]);
    expect(parseBootnodes(f)).toEqual({ cl: ['enr:-A'], el: [] });
  });
});
