// The I/O side of plan, apply and reset: one probe exec per host, then one apply exec per host.
// Hosts run in parallel up to `forks`; one host failing never stops the others.

import { errorDetails, NodeformError, type ErrorDetails } from '../errors.js';
import type { HostPlan } from '../model/plan.js';
import type { HostResult, HostStatus } from '../model/results.js';
import type { Desired, Facts, HostConnection, LockInfo } from '../model/types.js';
import type { Transport } from '../transport/types.js';
import { gatherFacts } from '../facts/gather.js';
import { lockedMessage, lockHolder, parseLock } from '../facts/parse.js';
import type { ProbeRequest } from '../facts/probe.js';
import { planHost, planWipeData, probeRequestFor, type PlanOptions } from '../plan/compute.js';
import { planReset, type ResetTarget } from '../plan/reset.js';
import { eachLimited } from '../util/parallel.js';
import { buildApplyScript, EXIT_DRIFT, EXIT_LOCKED, ScriptMemo, stagedContent, type ScriptOptions } from './script.js';
import { uploadStaged, type UploadProgress, type UploadReport } from './upload.js';

export type Connector = (connection: HostConnection) => Promise<Transport>;

export interface Planned {
  desired: Desired;
  plan: HostPlan;
  facts?: Facts;
  /** Why the host could not be planned (plan.error as data), for JSON output. */
  failure?: ErrorDetails;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Told as each host's probe starts and ends (--events). */
export interface ProbeObserver {
  started(host: string): void;
  done(planned: Planned): void;
}

/**
 * A host's desired state made whole once its facts are in, before its plan: apply --yes settles the digests of
 * large local files hashed meanwhile (and may start their uploads first, where the facts show they must go).
 */
export type SettleDesired = (desired: Desired, facts: Facts, transport: Transport) => Promise<Desired>;

/** How hosts are probed: this many at once, each probe waiting up to this long for another run's host lock. */
export interface ProbeRun {
  forks: number;
  lockTimeoutSeconds: number;
  /** Told as a host's probe starts to wait for the run that holds its lock. */
  onLockWait?: (host: string, lock: LockInfo) => void;
}

async function probeEach(
  desired: readonly Desired[],
  connect: Connector,
  run: ProbeRun,
  request: (d: Desired) => ProbeRequest,
  plan: (d: Desired, facts: Facts) => HostPlan,
  observe?: ProbeObserver,
  settle?: SettleDesired,
): Promise<Planned[]> {
  return eachLimited(desired, run.forks, async (d) => {
    observe?.started(d.host);
    let planned: Planned;
    try {
      const transport = await connect(d.connection);
      const onLockWait = run.onLockWait ? (lock: LockInfo) => run.onLockWait?.(d.host, lock) : undefined;
      const facts = await gatherFacts(transport, { ...request(d), lockWaitSeconds: run.lockTimeoutSeconds }, onLockWait);
      const whole = settle ? await settle(d, facts, transport) : d;
      planned = { desired: whole, facts, plan: withLockWarning(plan(whole, facts), facts) };
    } catch (error) {
      planned = { desired: d, plan: { host: d.host, changes: [], warnings: [], managedAfter: [], error: errorText(error) }, failure: errorDetails(error, d.host) };
    }
    observe?.done(planned);
    return planned;
  });
}

/** A host whose probe ended with another run still holding its lock: not acted on (apply) nor checked (drift). */
export function lockedFailure(host: string, lock: LockInfo): ErrorDetails {
  return { code: 'LOCKED', message: lockedMessage(lock), host };
}

/** A plan read while another run held the host lock, to the end of the wait: it says so first. */
function withLockWarning(plan: HostPlan, facts: Facts): HostPlan {
  const lock = facts.record.lock;
  if (!lock) return plan;
  return { ...plan, warnings: [`read while the host's lock was held, to the end of --lock-timeout, by ${lockHolder(lock)}: this plan may show that run's changes half made; plan again once it is done`, ...plan.warnings] };
}

export function planAll(desired: readonly Desired[], connect: Connector, run: ProbeRun, options: PlanOptions, observe?: ProbeObserver, settle?: SettleDesired): Promise<Planned[]> {
  const request = (d: Desired): ProbeRequest => (options.checkApplied ? { ...probeRequestFor(d), applied: true } : probeRequestFor(d));
  // Hosts that get the same file over the same content share its diff.
  const shared: PlanOptions = { ...options, diffs: options.diffs ?? new Map() };
  return probeEach(desired, connect, run, request, (d, facts) => planHost(d, facts, shared), observe, settle);
}

/** nodeform drift: each host against its own record of what the last generation left (plan.drift), one probe exec. */
export function driftAll(desired: readonly Desired[], connect: Connector, run: ProbeRun, observe?: ProbeObserver): Promise<Planned[]> {
  const request = (d: Desired): ProbeRequest => ({ stateDir: d.settings.stateDir, paths: [], units: [], users: [], applied: true });
  return probeEach(desired, connect, run, request, (d, facts) => ({
    host: d.host,
    changes: [],
    warnings: [],
    managedAfter: facts.record.managed,
    drift: facts.applied ?? { drift: [] },
  }), observe);
}

export function planWipeDataAll(desired: readonly Desired[], connect: Connector, run: ProbeRun, observe?: ProbeObserver): Promise<Planned[]> {
  return probeEach(desired, connect, run, probeRequestFor, planWipeData, observe);
}

export function planResetAll(desired: readonly Desired[], connect: Connector, run: ProbeRun, to: ResetTarget, observe?: ProbeObserver): Promise<Planned[]> {
  const recordOnly = (d: Desired): ProbeRequest => ({ stateDir: d.settings.stateDir, paths: [], units: [], users: [], record: 'all' });
  return probeEach(desired, connect, run, recordOnly, (d, facts) => planReset(d.host, facts, to), observe);
}

export interface ApplyOptions {
  runId: string;
  controller: string;
  lockTimeoutSeconds: number;
  action: string;
  forks: number;
  /** Seconds each unit the run starts or restarts must stay up, not restarted on its own (0 or none: checked at once). */
  upForSeconds?: number;
  /** Called with each progress line as hosts report it. */
  onEvent?: (host: string, line: string) => void;
  /** Called as a host's apply starts (only hosts with changes) and with each host's result (--events). */
  onHostStart?: (host: string) => void;
  onHostDone?: (result: HostResult) => void;
  /** A long upload's progress lines (the CLI writes them to stderr). */
  uploadProgress?: UploadProgress;
  /** A host's uploads started before its plan (apply --yes: uploadEarly), by controller path. */
  earlyUploads?: (host: string) => EarlyUploads | undefined;
  /** What the hosts' scripts share (the same many files are packed once per run); applyAll makes one. */
  memo?: ScriptMemo;
  /**
   * Called once a host's apply is under way: its script has begun to go to it (the session is open), or its large
   * files are being uploaded before it. Apply --yes shows the plan then, while the hosts work.
   */
  onUnderWay?: (host: string) => void;
}

function parseEvents(stdout: string): { events: string[]; generation?: number; partial?: number; done: boolean; drift: string[]; errors: string[] } {
  const events: string[] = [];
  const drift: string[] = [];
  const errors: string[] = [];
  let generation: number | undefined;
  let partial: number | undefined;
  let done = false;
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const tab = line.indexOf('\t');
    const tag = tab < 0 ? line : line.slice(0, tab);
    // Most lines are one file's event: only the few tags read below are split into their fields.
    const rest = tag === 'GEN' || tag === 'PARTIAL' || tag === 'DRIFT' || tag === 'ERROR' || tag === 'UNIT' || tag === 'LOCKED' ? line.split('\t').slice(1) : [];
    if (tag === 'GEN') generation = Number(rest[0]);
    else if (tag === 'PARTIAL') partial = Number(rest[0]);
    else if (tag === 'DRIFT') drift.push(`${rest[0]} ${rest[1]}`);
    else if (tag === 'ERROR' || tag === 'UNIT') errors.push(rest.join(' '));
    else if (tag === 'LOCKED') errors.push(lockedMessage(parseLock(rest)));
    if (tag === 'DONE') done = true;
    else events.push(tab < 0 ? line : line.replaceAll('\t', ' '));
  }
  return { events, generation, partial, done, drift, errors };
}

