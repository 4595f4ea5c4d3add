// Local checkpoint providers speaking the Beacon API endpoints nodeform uses (JSON, and real SSZ for the
// finalized block and state, with HEAD and Range), in the modes providers fail in: healthy, dead, slow,
// stale-genesis, lying-root, flapping, checkpointz-like. Each counts its requests and the requests in
// flight; a shared meter counts requests in flight across many servers.
//
// The SSZ is real (phase0, mainnet preset, built with @lodestar/types; see FIXTURE): the finalized epoch's
// first slot is empty, so the checkpoint block sits one slot before it; its post-state is served by its
// state root and its slot, and the epoch-aligned checkpoint state (advanced over the empty slot) by the
// aligned slot and as `finalized`. CHAIN.finalizedRoot is the block's real root.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ssz as types } from '@lodestar/types';

export type ProviderMode = 'healthy' | 'dead' | 'slow' | 'stale-genesis' | 'lying-root' | 'flapping' | 'checkpointz';

export interface ChainView {
  genesisTime: string;
  genesisValidatorsRoot: string;
  finalizedEpoch: number;
  finalizedRoot: string;
}

const hex = (byte: string) => `0x${byte.repeat(32)}`;
const toHex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;
const fromHex = (h: string) => Buffer.from(h.replace(/^0x/, ''), 'hex');

export interface Fixture {
  /** The checkpoint block (SignedBeaconBlock, phase0) at blockSlot = alignedSlot - 1. */
  blockBytes: Buffer;
  blockJson: unknown;
  blockRoot: string;
  blockSlot: number;
  /** The block's post-state (state.slot == blockSlot) and its root, the block's state_root. */
  postStateBytes: Buffer;
  postStateRoot: string;
  /** The checkpoint state: the post-state advanced over the empty slot alignedSlot (epoch * 32). */
  alignedStateBytes: Buffer;
  alignedStateRoot: string;
  alignedSlot: number;
}

/** A phase0 chain (mainnet preset) whose finalized checkpoint is epoch `epoch`, from genesis `genesisValidatorsRoot`. */
export function buildFixture(genesisTime: string, genesisValidatorsRoot: string, epoch: number): Fixture {
  const alignedSlot = epoch * 32;
  const blockSlot = alignedSlot - 1;
  const body = types.phase0.BeaconBlockBody.defaultValue();
  body.graffiti = Buffer.alloc(32, 0x6e);
  const state = types.phase0.BeaconState.defaultValue();
  state.genesisTime = Number(genesisTime);
  state.genesisValidatorsRoot = fromHex(genesisValidatorsRoot);
  state.slot = blockSlot;
  state.fork = { previousVersion: fromHex('0x10000000'), currentVersion: fromHex('0x10000000'), epoch: 0 };
  state.latestBlockHeader = { slot: blockSlot, proposerIndex: 3, parentRoot: fromHex(hex('0b')), stateRoot: Buffer.alloc(32), bodyRoot: types.phase0.BeaconBlockBody.hashTreeRoot(body) };
  const postStateRoot = types.phase0.BeaconState.hashTreeRoot(state);
  const block = { slot: blockSlot, proposerIndex: 3, parentRoot: fromHex(hex('0b')), stateRoot: postStateRoot, body };
  const signed = { message: block, signature: Buffer.alloc(96, 0x5e) };
  const postStateBytes = Buffer.from(types.phase0.BeaconState.serialize(state));
  // process_slot over the empty slot: the header's state_root is filled in, the slot moves on.
  const aligned = types.phase0.BeaconState.clone(state);
  aligned.slot = alignedSlot;
  aligned.latestBlockHeader.stateRoot = postStateRoot;
  aligned.stateRoots[blockSlot % 8192] = postStateRoot;
  return {
    blockBytes: Buffer.from(types.phase0.SignedBeaconBlock.serialize(signed)),
    blockJson: types.phase0.SignedBeaconBlock.toJson(signed),
    blockRoot: toHex(types.phase0.BeaconBlock.hashTreeRoot(block)),
    blockSlot,
    postStateBytes,
    postStateRoot: toHex(postStateRoot),
    alignedStateBytes: Buffer.from(types.phase0.BeaconState.serialize(aligned)),
    alignedStateRoot: toHex(types.phase0.BeaconState.hashTreeRoot(aligned)),
    alignedSlot,
  };
}

