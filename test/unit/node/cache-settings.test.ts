// Client memory caches are per client: Lighthouse's and Teku's state and block caches count different things
// (defaults: Lighthouse 128 states, block cache off; Teku 8 states, 32 blocks), so one number cannot mean both.
import { describe, expect, it } from 'vitest';
import { CONSENSUS_PROFILES } from '../../../src/clients/consensus.js';
import type { ConsensusClient } from '../../../src/clients/types.js';
import { nodeSpecFor } from '../../../src/node/spec.js';

function rendered(client: ConsensusClient, cache: Record<string, unknown>): { argv: string; warnings: string[] } {
  const result = nodeSpecFor({ network: 'mainnet', consensus: { client }, execution: { client: 'geth' }, cache }, 'lab1');
  expect(result.problems).toEqual([]);
  return { argv: CONSENSUS_PROFILES[client].render(result.spec!).argv.join(' '), warnings: result.warnings.map((w) => `${w.path.join('.')}: ${w.message}`) };
}

describe('cache.lighthouse and cache.teku', () => {
  it('each client takes its own numbers only', () => {
    const cache = { lighthouse: { state_cache_size: 256, block_cache_size: 4 }, teku: { state_cache_size: 16, block_cache_size: 64 } };
    expect(rendered('lighthouse', cache).argv).toContain('--state-cache-size 256 --block-cache-size 4');
    expect(rendered('teku', cache).argv).toContain('--Xstore-state-cache-size=16 --Xstore-block-cache-size=64');
    expect(rendered('lighthouse', { teku: { state_cache_size: 16 } }).argv).not.toContain('cache-size');
    expect(rendered('teku', { lighthouse: { state_cache_size: 256 } }).argv).not.toContain('cache-size');
  });

  it('the old one-number settings still load, with a warning naming the per-client setting, and render as before', () => {
    const teku = rendered('teku', { state_cache_size: 64, block_cache_size: 16 });
    expect(teku.argv).toContain('--Xstore-state-cache-size=64 --Xstore-block-cache-size=16');
    expect(teku.warnings).toEqual([
      expect.stringMatching(/^cache\.state_cache_size: cache\.state_cache_size is an old name: .*write cache\.lighthouse\.state_cache_size and\/or cache\.teku\.state_cache_size/),
      expect.stringMatching(/^cache\.block_cache_size: cache\.block_cache_size is an old name: .*write cache\.lighthouse\.block_cache_size and\/or cache\.teku\.block_cache_size/),
    ]);
    const lighthouse = rendered('lighthouse', { state_cache_size: 64 });
    expect(lighthouse.argv).toContain('--state-cache-size 64');
    expect(lighthouse.warnings).toEqual([expect.stringMatching(/^cache\.state_cache_size: cache\.state_cache_size is an old name/)]);
    // Nimbus has no such cache: the old setting is read for nothing, still with the warning.
    const nimbus = rendered('nimbus', { state_cache_size: 64 });
    expect(nimbus.argv).not.toContain('cache');
    expect(nimbus.warnings).toEqual([expect.stringMatching(/^cache\.state_cache_size: cache\.state_cache_size is an old name/)]);
  });

  it('the per-client setting wins over the old one', () => {
    expect(rendered('teku', { state_cache_size: 64, teku: { state_cache_size: 8 } }).argv).toContain('--Xstore-state-cache-size=8');
  });
});
