// The controller's fleet checkpoint cache (checkpoint_sync.source: fleet-cache): one verified finalized
// block and state per network, downloaded once and then uploaded to every host that lacks it.
//
// Layout, under the nodeform cache dir (src/fetch/cache.ts):
//   <cache>/checkpoints/<network key>/<epoch>-<block root>.block.ssz
//   <cache>/checkpoints/<network key>/<epoch>-<block root>.state.ssz
//   <cache>/checkpoints/<network key>/<epoch>-<block root>.state.ssz.gz   (compression: true)
//   <cache>/checkpoints/<network key>/<epoch>-<block root>.json           (metadata, written last, atomically)
// The network key is the genesis validators root where known (it changes with every Ephemery iteration),
// else the network's name. An entry exists only once its metadata file does; files are downloaded under
// temporary names (.download-*) and renamed into place.
//
// Reuse: a verified entry younger than expiryHours is used even when the quorum has finalized a later epoch
// since. A start point only has to be recent (well inside the weak subjectivity period) and trusted (it was
// verified against the quorum of its time), and reusing it keeps every host's files byte-identical between
// runs, so an apply uploads nothing again and restarts nothing. An entry for the quorum's own epoch must
// carry the quorum's root; one for a later epoch than the quorum's is not used. Before reuse the files are
// checked against the sha256s in the metadata ('sha256', default) or re-decoded and re-hashed ('full');
// an entry that fails is deleted, reported in `discarded`, and a fresh one downloaded.
//
// Downloading tries the agreeing providers in the order given, the next on any failure; after storing a
// new entry, every other entry of this network is deleted (one start point per network at a time).
// Two runs at once on one controller may both download; the later rename wins, and both entries are valid.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { NodeformError } from '../errors.js';
import { CheckpointError, downloadCheckpoint, verifyState, type DownloadedCheckpoint } from './checkpoint-state.js';
import { normaliseRoot } from '../node/quorum.js';
import { fileDigest } from '../files/digest.js';
import { openSsz, type Preset, type SszSession } from './ssz.js';

export interface CachedCheckpointOptions {
  /** The nodeform cache dir on the controller (defaultCacheDir(env)). */
  cacheDir: string;
  /** The genesis validators root (preferred: it tells Ephemery iterations apart), or the network's name. */
  networkKey: string;
  /** The finalized checkpoint the providers agree on. */
  quorum: { epoch: number; root: string };
  /** The agreeing providers that serve states, in preference order (chooseProvider: url, ...alternatives). */
  providers: string[];
  preset: Preset;
  /** cache.expiry_hours: an entry older than this is not reused. */
  expiryHours: number;
  /** cache.max_size_mb: a larger state is refused. */
  maxSizeMb: number;
  /** cache.compression: also keep the state gzip-compressed (for the upload; clients read the plain file). */
  compression?: boolean;
  requestTimeoutSeconds: number;
  /** When given, a downloaded state's genesis_validators_root must be this. */
  genesisValidatorsRoot?: string;
  /** How a cached entry is checked before reuse. Default 'sha256'. */
  verify?: 'sha256' | 'full';
  dispatcher?: Dispatcher;
  /** The clock, ms since the epoch. Default Date.now. */
  now?: () => number;
  /** Called with each provider a download is tried from (not when the cache serves). */
  onDownload?: (provider: string) => void;
}

export interface CheckpointFile {
  /** Absolute path on the controller. */
  path: string;
  bytes: number;
  /** sha256 of the file, lower-case hex (no prefix). */
  sha256: string;
}

export interface CheckpointMetadata {
  version: 1;
  networkKey: string;
  preset: Preset;
  fork: string;
  checkpoint: { epoch: number; root: string };
  provider: string;
  /** ISO time of the download. */
  downloadedAt: string;
  /** format: how the provider served it (Lodestar 1.5.1 serves blocks as JSON only; the file is SSZ either way). */
  block: { file: string; bytes: number; sha256: string; root: string; slot: number; stateRoot: string; url: string; format: 'ssz' | 'json' };
  state: {
    file: string;
    bytes: number;
    sha256: string;
    root: string;
    slot: number;
    stateId: string;
    genesisValidatorsRoot: string;
    url: string;
    verified: 'state-root' | 'latest-block-header';
  };
  stateGz?: { file: string; bytes: number; sha256: string };
  timings: DownloadedCheckpoint['timings'];
}

