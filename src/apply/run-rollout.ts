// The I/O side of a rollout: batch by batch, each host applied, gated (its units, and for a node host the
// monitoring verdict on its clients) and rolled back when it fails; rollout/runner.ts decides what comes next.

import type { HostResult } from '../model/results.js';
import type { SyncSample } from '../monitor/sync.js';
import { judgeGate, parseUnitShow, unitShowCommand, type GateSample, type GateVerdict } from '../rollout/gate.js';
import { afterApply, afterGate, afterRollback, nextStep, summarize, withEarlierApply, type HostOutcome, type RolloutOptions, type RolloutSummary } from '../rollout/runner.js';
import type { Transport } from '../transport/types.js';
import { eachLimited } from '../util/parallel.js';
import { applyHost, errorText, rollBack, scriptOptionsFor, type ApplyOptions, type Connector, type Planned } from './run.js';

/**
 * The status collector: one look at a node host's clients (Beacon API and JSON-RPC through the host's
 * connection); undefined for a host that runs no node.
 */
export type NodeSampler = (planned: Planned, transport: Transport, at: number) => Promise<SyncSample | undefined>;

export interface RolloutIO {
  connect: Connector;
  apply: ApplyOptions;
  now(): number;
  sleep(ms: number): Promise<void>;
  sampleNode?: NodeSampler;
  /** How many times the operator interrupted (Ctrl-C): 1 finishes the hosts in flight, 2 rolls them back without waiting for their gates. */
  interrupts(): number;
  /** The run record, after each change of what is in flight or done. */
  save(state: { outcomes: HostOutcome[]; inFlight: string[]; applied: Record<string, number>; stopped?: string; finished: boolean }): Promise<void>;
  /** A batch starts; a host's outcome is known (progress for a person). */
  onBatch?(index: number, count: number, hosts: readonly string[]): void;
  onOutcome?(outcome: HostOutcome): void;
  /** Seconds per slot of a node host's chain (for the monitoring verdict's speed). */
  secondsPerSlot?: number;
}

/** How often the gate samples a host. */
const GATE_INTERVAL_MS = 1_000;

export interface RolloutRun {
  summary: RolloutSummary;
  /** The apply step's result of each host that was started (for the apply view's per-host details). */
  results: HostResult[];
  interrupted: boolean;
}

export async function runRollout(
  planned: readonly Planned[],
  batches: string[][],
  options: RolloutOptions,
  earlier: { outcomes: readonly HostOutcome[]; applied?: Record<string, number> },
  io: RolloutIO,
): Promise<RolloutRun> {
  const byHost = new Map(planned.map((p) => [p.plan.host, p]));
  const outcomes = new Map(earlier.outcomes.map((o) => [o.host, o]));
  const applied: Record<string, number> = { ...earlier.applied };
  const inFlight = new Set<string>();
  const results: HostResult[] = [];
  const save = (extra: { stopped?: string; finished: boolean }) => io.save({ outcomes: [...outcomes.values()], inFlight: [...inFlight], applied: { ...applied }, ...extra });
  let stopped: string | undefined;
  for (;;) {
    const step = nextStep(batches, outcomes, options.maxFail, io.interrupts() > 0);
    if (step.kind === 'finished') break;
    if (step.kind === 'stop') {
      stopped = step.why;
      break;
    }
    const batch = step.index + 1;
    io.onBatch?.(batch, batches.length, step.hosts);
    await eachLimited(step.hosts, io.apply.forks, async (host) => {
      // Ctrl-C: hosts of the batch not begun yet are left for --resume.
      if (io.interrupts() > 0) return;
      const p = byHost.get(host)!;
      inFlight.add(host);
      await save({ finished: false });
      const outcome = await rollOne(p, batch, options, io, results, applied, () => save({ finished: false }));
      outcomes.set(host, outcome);
      inFlight.delete(host);
      io.onOutcome?.(outcome);
      await save({ finished: false });
    });
  }
  const interrupted = io.interrupts() > 0;
  const why = stopped ?? (interrupted ? 'the rollout was interrupted (Ctrl-C) before this host began; nodeform apply --resume continues it' : undefined);
  // An interrupted rollout can be resumed; one that ran out or stopped at --max-fail is over.
  await save({ ...(why !== undefined ? { stopped: why } : {}), finished: !interrupted });
  return { summary: summarize(batches, outcomes, why), results, interrupted };
}

