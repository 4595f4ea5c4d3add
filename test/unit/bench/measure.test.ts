// A run's figures from recorded samples and systemd accounting; the order of the runs; the dry run; the reports.
import { describe, expect, it } from 'vitest';
import { benchDryRun, duration } from '../../../src/bench/dry-run.js';
import { benchLanes, isSynced, parseAccounting, runFigures } from '../../../src/bench/measure.js';
import { benchHtml, buildReport, markdownReport, recommendationSentence, type BenchRunRecord } from '../../../src/bench/report.js';
import { DEFAULT_STRATEGIES } from '../../../src/bench/strategies.js';
import type { Desired } from '../../../src/model/types.js';
import { MONITOR_DEFAULTS, type SyncSample } from '../../../src/monitor/sync.js';
import { reportedCommand } from '../../../src/cli/commands/bench.js';

const T0 = 1_700_000_000_000;
const sample = (seconds: number, consensus: SyncSample['consensus']): SyncSample => ({ at: T0 + seconds * 1000, consensus });
/** A checkpoint start at slot 800: API down, then up at the checkpoint, then catching up to the clock (slot 1000). */
const checkpointRun: SyncSample[] = [
  sample(2, { reachable: false, error: 'connection refused' }),
  sample(4, { reachable: true, headSlot: 800, syncDistance: 200, isSyncing: true }),
  sample(6, { reachable: true, headSlot: 880, syncDistance: 122, isSyncing: true }),
  sample(8, { reachable: true, headSlot: 990, syncDistance: 14, isSyncing: true }),
  // Within 8 slots of the clock but still saying it syncs: not synced.
  sample(10, { reachable: true, headSlot: 1002, syncDistance: 6, isSyncing: true }),
  sample(12, { reachable: true, headSlot: 1005, syncDistance: 1, isSyncing: false }),
];

describe('runFigures', () => {
  it('times the first head and synced (the monitor\'s verdict) from the start, and the speed between them', () => {
    const f = runFigures(checkpointRun, T0, MONITOR_DEFAULTS, 12);
    expect(f).toMatchObject({ timeToFirstHeadSeconds: 4, timeToSyncedSeconds: 12, startSlot: 800, endSlot: 1005 });
    expect(f.slotsPerMinute).toBeCloseTo((205 * 60) / 8);
    expect(f.progress).toEqual([
      { seconds: 4, headSlot: 800 },
      { seconds: 6, headSlot: 880 },
      { seconds: 8, headSlot: 990 },
      { seconds: 10, headSlot: 1002 },
      { seconds: 12, headSlot: 1005 },
    ]);
  });

  it('has no time to synced for a run that never got there, and a speed to its last sample', () => {
    const f = runFigures(checkpointRun.slice(0, 4), T0, MONITOR_DEFAULTS, 12);
    expect(f.timeToSyncedSeconds).toBeUndefined();
    expect(f.endSlot).toBe(990);
    expect(f.slotsPerMinute).toBeCloseTo((190 * 60) / 4);
  });

  it('has nothing but no progress when the API never answered', () => {
    expect(runFigures([sample(5, { reachable: false })], T0, MONITOR_DEFAULTS, 12)).toEqual({ progress: [] });
  });

  it('isSynced follows the last sample', () => {
    expect(isSynced(checkpointRun.slice(0, 5), MONITOR_DEFAULTS, 12)).toBe(false);
    expect(isSynced(checkpointRun, MONITOR_DEFAULTS, 12)).toBe(true);
    expect(isSynced([], MONITOR_DEFAULTS, 12)).toBe(false);
  });
});

describe('parseAccounting', () => {
  it('takes systemd\'s figures, else the cgroup\'s, else the main process\'s, and says which; nothing when none answers', () => {
    const text = [
      'Id=lodestar.service\nMemoryPeak=734003200\nCPUUsageNSec=12500000000\nProcPeakRssKiB=1\nProcCpuTicks=1\nClockTicks=100',
      // systemd 252 has no MemoryPeak: the cgroup's memory.peak stands in.
      'Id=teku.service\nCPUUsageNSec=[not set]\nCgroupMemoryPeak=1048576\nCgroupCpuUsec=1000000',
      // A container without delegated controllers: the main process.
      'CPUUsageNSec=[not set]\nId=geth.service\nProcPeakRssKiB=2048\nProcCpuTicks=250\nClockTicks=100',
      // A v1 host: memory.max_usage_in_bytes and cpuacct.usage (nanoseconds).
      'Id=prysm.service\nCPUUsageNSec=[not set]\nCgroupMemoryPeak=4096\nCgroupCpuNsec=1500000000',
      'Id=nimbus.service\nMemoryPeak=[not set]\nCPUUsageNSec=18446744073709551615',
    ].join('\n\n');
    expect(parseAccounting(['lodestar.service', 'teku.service', 'geth.service', 'prysm.service', 'nimbus.service', 'gone.service'], `${text}\n`)).toEqual([
      { unit: 'lodestar.service', memoryPeakBytes: 734003200, cpuSeconds: 12.5, source: 'systemd' },
      { unit: 'teku.service', memoryPeakBytes: 1048576, cpuSeconds: 1, source: 'cgroup' },
      { unit: 'geth.service', memoryPeakBytes: 2048 * 1024, cpuSeconds: 2.5, source: 'process' },
      { unit: 'prysm.service', memoryPeakBytes: 4096, cpuSeconds: 1.5, source: 'cgroup' },
      { unit: 'nimbus.service' },
      { unit: 'gone.service' },
    ]);
  });
});

