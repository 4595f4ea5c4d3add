// Probing checkpoint providers (I/O, undici): every provider is asked at once, within one bound on
// requests in flight, for its genesis, its finalized checkpoint, whether it serves the finalized state
// (a HEAD, or a ranged GET read a few bytes deep: never a whole state) and, where it has one,
// checkpointz's readiness. Each request has its own timeout and retries with jittered backoff; the
// whole probe has an overall time bound. The pure parts (parsing, backoff, genesis comparison) are
// exported for tests; the clock and the random source are injected.

import { setMaxListeners } from 'node:events';
import { Agent, request, type Dispatcher } from 'undici';
import type { NetworkTuningSpec } from '../clients/types.js';
import { genesisMatches, normaliseRoot, type ProbeNetwork, type ProviderResult } from '../node/quorum.js';
import { readBounded } from './body.js';

export { genesisMatches, type ProbeNetwork, type ProviderResult } from '../node/quorum.js';

export const BEACON_PATHS = {
  genesis: '/eth/v1/beacon/genesis',
  /** The head state's view of finality: the latest finalized checkpoint (a finalized state's own view is older). */
  finality: '/eth/v1/beacon/states/head/finality_checkpoints',
  /** Where head is not served (checkpointz keeps finalized states only). */
  finalityFallback: '/eth/v1/beacon/states/finalized/finality_checkpoints',
  state: '/eth/v2/debug/beacon/states/finalized',
  block: '/eth/v2/beacon/blocks/finalized',
  checkpointzReady: '/checkpointz/v1/ready',
} as const;


export interface ProbeOptions {
  /** Random source in [0, 1) for backoff jitter. Default Math.random. */
  random?: () => number;
  /** Bound on the whole probe, in ms. Default: twice the per-request timeout. */
  totalTimeoutMs?: number;
  /** undici dispatcher to use; by default one Agent is made for the probe and destroyed after it. */
  dispatcher?: Dispatcher;
}

type Backoff = NetworkTuningSpec['backoff'];

/**
 * Wait before retry number `retry` (1 for the first retry), in ms, with full jitter:
 * exponential: uniform in [min, min(max, min * 2^retry)]; fixed: uniform in [min, max] every time.
 */
export function backoffDelayMs(retry: number, backoff: Backoff, random: () => number): number {
  const min = Math.max(0, backoff.minSeconds) * 1000;
  const max = Math.max(min, backoff.maxSeconds * 1000);
  const ceiling = backoff.strategy === 'fixed' ? max : Math.min(max, min * 2 ** Math.max(1, retry));
  return min + random() * (ceiling - min);
}

/** The default bound on a whole probe. */
export function defaultTotalTimeoutMs(tuning: NetworkTuningSpec): number {
  return tuning.requestTimeoutSeconds * 2000;
}

class AnswerError extends Error {}

const ROOT = /^0x[0-9a-f]{64}$/;

function root(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new AnswerError(`${what} is missing`);
  const normal = normaliseRoot(value);
  if (!ROOT.test(normal)) throw new AnswerError(`${what} ${JSON.stringify(value)} is not a 32-byte hex root`);
  return normal;
}

function decimal(value: unknown, what: string): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^\d+$/.test(text)) throw new AnswerError(`${what} ${JSON.stringify(value)} is not a decimal number`);
  return BigInt(text).toString();
}

function data(body: unknown): Record<string, unknown> {
  const d = (body as { data?: unknown } | null)?.data;
  if (typeof d !== 'object' || d === null) throw new AnswerError('answer has no data object');
  return d as Record<string, unknown>;
}

/** `/eth/v1/beacon/genesis` answer -> genesis time and (normalised) validators root. */
export function parseGenesis(body: unknown): { time: string; validatorsRoot: string } {
  const d = data(body);
  return { time: decimal(d.genesis_time, 'genesis_time'), validatorsRoot: root(d.genesis_validators_root, 'genesis_validators_root') };
}

/** `/eth/v1/beacon/states/finalized/finality_checkpoints` answer -> finalized epoch and (normalised) root. */
export function parseFinality(body: unknown): { epoch: number; root: string } {
  const finalized = data(body).finalized as Record<string, unknown> | undefined;
  if (typeof finalized !== 'object' || finalized === null) throw new AnswerError('answer has no data.finalized');
  const epoch = Number(decimal(finalized.epoch, 'finalized.epoch'));
  if (!Number.isSafeInteger(epoch)) throw new AnswerError(`finalized.epoch ${String(finalized.epoch)} is too large`);
  return { epoch, root: root(finalized.root, 'finalized.root') };
}

/** Bounds requests in flight across every provider of a probe. */
class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  acquire(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortError(signal));
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        this.active += 1;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active -= 1;
          this.waiting.shift()?.();
        });
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError(signal));
      };
      if (this.active < this.limit) return grant();
      this.waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