const GENESIS_TIME = '1720000000';
const GENESIS_VALIDATORS_ROOT = hex('a1');
const FINALIZED_EPOCH = 1234;
/** The real SSZ every provider on CHAIN serves. */
export const FIXTURE: Fixture = buildFixture(GENESIS_TIME, GENESIS_VALIDATORS_ROOT, FINALIZED_EPOCH);

/** The network every healthy provider is on. */
export const CHAIN: ChainView = {
  genesisTime: GENESIS_TIME,
  genesisValidatorsRoot: GENESIS_VALIDATORS_ROOT,
  finalizedEpoch: FINALIZED_EPOCH,
  finalizedRoot: FIXTURE.blockRoot,
};
/** The previous Ephemery iteration, where a stale provider still is. */
export const STALE_CHAIN: ChainView = {
  genesisTime: '1717580800',
  genesisValidatorsRoot: hex('b2'),
  finalizedEpoch: 6999,
  finalizedRoot: hex('e2'),
};
/** What a lying provider claims is finalized on the right chain. */
export const LYING_ROOT = hex('dd');

/** The SSZ served as the finalized state (the aligned checkpoint state) and block. */
export const STATE_BYTES = FIXTURE.alignedStateBytes;

/** Counts requests in flight across several servers (the probe's bound is across all providers). */
export class ConcurrencyMeter {
  inFlight = 0;
  peak = 0;
  enter(): void {
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
  }
  leave(): void {
    this.inFlight -= 1;
  }
  reset(): void {
    this.peak = this.inFlight;
  }
}

export interface ProviderServerOptions {
  mode?: ProviderMode;
  /** Added to every answer, in any mode (the benchmark's WAN). */
  latencyMs?: number;
  /** slow mode: the delay before each answer. Default 2000 ms. */
  slowMs?: number;
  /** dead mode: nobody listening (refused) or a listener that destroys each connection. Default refused. */
  dead?: 'refused' | 'destroy';
  /** flapping mode: how a failing request fails (HTTP 500, or the connection destroyed). Default status. */
  flapFailure?: 'status' | 'destroy';
  /** checkpointz mode: how roots are written (always without 0x). Default mixed (upper for genesis, lower for finalized). */
  rootCase?: 'upper' | 'lower' | 'mixed';
  /** checkpointz mode: what /checkpointz/v1/ready says. Default true. */
  ready?: boolean;
  /** Answer HEAD on the SSZ endpoints (false: 405, so a client must fall back to a ranged GET). Default true. */
  head?: boolean;
  /** Overrides of the chain this server is on. */
  chain?: Partial<ChainView>;
  /**
   * Older block roots this server's chain holds: GET /eth/v1/beacon/headers/{root} answers them (and the
   * finalized root) as canonical, anything else 404. checkpointz mode serves no headers. The JSON form of
   * GET /eth/v2/beacon/blocks/{root or slot} and GET /eth/v1/beacon/blocks/{root or slot}/root follow the
   * same history (checkpointz serves blocks by root and by slot for the slots it holds): the finalized root
   * and these, each at its slot (the fixture block's root at its slot, others an epoch apart before the
   * finalized one). The SSZ form of a block is the fixture, whatever the history.
   */
  knownRoots?: string[];
  /**
   * Block roots this server still stores off its canonical chain: answered by root (headers say canonical
   * false), while the canonical block at their slot is another.
   */
  orphanedRoots?: string[];
  meter?: ConcurrencyMeter;
  /** How blocks are served: SSZ (with Eth-Consensus-Version), or JSON only (`version` + `data`, like Lodestar 1.5.1). Default ssz. */
  blockFormat?: 'ssz' | 'json';
  /** Send Eth-Consensus-Version with SSZ answers. Default true (Lodestar 1.5.1 sends none). */
  consensusVersionHeader?: boolean;
  /** Which state ids are served besides `finalized` (the rest: 404). Default all: the slots and the state roots. */
  stateIds?: { slot?: boolean; root?: boolean };
  /** What `finalized` answers: the aligned checkpoint state (default) or the block's post-state (Lodestar 1.5.1). */
  finalizedState?: 'aligned' | 'post';
  /** Serve bytes that are not what they claim: a state whose slot field is off by one, or a block with another graffiti. */
  corrupt?: 'state' | 'block';
}

