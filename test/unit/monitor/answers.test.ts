// Reading the Beacon API's and the JSON-RPC's answers into a sample's fields: what clients write, and what they leave out.
import { describe, expect, it } from 'vitest';
import {
  quantityOf,
  readEthSyncing,
  readFinalizedEpoch,
  readPayloadNumber,
  readPeerCount,
  readSyncing,
  readVersion,
  rpcResult,
  uintOf,
} from '../../../src/monitor/answers.js';

describe('Beacon API answers', () => {
  it('reads /eth/v1/node/syncing, numbers as strings or numbers, and leaves out what is missing', () => {
    expect(readSyncing({ data: { head_slot: '120', sync_distance: '3', is_syncing: true, is_optimistic: false, el_offline: false } })).toEqual({
      headSlot: 120,
      syncDistance: 3,
      isSyncing: true,
      isOptimistic: false,
      elOffline: false,
    });
    // Older clients: no el_offline, no is_optimistic; Teku writes numbers as strings, some as numbers.
    expect(readSyncing({ data: { head_slot: 7, sync_distance: '0', is_syncing: false } })).toEqual({ headSlot: 7, syncDistance: 0, isSyncing: false });
    expect(readSyncing({ data: { head_slot: 'x' } })).toEqual({});
    expect(readSyncing(undefined)).toEqual({});
    expect(readSyncing({ code: 503, message: 'not ready' })).toEqual({});
  });

  it('reads peers, version and the finalized epoch', () => {
    expect(readPeerCount({ data: { connected: '42', disconnected: '3' } })).toBe(42);
    expect(readPeerCount({})).toBeUndefined();
    expect(readVersion({ data: { version: 'Lighthouse/v7.0.0' } })).toBe('Lighthouse/v7.0.0');
    expect(readVersion({ data: { version: '' } })).toBeUndefined();
    expect(readFinalizedEpoch({ data: { finalized: { epoch: '3', root: '0x00' } } })).toBe(3);
  });

  it('reads the head payload number from a blinded or a full block, and none from a phase0 block', () => {
    expect(readPayloadNumber({ version: 'deneb', data: { message: { body: { execution_payload_header: { block_number: '991' } } } } })).toBe(991);
    expect(readPayloadNumber({ version: 'capella', data: { message: { body: { execution_payload: { block_number: '17' } } } } })).toBe(17);
    expect(readPayloadNumber({ version: 'phase0', data: { message: { body: { graffiti: '0x00' } } } })).toBeUndefined();
  });

  it('takes whole numbers only', () => {
    expect(uintOf('12')).toBe(12);
    expect(uintOf('1.5')).toBeUndefined();
    expect(uintOf('99999999999999999999')).toBeUndefined();
    expect(quantityOf('0x1a')).toBe(26);
    expect(quantityOf('26')).toBeUndefined();
  });
});

describe('JSON-RPC answers', () => {
  it('tells a result from an error', () => {
    expect(rpcResult({ jsonrpc: '2.0', id: 1, result: '0x10' })).toEqual({ result: '0x10' });
    expect(rpcResult({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'no such method' } })).toEqual({ error: 'JSON-RPC error -32601: no such method' });
    expect(rpcResult(undefined)).toEqual({ error: 'not a JSON-RPC response' });
  });

  it('reads eth_syncing: false, or where it is and where it goes', () => {
    expect(readEthSyncing(false)).toBe(false);
    expect(readEthSyncing({ startingBlock: '0x0', currentBlock: '0x10', highestBlock: '0x20' })).toEqual({ currentBlock: 16, highestBlock: 32 });
    expect(readEthSyncing({ currentBlock: 'x' })).toBeUndefined();
  });
});
