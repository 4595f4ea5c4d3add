// nodeform apply as a rollout (--serial, --canary, --max-fail, --gate, --resume): the plan shown once, then batch by
// batch under a run record in the controller's state dir, with Ctrl-C finishing or rolling back the hosts in
// flight (docs/rollouts.md).

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Planned } from '../../apply/run.js';
import type { NodeSpec } from '../../clients/types.js';
import { sampleNodes } from '../../observe/collect.js';
import { runRollout } from '../../apply/run-rollout.js';
import { hasChanges, type Plan } from '../../model/plan.js';
import { appliedOnResume, parseRecord, RECORD_VERSION, resourceDigests, resumeProblems, type RecordInputs, type RunRecord } from '../../rollout/record.js';
import { rolloutBatches, type HostOutcome } from '../../rollout/runner.js';
import type { TransportPool } from '../../transport/ssh/index.js';
import { sha256Hex } from '../../util/sha256.js';
import { usageError, type CommandLine } from '../arguments.js';
import { confirm, controllerStateDir, inputsOf, planOf, runIdentity, uploadProgressOf, withPool, type CommandContext } from '../context.js';
import type { Outcome } from '../exit-codes.js';
import { planSelected } from './plan.js';
import { ScriptMemo } from '../../apply/script.js';

type Rollout = NonNullable<CommandLine['rollout']>;

/** Where the run record of the rollouts of one inventory lives (one at a time per inventory). */
function recordPath(ctx: CommandContext, inventory: string): string {
  return join(controllerStateDir(ctx.io.env), 'rollouts', `${sha256Hex(inventory).slice(0, 16)}.json`);
}

async function readRecord(path: string): Promise<RunRecord | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseRecord(text);
}

/** Written whole to a temporary file and renamed, 0600 in a 0700 directory: it names hosts and -e values. */
async function writeRecord(path: string, record: RunRecord): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 1)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** apply -i INV [--serial ...] and apply -i INV --resume. */
export async function applyRollout(ctx: CommandContext, rollout: Rollout): Promise<Outcome> {
  const given = inputsOf(ctx.line);
  let nodeSpecs: Record<string, NodeSpec> = {};
  const path = recordPath(ctx, given.inventoryPath);
  const previous = await readRecord(path);
  if (!rollout.resume) {
    if (previous && !previous.finished) ctx.views.diagnostics.progress(`an interrupted rollout of this inventory (run ${previous.runId}) is replaced by this one; apply --resume would have continued it`);
    return withPool(ctx, async (transports) => {
      const planned = await planSelected(ctx, given, transports, (specs) => (nodeSpecs = specs));
      const batches = rolloutBatches(planned.map((p) => p.plan.host), rollout.options);
      const identity = runIdentity();
      const started = new Date(ctx.io.now?.() ?? Date.now()).toISOString();
      const record: RunRecord = {
        format_version: RECORD_VERSION,
        ...identity,
        pid: process.pid,
        startedAt: started,
        updatedAt: started,
        inputs: recordInputs(given),
        options: rollout.options,
        batches,
        declared: Object.fromEntries(planned.map((p) => [p.plan.host, resourceDigests(p.desired)])),
        baseline: Object.fromEntries(planned.map((p) => [p.plan.host, latestGeneration(p) ?? 0])),
        inFlight: [],
        outcomes: [],
        finished: false,
      };
      return run(ctx, transports, planned, nodeSpecs, record, path);
    });
  }
  if (!previous) throw usageError(`--resume: no rollout of ${given.inventoryPath} to resume (its run record would be ${path})`);
  if (previous.finished) throw usageError(`--resume: the last rollout of ${given.inventoryPath} (run ${previous.runId}) is over${previous.stopped ? ` (${previous.stopped})` : ''}; start a new one without --resume`);
  if (previous.pid !== process.pid && alive(previous.pid) && previous.controller === runIdentity().controller) {
    throw usageError(`--resume: the rollout (run ${previous.runId}) is still running in process ${previous.pid}`);
  }
  // The rollout's own inputs; anything the command line says must agree with them.
  const inputs = { ...previous.inputs, ...(given.playbookPath !== undefined ? { playbookPath: given.playbookPath } : {}) };
  const record: RunRecord = { ...previous, pid: process.pid };
  return withPool(ctx, async (transports) => {
    const planned = await planSelected(ctx, inputs, transports, (specs) => (nodeSpecs = specs));
    const problems = resumeProblems(previous, {
      inputs: { playbookPath: given.playbookPath, ...(ctx.line.extraVars.length ? { extraVars: given.extraVars } : {}), limit: given.limit, tags: given.tags, skipTags: given.skipTags },
      options: rollout.given,
      declared: Object.fromEntries(planned.map((p) => [p.plan.host, resourceDigests(p.desired)])),
    });
    if (problems.length) {
      throw usageError(`--resume: the rollout (run ${previous.runId}) cannot be continued as it was planned:\n  ${problems.join('\n  ')}\nStart a new rollout without --resume, or put the inputs back as they were.`);
    }
    record.applied = appliedOnResume(previous, Object.fromEntries(planned.map((p) => [p.plan.host, latestGeneration(p)])));
    return run(ctx, transports, planned, nodeSpecs, record, path);
  });
}

