// What `nodeform bench --dry-run` says it would do: to which host, with which settings, in what order, and for
// how long at most. Pure: made from the declared hosts and the chosen strategies.

import type { Desired, WipeResource } from '../model/types.js';
import { benchLanes, type BenchStep } from './measure.js';
import type { BenchStrategy } from './strategies.js';

export interface BenchDryRunHost {
  host: string;
  /** The client units stopped and the chain data wiped before each run (node identity is kept). */
  stopUnits: string[];
  wipePaths: string[];
}

export interface BenchDryRun {
  hosts: BenchDryRunHost[];
  /**
   * Each strategy's overlay as declared (each host gets it merged into its own values; the merged values are not
   * shown, as a host's provider URLs may hold credentials).
   */
  strategies: { name: string; description: string; vars: Record<string, unknown> }[];
  /** Steps that run one after another; lanes run at the same time (--parallel: one per host). */
  lanes: BenchStep[][];
  runs: number;
  timeLimitSeconds: number;
  intervalSeconds: number;
  /** The longest lane's steps times the time limit: how long sampling can take at most. */
  maxSamplingSeconds: number;
}

/** The wipe that reset --wipe-data would do on a node host, or undefined when the host declares no node. */
export function wipeOf(desired: Desired): WipeResource | undefined {
  return desired.resources.find((r): r is WipeResource => r.kind === 'wipe');
}

export function benchDryRun(
  desired: readonly Desired[],
  strategies: readonly BenchStrategy[],
  options: { runs: number; timeLimitSeconds: number; intervalSeconds: number; parallel: boolean },
): BenchDryRun {
  const lanes = benchLanes(desired.map((d) => d.host), strategies.map((s) => s.name), options.runs, options.parallel);
  return {
    hosts: desired.map((d) => {
      const wipe = wipeOf(d);
      return {
        host: d.host,
        stopUnits: wipe?.stopUnits ?? [],
        wipePaths: wipe?.paths ?? [],
      };
    }),
    strategies: strategies.map((s) => ({ name: s.name, description: s.description, vars: s.vars })),
    lanes,
    runs: options.runs,
    timeLimitSeconds: options.timeLimitSeconds,
    intervalSeconds: options.intervalSeconds,
    maxSamplingSeconds: Math.max(0, ...lanes.map((lane) => lane.length)) * options.timeLimitSeconds,
  };
}

/** "1 h 5 min", "40 s". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return h > 0 ? `${h} h${m > 0 ? ` ${m} min` : ''}` : `${m} min`;
}
