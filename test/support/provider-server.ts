// Local checkpoint providers speaking the Beacon API endpoints nodeform uses (JSON, and SSZ as fixed
// octet-stream bytes for the finalized state and block, with HEAD and Range), in the modes providers
// fail in: healthy, dead, slow, stale-genesis, lying-root, flapping, checkpointz-like. Each counts its
// requests and the requests in flight; a shared meter counts requests in flight across many servers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProviderMode = 'healthy' | 'dead' | 'slow' | 'stale-genesis' | 'lying-root' | 'flapping' | 'checkpointz';

export interface ChainView {
  genesisTime: string;
  genesisValidatorsRoot: string;
  finalizedEpoch: number;
  finalizedRoot: string;
}

const hex = (byte: string) => `0x${byte.repeat(32)}`;

/** The network every healthy provider is on. */
export const CHAIN: ChainView = {
  genesisTime: '1720000000',
  genesisValidatorsRoot: hex('a1'),
  finalizedEpoch: 1234,
  finalizedRoot: hex('f1'),
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

/** Fixed SSZ bodies (not real SSZ: nothing here decodes them). */
export const STATE_BYTES = Buffer.alloc(256 * 1024, 0x5a);
export const BLOCK_BYTES = Buffer.alloc(4 * 1024, 0x6b);

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
  meter?: ConcurrencyMeter;
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
  /** Mutable: added latency for later requests. */
  latencyMs: number;
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
  const perPath = new Map<string, number>();
  const sockets = new Set<Socket>();
  const state = { inFlight: 0, peak: 0, abandoned: 0, stateBytesSent: 0, latencyMs: options.latencyMs ?? 0 };

  const root = (value: string, which: 'genesis' | 'finalized') => {
    if (mode !== 'checkpointz') return value;
    const rootCase = options.rootCase ?? 'mixed';
    return bare(value, rootCase === 'mixed' ? (which === 'genesis' ? 'upper' : 'lower') : rootCase);
  };

  const ssz = (req: IncomingMessage, res: ServerResponse, bytes: Buffer, isState: boolean) => {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/octet-stream')) {
      return send(res, 200, { version: 'deneb', execution_optimistic: false, finalized: true, data: { note: 'JSON form not served by this test server' } });
    }
    if (req.method === 'HEAD' && options.head === false) return send(res, 405, { code: 405, message: 'HEAD not allowed' });
    const headers = { 'content-type': 'application/octet-stream', 'eth-consensus-version': 'deneb', 'accept-ranges': 'bytes' };
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
    res.end(body);
  };

  const answer = (req: IncomingMessage, res: ServerResponse, path: string) => {
    switch (path) {
      case '/eth/v1/beacon/genesis':
        return send(res, 200, {
          data: { genesis_time: chain.genesisTime, genesis_validators_root: root(chain.genesisValidatorsRoot, 'genesis'), genesis_fork_version: '0x10000000' },
        });
      case '/eth/v1/beacon/states/finalized/finality_checkpoints': {
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
      case '/eth/v2/debug/beacon/states/finalized':
        return ssz(req, res, STATE_BYTES, true);
      case '/eth/v2/beacon/blocks/finalized':
        return ssz(req, res, BLOCK_BYTES, false);
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
        return options.ready === false ? send(res, 503, { status: 'not ready' }) : send(res, 200, { status: 'ready' });
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

    const delay = state.latencyMs + (mode === 'slow' ? (options.slowMs ?? 2000) : 0);
    const go = () => {
      if (res.destroyed) return;
      if (mode === 'dead') return req.socket.destroy();
      // flapping: per path, the 1st, 3rd, 5th ... request fails and the others succeed.
      if (mode === 'flapping' && nth % 2 === 1) {
        if (options.flapFailure === 'destroy') return req.socket.destroy();
        return send(res, 500, { code: 500, message: 'flapping: failing this one' });
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
    requests,
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
