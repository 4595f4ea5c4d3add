// `nodeform apply` and `nodeform reset`: the plan shown before asking, then each host's result and a summary;
// as JSON, one document with the plan, a result per host (changes applied, held items, a structured error) and
// the summary. Pure.

import type { HostResult, HostStatus } from '../model/results.js';
import type { HostOutcome, RolloutState, RolloutSummary } from '../rollout/runner.js';
import type { ErrorCode } from '../errors.js';
import type { Change, Plan } from '../model/plan.js';
import { errorJson, type ErrorJson } from './diagnostics.js';
import { painter } from './paint.js';
import { planPieces } from './plan.js';
import { FORMAT_VERSION, jsonText, type ViewOptions, type Writer } from './writer.js';

export interface ApplyView {
  /** The plan, shown before the question. */
  plan(plan: Plan): void;
  /** The operator answered anything but "yes". */
  declined(): void;
  /**
   * Each host's result. `planHadWork` is false when no host had a change and every host was reached: then there
   * is nothing to report beyond the plan.
   */
  results(results: readonly HostResult[], planHadWork: boolean): void;
  /** Hosts that held items back (no checkpoint quorum): not converged though the rest was applied. */
  held(hosts: readonly string[]): void;
  /** A rollout's batch begins (progress; the JSON view says it all at the end). */
  batch(index: number, count: number, hosts: readonly string[]): void;
  /** A rollout host's outcome, as soon as it is known. */
  outcome(outcome: HostOutcome): void;
  /** A rollout's end: every host (done, failed, rolled back, not started, and why) and each apply step's result. */
  rollout(summary: RolloutSummary, results: readonly HostResult[]): void;
  /** The run is over. */
  done(): void;
}

/** The error code a result without structured details stands for. */
const STATUS_ERROR_CODE: Record<HostStatus, ErrorCode> = {
  applied: 'APPLY',
  unchanged: 'APPLY',
  failed: 'APPLY',
  drifted: 'DRIFT',
  locked: 'LOCKED',
  unreachable: 'TRANSPORT',
};

const STATUS_ORDER: readonly HostStatus[] = ['applied', 'unchanged', 'drifted', 'locked', 'failed', 'unreachable'];

export class ApplyHuman implements ApplyView {
  constructor(
    private readonly out: Writer,
    private readonly options: ViewOptions,
  ) {}

  plan(plan: Plan): void {
    for (const piece of planPieces(plan, this.options)) this.out.stdout(piece);
  }

  declined(): void {
    this.out.stderr('Nothing changed.\n');
  }

  results(results: readonly HostResult[], planHadWork: boolean): void {
    if (!planHadWork) return;
    const paint = painter(this.options.color);
    const style = { applied: 'green', unchanged: 'dim', failed: 'red', drifted: 'red', locked: 'red', unreachable: 'red' } as const;
    for (const r of results) {
      const gen = r.generation !== undefined ? ` (generation ${r.generation}, ${(r.durationMs / 1000).toFixed(1)}s)` : '';
      this.out.stdout(`${r.host}: ${paint(style[r.status], r.status)}${gen}${r.error ? `: ${r.error}` : ''}\n`);
      for (const note of staleLockNotes(r)) this.out.stdout(`  ${note}\n`);
    }
    const tally = STATUS_ORDER.map((status) => [status, results.filter((r) => r.status === status).length] as const).filter(([, n]) => n > 0);
    this.out.stdout(`Summary: ${tally.map(([s, n]) => `${n} ${s}`).join(', ')}.\n`);
  }

  held(hosts: readonly string[]): void {
    if (hosts.length === 0) return;
    this.out.stderr(`${hosts.length} host(s) held items back (${hosts.join(', ')}): see "held" in the plan above; run again once the checkpoint providers agree\n`);
  }

  batch(index: number, count: number, hosts: readonly string[]): void {
    this.out.stdout(`\nBatch ${index}/${count}: ${hosts.join(', ')}\n`);
  }

  outcome(outcome: HostOutcome): void {
    const paint = painter(this.options.color);
    this.out.stdout(`${outcome.host}: ${paint(ROLLOUT_STYLE[outcome.state], outcome.state)}: ${outcome.why}\n`);
  }

  rollout(summary: RolloutSummary, results: readonly HostResult[] = []): void {
    const paint = painter(this.options.color);
    this.out.stdout('\nRollout:\n');
    for (const o of summary.hosts) {
      this.out.stdout(`  ${o.host} (batch ${o.batch}): ${paint(ROLLOUT_STYLE[o.state], o.state)}: ${o.why}\n`);
      for (const r of results) if (r.host === o.host) for (const note of staleLockNotes(r)) this.out.stdout(`    ${note}\n`);
    }
    const tally = ROLLOUT_ORDER.filter((state) => summary.counts[state] > 0).map((state) => `${summary.counts[state]} ${state}`);
    this.out.stdout(`Summary: ${tally.join(', ')} (${summary.batches} batch(es)).${summary.stopped ? ` Stopped: ${summary.stopped}.` : ''}\n`);
  }

  done(): void {}
}

/**
 * The host script's STALE lines: it took over the lock of a run that is gone (its process dead, the host rebooted,
 * or a holder file that cannot be read, as a run killed while its disk was full leaves). Said, not only recorded.
 */
