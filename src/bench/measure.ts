// What one run of one strategy on one host measured, from the sync samples taken while it ran and the clients'
// systemd accounting read at its end; and the order the runs go in. Pure: samples carry their time.

import { assessSync, type StallPolicy, type SyncSample } from '../monitor/sync.js';

/** One step of a bench: a strategy's run on a host. */
export interface BenchStep {
  host: string;
  strategy: string;
  /** 1-based. */
  run: number;
}

/**
 * The steps, in lanes that run at the same time. One lane without --parallel (one measurement at a time in
 * the whole fleet, so runs do not share the controller's or the providers' bandwidth); one lane per host with
 * it. Either way a host runs one strategy at a time, and strategies alternate run by run, so a slow hour of the
 * network falls on all of them rather than on one.
 */
export function benchLanes(hosts: readonly string[], strategies: readonly string[], runs: number, parallel: boolean): BenchStep[][] {
  const laneOf = (host: string) => Array.from({ length: runs }, (_, r) => strategies.map((strategy) => ({ host, strategy, run: r + 1 }))).flat();
  if (parallel) return hosts.map(laneOf);
  return [Array.from({ length: runs }, (_, r) => hosts.flatMap((host) => strategies.map((strategy) => ({ host, strategy, run: r + 1 })))).flat()];
}

/** A client unit's systemd accounting (`systemctl show -p MemoryPeak,CPUUsageNSec`): absent when systemd did not say. */
export interface UnitAccounting {
  unit: string;
  memoryPeakBytes?: number;
  cpuSeconds?: number;
}

/** `systemctl show` output (`Key=value` lines, one unit's block after another, blank line between) as accounting. */
export function parseAccounting(units: readonly string[], text: string): UnitAccounting[] {
  const blocks = text.split(/\n\s*\n/).map((block) => Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()])));
  // systemd says "[not set]" or the all-ones "infinity" when it does not account.
  const number = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) && value !== '18446744073709551615' ? Number(value) : undefined);
  return units.map((unit) => {
    const block = blocks.find((b) => b.Id === unit) ?? {};
    const memory = number(block.MemoryPeak);
    const cpu = number(block.CPUUsageNSec);
    return { unit, ...(memory !== undefined ? { memoryPeakBytes: memory } : {}), ...(cpu !== undefined ? { cpuSeconds: cpu / 1e9 } : {}) };
  });
}

export interface RunFigures {
  /** Seconds from the client's start until its Beacon API first reported a head. */
  timeToFirstHeadSeconds?: number;
  /** Seconds until the monitor's verdict was synced (src/monitor/sync.ts assessSync). */
  timeToSyncedSeconds?: number;
  startSlot?: number;
  endSlot?: number;
  /** Head slots gained per minute from the first head to the last sample (or to synced). */
  slotsPerMinute?: number;
  /** Seconds since the start and the head slot then, one point per sample with a head. */
  progress: { seconds: number; headSlot: number }[];
}

/** The index of the first sample at which the verdict on the samples so far is synced, or -1. */
export function syncedIndex(samples: readonly SyncSample[], policy: StallPolicy, secondsPerSlot: number): number {
  for (let i = 0; i < samples.length; i++) {
    if (samples[i]!.consensus.headSlot === undefined) continue;
    if (assessSync(samples.slice(0, i + 1), policy, samples[i]!.at, secondsPerSlot).verdict === 'synced') return i;
  }
  return -1;
}

export function runFigures(samples: readonly SyncSample[], startedAt: number, policy: StallPolicy, secondsPerSlot: number): RunFigures {
  const seconds = (at: number) => Math.max(0, (at - startedAt) / 1000);
  const withHead = samples.filter((s) => s.consensus.reachable && s.consensus.headSlot !== undefined);
  const first = withHead[0];
  const synced = syncedIndex(samples, policy, secondsPerSlot);
  const end = synced >= 0 ? samples[synced]! : withHead[withHead.length - 1];
  const figures: RunFigures = { progress: withHead.map((s) => ({ seconds: seconds(s.at), headSlot: s.consensus.headSlot! })) };
  if (first) {
    figures.timeToFirstHeadSeconds = seconds(first.at);
    figures.startSlot = first.consensus.headSlot!;
  }
  if (synced >= 0) figures.timeToSyncedSeconds = seconds(samples[synced]!.at);
  if (end?.consensus.headSlot !== undefined) figures.endSlot = end.consensus.headSlot;
  if (first && end && end.at > first.at) figures.slotsPerMinute = ((end.consensus.headSlot! - first.consensus.headSlot!) * 60_000) / (end.at - first.at);
  return figures;
}

/** Whether sampling can stop: the verdict on the samples so far is synced. */
export function isSynced(samples: readonly SyncSample[], policy: StallPolicy, secondsPerSlot: number): boolean {
  const latest = samples[samples.length - 1];
  return latest !== undefined && latest.consensus.headSlot !== undefined && assessSync(samples, policy, latest.at, secondsPerSlot).verdict === 'synced';
}
