// SSZ decoding and hashing of beacon blocks and states, in a worker thread (ssz-worker.ts).
// Why a worker: @lodestar/params fixes its preset (mainnet or minimal) process-wide on first import, and
// hashing a mainnet state takes seconds of CPU. Each session starts one worker with its preset, so the
// main thread never imports @lodestar/* and one run can decode chains of both presets.
//
// Loading the worker: from dist/ the compiled ssz-worker.js sits next to this file and runs as is. From
// src/ (tsx, vitest) this file is ssz.ts and the worker is ssz-worker.ts: a small evaluated bootstrap
// registers tsx (a devDependency, resolved from this package) inside the worker and then imports it; neither
// Node 20 (parent's --import loaders) nor vitest's runner would give the worker a TypeScript loader.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export type Preset = 'mainnet' | 'minimal';

export interface BlockInfo {
  fork: string;
  slot: number;
  proposerIndex: number;
  /** hash_tree_root(block.message), 0x lower-case hex. */
  root: string;
  parentRoot: string;
  stateRoot: string;
  /** The SSZ bytes, when the block came in as JSON. */
  ssz?: Uint8Array;
}

export interface StateInfo {
  fork: string;
  slot: number;
  /** hash_tree_root(state). */
  root: string;
  genesisValidatorsRoot: string;
  /** hash_tree_root(state.latest_block_header), its state_root filled in with the state's root when still zero. */
  latestBlockRoot: string;
  latestBlockSlot: number;
  latestBlockStateRoot: string;
}

export type WorkerRequest =
  | { id: number; op: 'block'; fork?: string; ssz?: Uint8Array; json?: unknown; expectRoot?: string }
  | { id: number; op: 'state'; path: string; forks: string[] };
export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface SszSession {
  preset: Preset;
  slotsPerEpoch: number;
  /** The forks @lodestar/types knows, oldest first. */
  forks: string[];
  /**
   * Decodes a SignedBeaconBlock from SSZ bytes or from its Beacon API JSON (`data`), of `fork`; without a
   * fork, the newest fork whose decoding hashes to `expectRoot` (or that decodes, when none is given).
   */
  block(input: { fork?: string; ssz?: Uint8Array; json?: unknown; expectRoot?: string }): Promise<BlockInfo>;
  /** Reads a BeaconState from a file and hashes it, trying `forks` in order until one decodes. */
  state(path: string, forks: string[]): Promise<StateInfo>;
  close(): Promise<void>;
}

export class SszError extends Error {
  override name = 'SszError';
}

function startWorker(preset: Preset): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  // From dist/fetch/ the worker is beside this module; from the single-file build (dist/nodeform.cjs) it is in
  // fetch/ below it.
  const here = new URL('.', import.meta.url);
  const workerDir = here.pathname.endsWith('/fetch/') ? here : new URL('./fetch/', here);
  if (!fromSource) return new Worker(new URL('./ssz-worker.js', workerDir), { workerData: { preset } });
  // Node 20 does not run the parent's --import loaders in a worker: register tsx inside it, then load the entry.
  // tsx's import condition of tsx/esm/api (require.resolve would give its CommonJS twin).
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./ssz-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: { preset } });
}

/** Starts a worker with `preset` and waits until it has loaded @lodestar/types. */
export async function openSsz(preset: Preset): Promise<SszSession> {
  const worker = startWorker(preset);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (e: Error) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const ready = new Promise<{ preset: string; slotsPerEpoch: number; forks: string[] }>((resolve, reject) => {
    pending.set(0, { resolve: resolve as (v: unknown) => void, reject });
  });
  worker.on('message', (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new SszError(reply.error));
  });
  worker.on('error', (e) => failAll(new SszError(`SSZ worker failed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new SszError(`SSZ worker exited (code ${code})`)));

  const call = <T>(req: WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never, transfer: ArrayBuffer[] = []): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id }, transfer);
    });
  };

  let info: { preset: string; slotsPerEpoch: number; forks: string[] };
  try {
    info = await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  if (info.preset !== preset) {
    await worker.terminate();
    throw new SszError(`SSZ worker runs the ${info.preset} preset, not ${preset}`);
  }
  return {
    preset,
    slotsPerEpoch: info.slotsPerEpoch,
    forks: info.forks,
    block: (input) => call<BlockInfo>({ op: 'block', ...input }),
    state: (path, forks) => call<StateInfo>({ op: 'state', path, forks }),
    close: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
