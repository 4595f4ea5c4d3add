// The recommendation rule on recorded measurements: a clear winner with its margin, overlapping spreads,
// the memory limit, runs that never synced.
import { describe, expect, it } from 'vitest';
import { measuredGain, recommend, spreadOf, summarise, type StrategyRun } from '../../../src/bench/recommend.js';

const MiB = 1024 * 1024;
const runsOf = (strategy: string, times: (number | undefined)[], memoryMiB = 300): StrategyRun[] =>
  times.map((time, i) => ({ strategy, host: `lab${i + 1}`, ...(time !== undefined ? { timeToSyncedSeconds: time } : {}), peakMemoryBytes: memoryMiB * MiB, cpuSeconds: 10 }));

describe('spreadOf', () => {
  it.each([
    [[3], { median: 3, min: 3, max: 3, runs: 1 }],
    [[5, 1, 3], { median: 3, min: 1, max: 5, runs: 3 }],
    [[4, 1, 3, 2], { median: 2.5, min: 1, max: 4, runs: 4 }],
  ])('%j', (values, expected) => expect(spreadOf(values)).toEqual(expected));
  it('has nothing to say of no values', () => expect(spreadOf([])).toBeUndefined());
});

describe('recommend', () => {
  const strategies = ['baseline', 'checkpoint-url', 'fleet-cache'];

  it('names the fastest median when its range beats every other, with the margin over the next', () => {
    const runs = [...runsOf('baseline', [300, 320, 310]), ...runsOf('checkpoint-url', [60, 70, 65]), ...runsOf('fleet-cache', [40, 45, 42])];
    const result = recommend(runs, strategies);
    expect(result).toMatchObject({ kind: 'winner', strategy: 'fleet-cache', over: 'checkpoint-url', marginSeconds: 23 });
    expect(result.kind === 'winner' && result.marginPercent).toBeCloseTo((23 / 65) * 100);
  });

  it('says no clear winner when the spreads overlap, naming the candidates', () => {
    const runs = [...runsOf('baseline', [300, 320, 310]), ...runsOf('checkpoint-url', [50, 70, 65]), ...runsOf('fleet-cache', [40, 45, 62])];
    const result = recommend(runs, strategies);
    expect(result).toMatchObject({ kind: 'no-clear-winner', candidates: ['fleet-cache', 'checkpoint-url'] });
    expect(result.kind === 'no-clear-winner' && result.reason).toBe('the ranges of time to synced overlap (fleet-cache 40-62 s; checkpoint-url 50-70 s): more runs may separate them');
  });

  it('leaves out a strategy over the memory limit, and one with a run that never synced', () => {
    const runs = [...runsOf('baseline', [300, 320, 310]), ...runsOf('checkpoint-url', [60, undefined, 65]), ...runsOf('fleet-cache', [40, 45, 42], 900)];
    const result = recommend(runs, strategies, 512 * MiB);
    expect(result).toMatchObject({ kind: 'winner', strategy: 'baseline', over: '(no other eligible strategy)' });
    const excluded = Object.fromEntries(result.summaries.map((s) => [s.strategy, s.excluded]));
    expect(excluded).toEqual({ baseline: undefined, 'checkpoint-url': '1 of 3 runs did not reach synced within the time limit', 'fleet-cache': 'median peak memory 900 MiB is over the limit of 512 MiB' });
  });

  it('tells no winner from single runs: one run has no spread', () => {
    const runs = [...runsOf('baseline', [300]), ...runsOf('checkpoint-url', [60]), ...runsOf('fleet-cache', [40, 45, 42])];
    const result = recommend(runs, strategies);
    expect(result).toMatchObject({ kind: 'no-clear-winner', candidates: ['fleet-cache', 'checkpoint-url', 'baseline'] });
    expect(result.kind === 'no-clear-winner' && result.reason).toBe('checkpoint-url synced in one run only, which gives no spread to tell them apart: use --runs 3 or more');
  });

  it('recommends nothing when nothing synced', () => {
    expect(recommend(runsOf('baseline', [undefined]), ['baseline'])).toMatchObject({ kind: 'none' });
    expect(summarise([], ['baseline'])[0]).toMatchObject({ excluded: 'not measured', runs: 0 });
  });

  it('sets the old promises beside the measured gain', () => {
    const summaries = summarise([...runsOf('baseline', [100, 100, 100]), ...runsOf('cache-tuned', [98, 99, 97])], ['baseline', 'cache-tuned']);
    expect(measuredGain(summaries, 'cache-tuned')).toBeCloseTo(2);
    expect(measuredGain(summaries, 'network-tuned')).toBeUndefined();
  });
});
