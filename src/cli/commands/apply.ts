// nodeform apply: plan (or read a saved plan), show it, ask, apply per host under the host lock.

import { readFile } from 'node:fs/promises';
import { applyAll, ApplyAsPlanned, errorText, type ApplyOptions, type Planned, type ProbeObserver, type SettleDesired } from '../../apply/run.js';
import { uploadEarly, type UploadReport } from '../../apply/upload.js';
import { withDigests } from '../../project/desired.js';
import type { Desired, LocalFile } from '../../model/types.js';
import type { HostResult } from '../../model/results.js';
import type { ApplyView } from '../../views/apply.js';
import { NodeformError } from '../../errors.js';
import { hasChanges, type Plan } from '../../model/plan.js';
import type { TransportPool } from '../../transport/ssh/index.js';
import { confirm, inputsOf, inShard, loadDesired, planOf, runIdentity, uploadProgressOf, withPool, type Command, type CommandContext } from '../context.js';
import type { Outcome } from '../exit-codes.js';
import { readSavedPlan, savedPlanMismatches } from '../../plan/saved-plan.js';
import { planSelected } from './plan.js';
import { applyRollout } from './rollout.js';

/** apply --yes hashes a `source:` file this large (digest not cached) while the hosts are probed and its upload starts. */
const DEFER_DIGESTS_FROM = 16 * 1024 * 1024;

/** Which hosts' applies are under way (their script going to them, or ended before): apply --yes writes the plan then. */
class UnderWay {
  private readonly seen = new Set<string>();
  private wanted: readonly string[] = [];
  private resolve: (() => void) | undefined;

  readonly mark = (host: string): void => {
    this.seen.add(host);
    this.check();
  };

  all(hosts: readonly string[]): Promise<void> {
    this.wanted = hosts;
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      this.check();
    });
  }

  private check(): void {
    if (this.resolve && this.wanted.every((host) => this.seen.has(host))) {
      this.resolve();
      this.resolve = undefined;
    }
  }
}

/**
 * apply --yes without --events: nothing is asked and no event stream orders the output, so each host's apply starts
 * as soon as that host is planned (when every selected host can run at once: forks), and the plan (thousands of
 * lines for thousands of files) is formatted and written while the hosts work: the same text, in the same place,
 * before the results.
 */
class EarlyApply {
  readonly underWay = new UnderWay();
  readonly applier: ApplyAsPlanned;
  /** Whether hosts start as they are planned (set once the selection is known to fit the forks). */
  private asPlanned = false;
  /** Large local files' digests, made while the hosts are probed (the loader defers them; settle waits for them). */
  readonly digests = { from: DEFER_DIGESTS_FROM, later: new Map<string, Promise<LocalFile>>() };
  /** Each host's uploads started before its plan, by controller path. */
  private readonly early = new Map<string, { startedAt: number; uploads: Map<string, Promise<UploadReport>> }>();

  constructor(
    readonly options: ApplyOptions,
    transports: TransportPool,
  ) {
    const withEarly: ApplyOptions = { ...options, earlyUploads: (host) => this.early.get(host) };
    this.options = withEarly;
    this.applier = new ApplyAsPlanned((c) => transports.get(c), { ...withEarly, onUnderWay: this.underWay.mark, onHostDone: (r) => this.underWay.mark(r.host) });
  }

  /**
   * Before a host's plan: the digests of its pending local files. Where the facts show such a file must go (absent,
   * or of another size) and the hosts start as planned, its upload starts at once, while it is hashed; one of the
   * same size waits for its digest (it may be the same bytes).
   */
  readonly settle: SettleDesired = async (desired, facts, transport) => {
    const pending = desired.resources.flatMap((r) => (r.kind === 'file' && r.local?.pending ? [{ path: r.path, local: r.local }] : []));
    if (pending.length === 0) return desired;
    const later = (local: LocalFile): Promise<LocalFile> => {
      const digest = this.digests.later.get(local.sha256);
      if (!digest) throw new NodeformError('INTERNAL', `no digest is being made of ${local.path}`);
      return digest;
    };
    // A host still locked by another run is not applied (apply/run.ts): nothing goes to it early either.
    for (const { path, local } of this.asPlanned && !facts.record.lock ? pending : []) {
      const fact = facts.paths[path];
      if (fact?.exists && fact.type === 'file' && fact.size === local.size) continue;
      const host = this.early.get(desired.host) ?? { startedAt: Date.now(), uploads: new Map<string, Promise<UploadReport>>() };
      this.early.set(desired.host, host);
      const { uploads } = host;
      if (uploads.has(local.path)) continue;
      const started = uploadEarly(transport, desired.settings.stateDir, local, later(local), this.options.uploadProgress).catch(
        (error: unknown): UploadReport => ({ sent: 0, resumed: 0, failure: { message: errorText(error), command: '', stderr: '' } }),
      );
      uploads.set(local.path, started);
    }
    const digests = await Promise.all(pending.map(async ({ local }) => [local.sha256, await later(local)] as const));
    return withDigests(desired, new Map(digests));
  };

