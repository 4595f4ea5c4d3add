// Ephemery releases fetched from a local HTTP server speaking GitHub's release layout: real tar.gz, real cache.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchRelease } from '../../src/fetch/ephemery.js';
import { parseBootnodes, verifyRelease } from '../../src/fetch/release.js';
import { genesisSsz, releaseArchive, releaseFiles, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';

let server: ReleaseServer;
let base: string;
const work = mkdtempSync(join(tmpdir(), 'nodeform-release-'));

beforeAll(async () => {
  server = await startReleaseServer();
  base = `${server.url}/releases`;
  server.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  server.archives.set('ephemery-162', await releaseArchive(releaseFiles(162)));
  server.archives.set('ephemery-163', await releaseArchive(releaseFiles(163, { 'genesis.json': JSON.stringify({ config: { chainId: 39438162 } }) })));
});
afterAll(() => server.close());
describe('Ephemery releases', () => {
  it('downloads once, keeps only the files clients need, and serves later asks from the cache', async () => {
    const cacheDir = join(work, 'cache-a');
    server.requests.length = 0;
    const release = await fetchRelease({ releaseUrl: base, iteration: 'latest', cacheDir });
    expect(release.iteration).toBe(161);
    expect(release.chainId).toBe(39438161);
    expect([...release.files.keys()].sort()).toEqual(['besu.json', 'boot_enode.txt', 'boot_enr.yaml', 'chainspec.json', 'config.yaml', 'deposit_contract_block.txt', 'genesis.json', 'genesis.ssz', 'nodevars_env.txt']);
    expect(release.bootnodesCl).toEqual(['enr:-Iq4QJk4WqRkjsX5c2CXtOra6HnxN', 'enr:-Iq4QAbcdef']);
    expect(release.bootnodesEl).toEqual(['enode://0f2c301a9a3f@135.181.140.168:30343', 'enode://abcdef01@10.0.0.1:30303']);
    expect(server.requests).toEqual(['/releases/latest', '/releases/download/ephemery-161/testnet-all.tar.gz']);

    server.requests.length = 0;
    const again = await fetchRelease({ releaseUrl: base, iteration: 161, cacheDir });
    expect(again.files.get('genesis.ssz')?.equals(genesisSsz(161))).toBe(true);
    expect(server.requests).toEqual([]);
  });

  it('follows latest to a new iteration', async () => {
    server.latest = 'ephemery-162';
    const release = await fetchRelease({ releaseUrl: base, iteration: 'latest', cacheDir: join(work, 'cache-b') });
    expect(release.iteration).toBe(162);
    server.latest = 'ephemery-161';
  });

  it('fetches again when a cached file was damaged', async () => {
    const cacheDir = join(work, 'cache-c');
    await fetchRelease({ releaseUrl: base, iteration: 161, cacheDir });
    writeFileSync(join(cacheDir, 'ephemery', 'ephemery-161', 'genesis.ssz'), 'tampered');
    server.requests.length = 0;
    const release = await fetchRelease({ releaseUrl: base, iteration: 161, cacheDir });
    expect(release.files.get('genesis.ssz')?.equals(genesisSsz(161))).toBe(true);
    expect(server.requests).toEqual(['/releases/download/ephemery-161/testnet-all.tar.gz']);
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

describe('Ephemery releases fetched by several runs at once', () => {
  it('share one cache without tripping over each other', async () => {
    const cacheDir = join(work, 'cache-parallel');
    const releases = await Promise.all(Array.from({ length: 4 }, () => fetchRelease({ releaseUrl: base, iteration: 161, cacheDir })));
    expect(releases.map((r) => r.iteration)).toEqual([161, 161, 161, 161]);
    const again = await fetchRelease({ releaseUrl: base, iteration: 161, cacheDir });
    expect(again.files.get('genesis.ssz')?.equals(genesisSsz(161))).toBe(true);
  });
});
