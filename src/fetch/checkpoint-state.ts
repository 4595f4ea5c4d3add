// Downloading one finalized checkpoint (block and state) from one provider, and verifying it (I/O, undici).
//
// The block is asked by its root, the quorum's (`/eth/v2/beacon/blocks/<root>`), as SSZ; a provider that
// answers JSON (Lodestar 1.5.1 serves blocks only as JSON) is read by the documented `version` + `data` and
// turned into SSZ. Its hash_tree_root(message) must be the quorum's root. The state is then asked by ids
// that each name the state of THAT block, fully verifiable ones first, the first one served winning:
//   1. the checkpoint's slot (epoch * SLOTS_PER_EPOCH) when the block is at that slot: the epoch-aligned
//      checkpoint state, which is then the block's post-state;
//   2. the block's state_root: the block's own post-state (Lodestar 1.5.1 keeps it in its state cache;
//      its `finalized` is this state too);
//   3. the checkpoint's slot when the block is earlier (the epoch's first slots were empty): the aligned
//      state, advanced over the empty slots (and through epoch processing) by the provider;
//   4. `finalized`: may already be a later checkpoint if finality moved on; verified like the others, and
//      a mismatch says so.
// A state belongs to the block when: state.slot == block.slot and hash_tree_root(state) == block.state_root
// (verified: 'state-root', every byte is committed to by the quorum's root); or state.slot > block.slot and
// its latest_block_header (state_root filled from the block's) hashes to the quorum's root (verified:
// 'latest-block-header': only that header is committed to; the rest of an advanced state, e.g. the epoch
// processing of the empty slots, is the provider's word). The fork comes from the Eth-Consensus-Version header, else the
// JSON `version`, else (SSZ without the header) the newest fork whose decoding hashes to the quorum root;
// a state without the header is read with the block's fork, then the next one (a fork boundary in between).
//
// Size: the state is streamed to a file (never held by the main thread) and hashed with sha256 on the way;
// the SSZ worker then reads it whole once to hash it (a mainnet state: some hundreds of MB, plus the tree
// @chainsafe/ssz builds over it; bound it with maxStateBytes).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { NodeformError } from '../errors.js';
import { normaliseRoot } from '../node/quorum.js';
import { openSsz, type BlockInfo, type Preset, type SszSession, type StateInfo } from './ssz.js';
import { sha256Hex } from '../util/sha256.js';
import { readBounded } from './body.js';

export interface DownloadCheckpointOptions {
  providerUrl: string;
  /** The quorum's finalized checkpoint. */
  checkpoint: { epoch: number; root: string };
  preset: Preset;
  /** Bound on waiting for headers and between body chunks (an idle bound: a big state may take longer in all). */
  requestTimeoutSeconds: number;
  dispatcher?: Dispatcher;
  /** Where the two files are written (names start with `.download-`); default a fresh temp dir. */
  dir?: string;
  /** Refuse a state larger than this (checked on Content-Length, and while streaming). */
  maxStateBytes?: number;
  /** When given, the state's genesis_validators_root must be this. */
  genesisValidatorsRoot?: string;
  /** A running SSZ worker of the same preset to use (the caller closes it); else one is started and closed. */
  ssz?: SszSession;
}

export interface DownloadedFile {
  path: string;
  /** The URL it came from. */
  url: string;
  bytes: number;
  sha256: string;
  /** hash_tree_root: block.message for the block, the state for the state. */
  root: string;
  slot: number;
  fork: string;
}

export interface DownloadedCheckpoint {
  provider: string;
  checkpoint: { epoch: number; root: string };
  preset: Preset;
  block: DownloadedFile & { stateRoot: string; parentRoot: string; format: 'ssz' | 'json' };
  /** stateId: which of the ids above served it. */
  state: DownloadedFile & {
    stateId: string;
    genesisValidatorsRoot: string;
    /** How much of the state the quorum's root vouches for: all of it, or its latest block header only (an advanced state). */
    verified: 'state-root' | 'latest-block-header';
  };
  timings: { blockMs: number; stateDownloadMs: number; stateVerifyMs: number };
}

