// One look at each node host: its consensus Beacon API and execution JSON-RPC, reached through the run's own
// connection to the host (a forwarded channel: no port is opened there), and one exec for the units' states,
// the Ephemery iteration and the checkpoint it started from. The result is data: a SyncSample for
// src/monitor/sync.ts, the versions, the host's state. `status`, a rollout's health gate and the benchmark
// share it.

import type { Duplex } from 'node:stream';
import type { NodeSpec } from '../clients/types.js';
import { TransportError } from '../errors.js';
import type { Desired, HostConnection } from '../model/types.js';
import {
  readEthSyncing,
  readFinalizedEpoch,
  readPayloadNumber,
  readPeerCount,
  readSecondsPerSlot,
  readSyncing,
  readVersion,
  quantityOf,
  rpcResult,
} from '../monitor/answers.js';
import { hostStateCommand, parseHostState, type HostState } from '../monitor/host-state.js';
import type { ConsensusSample, ExecutionSample, SyncSample } from '../monitor/sync.js';
import type { Transport } from '../transport/types.js';
import { eachLimited } from '../util/parallel.js';
import { httpOver, jsonOf, type HttpAnswer } from './http.js';

/** A node host to look at: how to reach it and its node as declared. */
export interface NodeTarget {
  host: string;
  connection: HostConnection;
  spec: NodeSpec;
}

/** What one look at a host gave. */
export interface NodeObservation {
  host: string;
  sample: SyncSample;
  versions: { consensus?: string; execution?: string };
  /** The chain's SECONDS_PER_SLOT, from /eth/v1/config/spec, when served. */
  secondsPerSlot?: number;
  /** Units, iteration and checkpoint start; undefined when the host could not be reached or the exec failed. */
  state?: HostState;
  /** Why something could not be read (the SSH connection, the exec); the APIs' own errors are in the sample. */
  errors: string[];
}

export interface SampleOptions {
  /** The collector's clock (ms since the epoch): each sample carries its reading. */
  now: () => number;
  /** Per request (default 5000). */
  timeoutMs?: number;
  /** Hosts looked at at once (default 100). */
  forks?: number;
}

const SMALL = 1024 * 1024;
/** A full block (the fallback when blinded blocks are not served) can be a few megabytes. */
const BLOCK = 16 * 1024 * 1024;

/** The node hosts among the selected ones (loadProject's or loadNodeTargets' desired and nodeSpecs), in their order. */
export function nodeTargetsOf(desired: readonly Desired[], nodeSpecs: Readonly<Record<string, NodeSpec>>): NodeTarget[] {
  return desired.flatMap((d) => {
    const spec = nodeSpecs[d.host];
    return spec ? [{ host: d.host, connection: d.connection, spec }] : [];
  });
}

/** One observation per target, in the targets' order. Never throws for a host's failure: that is data. */
export async function sampleNodes(
  targets: readonly NodeTarget[],
  transportFor: (connection: HostConnection) => Promise<Transport>,
  options: SampleOptions,
): Promise<NodeObservation[]> {
  return eachLimited(targets, options.forks ?? 100, (target) => sampleNode(target, transportFor, options));
}

/** The address an API is reached at from the host itself: a wildcard listener answers on loopback. */
export function apiAddress(listenAddress: string): string {
  if (listenAddress === '0.0.0.0' || listenAddress === '') return '127.0.0.1';
  if (listenAddress === '::') return '::1';
  return listenAddress;
}

