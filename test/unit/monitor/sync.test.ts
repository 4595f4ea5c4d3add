// Speed, ETA, verdicts and stalls from recorded samples with an injected clock (12 s slots, 5-minute window).
import { describe, expect, it } from 'vitest';
import { assessSync, currentRun, etaMs, executionBehind, MONITOR_DEFAULTS, slotsPerMinute, type SyncSample } from '../../../src/monitor/sync.js';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);
const SLOT = 12;
const minutes = (m: number) => T0 + m * 60_000;

/** A node seen once a minute: head slots and distances given per minute. */
function series(heads: number[], distances: number[], extra: Partial<SyncSample['consensus']> = {}): SyncSample[] {
  return heads.map((headSlot, i) => ({
    at: minutes(i),
    consensus: { reachable: true, headSlot, syncDistance: distances[i], isSyncing: (distances[i] ?? 0) > 8, isOptimistic: false, elOffline: false, peers: 12, ...extra },
  }));
}

describe('speed and ETA', () => {
  it('steady: 100 slots a minute over the window, ETA from what closes the gap', () => {
    const samples = series([0, 100, 200, 300, 400, 500, 600], [6000, 5905, 5810, 5715, 5620, 5525, 5430]);
    const now = minutes(6);
    expect(slotsPerMinute(samples, 5 * 60_000, now)).toBe(100);
    // The chain makes 5 slots a minute itself: the gap closes at 95 a minute.
    expect(assessSync(samples, MONITOR_DEFAULTS, now, SLOT)).toMatchObject({ verdict: 'syncing', slotsPerMinute: 100, etaMs: (5430 / 95) * 60_000 });
  });

  it('accelerating: the window sees only the recent pace', () => {
    const samples = series([0, 10, 20, 30, 130, 330, 630, 1030], [8000, 7995, 7990, 7985, 7890, 7695, 7400, 7005]);
    const now = minutes(7);
    expect(slotsPerMinute(samples, 5 * 60_000, now)).toBe((1030 - 20) / 5);
    expect(slotsPerMinute(samples, 2 * 60_000, now)).toBe((1030 - 330) / 2);
  });

  it('no ETA while the node does not gain on the chain', () => {
    expect(etaMs(100, 5, SLOT)).toBeUndefined();
    expect(etaMs(100, undefined, SLOT)).toBeUndefined();
    expect(etaMs(0, undefined, SLOT)).toBe(0);
  });
});

describe('verdicts', () => {
  it('synced: not syncing and within an epoch of the clock', () => {
    const samples = series([1000, 1005, 1010], [0, 1, 0]);
    expect(assessSync(samples, MONITOR_DEFAULTS, minutes(2), SLOT)).toMatchObject({ verdict: 'synced', etaMs: 0, progress: 1 });
  });

  it('stalled: less than the threshold over a full window, with the reason', () => {
    const samples = series([500, 500, 500, 500, 500, 500, 500], [100, 105, 110, 115, 120, 125, 130]);
    const verdict = assessSync(samples, MONITOR_DEFAULTS, minutes(6), SLOT);
    expect(verdict.verdict).toBe('stalled');
    expect(verdict.reason).toBe('the head moved 0 slots in the last 300 s (at slot 500, 130 behind; 12 peers)');
  });

  it('not stalled before a whole window has been seen', () => {
    const samples = series([500, 500, 500], [100, 105, 110]);
    expect(assessSync(samples, MONITOR_DEFAULTS, minutes(2), SLOT).verdict).toBe('syncing');
  });

  it('restarted from zero after an Ephemery reset: speed counts from the reset, not across it', () => {
    const samples = series([90000, 90005, 0, 60, 120], [0, 0, 500, 445, 390]);
    expect(currentRun(samples).map((s) => s.consensus.headSlot)).toEqual([0, 60, 120]);
    const verdict = assessSync(samples, MONITOR_DEFAULTS, minutes(4), SLOT);
    expect(verdict).toMatchObject({ verdict: 'syncing', slotsPerMinute: 60 });
    // Progress counts from the distance at the reset.
    expect(verdict.progress).toBeCloseTo(1 - 390 / 500);
  });

  it('a negative distance (head ahead of a skewed clock) counts as none', () => {
    const samples = series([1000, 1005], [-2, -1]);
    expect(assessSync(samples, MONITOR_DEFAULTS, minutes(1), SLOT)).toMatchObject({ verdict: 'synced', progress: 1 });
  });

  it('missing fields: speed from what is there, the verdict still said', () => {
    const samples: SyncSample[] = [
      { at: minutes(0), consensus: { reachable: true, headSlot: 10 } },
      { at: minutes(1), consensus: { reachable: true } },
      { at: minutes(2), consensus: { reachable: true, headSlot: 70, isSyncing: true } },
    ];
    expect(assessSync(samples, MONITOR_DEFAULTS, minutes(2), SLOT)).toMatchObject({ verdict: 'syncing', slotsPerMinute: 30, reason: '? slots behind, 30.0 slots/min' });
    expect(assessSync([], MONITOR_DEFAULTS, minutes(0), SLOT)).toEqual({ verdict: 'down', reason: 'no sample yet' });
  });

  it('down: the Beacon API does not answer', () => {
    const samples: SyncSample[] = [...series([10], [0]), { at: minutes(1), consensus: { reachable: false, error: 'connection refused' } }];
    expect(assessSync(samples, MONITOR_DEFAULTS, minutes(1), SLOT)).toMatchObject({ verdict: 'down', reason: "the consensus client's Beacon API does not answer: connection refused" });
  });

  it('el-offline: said by the consensus client, or the JSON-RPC does not answer', () => {
    expect(assessSync(series([10], [0], { elOffline: true }), MONITOR_DEFAULTS, minutes(0), SLOT).verdict).toBe('el-offline');
    const unreachable: SyncSample[] = [{ ...series([10], [0])[0]!, execution: { reachable: false, error: 'timeout' } }];
    expect(assessSync(unreachable, MONITOR_DEFAULTS, minutes(0), SLOT)).toMatchObject({ verdict: 'el-offline', reason: "the execution client's JSON-RPC does not answer: timeout" });
  });

  it('an execution client that says it is not syncing while behind is syncing', () => {
    const behind: SyncSample = { at: minutes(0), consensus: { reachable: true, headSlot: 1000, syncDistance: 0, isSyncing: false, headPayloadNumber: 5000 }, execution: { reachable: true, blockNumber: 4000, syncing: false } };
    expect(executionBehind(behind)).toBe(1000);
    expect(assessSync([behind], MONITOR_DEFAULTS, minutes(0), SLOT)).toMatchObject({
      verdict: 'syncing',
      executionLag: 1000,
      reason: 'the execution client is 1000 blocks behind the consensus head although eth_syncing says it is not syncing',
    });
    const caughtUp = { ...behind, execution: { reachable: true, blockNumber: 4990, syncing: false as const } };
    expect(assessSync([caughtUp], MONITOR_DEFAULTS, minutes(0), SLOT)).toMatchObject({ verdict: 'synced', executionLag: 10 });
  });

  it('optimistic only once it has lasted longer than the limit', () => {
    const samples = series([10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65], Array(12).fill(0), { isOptimistic: true });
    expect(assessSync(samples.slice(0, 5), MONITOR_DEFAULTS, minutes(4), SLOT).verdict).toBe('synced');
    expect(assessSync(samples, MONITOR_DEFAULTS, minutes(11), SLOT)).toMatchObject({ verdict: 'optimistic', reason: 'the head has not been verified by the execution client for 660 s (is_optimistic)' });
  });
});