describe('benchLanes', () => {
  it('one lane without --parallel: runs alternate strategies, hosts one after another', () => {
    const [lane, ...rest] = benchLanes(['a', 'b'], ['x', 'y'], 2, false);
    expect(rest).toEqual([]);
    expect(lane!.map((s) => `${s.host}/${s.strategy}#${s.run}`)).toEqual(['a/x#1', 'a/y#1', 'b/x#1', 'b/y#1', 'a/x#2', 'a/y#2', 'b/x#2', 'b/y#2']);
  });
  it('a lane per host with --parallel, each host starting its round at another strategy', () => {
    expect(benchLanes(['a', 'b'], ['x', 'y'], 1, true).map((lane) => lane.map((s) => `${s.host}/${s.strategy}`))).toEqual([
      ['a/x', 'a/y'],
      ['b/y', 'b/x'],
    ]);
    // More hosts than strategies: the rotation wraps around; every lane runs every strategy each round.
    expect(benchLanes(['a', 'b', 'c'], ['x', 'y'], 2, true).map((lane) => lane.map((s) => `${s.strategy}#${s.run}`))).toEqual([
      ['x#1', 'y#1', 'x#2', 'y#2'],
      ['y#1', 'x#1', 'y#2', 'x#2'],
      ['x#1', 'y#1', 'x#2', 'y#2'],
    ]);
  });
});

const node = (host: string): Desired => ({
  host,
  connection: { name: host, address: host, port: 22, user: 'root', become: false, connection: 'ssh' } as Desired['connection'],
  settings: {} as Desired['settings'],
  vars: { checkpoint_sync: { providers: ['https://user:secret@provider.example'] } },
  resources: [
    { kind: 'wipe', name: 'chain-data', triggerLabel: 'ephemery iteration', stopUnits: ['lodestar.service', 'geth.service'], paths: ['/var/lib/lodestar/chain-db', '/var/lib/geth/geth/chaindata'], summary: '' } as Desired['resources'][number],
  ],
});

describe('benchDryRun', () => {
  const strategies = DEFAULT_STRATEGIES.filter((s) => ['baseline', 'checkpoint-provider'].includes(s.name));

  it('says what is stopped and wiped on each host, each overlay, the order and the longest sampling time', () => {
    const plan = benchDryRun([node('lab1'), node('lab2')], strategies, { runs: 3, timeLimitSeconds: 600, intervalSeconds: 5, parallel: false });
    expect(plan.hosts[0]).toEqual({ host: 'lab1', stopUnits: ['lodestar.service', 'geth.service'], wipePaths: ['/var/lib/lodestar/chain-db', '/var/lib/geth/geth/chaindata'] });
    expect(plan.lanes).toHaveLength(1);
    expect(plan.lanes[0]).toHaveLength(12);
    expect(plan.maxSamplingSeconds).toBe(12 * 600);
    // The overlays as declared: a host's merged values (its provider URL with a password here) are not shown.
    expect(plan.strategies.map((s) => s.vars)).toEqual([{ checkpoint_sync: { enabled: false } }, { checkpoint_sync: { enabled: true, source: 'provider' } }]);
    expect(JSON.stringify(plan)).not.toContain('secret');
  });

  it('with --parallel the longest lane bounds it', () => {
    const plan = benchDryRun([node('lab1'), node('lab2')], strategies, { runs: 3, timeLimitSeconds: 600, intervalSeconds: 5, parallel: true });
    expect(plan.lanes.map((l) => l.length)).toEqual([6, 6]);
    expect(plan.maxSamplingSeconds).toBe(6 * 600);
  });

  it.each([
    [40, '40 s'],
    [600, '10 min'],
    [7200, '2 h'],
    [3900, '1 h 5 min'],
  ])('duration(%d) is %s', (s, text) => expect(duration(s)).toBe(text));
});

const run = (strategy: string, runNo: number, synced: number | undefined, memoryMiB = 500): BenchRunRecord => ({
  strategy,
  host: 'lab1',
  run: runNo,
  startedAt: '2026-12-06T21:00:00.000Z',
  finishedAt: '2026-12-06T21:05:00.000Z',
  outcome: synced === undefined ? 'time-limit' : 'synced',
  ...(synced !== undefined ? { timeToSyncedSeconds: synced } : {}),
  timeToFirstHeadSeconds: 3,
  peakMemoryBytes: memoryMiB * 1024 * 1024,
  cpuSeconds: 20,
  units: [],
  controllerBytes: 2048,
  providerBytes: strategy === 'baseline' ? { measured: false, why: 'checkpoint sync is off in this strategy: the clients fetch from no provider' } : { measured: true, bytes: 5_005_049, packets: 155, endpoints: [{ host: 'beacon.example', port: 443, addresses: ['192.0.2.7', '2001:db8::7'] }] },
  samples: 10,
  progress: [{ seconds: 3, headSlot: 1 }],
});