interface Context {
  dispatcher: Dispatcher;
  limiter: Limiter;
  overall: AbortSignal;
  deadline: number;
  totalMs: number;
  tuning: NetworkTuningSpec;
  clock: () => number;
  random: () => number;
}

/** One attempt's outcome: a value, or an error worth retrying, or a final one. */
type Attempt<T> = { value: T } | { retry: string } | { fatal: string };
type Outcome<T> = { ok: true; value: T; latencyMs: number; attempts: number } | { ok: false; error: string; latencyMs: number; attempts: number };

/** The abort's reason as an Error (an AbortSignal's reason may be any value). */
function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'aborted'));
}

const retryable = (status: number) => status >= 500 || status === 429 || status === 408;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = e?.cause?.message ?? e?.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

async function withRetries<T>(ctx: Context, run: (signal: AbortSignal) => Promise<Attempt<T>>): Promise<Outcome<T>> {
  const started = ctx.clock();
  const requestMs = ctx.tuning.requestTimeoutSeconds * 1000;
  const retries = Math.max(0, Math.floor(ctx.tuning.retries));
  const bound = `gave up at the probe's total time bound of ${ctx.totalMs / 1000}s`;
  let attempts = 0;
  let last = '';
  const fail = (error: string) => ({ ok: false as const, error, latencyMs: ctx.clock() - started, attempts });
  for (let retry = 0; ; retry++) {
    let release: () => void;
    try {
      release = await ctx.limiter.acquire(ctx.overall);
    } catch {
      return fail(last ? `${last}; ${bound}` : bound);
    }
    attempts += 1;
    const begin = ctx.clock();
    const signal = AbortSignal.any([ctx.overall, AbortSignal.timeout(requestMs)]);
    let result: Attempt<T>;
    try {
      result = await run(signal);
    } catch (error) {
      if (ctx.overall.aborted) result = { fatal: last ? `${last}; ${bound}` : bound };
      else if (signal.aborted) result = { retry: `no answer within ${ctx.tuning.requestTimeoutSeconds}s` };
      else if (error instanceof AnswerError) result = { fatal: error.message };
      else result = { retry: errorText(error) };
    } finally {
      release();
    }
    if ('value' in result) return { ok: true, value: result.value, latencyMs: ctx.clock() - begin, attempts };
    if ('fatal' in result) return fail(result.fatal);
    last = attempts > 1 ? `${result.retry} (attempt ${attempts})` : result.retry;
    if (retry >= retries) return fail(attempts > 1 ? `${result.retry} (after ${attempts} attempts)` : result.retry);
    const delay = backoffDelayMs(retry + 1, ctx.tuning.backoff, ctx.random);
    if (ctx.clock() + delay >= ctx.deadline) return fail(`${last}; no time left for a retry within the total time bound of ${ctx.totalMs / 1000}s`);
    try {
      await sleep(delay, ctx.overall);
    } catch {
      return fail(`${last}; ${bound}`);
    }
  }
}

const JSON_LIMIT = 1 << 20;

async function readJson(body: Dispatcher.ResponseData['body']): Promise<unknown> {
  const bytes = await readBounded(body, JSON_LIMIT, (message) => new AnswerError(message));
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AnswerError('answer is not JSON');
  }
}

function endpoint(base: string, path: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url.toString();
}

const USER_AGENT = 'nodeform';

function getJson<T>(ctx: Context, base: string, path: string, parse: (body: unknown) => T): Promise<Outcome<T>> {
  return withRetries<T>(ctx, async (signal) => {
    const res = await request(endpoint(base, path), { dispatcher: ctx.dispatcher, signal, headers: { accept: 'application/json', 'user-agent': USER_AGENT } });
    if (res.statusCode !== 200) {
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const message = `HTTP ${res.statusCode}`;
      return retryable(res.statusCode) ? { retry: message } : { fatal: message };
    }
    return { value: parse(await readJson(res.body)) };
  });
}

/**
 * The finalized checkpoint as of the provider's head; a provider that does not serve the head state (a 4xx:
 * checkpointz) is asked for the finalized state's view instead.
 */
async function finalityOf(ctx: Context, base: string): Promise<Outcome<{ epoch: number; root: string }>> {
  const head = await getJson(ctx, base, BEACON_PATHS.finality, parseFinality);
  if (head.ok || !/^HTTP 4\d\d$/.test(head.error)) return head;
  const finalized = await getJson(ctx, base, BEACON_PATHS.finalityFallback, parseFinality);
  return { ...finalized, attempts: finalized.attempts + head.attempts };
}

/** checkpointz's readiness: 200 ready, 500 (what checkpointz answers before it has a finalized checkpoint) or 503 not ready (an answer, not retried), 404 absent. */
function ready(ctx: Context, base: string): Promise<Outcome<boolean | undefined>> {
  return withRetries<boolean | undefined>(ctx, async (signal) => {
    const res = await request(endpoint(base, BEACON_PATHS.checkpointzReady), { dispatcher: ctx.dispatcher, signal, headers: { 'user-agent': USER_AGENT } });
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    if (res.statusCode === 200) return { value: true };
    if (res.statusCode === 500 || res.statusCode === 503) return { value: false };
    if (res.statusCode === 404 || res.statusCode === 405) return { value: undefined };
    return retryable(res.statusCode) ? { retry: `HTTP ${res.statusCode}` } : { fatal: `HTTP ${res.statusCode}` };
  });
}

