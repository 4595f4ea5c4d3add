// The decisions of a rollout, as data: which batch runs next, when the run stops, what became of each host and
// why. Pure: the runner (apply/run-rollout.ts) does the I/O and asks these functions what to do next; the rules
// are the ones docs/rollouts.md states.

import { allowedFailures, mayStartBatch, planBatches, type SizeSpec } from './batches.js';

/** What became of a host in a rollout. */
export type RolloutState = 'done' | 'failed' | 'rolled-back' | 'not-started';

export interface HostOutcome {
  host: string;
  state: RolloutState;
  /** The batch it belonged to (1-based). */
  batch: number;
  /** One sentence on why: what failed, what the gate saw, how it was rolled back, why it was not started. */
  why: string;
  /** The generation the apply sealed on the host, when it changed anything. */
  generation?: number;
}

export type GateMode = 'progressing' | 'synced';

/** Everything that shapes a rollout, as the command line gave it (recorded for --resume). */
export interface RolloutOptions {
  serial?: SizeSpec[];
  canary?: SizeSpec;
  maxFail?: SizeSpec;
  gate: GateMode;
  gateTimeoutSeconds: number;
  rollback: boolean;
}

/** A failed host counts against --max-fail whether or not it was rolled back. */
export function countsAsFailed(outcome: HostOutcome): boolean {
  return outcome.state === 'failed' || outcome.state === 'rolled-back';
}

export function rolloutBatches(hosts: readonly string[], options: Pick<RolloutOptions, 'serial' | 'canary'>): string[][] {
  return planBatches(hosts, { ...(options.serial ? { serial: options.serial } : {}), ...(options.canary ? { canary: options.canary } : {}) });
}

export type NextStep =
  | { kind: 'batch'; index: number; hosts: string[] }
  | { kind: 'stop'; why: string }
  | { kind: 'finished' };

/**
 * What to do next: the first batch with a host that has no outcome yet (a resumed run skips the finished ones
 * and finishes a batch the controller was killed in), unless the failures so far exceed --max-fail or the
 * operator interrupted the run.
 */
export function nextStep(batches: readonly string[][], outcomes: ReadonlyMap<string, HostOutcome>, maxFail: SizeSpec | undefined, interrupted: boolean): NextStep {
  const index = batches.findIndex((batch) => batch.some((host) => !outcomes.has(host)));
  if (index < 0) return { kind: 'finished' };
  if (interrupted) return { kind: 'stop', why: 'the rollout was interrupted (Ctrl-C) before its batch; nodeform apply --resume continues it' };
  const total = batches.reduce((sum, batch) => sum + batch.length, 0);
  const failed = [...outcomes.values()].filter(countsAsFailed).length;
  const allowed = allowedFailures(maxFail, total);
  if (!mayStartBatch(failed, allowed)) {
    return { kind: 'stop', why: `the rollout stopped before its batch: ${failed} host(s) failed, more than --max-fail allows (${allowed} of ${total})` };
  }
  return { kind: 'batch', index, hosts: batches[index]!.filter((host) => !outcomes.has(host)) };
}

/** What the apply step gave for a host, as far as the rollout needs it. */
export interface ApplyStep {
  status: 'applied' | 'unchanged' | 'failed' | 'drifted' | 'locked' | 'unreachable';
  error?: string;
  generation?: number;
  /** The apply failed after its first change and put the host back itself (apply/run.ts): how that went. */
  selfRollback?: { ok: boolean };
  /** The apply ran to its end (its generation complete) but a check after it failed: the host carries the change. */
  completed?: boolean;
}

/**
 * A host this rollout applied before its controller was killed comes back unchanged when resumed: it still carries
 * the rollout's change, so it is gated as applied and rolled back to before it if it fails.
 */
export function withEarlierApply(step: ApplyStep, earlier: number | undefined): ApplyStep {
  return step.status === 'unchanged' && earlier !== undefined ? { ...step, status: 'applied', generation: earlier } : step;
}