describe('buildReport and markdownReport', () => {
  const base = {
    title: 'bench',
    started_at: '2026-12-06T21:00:00.000Z',
    finished_at: '2026-12-06T21:30:00.000Z',
    command: 'nodeform bench -i inv.yaml --strategies baseline,cache-tuned --hosts lab1',
    hosts: ['lab1'],
    strategies: DEFAULT_STRATEGIES.filter((s) => ['baseline', 'cache-tuned'].includes(s.name)).map(({ name, description, vars, origin }) => ({ name, description, vars, origin })),
    settings: { runs: 2, time_limit_seconds: 600, sample_seconds: 5, parallel: false },
    restored: [{ host: 'lab1', status: 'applied' }],
    interrupted: false,
    notes: ['link: 50 ms RTT'],
  };

  it('recommends from the measurements and sets the promise beside the measured gain', () => {
    const report = buildReport({ ...base, runs: [run('baseline', 1, 100), run('baseline', 2, 110), run('cache-tuned', 1, 98), run('cache-tuned', 2, 104)] });
    expect(report.recommendation.kind).toBe('no-clear-winner');
    const cache = report.promises.find((p) => p.strategy === 'cache-tuned')!;
    expect(cache).toMatchObject({ claim: 'caching: "20-40% faster sync"', low_percent: 20, high_percent: 40 });
    expect(cache.measured_percent).toBeCloseTo(((105 - 101) / 105) * 100);
    expect(report.promises.find((p) => p.strategy === 'network-tuned')!.measured_percent).toBeUndefined();
    const md = markdownReport(report);
    expect(md).toContain('**No clear winner among cache-tuned, baseline: the ranges of time to synced overlap (cache-tuned 98-104 s; baseline 100-110 s): more runs may separate them.**');
    expect(md).toContain('| caching: "20-40% faster sync" | 4% (cache-tuned) |');
    expect(md).toContain('| network tuning: "15-30% faster sync" | not measured (needs network-tuned and baseline synced in every run) |');
    expect(md).toContain('| baseline | 2/2 | 105 s (100-110) | 500 MiB (500-500) | 20.0 s (20.0-20.0) |  |');
    expect(md).toContain('- link: 50 ms RTT');
    expect(md).toContain('- lab1: applied');
    // The provider bytes beside the controller's, each run saying what they are or why they were not measured.
    expect(md).toContain('| sent by the controller | from the providers |');
    expect(md).toContain('| 2.0 KiB | not measured |');
    expect(md).toContain('| 2.0 KiB | 4.8 MiB |');
    expect(md).toContain("- lab1 cache-tuned run 1: 4.8 MiB (5005049 bytes) received from the providers' addresses 192.0.2.7,2001:db8::7:443 by the host's system services, counted by nftables");
    expect(md).toContain('- lab1 baseline run 2: not measured: checkpoint sync is off in this strategy: the clients fetch from no provider');
    expect(md).toContain('What the clients fetch from peers is not measured.');
    const html = benchHtml(report);
    expect(html).toContain('<dt>from the providers</dt><dd>lab1 baseline run 1: not measured: checkpoint sync is off in this strategy');
    expect(html).toContain("<dt>from the providers</dt><dd>lab1 cache-tuned run 2: 4.8 MiB (5005049 bytes) received from the providers&#39; addresses");
  });

  it('leaves out a strategy whose run did not sync, and one over the memory limit', () => {
    const report = buildReport({ ...base, settings: { ...base.settings, memory_limit_mb: 400 }, runs: [run('baseline', 1, 100, 300), run('baseline', 2, undefined, 300), run('cache-tuned', 1, 60, 900), run('cache-tuned', 2, 61, 900)] });
    expect(report.recommendation.kind).toBe('none');
    expect(recommendationSentence(report.recommendation)).toBe('No recommendation: no strategy reached synced in every run within the limits.');
    expect(report.summaries.map((s) => s.excluded)).toEqual(['1 of 2 runs did not reach synced within the time limit', 'median peak memory 900 MiB is over the limit of 400 MiB']);
  });
});

describe('reportedCommand', () => {
  it('keeps the command line but the -e values, which may hold secrets', () => {
    expect(reportedCommand(['bench', '-i', 'inv.yaml', '-e', 'token=s3cret', '--extra-vars=pw=x', '-e', '@vars.yaml', '--strategies', 'a,b', '--note', 'two words'])).toBe(
      "nodeform bench -i inv.yaml -e '(-e value not shown)' '--extra-vars=(not shown)' -e @vars.yaml --strategies a,b --note 'two words'",
    );
  });
});