/** A provider that answered something unusable (or nothing): names provider, URL, expected and got. */
export class CheckpointError extends NodeformError {
  readonly provider: string;
  readonly url?: string;
  /** The provider cannot serve this (404, no such id): another one may. */
  readonly unavailable: boolean;
  constructor(provider: string, message: string, details: { url?: string; unavailable?: boolean; code?: 'APPLY' | 'CONFIG'; cause?: unknown } = {}) {
    super(details.code ?? 'APPLY', `checkpoint provider ${provider}: ${message}${details.url ? `\n  url: ${details.url}` : ''}`, { cause: details.cause });
    this.name = 'CheckpointError';
    this.provider = provider;
    this.url = details.url;
    this.unavailable = details.unavailable ?? false;
  }
}

const USER_AGENT = 'nodeform';
const JSON_LIMIT = 64 << 20;

function endpoint(base: string, path: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url.toString();
}

const header = (headers: Dispatcher.ResponseData['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};
const isJson = (headers: Dispatcher.ResponseData['headers']) => (header(headers, 'content-type') ?? '').includes('json');
const errText = (e: unknown) => {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const msg = err?.cause?.message ?? err?.message ?? String(e);
  const code = err?.code ?? err?.cause?.code;
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
};

async function errorBody(res: Dispatcher.ResponseData): Promise<string> {
  const text = (await readBounded(res.body, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8').trim();
  let message = text.slice(0, 200);
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON
  }
  return `HTTP ${res.statusCode}${message ? `: ${message}` : ''}`;
}


/** Downloads and verifies the block and state of `checkpoint` from one provider; throws CheckpointError. */
export async function downloadCheckpoint(opts: DownloadCheckpointOptions): Promise<DownloadedCheckpoint> {
  const provider = opts.providerUrl;
  const root = normaliseRoot(opts.checkpoint.root);
  const timeoutMs = opts.requestTimeoutSeconds * 1000;
  const own = opts.dispatcher ? undefined : new Agent({ connect: { timeout: timeoutMs } });
  const dispatcher = opts.dispatcher ?? own!;
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'nodeform-checkpoint-')));
  const tag = randomBytes(6).toString('hex');
  const blockPath = join(dir, `.download-${tag}.block.ssz`);
  const statePath = join(dir, `.download-${tag}.state.ssz`);
  let ssz = opts.ssz;
  let done = false;
  const get = (url: string, accept: string) =>
    request(url, { dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, headers: { accept, 'user-agent': USER_AGENT } }).catch((e: unknown) => {
      throw new CheckpointError(provider, `request failed: ${errText(e)}`, { url, cause: e });
    });
  try {
    ssz ??= await openSsz(opts.preset);
    if (ssz.preset !== opts.preset) throw new Error(`the SSZ session given runs the ${ssz.preset} preset, not ${opts.preset}`);

    // The block.
    const t0 = Date.now();
    const blockUrl = endpoint(provider, `/eth/v2/beacon/blocks/${root}`);
    const res = await get(blockUrl, 'application/octet-stream;q=1, application/json;q=0.9');
    if (res.statusCode !== 200) {
      const why = await errorBody(res);
      throw new CheckpointError(provider, `the block ${root} was not served (${why})`, { url: blockUrl, unavailable: res.statusCode === 404 || res.statusCode === 400 });
    }
    const versionHeader = header(res.headers, 'eth-consensus-version')?.toLowerCase();
    let block: BlockInfo;
    let blockBytes: Uint8Array;
    let format: 'ssz' | 'json';
    const body = await readBounded(res.body, JSON_LIMIT).catch((e: unknown) => {
      throw new CheckpointError(provider, `reading the block failed: ${errText(e)}`, { url: blockUrl, cause: e });
    });
    try {
      if (isJson(res.headers)) {
        format = 'json';
        const parsed = JSON.parse(body.toString('utf8')) as { version?: unknown; data?: unknown };
        const fork = typeof parsed.version === 'string' ? parsed.version.toLowerCase() : versionHeader;
        block = await ssz.block({ json: parsed.data, expectRoot: root, ...(fork ? { fork } : {}) });
        blockBytes = block.ssz!;
      } else {
        format = 'ssz';
        blockBytes = body;
        block = await ssz.block({ ssz: body, expectRoot: root, ...(versionHeader ? { fork: versionHeader } : {}) });
      }
    } catch (e) {
      throw new CheckpointError(provider, `the block is not a ${opts.preset}-preset SignedBeaconBlock: ${errText(e)} (is the preset right?)`, { url: blockUrl, cause: e });
    }
    if (block.root !== root) {
      throw new CheckpointError(provider, `block root mismatch: expected the quorum's ${root}, got ${block.root} (slot ${block.slot}, ${block.fork})`, { url: blockUrl });
    }
    await writeFile(blockPath, blockBytes, { mode: 0o644 });
    const blockMs = Date.now() - t0;
    delete block.ssz;

    // The state.
    const aligned = opts.checkpoint.epoch * ssz.slotsPerEpoch;
    const ids = [...new Set([...(aligned === block.slot ? [String(aligned)] : []), block.stateRoot, ...(aligned > block.slot ? [String(aligned)] : []), 'finalized'])];
    const misses: string[] = [];
    for (const id of ids) {
      const url = endpoint(provider, `/eth/v2/debug/beacon/states/${id}`);
      const t1 = Date.now();
      const got = await fetchState(url, id);
      if (!got) continue;
      const stateDownloadMs = Date.now() - t1;
      const t2 = Date.now();
      const forks = got.fork ? [got.fork] : ssz.forks.slice(Math.max(0, ssz.forks.indexOf(block.fork)), ssz.forks.indexOf(block.fork) + 2);
      let state: StateInfo;
      try {
        state = await ssz.state(statePath, forks);
      } catch (e) {
        throw new CheckpointError(provider, `the state (id ${id}) is not a ${opts.preset}-preset BeaconState: ${errText(e)} (is the preset right?)`, { url, cause: e });
      }
      const stateVerifyMs = Date.now() - t2;
      verifyState(provider, url, id, block, root, aligned, state, opts.genesisValidatorsRoot);
      done = true;
      return {
        provider,
        checkpoint: { epoch: opts.checkpoint.epoch, root },
        preset: opts.preset,
        block: { path: blockPath, url: blockUrl, bytes: blockBytes.length, sha256: sha256Hex(blockBytes), root, slot: block.slot, fork: block.fork, stateRoot: block.stateRoot, parentRoot: block.parentRoot, format },
        state: {
          path: statePath,
          url,
          stateId: id,
          bytes: got.bytes,
          sha256: got.sha256,
          root: state.root,
          slot: state.slot,
          fork: state.fork,
          genesisValidatorsRoot: state.genesisValidatorsRoot,
          verified: state.slot === block.slot ? 'state-root' : 'latest-block-header',
        },
        timings: { blockMs, stateDownloadMs, stateVerifyMs },
      };
    }
    throw new CheckpointError(provider, `no state of block ${root} (slot ${block.slot}) is served: ${misses.join('; ')}`, {
      url: endpoint(provider, '/eth/v2/debug/beacon/states/'),
      unavailable: true,
    });

    /** Streams one state id to statePath; undefined when this id is not served (then the next is tried). */
    async function fetchState(url: string, id: string): Promise<{ bytes: number; sha256: string; fork?: string } | undefined> {
      const r = await get(url, 'application/octet-stream');
      if (r.statusCode === 404 || r.statusCode === 400 || r.statusCode === 406 || r.statusCode === 415) {
        misses.push(`${id}: ${await errorBody(r)}`);
        return undefined;
      }
      if (r.statusCode !== 200) throw new CheckpointError(provider, `the state (id ${id}) was not served (${await errorBody(r)})`, { url });
      if (isJson(r.headers)) {
        await r.body.dump({ limit: 0 }).catch(() => undefined);
        misses.push(`${id}: answered JSON, not SSZ`);
        return undefined;
      }
      const length = Number(header(r.headers, 'content-length') ?? NaN);
      const max = opts.maxStateBytes;
      if (max !== undefined && length > max) {
        await r.body.dump({ limit: 0 }).catch(() => undefined);
        throw tooLarge(url, length, max);
      }
      const hash = createHash('sha256');
      let bytes = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, next) {
          bytes += chunk.length;
          if (max !== undefined && bytes > max) return next(tooLarge(url, bytes, max, true));
          hash.update(chunk);
          next(null, chunk);
        },
      });
      try {
        await pipeline(r.body, meter, createWriteStream(statePath));
      } catch (e) {
        if (e instanceof CheckpointError) throw e;
        throw new CheckpointError(provider, `downloading the state (id ${id}) failed after ${bytes} bytes: ${errText(e)}`, { url, cause: e });
      }
      if (Number.isFinite(length) && length !== bytes) throw new CheckpointError(provider, `the state (id ${id}) was cut short: ${bytes} of ${length} bytes`, { url });
      const fork = header(r.headers, 'eth-consensus-version')?.toLowerCase();
      return { bytes, sha256: hash.digest('hex'), ...(fork ? { fork } : {}) };
    }
  } finally {
    if (!opts.ssz) await ssz?.close();
    await own?.destroy().catch(() => undefined);
    if (!done) {
      await rm(blockPath, { force: true });
      await rm(statePath, { force: true });
      if (ownDir) await rm(dir, { recursive: true, force: true });
    }
  }

  function tooLarge(url: string, bytes: number, max: number, streaming = false): CheckpointError {
    const mb = (n: number) => `${Math.round((n / 1048576) * 10) / 10} MB`;
    return new CheckpointError(provider, `the state is ${streaming ? 'more than ' : ''}${mb(bytes)}, larger than the cache's limit of ${mb(max)} (cache.max_size_mb)`, {
      url,
      code: 'CONFIG',
    });
  }
}