const isSsz = (headers: Dispatcher.ResponseData['headers']) => !String(headers['content-type'] ?? '').includes('json');

/**
 * Whether the finalized state is served as SSZ: a HEAD; where HEAD is not answered, a GET of the first
 * bytes (Range: bytes=0-0) that reads at most a few KiB and drops the connection when the server sends more.
 */
function servesStates(ctx: Context, base: string): Promise<Outcome<boolean>> {
  const url = endpoint(base, BEACON_PATHS.state);
  const headers = { accept: 'application/octet-stream', 'user-agent': USER_AGENT };
  return withRetries<boolean>(ctx, async (signal) => {
    const head = await request(url, { dispatcher: ctx.dispatcher, signal, method: 'HEAD', headers });
    await head.body.dump({ limit: 0 }).catch(() => undefined);
    if (head.statusCode === 200) return { value: isSsz(head.headers) };
    if (retryable(head.statusCode)) return { retry: `HEAD: HTTP ${head.statusCode}` };
    const get = await request(url, { dispatcher: ctx.dispatcher, signal, headers: { ...headers, range: 'bytes=0-0' } });
    await get.body.dump({ limit: 4096 }).catch(() => undefined); // destroys the body past the limit
    if (get.statusCode === 200 || get.statusCode === 206) return { value: isSsz(get.headers) };
    if (retryable(get.statusCode)) return { retry: `HTTP ${get.statusCode}` };
    return { value: false };
  });
}

async function probeOne(ctx: Context, url: string, network: ProbeNetwork): Promise<ProviderResult> {
  const started = ctx.clock();
  try {
    new URL(url);
  } catch {
    return { url, ok: false, latencyMs: 0, servesStates: false, attempts: 0, error: `not a URL: ${url}` };
  }
  const [genesis, finality, readiness, states] = await Promise.all([
    getJson(ctx, url, BEACON_PATHS.genesis, parseGenesis),
    finalityOf(ctx, url),
    ready(ctx, url),
    servesStates(ctx, url),
  ]);
  const errors = [
    genesis.ok ? '' : `genesis: ${genesis.error}`,
    finality.ok ? '' : `finality_checkpoints: ${finality.error}`,
    states.ok ? '' : `states: ${states.error}`,
    readiness.ok ? '' : `checkpointz ready: ${readiness.error}`,
  ].filter(Boolean);
  const result: ProviderResult = {
    url,
    ok: genesis.ok && finality.ok,
    latencyMs: finality.ok ? finality.latencyMs : ctx.clock() - started,
    servesStates: states.ok && states.value,
    attempts: genesis.attempts + finality.attempts + readiness.attempts + states.attempts,
  };
  if (genesis.ok) {
    result.genesis = genesis.value;
    const matches = genesisMatches(genesis.value, network);
    if (matches !== undefined) result.genesisMatches = matches;
  }
  if (finality.ok) result.finalized = finality.value;
  if (readiness.ok && readiness.value !== undefined) result.ready = readiness.value;
  if (errors.length) result.error = errors.join('; ');
  return result;
}

/**
 * Probes every provider at once (at most tuning.maxConcurrentRequests requests in flight to each) and
 * returns one result per provider, in the order given. Never throws for a provider's failure: that is
 * in its result.
 */
export async function probeProviders(
  providers: string[],
  network: ProbeNetwork,
  tuning: NetworkTuningSpec,
  clock: () => number = Date.now,
  options: ProbeOptions = {},
): Promise<ProviderResult[]> {
  const totalMs = options.totalTimeoutMs ?? defaultTotalTimeoutMs(tuning);
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every request and every wait listens to it
  const timer = setTimeout(() => controller.abort(new Error(`total time bound of ${totalMs / 1000}s reached`)), totalMs);
  const own = options.dispatcher ? undefined : new Agent({ connect: { timeout: tuning.requestTimeoutSeconds * 1000 } });
  const ctx: Context = {
    dispatcher: options.dispatcher ?? own!,
    limiter: new Limiter(1), // replaced by each provider's own below
    overall: controller.signal,
    deadline: clock() + totalMs,
    totalMs,
    tuning,
    clock,
    random: options.random ?? Math.random,
  };
  try {
    // The bound is per provider (like undici's connections per origin): no provider gets more than
    // maxConcurrentRequests at once, while every provider is asked in the same round.
    const bound = Math.max(1, Math.floor(tuning.maxConcurrentRequests));
    return await Promise.all(providers.map((url) => probeOne({ ...ctx, limiter: new Limiter(bound) }, url, network)));
  } finally {
    clearTimeout(timer);
    await own?.destroy().catch(() => undefined);
  }
}
