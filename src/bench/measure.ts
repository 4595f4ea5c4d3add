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
 * network falls on all of them rather than on one. With --parallel each host starts its round at another strategy
 * (host i at the i-th, wrapping around): the runs at the same time are of different strategies, so what they share
 * (the controller's and the providers' bandwidth, the network) weighs on every strategy rather than on the one
 * all hosts would be running at once.
 */
export function benchLanes(hosts: readonly string[], strategies: readonly string[], runs: number, parallel: boolean): BenchStep[][] {
  const rotated = (offset: number) => strategies.map((_, k) => strategies[(k + offset) % strategies.length]!);
  const laneOf = (host: string, i: number) => Array.from({ length: runs }, (_, r) => rotated(i).map((strategy) => ({ host, strategy, run: r + 1 }))).flat();
  if (parallel) return hosts.map(laneOf);
  return [Array.from({ length: runs }, (_, r) => hosts.flatMap((host) => strategies.map((strategy) => ({ host, strategy, run: r + 1 })))).flat()];
}

/** A client unit's accounting at the end of a run: absent when the host could not say. */
export interface UnitAccounting {
  unit: string;
  memoryPeakBytes?: number;
  cpuSeconds?: number;
  /**
   * Where the figures come from: systemd (MemoryPeak, CPUUsageNSec), the unit's cgroup (memory.peak or v1
   * memory.max_usage_in_bytes; cpu.stat or v1 cpuacct.usage), or,
   * where neither accounts (a container without delegated controllers), the unit's main process (VmHWM, the peak
   * resident set, and its and its waited-for children's CPU time from /proc/PID/stat).
   */
  source?: 'systemd' | 'cgroup' | 'process';
}

/**
 * The host command that prints each unit's accounting, one block per unit: systemd's MemoryPeak and CPUUsageNSec;
 * the unit's cgroup's own figures, for a systemd before 255 (no MemoryPeak) or without CPUAccounting: the peak from
 * memory.peak (cgroup2, kernel 5.19 and later) or memory.max_usage_in_bytes (the v1 memory controller), the CPU time
 * from cpu.stat's usage_usec (cgroup2, at /sys/fs/cgroup or, on a hybrid host, /sys/fs/cgroup/unified) or
 * cpuacct.usage (v1); and the main process's VmHWM and CPU ticks.
 */
export function accountingScript(units: readonly string[], quote: (word: string) => string): string {
  return units
    .map((unit) => {
      const u = quote(unit);
      return [
        `systemctl show -p Id -p MemoryPeak -p CPUUsageNSec -- ${u}`,
        `cg=$(systemctl show -p ControlGroup --value -- ${u})`,
        // The first readable of each: a unit's cgroup exists in a hierarchy only where systemd manages that controller.
        `if [ -n "$cg" ]; then for f in "/sys/fs/cgroup$cg/memory.peak" "/sys/fs/cgroup/memory$cg/memory.max_usage_in_bytes"; do if [ -r "$f" ]; then echo "CgroupMemoryPeak=$(cat "$f")"; break; fi; done; ` +
          `for f in "/sys/fs/cgroup$cg/cpu.stat" "/sys/fs/cgroup/unified$cg/cpu.stat"; do if [ -r "$f" ]; then sed -n 's/^usage_usec /CgroupCpuUsec=/p' "$f"; break; fi; done; ` +
          `if [ -r "/sys/fs/cgroup/cpuacct$cg/cpuacct.usage" ]; then echo "CgroupCpuNsec=$(cat "/sys/fs/cgroup/cpuacct$cg/cpuacct.usage")"; fi; fi`,
        `pid=$(systemctl show -p MainPID --value -- ${u})`,
        // /proc/PID/stat after "PID (comm) ": utime, stime, cutime, cstime are fields 12-15.
        `if [ "\${pid:-0}" -gt 0 ] 2>/dev/null && [ -r "/proc/$pid/stat" ]; then sed -n 's/^VmHWM:[[:space:]]*\\([0-9]*\\) kB/ProcPeakRssKiB=\\1/p' "/proc/$pid/status"; ` +
          `echo "ProcCpuTicks=$(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12+$13+$14+$15}')"; echo "ClockTicks=$(getconf CLK_TCK)"; fi`,
        'echo',
      ].join('; ');
    })
    .join('\n');
}

/** accountingScript's output (`Key=value` lines, one unit's block after another, blank line between) as accounting. */
export function parseAccounting(units: readonly string[], text: string): UnitAccounting[] {
  const blocks = text.split(/\n\s*\n/).map((block) => Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()])));
  // systemd says "[not set]" or the all-ones "infinity" when it does not account.
  const number = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) && value !== '18446744073709551615' ? Number(value) : undefined);
  return units.map((unit) => {
    const block = blocks.find((b) => b.Id === unit) ?? {};
    const fromSystemd = { memory: number(block.MemoryPeak), cpu: number(block.CPUUsageNSec) };
    const cgroupUsec = number(block.CgroupCpuUsec);
    const cgroupNsec = number(block.CgroupCpuNsec);
    const fromCgroup = { memory: number(block.CgroupMemoryPeak), cpu: cgroupUsec !== undefined ? cgroupUsec * 1000 : cgroupNsec };
    const rss = number(block.ProcPeakRssKiB);
    const ticks = number(block.ProcCpuTicks);
    const hz = number(block.ClockTicks);
    const fromProcess = { memory: rss !== undefined ? rss * 1024 : undefined, cpu: ticks !== undefined && hz ? ticks / hz : undefined };
    if (fromSystemd.memory !== undefined && fromSystemd.cpu !== undefined) return { unit, memoryPeakBytes: fromSystemd.memory, cpuSeconds: fromSystemd.cpu / 1e9, source: 'systemd' };
    if (fromCgroup.memory !== undefined && fromCgroup.cpu !== undefined) return { unit, memoryPeakBytes: fromCgroup.memory, cpuSeconds: fromCgroup.cpu / 1e9, source: 'cgroup' };
    if (fromProcess.memory !== undefined && fromProcess.cpu !== undefined) return { unit, memoryPeakBytes: fromProcess.memory, cpuSeconds: fromProcess.cpu, source: 'process' };
    return { unit };
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