/** After the apply: gate the host, or it failed (and was or was not rolled back by the apply itself). */
export function afterApply(
  host: string,
  batch: number,
  step: ApplyStep,
  rollback = true,
): { kind: 'gate' } | { kind: 'outcome'; outcome: HostOutcome } | { kind: 'roll-back'; why: string } {
  if (step.status === 'applied' || step.status === 'unchanged') return { kind: 'gate' };
  const error = step.error ?? step.status;
  if (step.status === 'unreachable') return { kind: 'outcome', outcome: { host, batch, state: 'failed', why: `unreachable: ${error}` } };
  if (step.selfRollback?.ok) return { kind: 'outcome', outcome: { host, batch, state: 'rolled-back', why: `apply failed: ${error}` } };
  // It ran to its end and changed the host, then a unit was not up: back to before it, as for a failed gate.
  if (step.status === 'failed' && step.completed && step.generation !== undefined) {
    if (rollback) return { kind: 'roll-back', why: `apply failed: ${error}` };
    return { kind: 'outcome', outcome: { host, batch, state: 'failed', why: `apply failed: ${error}; left as applied (--no-rollback)`, generation: step.generation } };
  }
  return { kind: 'outcome', outcome: { host, batch, state: 'failed', why: `apply ${step.status === 'failed' ? 'failed' : `refused (${step.status})`}: ${error}` } };
}

/**
 * After the gate. A host that passed is done. A host that failed it goes back to its previous generation when the
 * rollout changed it (it sealed a generation) and rollback is on; otherwise it stays failed, saying why.
 */
export function afterGate(
  host: string,
  batch: number,
  step: ApplyStep,
  gate: { passed: boolean; why: string },
  rollback: boolean,
): { kind: 'outcome'; outcome: HostOutcome } | { kind: 'roll-back'; why: string } {
  const generation = step.generation !== undefined ? { generation: step.generation } : {};
  if (gate.passed) {
    const what = step.status === 'applied' ? `applied (generation ${step.generation ?? '?'})` : 'unchanged';
    return { kind: 'outcome', outcome: { host, batch, state: 'done', why: `${what}; gate passed: ${gate.why}`, ...generation } };
  }
  const failedGate = `gate failed: ${gate.why}`;
  if (step.status !== 'applied') return { kind: 'outcome', outcome: { host, batch, state: 'failed', why: `${failedGate}; the rollout changed nothing on it, so there is nothing to roll back` } };
  if (!rollback) return { kind: 'outcome', outcome: { host, batch, state: 'failed', why: `${failedGate}; left as applied (--no-rollback)`, ...generation } };
  return { kind: 'roll-back', why: failedGate };
}

export function afterRollback(host: string, batch: number, why: string, rollback: { ok: boolean; text: string }, generation?: number): HostOutcome {
  return { host, batch, state: rollback.ok ? 'rolled-back' : 'failed', why: `${why}; ${rollback.text}`, ...(generation !== undefined ? { generation } : {}) };
}

export interface RolloutSummary {
  /** Every host of the rollout, in batch order. */
  hosts: HostOutcome[];
  counts: Record<RolloutState, number>;
  batches: number;
  /** Why the rollout ended before its last batch, when it did. */
  stopped?: string;
}

export function summarize(batches: readonly string[][], outcomes: ReadonlyMap<string, HostOutcome>, stopped: string | undefined): RolloutSummary {
  const hosts = batches.flat().map((host, _, all) => outcomes.get(host) ?? { host, state: 'not-started' as const, batch: batches.findIndex((b) => b.includes(host)) + 1, why: stopped ?? `not reached (${all.length} hosts)` });
  const counts: Record<RolloutState, number> = { done: 0, failed: 0, 'rolled-back': 0, 'not-started': 0 };
  for (const outcome of hosts) counts[outcome.state] += 1;
  return { hosts, counts, batches: batches.length, ...(stopped !== undefined ? { stopped } : {}) };
}