export interface CachedCheckpoint {
  /** Whether this run reused an entry or downloaded one. */
  source: 'cache' | 'download';
  /** The checkpoint of the files: the quorum's, or an earlier one still young enough. */
  checkpoint: { epoch: number; root: string };
  fork: string;
  preset: Preset;
  block: CheckpointFile & { root: string; slot: number };
  state: CheckpointFile & { root: string; slot: number };
  /** Present when compression is on. */
  stateGz?: CheckpointFile;
  metadataPath: string;
  metadata: CheckpointMetadata;
  ageHours: number;
  /** Entries found unusable (and deleted), with why. */
  discarded: { entry: string; reason: string }[];
  /** Providers that failed before one worked (download only). */
  failures: { provider: string; error: string }[];
}

/** A directory-safe form of the network key: a root normalised, else [a-z0-9._-]. */
export function networkDirName(networkKey: string): string {
  const key = networkKey.trim();
  if (/^(0x)?[0-9a-f]{64}$/i.test(key)) return normaliseRoot(key);
  const safe = key.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  if (!safe) throw new NodeformError('CONFIG', `checkpoint cache: network key ${JSON.stringify(networkKey)} gives no usable directory name`);
  return safe;
}

/** The base name of an entry's files: <epoch>-<root>. */
export const entryName = (c: { epoch: number; root: string }) => `${c.epoch}-${normaliseRoot(c.root)}`;

export function checkpointDir(cacheDir: string, networkKey: string): string {
  return join(cacheDir, 'checkpoints', networkDirName(networkKey));
}

const MB = 1024 * 1024;
const STALE_DOWNLOAD_MS = 6 * 3600 * 1000;

