// Which sync strategy to recommend, computed from what was measured on the operator's own hosts: the fastest
// median time to synced among the strategies within the memory limit, with its margin over the next one, or
// "no clear winner" when their spreads overlap. Pure.

/** One run of one strategy on one host. A run that never synced has no timeToSyncedSeconds. */
export interface StrategyRun {
  strategy: string;
  host: string;
  timeToSyncedSeconds?: number;
  timeToFirstHeadSeconds?: number;
  /** Highest memory of the node's clients together (systemd's MemoryPeak, or the highest sample). */
  peakMemoryBytes?: number;
  cpuSeconds?: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface StrategySummary {
  strategy: string;
  /** Runs that reached synced, of all runs. */
  synced: number;
  runs: number;
  timeToSynced?: Spread;
  peakMemory?: Spread;
  cpuSeconds?: Spread;
  /** Why it cannot be recommended, when it cannot. */
  excluded?: string;
}

export type Recommendation =
  | { kind: 'winner'; strategy: string; marginSeconds: number; marginPercent: number; over: string; summaries: StrategySummary[] }
  | { kind: 'no-clear-winner'; candidates: string[]; reason: string; summaries: StrategySummary[] }
  | { kind: 'none'; reason: string; summaries: StrategySummary[] };

export function spreadOf(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

const defined = (values: (number | undefined)[]) => values.filter((value): value is number => value !== undefined);

export function summarise(runs: readonly StrategyRun[], strategies: readonly string[], memoryLimitBytes?: number): StrategySummary[] {
  return strategies.map((strategy) => {
    const own = runs.filter((run) => run.strategy === strategy);
    const synced = own.filter((run) => run.timeToSyncedSeconds !== undefined);
    const timeToSynced = spreadOf(defined(synced.map((run) => run.timeToSyncedSeconds)));
    const peakMemory = spreadOf(defined(own.map((run) => run.peakMemoryBytes)));
    const cpuSeconds = spreadOf(defined(own.map((run) => run.cpuSeconds)));
    let excluded: string | undefined;
    if (own.length === 0) excluded = 'not measured';
    else if (synced.length < own.length) excluded = `${own.length - synced.length} of ${own.length} runs did not reach synced within the time limit`;
    else if (memoryLimitBytes !== undefined && peakMemory && peakMemory.median > memoryLimitBytes) {
      excluded = `median peak memory ${mib(peakMemory.median)} is over the limit of ${mib(memoryLimitBytes)}`;
    }
    return {
      strategy,
      synced: synced.length,
      runs: own.length,
      ...(timeToSynced ? { timeToSynced } : {}),
      ...(peakMemory ? { peakMemory } : {}),
      ...(cpuSeconds ? { cpuSeconds } : {}),
      ...(excluded ? { excluded } : {}),
    };
  });
}

/**
 * The recommendation. Two strategies are told apart only when their ranges of time to synced do not overlap
 * (the fastest one's slowest run beats the other's fastest): with a few runs each, medians alone would crown
 * noise. A single eligible strategy wins by default, and says so.
 */
export function recommend(runs: readonly StrategyRun[], strategies: readonly string[], memoryLimitBytes?: number): Recommendation {
  const summaries = summarise(runs, strategies, memoryLimitBytes);
  const eligible = summaries
    .filter((summary): summary is StrategySummary & { timeToSynced: Spread } => summary.excluded === undefined && summary.timeToSynced !== undefined)
    .sort((a, b) => a.timeToSynced.median - b.timeToSynced.median);
  const best = eligible[0];
  if (!best) return { kind: 'none', reason: 'no strategy reached synced in every run within the limits', summaries };
  const second = eligible[1];
  if (!second) return { kind: 'winner', strategy: best.strategy, marginSeconds: 0, marginPercent: 0, over: '(no other eligible strategy)', summaries };
  // One run is a point, not a spread: two single runs never overlap, and would crown noise.
  const single = [best, second].filter((summary) => summary.timeToSynced.runs < 2);
  if (single.length > 0) {
    return {
      kind: 'no-clear-winner',
      candidates: eligible.map((summary) => summary.strategy),
      reason: `${single.map((summary) => summary.strategy).join(' and ')} synced in one run only, which gives no spread to tell them apart: use --runs 3 or more`,
      summaries,
    };
  }
  const overlapping = eligible.filter((other) => other !== best && other.timeToSynced.min <= best.timeToSynced.max);
  if (overlapping.length > 0) {
    const names = [best, ...overlapping].map((summary) => summary.strategy);
    return {
      kind: 'no-clear-winner',
      candidates: names,
      reason: `the ranges of time to synced overlap (${[best, ...overlapping].map((s) => `${s.strategy} ${range(s.timeToSynced)}`).join('; ')}): more runs may separate them`,
      summaries,
    };
  }
  const marginSeconds = second.timeToSynced.median - best.timeToSynced.median;
  return {
    kind: 'winner',
    strategy: best.strategy,
    marginSeconds,
    marginPercent: (marginSeconds / second.timeToSynced.median) * 100,
    over: second.strategy,
    summaries,
  };
}

/**
 * The old scripts' promises next to what was measured: how much faster each strategy synced than the baseline.
 * They are the "Performance Impact" table of the old scripts' checkpoint sync optimisation document
 * ("Typical Improvement"), which no measurement backed.
 */
export const PROMISED: readonly { strategy: string; claim: string; lowPercent: number; highPercent: number }[] = [
  { strategy: 'cache-tuned', claim: 'caching: "20-40% faster sync"', lowPercent: 20, highPercent: 40 },
  { strategy: 'network-tuned', claim: 'network tuning: "15-30% faster sync"', lowPercent: 15, highPercent: 30 },
  { strategy: 'combined', claim: 'combined optimisations: "30-60% faster sync"', lowPercent: 30, highPercent: 60 },
];

export function measuredGain(summaries: readonly StrategySummary[], strategy: string, baseline = 'baseline'): number | undefined {
  const own = summaries.find((summary) => summary.strategy === strategy)?.timeToSynced;
  const base = summaries.find((summary) => summary.strategy === baseline)?.timeToSynced;
  if (!own || !base || base.median === 0) return undefined;
  return ((base.median - own.median) / base.median) * 100;
}

function range(spread: Spread): string {
  return `${spread.min.toFixed(0)}-${spread.max.toFixed(0)} s`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
