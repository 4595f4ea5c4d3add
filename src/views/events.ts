// --events ndjson: a run's progress as JSON lines (schemas/events.schema.json), one object a line, for machines
// that follow a run as it goes (a CI log parser, a dashboard). Pure: the CLI gives the clock and the writer.
//
// The order: run_started (the hosts selected), then per host host_started, change_applied (apply and reset: each
// step the host reports), and host_done or host_failed; last run_finished with the outcome and exit code. No
// file content and no hash of a secret is ever in an event: a change is named by its target only.

import type { ErrorDetails, HostResult } from '../model/results.js';
import type { HostPlan } from '../model/plan.js';
import { errorJson, type ErrorJson } from './diagnostics.js';
import { driftStatus } from './drift.js';
import { FORMAT_VERSION } from './writer.js';

export type Phase = 'plan' | 'apply' | 'drift';

export type RunEvent =
  | { type: 'run_started'; command: string; hosts: string[]; shard?: { index: number; count: number } }
  | { type: 'host_started'; host: string; phase: Phase }
  | { type: 'change_applied'; host: string; step: string; target: string }
  | { type: 'host_done'; host: string; phase: Phase; status: string; changes?: number; drift?: number; generation?: number; duration_ms?: number }
  | { type: 'host_failed'; host: string; phase: Phase; status: string; error: ErrorJson }
  | { type: 'run_finished'; command: string; outcome: string; exit_code: number; hosts: Record<string, number> };

/** Steps of the apply script (apply/script.ts) that change the host, as its output lines name them. */
const CHANGE_STEPS = new Set(['WROTE', 'GENERATED', 'ATTRS', 'REMOVED', 'DIR', 'USER', 'STOPPED', 'WIPED', 'SYSTEMCTL', 'KEPT']);

/** A line the apply script printed, as an event when it is a change. */
export function scriptLineEvent(host: string, line: string): RunEvent | undefined {
  const [step = '', ...rest] = line.split('\t');
  if (!CHANGE_STEPS.has(step)) return undefined;
  return { type: 'change_applied', host, step: step.toLowerCase(), target: rest.join(' ') };
}

export function plannedEvent(plan: HostPlan, phase: Phase, failure: ErrorDetails | undefined): RunEvent {
  if (plan.error) {
    return { type: 'host_failed', host: plan.host, phase, status: 'unreachable', error: errorJson(failure ?? { code: 'TRANSPORT', message: plan.error, host: plan.host }) };
  }
  if (phase === 'drift') {
    const check = plan.drift ?? { drift: [] };
    return { type: 'host_done', host: plan.host, phase, status: driftStatus({ host: plan.host, check }), drift: check.drift.length };
  }
  return { type: 'host_done', host: plan.host, phase, status: plan.changes.length > 0 ? 'changes' : 'no-changes', changes: plan.changes.length };
}

export function resultEvent(result: HostResult): RunEvent {
  if (result.status === 'applied' || result.status === 'unchanged') {
    return {
      type: 'host_done',
      host: result.host,
      phase: 'apply',
      status: result.status,
      ...(result.generation !== undefined ? { generation: result.generation } : {}),
      duration_ms: result.durationMs,
    };
  }
  const error = errorJson(result.failure ?? { code: 'APPLY', message: result.error ?? result.status, host: result.host });
  return { type: 'host_failed', host: result.host, phase: 'apply', status: result.status, error };
}

/** One line of --events ndjson. */
export function eventLine(event: RunEvent, time: string): string {
  return `${JSON.stringify({ format_version: FORMAT_VERSION, time, ...event })}\n`;
}

/** Counts of each host's last status, for run_finished. */
export class EventTally {
  private readonly last = new Map<string, string>();

  see(event: RunEvent): void {
    if (event.type === 'host_done' || event.type === 'host_failed') this.last.set(event.host, event.status);
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const status of this.last.values()) counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }
}