/** The cached checkpoint for this network, reused or downloaded (see the file comment). Throws CheckpointError / NodeformError. */
export async function cachedCheckpoint(opts: CachedCheckpointOptions): Promise<CachedCheckpoint> {
  const now = opts.now ?? Date.now;
  const dir = checkpointDir(opts.cacheDir, opts.networkKey);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const quorum = { epoch: opts.quorum.epoch, root: normaliseRoot(opts.quorum.root) };
  const discarded: { entry: string; reason: string }[] = [];

  const found = await readEntries(dir);
  const usable: { name: string; meta: CheckpointMetadata }[] = [];
  for (const { name, meta, error } of found) {
    const drop = async (reason: string) => {
      discarded.push({ entry: join(dir, `${name}.json`), reason });
      await removeEntry(dir, name, meta);
    };
    if (!meta) {
      await drop(error ?? 'unreadable metadata');
      continue;
    }
    const age = now() - Date.parse(meta.downloadedAt);
    if (!(age >= 0 && age < opts.expiryHours * 3600_000)) {
      await drop(`expired: downloaded ${meta.downloadedAt}, older than cache.expiry_hours ${opts.expiryHours}`);
      continue;
    }
    if (meta.preset !== opts.preset) {
      await drop(`preset ${meta.preset}, not ${opts.preset}`);
      continue;
    }
    if (meta.checkpoint.epoch > quorum.epoch) {
      await drop(`epoch ${meta.checkpoint.epoch} is later than the quorum's ${quorum.epoch}`);
      continue;
    }
    if (meta.checkpoint.epoch === quorum.epoch && normaliseRoot(meta.checkpoint.root) !== quorum.root) {
      await drop(`root ${meta.checkpoint.root} at epoch ${quorum.epoch} is not the quorum's ${quorum.root}`);
      continue;
    }
    usable.push({ name, meta });
  }
  usable.sort((a, b) => b.meta.checkpoint.epoch - a.meta.checkpoint.epoch);

  let ssz: SszSession | undefined;
  try {
    for (const { name, meta } of usable) {
      const problem = await checkEntry(dir, meta, opts.verify ?? 'sha256', async () => (ssz ??= await openSsz(opts.preset)), opts.cacheDir);
      if (problem) {
        discarded.push({ entry: join(dir, `${name}.json`), reason: problem });
        await removeEntry(dir, name, meta);
        continue;
      }
      return result('cache', dir, name, meta, now(), discarded, []);
    }

    // Download from the first provider that works.
    if (opts.providers.length === 0) throw new NodeformError('APPLY', `checkpoint cache: no entry for ${opts.networkKey} and no provider to download epoch ${quorum.epoch} from`);
    const failures: { provider: string; error: string }[] = [];
    ssz ??= await openSsz(opts.preset);
    const maxStateBytes = opts.maxSizeMb * MB;
    for (const provider of opts.providers) {
      let got: DownloadedCheckpoint;
      opts.onDownload?.(provider);
      try {
        got = await downloadCheckpoint({
          providerUrl: provider,
          checkpoint: quorum,
          preset: opts.preset,
          requestTimeoutSeconds: opts.requestTimeoutSeconds,
          dir,
          maxStateBytes,
          ssz,
          ...(opts.genesisValidatorsRoot !== undefined ? { genesisValidatorsRoot: opts.genesisValidatorsRoot } : {}),
          ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
        });
      } catch (e) {
        // A state over the size limit is over it at every provider.
        if (e instanceof CheckpointError && e.code === 'CONFIG') throw e;
        failures.push({ provider, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      const name = entryName(quorum);
      const meta = await store(dir, name, got, opts);
      await prune(dir, name, now());
      return result('download', dir, name, meta, now(), discarded, failures);
    }
    throw new NodeformError(
      'APPLY',
      `checkpoint cache: no provider gave a verified checkpoint for epoch ${quorum.epoch} (${quorum.root}):\n  ${failures.map((f) => f.error.replace(/\n/g, '\n    ')).join('\n  ')}`,
    );
  } finally {
    await ssz?.close();
  }
}

async function readEntries(dir: string): Promise<{ name: string; meta?: CheckpointMetadata; error?: string }[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => f.slice(0, -'.json'.length));
  return Promise.all(
    names.map(async (name) => {
      try {
        const meta = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as CheckpointMetadata;
        if (meta.version !== 1 || !meta.checkpoint || !meta.state?.file || !meta.block?.file) return { name, error: 'metadata of an unknown version or shape' };
        return { name, meta };
      } catch (e) {
        return { name, error: `unreadable metadata: ${(e as Error).message}` };
      }
    }),
  );
}

/** Why a cached entry cannot be used, or undefined when it can. */
async function checkEntry(dir: string, meta: CheckpointMetadata, how: 'sha256' | 'full', session: () => Promise<SszSession>, cacheDir: string): Promise<string | undefined> {
  const files = [
    ['block', meta.block],
    ['state', meta.state],
    ...(meta.stateGz ? [['compressed state', meta.stateGz] as const] : []),
  ] as const;
  for (const [what, f] of files) {
    const path = join(dir, f.file);
    const st = await stat(path).catch(() => undefined);
    if (!st) return `${what} file ${path} is missing`;
    if (st.size !== f.bytes) return `${what} file ${path}: expected ${f.bytes} bytes, got ${st.size}`;
    // Hashed once, then known by path, size and mtime (files/digest.ts): a 250 MB state is not read again every run.
    const sum = (await fileDigest(path, cacheDir)).sha256;
    if (sum !== f.sha256) return `${what} file ${path}: sha256 expected ${f.sha256}, got ${sum} (changed since it was verified)`;
  }
  if (how === 'full') {
    const ssz = await session();
    const blockPath = join(dir, meta.block.file);
    try {
      const block = await ssz.block({ ssz: await readFile(blockPath), fork: meta.fork });
      if (block.root !== normaliseRoot(meta.checkpoint.root)) return `block file ${blockPath}: root ${block.root}, expected ${meta.checkpoint.root}`;
      const state = await ssz.state(join(dir, meta.state.file), [meta.fork, ...ssz.forks.slice(ssz.forks.indexOf(meta.fork) + 1, ssz.forks.indexOf(meta.fork) + 2)]);
      verifyState('(cache)', join(dir, meta.state.file), meta.state.stateId, block, block.root, meta.checkpoint.epoch * ssz.slotsPerEpoch, state, meta.state.genesisValidatorsRoot);
      // An advanced state is vouched for by its header only: at least it must still be the state that was verified.
      if (state.root !== meta.state.root) return `state file ${join(dir, meta.state.file)}: hash_tree_root ${state.root}, expected ${meta.state.root} (changed since it was verified)`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

async function store(dir: string, name: string, got: DownloadedCheckpoint, opts: CachedCheckpointOptions): Promise<CheckpointMetadata> {
  const blockFile = `${name}.block.ssz`;
  const stateFile = `${name}.state.ssz`;
  await rename(got.block.path, join(dir, blockFile));
  await rename(got.state.path, join(dir, stateFile));
  let stateGz: CheckpointMetadata['stateGz'];
  if (opts.compression) {
    const gzFile = `${name}.state.ssz.gz`;
    const tmp = join(dir, `.download-${process.pid}-${Date.now()}.gz`);
    const hash = createHash('sha256');
    let bytes = 0;
    const gzip = createGzip({ level: 6 });
    gzip.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    await pipeline(createReadStream(join(dir, stateFile)), gzip, createWriteStream(tmp));
    await rename(tmp, join(dir, gzFile));
    stateGz = { file: gzFile, bytes, sha256: hash.digest('hex') };
  }
  const meta: CheckpointMetadata = {
    version: 1,
    networkKey: opts.networkKey,
    preset: got.preset,
    fork: got.block.fork,
    checkpoint: got.checkpoint,
    provider: got.provider,
    downloadedAt: new Date((opts.now ?? Date.now)()).toISOString(),
    block: { file: blockFile, bytes: got.block.bytes, sha256: got.block.sha256, root: got.block.root, slot: got.block.slot, stateRoot: got.block.stateRoot, url: got.block.url, format: got.block.format },
    state: {
      file: stateFile,
      bytes: got.state.bytes,
      sha256: got.state.sha256,
      root: got.state.root,
      slot: got.state.slot,
      stateId: got.state.stateId,
      genesisValidatorsRoot: got.state.genesisValidatorsRoot,
      url: got.state.url,
      verified: got.state.verified,
    },
    ...(stateGz ? { stateGz } : {}),
    timings: got.timings,
  };
  const tmp = join(dir, `.${name}.json.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o644 });
  await rename(tmp, join(dir, `${name}.json`));
  return meta;
}

async function removeEntry(dir: string, name: string, meta?: CheckpointMetadata): Promise<void> {
  // Metadata first: without it the rest is no entry.
  await rm(join(dir, `${name}.json`), { force: true });
  const files = new Set([`${name}.block.ssz`, `${name}.state.ssz`, `${name}.state.ssz.gz`]);
  if (meta) for (const f of [meta.block?.file, meta.state?.file, meta.stateGz?.file]) if (f && !f.includes('/')) files.add(f);
  await Promise.all([...files].map((f) => rm(join(dir, f), { force: true })));
}

/** Keeps only entry `keep`; removes other entries, orphaned files and old temporary downloads. */
async function prune(dir: string, keep: string, now: number): Promise<void> {
  for (const f of await readdir(dir)) {
    if (f.startsWith(`${keep}.`)) continue;
    const path = join(dir, f);
    if (f.startsWith('.')) {
      const st = await stat(path).catch(() => undefined);
      if (st && now - st.mtimeMs > STALE_DOWNLOAD_MS) await rm(path, { force: true });
      continue;
    }
    if (f.endsWith('.json')) await removeEntry(dir, f.slice(0, -'.json'.length));
    else if (/\.(block|state)\.ssz(\.gz)?$/.test(f)) await rm(path, { force: true });
  }
}

function result(
  source: 'cache' | 'download',
  dir: string,
  name: string,
  meta: CheckpointMetadata,
  now: number,
  discarded: CachedCheckpoint['discarded'],
  failures: CachedCheckpoint['failures'],
): CachedCheckpoint {
  const file = (f: { file: string; bytes: number; sha256: string }) => ({ path: join(dir, f.file), bytes: f.bytes, sha256: f.sha256 });
  return {
    source,
    checkpoint: { ...meta.checkpoint },
    fork: meta.fork,
    preset: meta.preset,
    block: { ...file(meta.block), root: meta.block.root, slot: meta.block.slot },
    state: { ...file(meta.state), root: meta.state.root, slot: meta.state.slot },
    ...(meta.stateGz ? { stateGz: file(meta.stateGz) } : {}),
    metadataPath: join(dir, `${name}.json`),
    metadata: meta,
    ageHours: (now - Date.parse(meta.downloadedAt)) / 3600_000,
    discarded,
    failures,
  };
}