async function sampleNode(target: NodeTarget, transportFor: (connection: HostConnection) => Promise<Transport>, options: SampleOptions): Promise<NodeObservation> {
  const at = options.now();
  let transport: Transport;
  try {
    transport = await transportFor(target.connection);
  } catch (error) {
    const message = `cannot connect to the host: ${reasonOf(error)}`;
    return { host: target.host, sample: { at, consensus: { reachable: false, error: message } }, versions: {}, errors: [message] };
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  const errors: string[] = [];
  const [consensus, execution, state] = await Promise.all([
    readConsensus(transport, target.spec, timeoutMs),
    readExecution(transport, target.spec, timeoutMs),
    transport.exec(hostStateCommand(target.spec), { timeoutMs: timeoutMs * 2 }).then(
      (result) => {
        if (result.exitCode !== 0) {
          errors.push(`reading the units failed (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 200)}`);
          return undefined;
        }
        return parseHostState(target.spec, result.stdout);
      },
      (error: unknown) => {
        errors.push(`reading the units failed: ${reasonOf(error)}`);
        return undefined;
      },
    ),
  ]);
  const versions = {
    ...(consensus.version !== undefined ? { consensus: consensus.version } : {}),
    ...(execution.version !== undefined ? { execution: execution.version } : {}),
  };
  return {
    host: target.host,
    sample: { at, consensus: consensus.sample, execution: execution.sample },
    versions,
    ...(consensus.secondsPerSlot !== undefined ? { secondsPerSlot: consensus.secondsPerSlot } : {}),
    ...(state ? { state } : {}),
    errors,
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof TransportError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

/** GETs on the Beacon API; the node counts as unreachable only when /eth/v1/node/syncing itself fails. */
async function readConsensus(transport: Transport, spec: NodeSpec, timeoutMs: number): Promise<{ sample: ConsensusSample; version?: string; secondsPerSlot?: number }> {
  const address = apiAddress(spec.consensus.listenAddress);
  const port = spec.consensus.ports.http;
  const open = (): Promise<Duplex> => transport.openChannel(port, address);
  const authority = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  const get = (path: string, limit = SMALL): Promise<HttpAnswer> => httpOver(open, { method: 'GET', authority, path, timeoutMs, limit });
  const ok = (answer: HttpAnswer) => (answer.status === 200 ? jsonOf(answer) : undefined);
  const settle = <T>(promise: Promise<T>) => promise.then((value) => ({ value }), (error: unknown) => ({ error: reasonOf(error) }));
  const [syncing, peers, version, finality, block, config] = await Promise.all([
    settle(get('/eth/v1/node/syncing')),
    settle(get('/eth/v1/node/peer_count')),
    settle(get('/eth/v1/node/version')),
    settle(get('/eth/v1/beacon/states/head/finality_checkpoints')),
    settle(headBlock(get)),
    settle(get('/eth/v1/config/spec')),
  ]);
  if ('error' in syncing) return { sample: { reachable: false, error: `${address}:${port}: ${syncing.error}` } };
  if (syncing.value.status !== 200) {
    return { sample: { reachable: true, error: `/eth/v1/node/syncing answered HTTP ${syncing.value.status}` } };
  }
  const sample: ConsensusSample = { reachable: true, ...readSyncing(jsonOf(syncing.value)) };
  const peerCount = 'value' in peers ? readPeerCount(ok(peers.value)) : undefined;
  if (peerCount !== undefined) sample.peers = peerCount;
  const finalized = 'value' in finality ? readFinalizedEpoch(ok(finality.value)) : undefined;
  if (finalized !== undefined) sample.finalizedEpoch = finalized;
  const payload = 'value' in block ? block.value : undefined;
  if (payload !== undefined) sample.headPayloadNumber = payload;
  const clVersion = 'value' in version ? readVersion(ok(version.value)) : undefined;
  const secondsPerSlot = 'value' in config ? readSecondsPerSlot(ok(config.value)) : undefined;
  return { sample, ...(clVersion !== undefined ? { version: clVersion } : {}), ...(secondsPerSlot !== undefined ? { secondsPerSlot } : {}) };
}

/** The head block's execution payload number: the blinded block first (small), the full block when that is not served. */
async function headBlock(get: (path: string, limit?: number) => Promise<HttpAnswer>): Promise<number | undefined> {
  const blinded = await get('/eth/v1/beacon/blinded_blocks/head', BLOCK);
  if (blinded.status === 200) return readPayloadNumber(jsonOf(blinded));
  if (blinded.status !== 404 && blinded.status !== 400 && blinded.status !== 405) return undefined;
  const full = await get('/eth/v2/beacon/blocks/head', BLOCK);
  return full.status === 200 ? readPayloadNumber(jsonOf(full)) : undefined;
}

/** One JSON-RPC batch: eth_blockNumber, eth_syncing, net_peerCount, web3_clientVersion. */
async function readExecution(transport: Transport, spec: NodeSpec, timeoutMs: number): Promise<{ sample: ExecutionSample; version?: string }> {
  const address = apiAddress(spec.execution.listenAddress);
  const port = spec.execution.ports.http;
  const methods = ['eth_blockNumber', 'eth_syncing', 'net_peerCount', 'web3_clientVersion'] as const;
  const batch = methods.map((method, id) => ({ jsonrpc: '2.0', id: id + 1, method, params: [] }));
  let answer: HttpAnswer;
  try {
    answer = await httpOver(() => transport.openChannel(port, address), {
      method: 'POST',
      authority: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`,
      path: '/',
      json: batch,
      timeoutMs,
      limit: SMALL,
    });
  } catch (error) {
    return { sample: { reachable: false, error: `${address}:${port}: ${reasonOf(error)}` } };
  }
  const body = jsonOf(answer);
  if (answer.status !== 200 || !Array.isArray(body)) {
    return { sample: { reachable: true, error: `the JSON-RPC batch answered HTTP ${answer.status}${Array.isArray(body) ? '' : ', not a batch response'}` } };
  }
  const byId = new Map<unknown, unknown>(body.map((reply: unknown) => [(reply as { id?: unknown } | null)?.id, reply]));
  const result = (index: number) => rpcResult(byId.get(index + 1));
  const sample: ExecutionSample = { reachable: true };
  const errors: string[] = [];
  const blockNumber = result(0);
  if ('result' in blockNumber) {
    const n = quantityOf(blockNumber.result);
    if (n !== undefined) sample.blockNumber = n;
  } else errors.push(`eth_blockNumber: ${blockNumber.error}`);
  const syncing = result(1);
  if ('result' in syncing) {
    const s = readEthSyncing(syncing.result);
    if (s !== undefined) sample.syncing = s;
  } else errors.push(`eth_syncing: ${syncing.error}`);
  const peers = result(2);
  if ('result' in peers) {
    const n = quantityOf(peers.result);
    if (n !== undefined) sample.peers = n;
  }
  const version = result(3);
  const elVersion = 'result' in version && typeof version.result === 'string' && version.result !== '' ? version.result : undefined;
  if (errors.length > 0) sample.error = errors.join('; ');
  return { sample, ...(elVersion !== undefined ? { version: elVersion } : {}) };
}