/**
 * After an apply failed part way (the host script says PARTIAL: it changed something, then failed), puts the
 * host back as it was: the reset of the failed generation, planned from the host's record, in two more execs.
 */
export async function rollBack(host: string, connection: Transport | Promise<Transport>, scriptOptions: ScriptOptions): Promise<{ ok: boolean; text: string; events: string[] }> {
  try {
    const transport = await connection;
    const facts = await gatherFacts(transport, { stateDir: scriptOptions.stateDir, paths: [], units: [], users: [], record: 'all' });
    const plan = planReset(host, facts, 'previous');
    if (plan.changes.length === 0) return { ok: true, text: 'nothing to roll back', events: [] };
    const { command, script } = buildApplyScript(plan, undefined, { ...scriptOptions, action: 'rollback' });
    const result = await transport.exec(command, { stdin: script });
    const parsed = parseEvents(result.stdout);
    if (result.exitCode === 0) return { ok: true, text: `rolled back: the host is as it was (generation ${parsed.generation ?? '?'} records the rollback)`, events: parsed.events };
    const why = parsed.errors.join('; ') || result.stderr.trim() || `exit code ${result.exitCode}`;
    return { ok: false, text: `rolling back failed too: ${why}; nodeform reset --to previous restores it`, events: parsed.events };
  } catch (error) {
    return { ok: false, text: `rolling back failed too: ${errorText(error)}; nodeform reset --to previous restores it`, events: [] };
  }
}