/** The host's newest generation, as its plan's probe read it. */
function latestGeneration(planned: Planned): number | undefined {
  const ids = planned.facts?.record.generations.map((g) => g.id) ?? [];
  return ids.length ? Math.max(...ids) : undefined;
}

function recordInputs(inputs: ReturnType<typeof inputsOf>): RecordInputs {
  return Object.fromEntries(Object.entries(inputs).filter(([, value]) => value !== undefined)) as unknown as RecordInputs;
}

async function run(ctx: CommandContext, transports: TransportPool, planned: Planned[], nodeSpecs: Record<string, NodeSpec>, record: RunRecord, path: string): Promise<Outcome> {
  const view = ctx.views.apply();
  const done = new Set(record.outcomes.map((o) => o.host));
  // A resumed rollout shows (and asks about) only what is left.
  const remaining = planned.filter((p) => !done.has(p.plan.host));
  const plan: Plan = planOf(remaining, 'apply');
  view.plan(plan);
  if (done.size) ctx.views.diagnostics.progress(`resuming rollout ${record.runId}: ${done.size} host(s) already finished are left alone; ${remaining.length} to go`);
  const count = new Set(remaining.filter((p) => p.plan.changes.length > 0).map((p) => p.plan.host)).size;
  if (hasChanges(plan) && !(await confirm(ctx, `\nRoll these changes out to ${count} host(s), ${record.batches.length} batch(es)?`))) {
    view.declined();
    view.done();
    return 'failure';
  }
  let interrupts = 0;
  const stopListening = ctx.io.onInterrupt?.(() => {
    interrupts += 1;
    const say = ctx.views.diagnostics.progress.bind(ctx.views.diagnostics);
    if (interrupts === 1) say('interrupted: the hosts in flight finish (apply and gate, rolled back if they fail it); no other host starts. Ctrl-C again rolls them back without waiting for their gates');
    else if (interrupts === 2) say('interrupted again: each host in flight is rolled back as soon as its apply ends (an apply in progress is never cut off)');
    else say('already stopping: the hosts in flight are being finished or rolled back');
  });
  const now = () => ctx.io.now?.() ?? Date.now();
  let writing = Promise.resolve();
  try {
    const result = await runRollout(planned, record.batches, record.options, { outcomes: record.outcomes, ...(record.applied ? { applied: record.applied } : {}) }, {
      connect: (c) => transports.get(c),
      apply: { runId: record.runId, controller: record.controller, action: 'apply', forks: ctx.line.forks, lockTimeoutSeconds: ctx.line.lockTimeoutSeconds, upForSeconds: ctx.line.upForSeconds, uploadProgress: uploadProgressOf(ctx), memo: new ScriptMemo(), ...ctx.events?.apply() },
      now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      interrupts: () => interrupts,
      // The gate's look at a node host: the status collector's (src/observe/collect.ts), through the host's connection.
      sampleNode: async (p, _transport, at) => {
        const spec = nodeSpecs[p.plan.host];
        if (!spec) return undefined;
        const [observation] = await sampleNodes([{ host: p.plan.host, connection: p.desired.connection, spec }], (c) => transports.get(c), { now: () => at, forks: 1 });
        return observation?.sample;
      },
      save: (state) => {
        const next: RunRecord = { ...record, ...state, updatedAt: new Date(now()).toISOString() };
        if (state.stopped === undefined) delete next.stopped;
        // One write at a time, in order.
        writing = writing.then(() => writeRecord(path, next));
        return writing;
      },
      onBatch: (index, count, hosts) => view.batch(index, count, hosts),
      onOutcome: (outcome: HostOutcome) => view.outcome(outcome),
    });
    view.rollout(result.summary, result.results);
    const holding = plan.hosts.filter((h) => h.held?.length).map((h) => h.host);
    view.held(holding);
    view.done();
    const clean = result.summary.counts.done === result.summary.hosts.length;
    return clean && holding.length === 0 ? 'success' : 'failure';
  } finally {
    stopListening?.();
  }
}