export interface ProviderServer {
  url: string;
  mode: ProviderMode;
  /** `METHOD /path` of every request, in arrival order. */
  requests: string[];
  /** Requests to a path (any method). */
  count(path?: string): number;
  inFlight: number;
  peak: number;
  /** Requests whose client went away before the answer was written. */
  abandoned: number;
  /** Bytes of SSZ state body written (HEAD writes none, a ranged GET a slice). */
  stateBytesSent: number;
  /** Whole states sent: 200 answers to a GET of any state id, SSZ, no Range. */
  stateDownloads: number;
  /** Bytes of answers (status line, headers and body; whole, or as far as written when cut off) per User-Agent. */
  bytesByAgent: Map<string, number>;
  /** Mutable: added latency for later requests. */
  latencyMs: number;
  /** Mutable: the chain this server answers for (genesis and finalized checkpoint), e.g. after an Ephemery reset. */
  chain: ChainView;
  close(): Promise<void>;
}

const bare = (root: string, rootCase: 'upper' | 'lower') => {
  const digits = root.replace(/^0x/, '');
  return rootCase === 'upper' ? digits.toUpperCase() : digits.toLowerCase();
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startProviderServer(options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const mode = options.mode ?? 'healthy';
  const chain: ChainView = { ...(mode === 'stale-genesis' ? STALE_CHAIN : CHAIN), ...options.chain };
  if (mode === 'lying-root' && !options.chain?.finalizedRoot) chain.finalizedRoot = LYING_ROOT;
  const requests: string[] = [];
  const bytesByAgent = new Map<string, number>();
  const perPath = new Map<string, number>();
  const sockets = new Set<Socket>();
  const state = { inFlight: 0, peak: 0, abandoned: 0, stateBytesSent: 0, stateDownloads: 0, latencyMs: options.latencyMs ?? 0 };
  const corrupted = (bytes: Buffer, what: 'state' | 'block') => {
    if (options.corrupt !== what) return bytes;
    const copy = Buffer.from(bytes);
    // state: the slot field (bytes 40-47) one higher.
    if (what === 'state') copy.writeBigUInt64LE(copy.readBigUInt64LE(40) + 1n, 40);
    else copy[copy.indexOf(Buffer.alloc(32, 0x6e))] = 0x4e; // a graffiti byte: the block still decodes, its root changes
    return copy;
  };
  const states = new Map<string, Buffer>();
  states.set('finalized', corrupted(options.finalizedState === 'post' ? FIXTURE.postStateBytes : FIXTURE.alignedStateBytes, 'state'));
  if (options.stateIds?.slot !== false) {
    states.set(String(FIXTURE.alignedSlot), corrupted(FIXTURE.alignedStateBytes, 'state'));
    states.set(String(FIXTURE.blockSlot), corrupted(FIXTURE.postStateBytes, 'state'));
  }
  if (options.stateIds?.root !== false) {
    states.set(FIXTURE.postStateRoot, corrupted(FIXTURE.postStateBytes, 'state'));
    states.set(FIXTURE.alignedStateRoot, corrupted(FIXTURE.alignedStateBytes, 'state'));
  }
  const blockBytes = corrupted(FIXTURE.blockBytes, 'block');
  // Block ids served: finalized, the block's slot, its real root and, for a liar, the root it claims.
  const blockIds = new Set(['finalized', String(FIXTURE.blockSlot), FIXTURE.blockRoot, chain.finalizedRoot.toLowerCase()]);

  const root = (value: string, which: 'genesis' | 'finalized') => {
    if (mode !== 'checkpointz') return value;
    const rootCase = options.rootCase ?? 'mixed';
    return bare(value, rootCase === 'mixed' ? (which === 'genesis' ? 'upper' : 'lower') : rootCase);
  };

  const norm = (r: string) => `0x${r.replace(/^0x/i, '').toLowerCase()}`;
  // The chain's history as the JSON block endpoints see it: root -> slot, canonical or orphaned.
  const history = new Map<string, { slot: number; canonical: boolean }>();
  const slotOf = (r: string, i: number) => (norm(r) === FIXTURE.blockRoot ? FIXTURE.blockSlot : (chain.finalizedEpoch - i) * 32);
  history.set(norm(chain.finalizedRoot), { slot: slotOf(chain.finalizedRoot, 0), canonical: true });
  (options.knownRoots ?? []).forEach((r, i) => history.set(norm(r), { slot: slotOf(r, i + 1), canonical: true }));
  (options.orphanedRoots ?? []).forEach((r, i) => history.set(norm(r), { slot: slotOf(r, i + 1), canonical: false }));
  /** The canonical block root at a slot: a held block's, or another block's where the held one is orphaned. */
  const canonicalAt = (slot: number) => {
    for (const [r, b] of history) if (b.slot === slot) return b.canonical ? r : hex('0e');
    return undefined;
  };
  // checkpointz answers a block it does not hold with HTTP 500 ("block not found"); a beacon node with 404.
  const noBlock = (res: ServerResponse, id: string) =>
    mode === 'checkpointz' ? send(res, 500, { message: 'block not found', code: 500 }) : send(res, 404, { code: 404, message: `no block ${id}` });
  const blockById = (id: string): { root: string; slot: number } | undefined => {
    if (/^\d+$/.test(id)) {
      const r = canonicalAt(Number(id));
      return r === undefined ? undefined : { root: r, slot: Number(id) };
    }
    const b = history.get(norm(id));
    return b ? { root: norm(id), slot: b.slot } : undefined;
  };
  const blockJson = (res: ServerResponse, id: string) => {
    const b = blockById(id);
    if (!b) return noBlock(res, id);
    const data =
      b.root === FIXTURE.blockRoot
        ? FIXTURE.blockJson
        : { message: { slot: String(b.slot), proposer_index: '1', parent_root: hex('c4'), state_root: hex('c5'), body: {} }, signature: `0x${'00'.repeat(96)}` };
    return send(res, 200, { version: 'phase0', execution_optimistic: false, finalized: true, data });
  };
  const blockRootOf = (res: ServerResponse, id: string) => {
    const b = blockById(id);
    if (!b) return noBlock(res, id);
    return send(res, 200, { execution_optimistic: false, finalized: true, data: { root: root(b.root, 'finalized') } });
  };

  const header = (res: ServerResponse, id: string) => {
    const b = history.get(norm(id));
    if (mode === 'checkpointz' || !b) return send(res, 404, { code: 404, message: `no block ${id}` });
    const slot = String(chain.finalizedEpoch * 32);
    return send(res, 200, {
      execution_optimistic: false,
      finalized: b.canonical,
      data: { root: norm(id), canonical: b.canonical, header: { message: { slot, proposer_index: '1', parent_root: hex('c4'), state_root: hex('c5'), body_root: hex('c6') }, signature: `0x${'00'.repeat(96)}` } },
    });
  };

  const ssz = (req: IncomingMessage, res: ServerResponse, bytes: Buffer, isState: boolean) => {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/octet-stream')) {
      return send(res, 200, { version: 'deneb', execution_optimistic: false, finalized: true, data: { note: 'JSON form not served by this test server' } });
    }
    if (req.method === 'HEAD' && options.head === false) return send(res, 405, { code: 405, message: 'HEAD not allowed' });
    const headers = {
      'content-type': 'application/octet-stream',
      ...(options.consensusVersionHeader === false ? {} : { 'eth-consensus-version': 'phase0' }),
      'accept-ranges': 'bytes',
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let body = bytes;
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(bytes.length - 1, range[2] ? Number(range[2]) : bytes.length - 1);
      body = bytes.subarray(start, end + 1);
      res.writeHead(206, { ...headers, 'content-length': body.length, 'content-range': `bytes ${start}-${end}/${bytes.length}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': bytes.length });
    }
    if (req.method === 'HEAD') return res.end();
    if (isState) state.stateBytesSent += body.length;
    if (isState && !range) state.stateDownloads += 1;
    res.end(body);
  };

  const block = (req: IncomingMessage, res: ServerResponse) => {
    if (options.blockFormat === 'json') {
      // Lodestar 1.5.1: JSON whatever the Accept header says, with the fork in `version`.
      return send(res, 200, { version: 'phase0', execution_optimistic: false, data: types.phase0.SignedBeaconBlock.toJson(types.phase0.SignedBeaconBlock.deserialize(blockBytes)) });
    }
    return ssz(req, res, blockBytes, false);
  };

  const answer = (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (path.startsWith('/eth/v1/beacon/headers/')) return header(res, path.slice('/eth/v1/beacon/headers/'.length));
    if (path.startsWith('/eth/v2/debug/beacon/states/')) {
      const bytes = states.get(path.slice('/eth/v2/debug/beacon/states/'.length).toLowerCase());
      return bytes ? ssz(req, res, bytes, true) : send(res, 404, { code: 404, message: `No state found for id '${path.slice(28)}'` });
    }
    if (path.startsWith('/eth/v1/beacon/blocks/') && path.endsWith('/root')) return blockRootOf(res, path.slice('/eth/v1/beacon/blocks/'.length, -'/root'.length));
    if (path.startsWith('/eth/v2/beacon/blocks/')) {
      const id = path.slice('/eth/v2/beacon/blocks/'.length);
      // JSON asked (and served): the block of this chain's history; SSZ: the fixture.
      if (!(req.headers.accept ?? '').includes('application/octet-stream') && options.blockFormat !== 'json' && id !== 'finalized') return blockJson(res, id);
      return blockIds.has(id.toLowerCase()) ? block(req, res) : send(res, 404, { code: 404, message: 'Block not found' });
    }
    switch (path) {
      case '/eth/v1/beacon/genesis':
        return send(res, 200, {
          data: { genesis_time: chain.genesisTime, genesis_validators_root: root(chain.genesisValidatorsRoot, 'genesis'), genesis_fork_version: '0x10000000' },
        });
      case '/eth/v1/beacon/states/head/finality_checkpoints':
      case '/eth/v1/beacon/states/finalized/finality_checkpoints': {
        // checkpointz keeps finalized states only; elsewhere this chain's head sees the same finalized checkpoint.
        if (mode === 'checkpointz' && path.includes('/head/')) return send(res, 404, { code: 404, message: 'State not found' });
        const cp = (epoch: number, r: string) => ({ epoch: String(epoch), root: root(r, 'finalized') });
        return send(res, 200, {
          execution_optimistic: false,
          finalized: true,
          data: {
            previous_justified: cp(chain.finalizedEpoch, chain.finalizedRoot),
            current_justified: cp(chain.finalizedEpoch + 1, hex('c3')),
            finalized: cp(chain.finalizedEpoch, chain.finalizedRoot),
          },
        });
      }
      case '/eth/v1/node/health':
        if (mode === 'checkpointz') return send(res, 404, { code: 404, message: 'not found' });
        res.writeHead(200);
        return res.end();
      case '/eth/v1/node/syncing':
        return send(res, 200, { data: { head_slot: String(chain.finalizedEpoch * 32 + 64), sync_distance: '0', is_syncing: false, is_optimistic: false, el_offline: false } });
      case '/eth/v1/node/version':
        return send(res, 200, { data: { version: `nodeform-test-provider/${mode}` } });
      case '/checkpointz/v1/ready':
        if (mode !== 'checkpointz') return send(res, 404, { code: 404, message: 'not found' });
        // checkpointz (pkg/api/handler.go): HTTP 500 "no finalized checkpoint" until it has one, then 200 "true".
        return options.ready === false ? send(res, 500, { message: 'no finalized checkpoint', code: 500 }) : send(res, 200, { data: 'true' });
      default:
        return send(res, 404, { code: 404, message: `no route ${path}` });
    }
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push(`${req.method} ${path}`);
    const nth = (perPath.get(path) ?? 0) + 1;
    perPath.set(path, nth);
    state.inFlight += 1;
    state.peak = Math.max(state.peak, state.inFlight);
    options.meter?.enter();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      state.inFlight -= 1;
      options.meter?.leave();
    };
    res.on('close', () => {
      if (!res.writableFinished) state.abandoned += 1;
      finish();
    });
    res.on('finish', finish);
    const agent = req.headers['user-agent'] ?? '';
    const writtenBefore = req.socket.bytesWritten;
    // On close, whether the answer was finished or cut off: what went to the socket either way.
    res.on('close', () => bytesByAgent.set(agent, (bytesByAgent.get(agent) ?? 0) + req.socket.bytesWritten - writtenBefore));

    const delay = state.latencyMs + (mode === 'slow' ? (options.slowMs ?? 2000) : 0);
    const go = () => {
      if (res.destroyed) return;
      if (mode === 'dead') return req.socket.destroy();
      // flapping: per path, the 1st, 3rd, 5th ... request fails and the others succeed (with HTTP 500, a path a
      // beacon node has no route for, checkpointz's readiness, answers its 404 every time).
      if (mode === 'flapping' && nth % 2 === 1) {
        if (options.flapFailure === 'destroy') return req.socket.destroy();
        if (path !== '/checkpointz/v1/ready') return send(res, 500, { code: 500, message: 'flapping: failing this one' });
      }
      answer(req, res, path);
    };
    if (delay > 0) {
      const timer = setTimeout(go, delay);
      res.on('close', () => clearTimeout(timer));
    } else go();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  // dead, refused: the port was ours a moment ago and nobody listens on it now.
  if (mode === 'dead' && (options.dead ?? 'refused') === 'refused') await close();

  return {
    url: `http://127.0.0.1:${port}`,
    mode,
    chain,
    requests,
    bytesByAgent,
    count: (path?: string) => (path === undefined ? requests.length : requests.filter((r) => r.endsWith(` ${path}`)).length),
    get inFlight() {
      return state.inFlight;
    },
    get peak() {
      return state.peak;
    },
    get abandoned() {
      return state.abandoned;
    },
    get stateBytesSent() {
      return state.stateBytesSent;
    },
    get stateDownloads() {
      return state.stateDownloads;
    },
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms;
    },
    close,
  };
}

export interface ProviderServers {
  servers: ProviderServer[];
  urls: string[];
  close(): Promise<void>;
}

/** Many providers at once, each on its own ephemeral port of 127.0.0.1. */
export async function startProviderServers(list: ProviderServerOptions[]): Promise<ProviderServers> {
  const servers = await Promise.all(list.map((options) => startProviderServer(options)));
  return {
    servers,
    urls: servers.map((s) => s.url),
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