/** What the apply script of a host is run with. */
export function scriptOptionsFor(planned: Planned, options: Pick<ApplyOptions, 'runId' | 'controller' | 'lockTimeoutSeconds' | 'action' | 'upForSeconds'>): ScriptOptions {
  return {
    stateDir: planned.desired.settings.stateDir,
    runId: options.runId,
    controller: options.controller,
    lockTimeoutSeconds: options.lockTimeoutSeconds,
    keepGenerations: planned.desired.settings.keepGenerations,
    action: options.action,
    ...(options.upForSeconds ? { upForSeconds: options.upForSeconds } : {}),
  };
}

/** A host's uploads started before its plan, by controller path, and when the first of them started. */
export interface EarlyUploads {
  startedAt: number;
  uploads: ReadonlyMap<string, Promise<UploadReport>>;
}

export async function applyOne(planned: Planned, transport: Transport, options: ApplyOptions): Promise<HostResult> {
  const host = planned.plan.host;
  const early = options.earlyUploads?.(host);
  // The host's apply began with its first upload, when that started before its plan.
  const started = early?.startedAt ?? Date.now();
  const scriptOptions = scriptOptionsFor(planned, options);
  // Large files go first, raw and streamed, each from where an earlier cut upload stopped: the apply script then
  // only moves them into place.
  const staged = stagedContent(planned.plan, planned.desired);
  if (staged.size > 0) options.onUnderWay?.(host);
  const upload = await uploadStaged(transport, scriptOptions.stateDir, staged, { ...(options.uploadProgress ? { progress: options.uploadProgress } : {}), ...(early ? { early: early.uploads } : {}) });
  if (upload.failure) {
    const { message: error, command, exitCode, stderr, code } = upload.failure;
    const failure: ErrorDetails = { code: code ?? 'APPLY', message: error, host, command, ...(exitCode !== undefined ? { exitCode } : {}), ...(stderr ? { stderr } : {}) };
    return { host, status: 'failed', events: [], error, failure, durationMs: Date.now() - started };
  }
  const { command, script } = buildApplyScript(planned.plan, planned.desired, scriptOptions, options.memo);
  let buffered = '';
  const underWay = staged.size > 0 ? undefined : options.onUnderWay;
  const result = await transport.exec(command, {
    // Written by the transport once the session is open: the moment the host starts on it.
    stdin: underWay
      ? async (write) => {
          underWay(host);
          await write(Buffer.from(script, 'utf8'));
        }
      : script,
    onStdout: (chunk) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) options.onEvent?.(host, line);
    },
  });
  const parsed = parseEvents(result.stdout);
  const base = { host, events: parsed.events, durationMs: Date.now() - started, generation: parsed.generation };
  if (result.exitCode === 0) return { ...base, status: 'applied' };
  const ran = { host, command, exitCode: result.exitCode, ...(result.stderr ? { stderr: result.stderr } : {}) };
  if (result.exitCode === EXIT_DRIFT) {
    const error = `refused: the host drifted since the plan:\n    ${parsed.drift.join('\n    ')}`;
    return { ...base, status: 'drifted', error, failure: { code: 'DRIFT', message: error, ...ran } };
  }
  if (result.exitCode === EXIT_LOCKED) {
    const error = parsed.errors.join('; ');
    return { ...base, status: 'locked', error, failure: { code: 'LOCKED', message: error, ...ran } };
  }
  const detail = parsed.errors.length ? parsed.errors.join('; ') : result.stderr.trim() || `exit code ${result.exitCode}`;
  if (parsed.partial !== undefined && options.action === 'apply') {
    const undo = await rollBack(host, transport, scriptOptions);
    const error = `${detail}; ${undo.text}`;
    return { ...base, events: [...base.events, ...undo.events], durationMs: Date.now() - started, status: 'failed', rolledBack: undo.ok, error, failure: { code: 'APPLY', message: error, ...ran } };
  }
  return { ...base, status: 'failed', error: detail, failure: { code: 'APPLY', message: detail, ...ran }, ...(parsed.done ? { completed: true } : {}) };
}