async function rollOne(
  p: Planned,
  batch: number,
  options: RolloutOptions,
  io: RolloutIO,
  results: HostResult[],
  applied: Record<string, number>,
  save: () => Promise<void>,
): Promise<HostOutcome> {
  const host = p.plan.host;
  const result = await applyHost(p, io.connect, io.apply);
  results.push(result);
  const step = withEarlierApply(
    {
      status: result.status,
      ...(result.error !== undefined ? { error: result.error } : {}),
      ...(result.generation !== undefined ? { generation: result.generation } : {}),
      ...(result.rolledBack !== undefined ? { selfRollback: { ok: result.rolledBack } } : {}),
      ...(result.completed ? { completed: true } : {}),
    },
    applied[host],
  );
  if ((step.status === 'applied' || step.completed) && step.generation !== undefined && applied[host] === undefined) {
    applied[host] = step.generation;
    await save();
  }
  const next = afterApply(host, batch, step, options.rollback);
  if (next.kind === 'outcome') return next.outcome;
  let why: string;
  if (next.kind === 'roll-back') why = next.why;
  else {
    try {
      await io.connect(p.desired.connection);
    } catch (error) {
      return { host, batch, state: 'failed', why: `unreachable for its gate: ${errorText(error)}` };
    }
    const gate = await runGate(p, options, io);
    const decided = afterGate(host, batch, step, gate, options.rollback);
    if (decided.kind === 'outcome') return decided.outcome;
    why = decided.why;
  }
  // The connection is asked for again: one lost while the gate waited is opened anew (TransportPool).
  const undo = await rollBack(host, io.connect(p.desired.connection), scriptOptionsFor(p, { ...io.apply, action: 'rollback' }));
  result.events.push(...undo.events);
  return afterRollback(host, batch, why, undo, step.generation);
}

/** Samples the host until its gate passes, --gate-timeout runs out, or a second Ctrl-C says not to wait. */
async function runGate(p: Planned, options: RolloutOptions, io: RolloutIO): Promise<GateVerdict> {
  // A state-only unit is another tool's (the host may lack it): not nodeform's to gate on.
  const units = p.desired.resources.flatMap((r) => (r.kind === 'unit' && r.active && !r.held && !r.stateOnly ? [r.name] : []));
  const samples: GateSample[] = [];
  const deadline = io.now() + options.gateTimeoutSeconds * 1000;
  let verdict: GateVerdict = { passed: false, why: 'not sampled yet' };
  for (;;) {
    try {
      // Each sample asks for the connection: one lost meanwhile is opened anew, and the gate goes on.
      samples.push(await sample(p, await io.connect(p.desired.connection), units, io));
      verdict = judgeGate(samples, units, options.gate, io.secondsPerSlot ?? 12);
    } catch (error) {
      verdict = { passed: false, why: `could not sample the host: ${errorText(error)}` };
    }
    if (verdict.passed) return verdict;
    if (io.interrupts() > 1) return { passed: false, why: `not waited for (Ctrl-C twice); it was ${verdict.why}` };
    if (io.now() >= deadline) return { passed: false, why: `not passed within --gate-timeout ${options.gateTimeoutSeconds}s: ${verdict.why}` };
    await io.sleep(GATE_INTERVAL_MS);
  }
}

async function sample(p: Planned, transport: Transport, units: readonly string[], io: RolloutIO): Promise<GateSample> {
  const at = io.now();
  let unitSamples: GateSample['units'] = [];
  if (units.length) {
    const shown = await transport.exec(unitShowCommand(units));
    if (shown.exitCode !== 0) throw new Error(`systemctl show failed: ${shown.stderr.trim() || `exit ${shown.exitCode}`}`);
    unitSamples = parseUnitShow(shown.stdout);
  }
  const sync = io.sampleNode ? await io.sampleNode(p, transport, at) : undefined;
  return { at, units: unitSamples, ...(sync ? { sync } : {}) };
}