  static for(ctx: CommandContext, action: string, transports: TransportPool): EarlyApply | undefined {
    return ctx.line.yes && !ctx.events ? new EarlyApply(applyOptions(ctx, action), transports) : undefined;
  }

  /** planSelected's observer: a host with changes is applied as soon as it is planned. */
  readonly observeFor = (desired: readonly Desired[]): ProbeObserver | undefined => {
    if (desired.length > this.options.forks) return undefined;
    this.asPlanned = true;
    return {
      started: () => {},
      done: (p) => {
        if (!p.plan.error && p.plan.changes.length > 0) this.applier.start(p);
      },
    };
  };

  /** Hosts may start before the plan is written: all of them at once (those already started, or now). */
  fits(applying: readonly string[]): boolean {
    return this.asPlanned || applying.length <= this.options.forks;
  }
}

function applyOptions(ctx: CommandContext, action: string): ApplyOptions {
  return {
    ...runIdentity(),
    action,
    forks: ctx.line.forks,
    lockTimeoutSeconds: ctx.line.lockTimeoutSeconds,
    upForSeconds: ctx.line.upForSeconds,
    uploadProgress: uploadProgressOf(ctx),
    ...ctx.events?.apply(),
  };
}

/**
 * Shows the plan, asks when there is anything to change, applies it and reports each host. Hosts that held items
 * back (no checkpoint quorum) are not converged: a pipeline must see that, though everything else was applied.
 */
export async function applyPlanned(ctx: CommandContext, planned: readonly Planned[], kind: Plan['kind'], action: string, transports: TransportPool, early = EarlyApply.for(ctx, action, transports)): Promise<Outcome> {
  const view = ctx.views.apply();
  const plan = planOf(planned, kind);
  const unreachable = planned.some((p) => p.plan.error);
  // Hosts without changes are not contacted: they come back unchanged.
  const applying = planned.filter((p) => !p.plan.error && p.plan.changes.length > 0).map((p) => p.plan.host);
  if (early && applying.length > 0 && early.fits(applying)) {
    // A host that ends before it got under way (unreachable) counts as started.
    const running = early.applier.results(planned);
    await Promise.race([early.underWay.all(applying), running]);
    let results: HostResult[];
    try {
      view.plan(plan);
    } finally {
      // Whatever became of the plan's text, the hosts' applies are waited for: none is left running.
      results = await running;
    }
    return reportResults(view, plan, results, unreachable);
  }
  view.plan(plan);
  if (hasChanges(plan)) {
    const hosts = planned.filter((p) => p.plan.changes.length > 0).length;
    if (!(await confirm(ctx, `\nApply these changes to ${hosts} host(s)?`))) {
      view.declined();
      view.done();
      return 'failure';
    }
  }
  return reportResults(view, plan, await applyAll(planned, (c) => transports.get(c), early?.options ?? applyOptions(ctx, action)), unreachable);
}

function reportResults(view: ApplyView, plan: Plan, results: readonly HostResult[], unreachable: boolean): Outcome {
  view.results(results, hasChanges(plan) || unreachable);
  const holding = plan.hosts.filter((h) => h.held?.length).map((h) => h.host);
  view.held(holding);
  view.done();
  return results.some((r) => r.status !== 'applied' && r.status !== 'unchanged') || holding.length > 0 ? 'failure' : 'success';
}

export const apply: Command = async (ctx) => {
  if (ctx.line.savedPlan !== undefined) return applySaved(ctx, ctx.line.savedPlan);
  if (ctx.line.rollout) return applyRollout(ctx, ctx.line.rollout);
  const inputs = inputsOf(ctx.line);
  return withPool(ctx, async (transports) => {
    const early = EarlyApply.for(ctx, 'apply', transports);
    const deferred = early ? { digests: early.digests, settle: early.settle } : undefined;
    return applyPlanned(ctx, await planSelected(ctx, inputs, transports, undefined, early?.observeFor, deferred), 'apply', 'apply', transports, early);
  });
};

/** A saved plan is applied as it was shown: its preconditions are checked on each host under the lock. */
async function applySaved(ctx: CommandContext, file: string): Promise<Outcome> {
  const saved = readSavedPlan(file, await readFile(file, 'utf8'));
  const desired = await loadDesired(ctx, saved.inputs);
  const byHost = new Map(desired.map((d) => [d.host, d]));
  const planned: Planned[] = [];
  for (const host of inShard(ctx, saved.hosts, (h) => h.host)) {
    const d = byHost.get(host.host);
    if (!d) throw new NodeformError('DRIFT', `${file}: host ${host.host} is no longer in the inventory's selection; make a new plan`);
    const mismatches = savedPlanMismatches(host, d);
    if (mismatches.length) {
      throw new NodeformError('DRIFT', `${file}: the declared state changed since the plan was made (${mismatches.join('; ')}); make a new plan`);
    }
    planned.push({ desired: d, plan: host });
  }
  return withPool(ctx, (transports) => applyPlanned(ctx, planned, 'apply', 'apply', transports));
}
