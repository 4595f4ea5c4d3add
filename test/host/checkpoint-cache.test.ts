// Downloading and verifying a finalized checkpoint (block + state, real SSZ) from local providers, and the
// controller's fleet checkpoint cache over real temporary directories.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedCheckpoint, checkpointDir, networkDirName, type CachedCheckpointOptions } from '../../src/fetch/checkpoint-cache.js';
import { CheckpointError, downloadCheckpoint } from '../../src/fetch/checkpoint-state.js';
import { CHAIN, FIXTURE, LYING_ROOT, startProviderServer, type ProviderServer, type ProviderServerOptions } from '../support/provider-server.js';

const closers: Array<() => Promise<void>> = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
async function server(options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const s = await startProviderServer(options);
  closers.push(s.close);
  return s;
}
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'nodeform-cp-test-'));
  dirs.push(d);
  return d;
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const checkpoint = { epoch: CHAIN.finalizedEpoch, root: CHAIN.finalizedRoot };
const download = (url: string, over: Partial<Parameters<typeof downloadCheckpoint>[0]> = {}) =>
  downloadCheckpoint({ providerUrl: url, checkpoint, preset: 'mainnet', requestTimeoutSeconds: 5, dir: tempDir(), ...over });
const failure = async (p: Promise<unknown>): Promise<CheckpointError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CheckpointError);
  return e as CheckpointError;
};

