// `nodeform apply` and `nodeform reset`: the plan shown before asking, then each host's result and a summary;
// as JSON, one document with the plan, a result per host (changes applied, held items, a structured error) and
// the summary. Pure.

import type { HostResult, HostStatus } from '../model/results.js';
import type { ErrorCode } from '../errors.js';
import type { Change, Plan } from '../model/plan.js';
import { errorJson, type ErrorJson } from './diagnostics.js';
import { painter } from './paint.js';
import { formatPlan } from './plan.js';
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
    this.out.stdout(formatPlan(plan, this.options));
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
    }
    const tally = STATUS_ORDER.map((status) => [status, results.filter((r) => r.status === status).length] as const).filter(([, n]) => n > 0);
    this.out.stdout(`Summary: ${tally.map(([s, n]) => `${n} ${s}`).join(', ')}.\n`);
  }

  held(hosts: readonly string[]): void {
    if (hosts.length === 0) return;
    this.out.stderr(`${hosts.length} host(s) held items back (${hosts.join(', ')}): see "held" in the plan above; run again once the checkpoint providers agree\n`);
  }

  done(): void {}
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
}

/** One document, written when the run is over. */
export class ApplyJson implements ApplyView {
  private shown?: Plan;
  private declinedRun = false;
  private hostResults: readonly HostResult[] = [];

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

  done(): void {
    if (this.shown) this.out.stdout(jsonText(applyDocument(this.shown, this.hostResults, !this.declinedRun)));
  }
}

export function applyDocument(plan: Plan, results: readonly HostResult[], confirmed: boolean): ApplyJsonDocument {
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
  return { format_version: FORMAT_VERSION, plan, confirmed, hosts, summary: { ...summary, held: plan.hosts.filter((h) => h.held?.length).length } };
}

function changeSummary(change: Change): ChangeSummaryJson {
  return { kind: change.kind, action: change.action, target: change.target, ...(change.reason ? { reason: change.reason } : {}) };
}