export function staleLockNotes(result: HostResult): string[] {
  return result.events.flatMap((event) => {
    if (!event.startsWith('STALE ')) return [];
    const detail = event.slice('STALE '.length);
    if (detail.startsWith('unreadable holder')) return [`took over the lock: its holder file could not be read (empty or cut short), so its run counts as dead`];
    const [runId, controller, pid, , since] = detail.split(' ');
    return [`took over the lock of a dead nodeform run (run ${runId ?? '?'} from ${controller ?? '?'}, pid ${pid ?? '?'}, since ${since ?? '?'}: its process is gone or the host rebooted)`];
  });
}

const ROLLOUT_ORDER: readonly RolloutState[] = ['done', 'failed', 'rolled-back', 'not-started'];
const ROLLOUT_STYLE = { done: 'green', failed: 'red', 'rolled-back': 'yellow', 'not-started': 'dim' } as const;

export interface RolloutJson {
  batches: number;
  /** Why the rollout ended before its last batch (--max-fail, Ctrl-C). */
  stopped?: string;
  hosts: { host: string; state: RolloutState; batch: number; why: string; generation?: number }[];
  summary: Record<'done' | 'failed' | 'rolled_back' | 'not_started', number>;
}

export function rolloutJson(summary: RolloutSummary): RolloutJson {
  return {
    batches: summary.batches,
    ...(summary.stopped !== undefined ? { stopped: summary.stopped } : {}),
    hosts: summary.hosts.map((o) => ({ host: o.host, state: o.state, batch: o.batch, why: o.why, ...(o.generation !== undefined ? { generation: o.generation } : {}) })),
    summary: { done: summary.counts.done, failed: summary.counts.failed, rolled_back: summary.counts['rolled-back'], not_started: summary.counts['not-started'] },
  };
}

export interface ChangeSummaryJson {
  kind: Change['kind'];
  action: Change['action'];
  target: string;
  reason?: string;
}

export interface HostApplyJson {
  host: string;
  status: HostStatus | 'not-run';
  generation?: number;
  duration_ms: number;
  /** What was changed on the host: its plan's changes when it applied, none otherwise. */
  changes_applied: ChangeSummaryJson[];
  held: { target: string; reason: string }[];
  warnings: string[];
  /** What the host reported, a line each. */
  events: string[];
  error?: ErrorJson;
}

export interface ApplyJsonDocument {
  format_version: number;
  /** The plan as `nodeform plan --json` prints it (schemas/plan.schema.json). */
  plan: Plan;
  /** False when the operator declined: no host was touched. */
  confirmed: boolean;
  hosts: HostApplyJson[];
  summary: Record<HostStatus, number> & { held: number };
  /** A rollout (apply --serial/--canary/--max-fail/--gate...): every host's outcome in it. */
  rollout?: RolloutJson;
}

/** One document, written when the run is over. */
export class ApplyJson implements ApplyView {
  private shown?: Plan;
  private declinedRun = false;
  private hostResults: readonly HostResult[] = [];
  private rolloutSummary?: RolloutSummary;

  constructor(private readonly out: Writer) {}

  plan(plan: Plan): void {
    this.shown = plan;
  }

  declined(): void {
    this.declinedRun = true;
  }

  results(results: readonly HostResult[]): void {
    this.hostResults = results;
  }

  held(): void {
    // Held items are in each host's entry.
  }

  batch(): void {
    // The document at the end holds each host's batch.
  }

  outcome(): void {
    // Likewise.
  }

  rollout(summary: RolloutSummary, results: readonly HostResult[]): void {
    this.rolloutSummary = summary;
    this.hostResults = results;
  }

  done(): void {
    if (this.shown) this.out.stdout(jsonText(applyDocument(this.shown, this.hostResults, !this.declinedRun, this.rolloutSummary)));
  }
}

export function applyDocument(plan: Plan, results: readonly HostResult[], confirmed: boolean, rollout?: RolloutSummary): ApplyJsonDocument {
  const byHost = new Map(results.map((r) => [r.host, r]));
  const hosts = plan.hosts.map((h): HostApplyJson => {
    const result = byHost.get(h.host);
    const applied = result?.status === 'applied';
    return {
      host: h.host,
      status: result?.status ?? 'not-run',
      ...(result?.generation !== undefined ? { generation: result.generation } : {}),
      duration_ms: result?.durationMs ?? 0,
      changes_applied: applied ? h.changes.map(changeSummary) : [],
      held: h.held ?? [],
      warnings: h.warnings,
      events: result?.events ?? [],
      ...(result?.error !== undefined ? { error: errorJson(result.failure ?? { code: STATUS_ERROR_CODE[result.status], message: result.error, host: h.host }) } : {}),
    };
  });
  const summary = Object.fromEntries(STATUS_ORDER.map((s) => [s, results.filter((r) => r.status === s).length])) as Record<HostStatus, number>;
  return {
    format_version: FORMAT_VERSION,
    plan,
    confirmed,
    hosts,
    summary: { ...summary, held: plan.hosts.filter((h) => h.held?.length).length },
    ...(rollout ? { rollout: rolloutJson(rollout) } : {}),
  };
}

function changeSummary(change: Change): ChangeSummaryJson {
  return { kind: change.kind, action: change.action, target: change.target, ...(change.reason ? { reason: change.reason } : {}) };
}