/** One host: unreachable when it could not be planned, unchanged (not contacted) without changes, else applied. */
export async function applyHost(p: Planned, connect: Connector, options: ApplyOptions): Promise<HostResult> {
  const result = await applyPlanned(p, connect, options);
  options.onHostDone?.(result);
  return result;
}

async function applyPlanned(p: Planned, connect: Connector, options: ApplyOptions): Promise<HostResult> {
  const started = Date.now();
  if (p.plan.error) {
    const failure = p.failure ?? { code: 'TRANSPORT', message: p.plan.error, host: p.plan.host };
    return { host: p.plan.host, status: 'unreachable', events: [], error: p.plan.error, failure, durationMs: 0 };
  }
  // Its plan was read while another run still changed the host: not a plan to act on.
  const lock = p.facts?.record.lock;
  if (lock) {
    const failure = lockedFailure(p.plan.host, lock);
    return { host: p.plan.host, status: 'locked', events: [], error: failure.message, failure, durationMs: 0 };
  }
  if (p.plan.changes.length === 0) return { host: p.plan.host, status: 'unchanged', events: [], durationMs: 0 };
  options.onHostStart?.(p.plan.host);
  try {
    return await applyOne(p, await connect(p.desired.connection), options);
  } catch (error) {
    const status: HostStatus = error instanceof NodeformError && error.code === 'TRANSPORT' ? 'unreachable' : 'failed';
    return { host: p.plan.host, status, events: [], error: errorText(error), failure: errorDetails(error, p.plan.host), durationMs: Date.now() - started };
  }
}

/**
 * applyAll host by host as each is planned (apply --yes with every host at once): start(p) applies p now;
 * results(planned) waits for each, in the plan's order, and applies any host not started yet.
 */
export class ApplyAsPlanned {
  private readonly running = new Map<string, Promise<HostResult>>();
  private readonly options: ApplyOptions;

  constructor(
    private readonly connect: Connector,
    options: ApplyOptions,
  ) {
    this.options = { ...options, memo: options.memo ?? new ScriptMemo() };
  }

  start(p: Planned): void {
    if (!this.running.has(p.plan.host)) this.running.set(p.plan.host, applyHost(p, this.connect, this.options));
  }

  results(planned: readonly Planned[]): Promise<HostResult[]> {
    for (const p of planned) this.start(p);
    return Promise.all(planned.map((p) => this.running.get(p.plan.host)!));
  }
}

export async function applyAll(planned: readonly Planned[], connect: Connector, options: ApplyOptions): Promise<HostResult[]> {
  const shared = { ...options, memo: options.memo ?? new ScriptMemo() };
  return eachLimited(planned, options.forks, (p) => applyHost(p, connect, shared));
}
