// What a node's APIs answered, read into a SyncSample's fields: the Beacon API's JSON documents and the
// execution client's JSON-RPC results. Each reader takes the parsed body (or undefined when the call failed)
// and gives only the fields it could read; a client that lacks an endpoint leaves its fields out. Pure.

import type { ConsensusSample, ExecutionSample } from './sync.js';

type Json = unknown;

function record(value: Json): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The Beacon API writes numbers as decimal strings ("123"); some clients write JSON numbers. */
export function uintOf(value: Json): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) return Number(value);
  return undefined;
}

/** JSON-RPC quantities are hex strings ("0x1a"). */
export function quantityOf(value: Json): number | undefined {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,13}$/.test(value)) return undefined;
  return Number.parseInt(value.slice(2), 16);
}

const boolOf = (value: Json): boolean | undefined => (typeof value === 'boolean' ? value : undefined);
const data = (body: Json) => record(record(body)?.data);

/** /eth/v1/node/syncing */
export function readSyncing(body: Json): Pick<ConsensusSample, 'headSlot' | 'syncDistance' | 'isSyncing' | 'isOptimistic' | 'elOffline'> {
  const d = data(body);
  if (!d) return {};
  const fields = {
    headSlot: uintOf(d.head_slot),
    syncDistance: uintOf(d.sync_distance),
    isSyncing: boolOf(d.is_syncing),
    isOptimistic: boolOf(d.is_optimistic),
    elOffline: boolOf(d.el_offline),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** /eth/v1/node/peer_count: connected peers. */
export function readPeerCount(body: Json): number | undefined {
  return uintOf(data(body)?.connected);
}

/** /eth/v1/node/version */
export function readVersion(body: Json): string | undefined {
  const version = data(body)?.version;
  return typeof version === 'string' && version !== '' ? version : undefined;
}

/** /eth/v1/config/spec: SECONDS_PER_SLOT (a positive whole number). */
export function readSecondsPerSlot(body: Json): number | undefined {
  const seconds = uintOf(data(body)?.SECONDS_PER_SLOT);
  return seconds !== undefined && seconds > 0 ? seconds : undefined;
}

/** /eth/v1/beacon/states/head/finality_checkpoints: the finalized epoch. */
export function readFinalizedEpoch(body: Json): number | undefined {
  return uintOf(record(data(body)?.finalized)?.epoch);
}

/**
 * The execution block number in a block document (/eth/v1/beacon/blinded_blocks/head, /eth/v2/beacon/blocks/head):
 * message.body.execution_payload(_header).block_number. Undefined for phase0 and altair blocks, which carry none.
 */
export function readPayloadNumber(body: Json): number | undefined {
  const message = record(data(body)?.message);
  const blockBody = record(message?.body);
  const payload = record(blockBody?.execution_payload_header) ?? record(blockBody?.execution_payload);
  return uintOf(payload?.block_number);
}

/** One JSON-RPC response's result, or why there is none. */
export function rpcResult(body: Json): { result: Json } | { error: string } {
  const reply = record(body);
  if (!reply) return { error: 'not a JSON-RPC response' };
  const error = record(reply.error);
  if (error) return { error: `JSON-RPC error ${String(error.code)}: ${typeof error.message === 'string' ? error.message : 'no message'}` };
  if (!('result' in reply)) return { error: 'a JSON-RPC response without a result' };
  return { result: reply.result };
}

/** eth_syncing: false, or the current and highest block while it says it syncs. */
export function readEthSyncing(result: Json): ExecutionSample['syncing'] {
  if (result === false) return false;
  const r = record(result);
  const currentBlock = quantityOf(r?.currentBlock);
  const highestBlock = quantityOf(r?.highestBlock);
  return currentBlock !== undefined && highestBlock !== undefined ? { currentBlock, highestBlock } : undefined;
}