describe('downloadCheckpoint', () => {
  it('SSZ with Eth-Consensus-Version: the block by root, then its post-state by state root (every byte vouched for)', async () => {
    const s = await server();
    const got = await download(`${s.url}/`, { checkpoint: { epoch: checkpoint.epoch, root: checkpoint.root.toUpperCase().replace('0X', '') } });
    expect(got.block).toMatchObject({ root: CHAIN.finalizedRoot, slot: FIXTURE.blockSlot, fork: 'phase0', format: 'ssz', bytes: FIXTURE.blockBytes.length, sha256: sha(FIXTURE.blockBytes), stateRoot: FIXTURE.postStateRoot });
    expect(got.state).toMatchObject({ stateId: FIXTURE.postStateRoot, slot: FIXTURE.blockSlot, root: FIXTURE.postStateRoot, genesisValidatorsRoot: CHAIN.genesisValidatorsRoot, bytes: FIXTURE.postStateBytes.length, sha256: sha(FIXTURE.postStateBytes), verified: 'state-root' });
    expect(readFileSync(got.state.path).equals(FIXTURE.postStateBytes)).toBe(true);
    expect(readFileSync(got.block.path).equals(FIXTURE.blockBytes)).toBe(true);
    expect(s.requests).toEqual([`GET /eth/v2/beacon/blocks/${CHAIN.finalizedRoot}`, `GET /eth/v2/debug/beacon/states/${FIXTURE.postStateRoot}`]);
    expect(s.stateDownloads).toBe(1);
  });

  it('no states by root: the epoch-aligned state by slot, advanced over the empty slot, vouched for by its header', async () => {
    const s = await server({ stateIds: { root: false } });
    const got = await download(s.url);
    expect(got.state).toMatchObject({ stateId: String(FIXTURE.alignedSlot), slot: FIXTURE.alignedSlot, root: FIXTURE.alignedStateRoot, verified: 'latest-block-header', sha256: sha(FIXTURE.alignedStateBytes) });
    expect(s.requests.slice(1)).toEqual([`GET /eth/v2/debug/beacon/states/${FIXTURE.postStateRoot}`, `GET /eth/v2/debug/beacon/states/${FIXTURE.alignedSlot}`]);
  });

  it('like Lodestar 1.5.1: JSON blocks, no Eth-Consensus-Version, no states by slot: the post-state by its root', async () => {
    const s = await server({ blockFormat: 'json', consensusVersionHeader: false, stateIds: { slot: false }, finalizedState: 'post' });
    const got = await download(s.url);
    expect(got.block).toMatchObject({ format: 'json', fork: 'phase0', sha256: sha(FIXTURE.blockBytes) });
    expect(readFileSync(got.block.path).equals(FIXTURE.blockBytes)).toBe(true);
    expect(got.state).toMatchObject({ stateId: FIXTURE.postStateRoot, slot: FIXTURE.blockSlot, root: FIXTURE.postStateRoot, verified: 'state-root' });
  });

  it('SSZ without the header: the fork is the one whose decoding hashes to the quorum root', async () => {
    const s = await server({ consensusVersionHeader: false });
    const got = await download(s.url);
    expect(got.block).toMatchObject({ format: 'ssz', fork: 'phase0' });
    expect(got.state.fork).toBe('phase0');
  });

  it('only `finalized` served: used, and verified', async () => {
    const s = await server({ stateIds: { slot: false, root: false } });
    expect((await download(s.url)).state.stateId).toBe('finalized');
  });

  it('a block whose root is not the quorum\'s: provider, URL, expected and got', async () => {
    const liar = await server({ mode: 'lying-root' });
    const e = await failure(download(liar.url, { checkpoint: { epoch: checkpoint.epoch, root: LYING_ROOT } }));
    expect(e.message).toContain(`checkpoint provider ${liar.url}: block root mismatch: expected the quorum's ${LYING_ROOT}, got ${CHAIN.finalizedRoot}`);
    expect(e.url).toBe(`${liar.url}/eth/v2/beacon/blocks/${LYING_ROOT}`);
    const tampered = await server({ corrupt: 'block' });
    expect((await failure(download(tampered.url))).message).toMatch(/block root mismatch: expected the quorum's 0x[0-9a-f]{64}, got 0x/);
    expect(tampered.count(`/eth/v2/debug/beacon/states/${FIXTURE.alignedSlot}`)).toBe(0); // no state asked after a bad block
  });

  it('a state that is not the block\'s is refused, whichever id served it', async () => {
    const s = await server({ corrupt: 'state' });
    const e = await failure(download(s.url));
    expect(e.message).toMatch(/the state \(id 0x[0-9a-f]{64}\) is not the state of block .*latest_block_header.state_root: expected the block's state_root/);
    const aligned = await server({ corrupt: 'state', stateIds: { root: false } });
    const e2 = await failure(download(aligned.url));
    expect(e2.message).toContain(`the state (id ${FIXTURE.alignedSlot}) is not the state of block ${CHAIN.finalizedRoot}: slot: expected at most ${FIXTURE.alignedSlot}`);
  });

  it('a raced `finalized` (a later checkpoint state) says that finality may have moved on', async () => {
    const s = await server({ stateIds: { slot: false, root: false }, chain: {} });
    // Ask for an epoch whose checkpoint is this block but whose aligned slot is earlier than the state's.
    const e = await failure(download(s.url, { checkpoint: { epoch: CHAIN.finalizedEpoch - 1, root: CHAIN.finalizedRoot } }));
    expect(e.message).toMatch(/id finalized.*finality may have moved on since the quorum was taken/);
  });

  it('the wrong preset, a wrong genesis and a state over the size limit fail clearly', async () => {
    const s = await server();
    // A phase0 block decodes in either preset; the state does not.
    expect((await failure(download(s.url, { preset: 'minimal' }))).message).toMatch(/is not a minimal-preset BeaconState: .*\(is the preset right\?\)/);
    const gvr = `0x${'77'.repeat(32)}`;
    expect((await failure(download(s.url, { genesisValidatorsRoot: gvr }))).message).toContain(`genesis_validators_root: expected ${gvr}, got ${CHAIN.genesisValidatorsRoot}`);
    const big = await failure(download(s.url, { maxStateBytes: 1_000_000 }));
    expect(big.code).toBe('CONFIG');
    expect(big.message).toMatch(/the state is 2\.6 MB, larger than the cache's limit of 1 MB \(cache\.max_size_mb\)/);
  });

  it('leaves nothing behind when it fails', async () => {
    const s = await server({ corrupt: 'state' });
    const dir = tempDir();
    await failure(download(s.url, { dir }));
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('cachedCheckpoint', () => {
  const HOUR = 3600_000;
  const base = (cacheDir: string, providers: string[], over: Partial<CachedCheckpointOptions> = {}): CachedCheckpointOptions => ({
    cacheDir,
    networkKey: CHAIN.genesisValidatorsRoot,
    quorum: checkpoint,
    providers,
    preset: 'mainnet',
    expiryHours: 24,
    maxSizeMb: 64,
    requestTimeoutSeconds: 5,
    now: () => 1_750_000_000_000,
    ...over,
  });

  it('downloads once from the first provider that works, then reuses the entry: one download per fleet', async () => {
    const dead = await server({ mode: 'dead' });
    const corrupt = await server({ corrupt: 'state' });
    const good = await server();
    const cacheDir = tempDir();
    const first = await cachedCheckpoint(base(cacheDir, [dead.url, corrupt.url, good.url], { compression: true }));
    expect(first.source).toBe('download');
    expect(first.failures.map((f) => f.provider)).toEqual([dead.url, corrupt.url]);
    expect(first.failures[1]!.error).toContain('is not the state of block');
    const dir = checkpointDir(cacheDir, CHAIN.genesisValidatorsRoot);
    const name = `${CHAIN.finalizedEpoch}-${CHAIN.finalizedRoot}`;
    expect(first.state.path).toBe(join(dir, `${name}.state.ssz`));
    expect(first.block.path).toBe(join(dir, `${name}.block.ssz`));
    expect(first.metadataPath).toBe(join(dir, `${name}.json`));
    expect(readdirSync(dir).sort()).toEqual([`${name}.block.ssz`, `${name}.json`, `${name}.state.ssz`, `${name}.state.ssz.gz`]);
    expect(first).toMatchObject({
      checkpoint,
      fork: 'phase0',
      state: { bytes: FIXTURE.postStateBytes.length, sha256: sha(FIXTURE.postStateBytes), root: FIXTURE.postStateRoot, slot: FIXTURE.blockSlot },
      block: { bytes: FIXTURE.blockBytes.length, sha256: sha(FIXTURE.blockBytes), root: CHAIN.finalizedRoot, slot: FIXTURE.blockSlot },
      metadata: { provider: good.url, downloadedAt: new Date(1_750_000_000_000).toISOString() },
    });
    expect(first.metadata.state.verified).toBe('state-root');
    expect(gunzipSync(readFileSync(first.stateGz!.path)).equals(FIXTURE.postStateBytes)).toBe(true);
    expect(first.stateGz!.sha256).toBe(sha(readFileSync(first.stateGz!.path)));
    expect(good.stateDownloads).toBe(1);

    // Ten hosts, later runs, a quorum that has moved on: the same files, nobody asked again.
    for (let i = 0; i < 3; i++) {
      const again = await cachedCheckpoint(base(cacheDir, [good.url], { quorum: { epoch: CHAIN.finalizedEpoch + i, root: i ? LYING_ROOT : CHAIN.finalizedRoot }, now: () => 1_750_000_000_000 + i * HOUR, verify: i === 2 ? 'full' : 'sha256' }));
      expect(again).toMatchObject({ source: 'cache', checkpoint, discarded: [], state: first.state, block: first.block });
      expect(again.ageHours).toBe(i);
    }
    expect(good.count()).toBe(2);
  });

  it('a tampered file is detected, the entry dropped and downloaded again', async () => {
    const good = await server();
    const cacheDir = tempDir();
    const first = await cachedCheckpoint(base(cacheDir, [good.url]));
    const bytes = readFileSync(first.state.path);
    bytes[1000] = bytes[1000]! ^ 1;
    writeFileSync(first.state.path, bytes);
    const again = await cachedCheckpoint(base(cacheDir, [good.url]));
    expect(again.source).toBe('download');
    expect(again.discarded).toEqual([{ entry: first.metadataPath, reason: expect.stringMatching(/^state file .*: sha256 expected [0-9a-f]{64}, got [0-9a-f]{64} \(changed since it was verified\)$/) }]);
    expect(readFileSync(again.state.path).equals(FIXTURE.postStateBytes)).toBe(true);
    expect(good.stateDownloads).toBe(2);

    // Tampered with both file and metadata (sha256 agrees): only a full check finds it.
    const meta = JSON.parse(readFileSync(again.metadataPath, 'utf8'));
    writeFileSync(again.state.path, bytes);
    meta.state.sha256 = sha(bytes);
    writeFileSync(again.metadataPath, JSON.stringify(meta));
    expect((await cachedCheckpoint(base(cacheDir, [good.url]))).source).toBe('cache');
    const full = await cachedCheckpoint(base(cacheDir, [good.url], { verify: 'full' }));
    expect(full.source).toBe('download');
    expect(full.discarded[0]!.reason).toContain('is not the state of block');
  });

  it('expiry, a conflicting root at the same epoch, an older entry pruned after a download', async () => {
    const good = await server();
    const cacheDir = tempDir();
    const t0 = 1_750_000_000_000;
    const first = await cachedCheckpoint(base(cacheDir, [good.url], { now: () => t0 }));
    const expired = await cachedCheckpoint(base(cacheDir, [good.url], { now: () => t0 + 24 * HOUR, expiryHours: 24 }));
    expect(expired.source).toBe('download');
    expect(expired.discarded[0]!.reason).toMatch(/^expired: downloaded .*, older than cache.expiry_hours 24$/);
    const conflicting = await cachedCheckpoint(base(cacheDir, [], { quorum: { epoch: CHAIN.finalizedEpoch, root: LYING_ROOT }, now: () => t0 + 24 * HOUR })).catch((e: Error) => e);
    expect((conflicting as Error).message).toMatch(/no entry for .* and no provider/);
    expect(readdirSync(checkpointDir(cacheDir, CHAIN.genesisValidatorsRoot))).toEqual([]);
    expect(first.state.path).toBe(expired.state.path);
  });

  it('keeps old temporary downloads only a while, and refuses a state over max_size_mb', async () => {
    const good = await server();
    const cacheDir = tempDir();
    const dir = checkpointDir(cacheDir, 'ephemery');
    expect(dir).toBe(join(cacheDir, 'checkpoints', 'ephemery'));
    const big = await cachedCheckpoint(base(cacheDir, [good.url], { networkKey: 'ephemery', maxSizeMb: 1 })).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(CheckpointError);
    expect((big as CheckpointError).code).toBe('CONFIG');
    expect((big as CheckpointError).message).toMatch(/larger than the cache's limit of 1 MB/);
    writeFileSync(join(dir, '.download-old.state.ssz'), 'x');
    const old = (Date.now() - 7 * HOUR) / 1000;
    utimesSync(join(dir, '.download-old.state.ssz'), old, old);
    writeFileSync(join(dir, '.download-new.state.ssz'), 'x');
    await cachedCheckpoint(base(cacheDir, [good.url], { networkKey: 'ephemery', now: Date.now }));
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual(['.download-new.state.ssz']);
    expect(statSync(join(dir, `${CHAIN.finalizedEpoch}-${CHAIN.finalizedRoot}.json`)).isFile()).toBe(true);
  });

  it('network keys: roots normalised, names made safe', () => {
    expect(networkDirName(CHAIN.genesisValidatorsRoot.toUpperCase().replace('0X', ''))).toBe(CHAIN.genesisValidatorsRoot);
    expect(networkDirName('Ephemery Iteration/7')).toBe('ephemery-iteration-7');
    expect(() => networkDirName('../')).toThrow(/no usable directory name/);
  });
});