/** Whether `state` is the state of `block` (whose root the quorum trusts); throws a CheckpointError saying how not. */
export function verifyState(
  provider: string,
  url: string,
  id: string,
  block: Pick<BlockInfo, 'slot' | 'stateRoot' | 'fork'>,
  blockRoot: string,
  alignedSlot: number,
  state: StateInfo,
  genesisValidatorsRoot?: string,
): void {
  const fail = (what: string) => {
    const raced = id === 'finalized' ? ' (finality may have moved on since the quorum was taken: probe again)' : '';
    throw new CheckpointError(provider, `the state (id ${id}) is not the state of block ${blockRoot}: ${what}${raced}`, { url });
  };
  if (genesisValidatorsRoot !== undefined && normaliseRoot(genesisValidatorsRoot) !== state.genesisValidatorsRoot) {
    fail(`genesis_validators_root: expected ${normaliseRoot(genesisValidatorsRoot)}, got ${state.genesisValidatorsRoot}`);
  }
  if (state.slot === block.slot) {
    if (state.root !== block.stateRoot) fail(`hash_tree_root(state): expected the block's state_root ${block.stateRoot}, got ${state.root} (slot ${state.slot})`);
  } else if (state.slot > block.slot) {
    if (state.slot > Math.max(alignedSlot, block.slot)) fail(`slot: expected at most ${Math.max(alignedSlot, block.slot)} (the checkpoint's), got ${state.slot}`);
    if (state.latestBlockStateRoot !== block.stateRoot) {
      fail(`latest_block_header.state_root: expected the block's state_root ${block.stateRoot}, got ${state.latestBlockStateRoot} (state slot ${state.slot})`);
    }
  } else {
    fail(`slot: expected at least the block's ${block.slot}, got ${state.slot}`);
  }
  if (state.latestBlockRoot !== blockRoot) fail(`hash_tree_root(latest_block_header): expected ${blockRoot}, got ${state.latestBlockRoot} (header slot ${state.latestBlockSlot})`);
}

