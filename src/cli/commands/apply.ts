// nodeform apply: plan (or read a saved plan), show it, ask, apply per host under the host lock.

import { readFile } from 'node:fs/promises';
import { applyAll, type ApplyOptions, type Planned } from '../../apply/run.js';
import type { HostResult } from '../../model/results.js';
import type { ApplyView } from '../../views/apply.js';
import { NodeformError } from '../../errors.js';
import { hasChanges, type Plan } from '../../model/plan.js';
import type { TransportPool } from '../../transport/ssh/index.js';
import { confirm, inputsOf, inShard, loadDesired, planOf, runIdentity, withPool, type Command, type CommandContext } from '../context.js';
import type { Outcome } from '../exit-codes.js';
import { readSavedPlan, savedPlanMismatches } from '../../plan/saved-plan.js';
import { planSelected } from './plan.js';
import { applyRollout } from './rollout.js';

/**
 * Shows the plan, asks when there is anything to change, applies it and reports each host. Hosts that held items
 * back (no checkpoint quorum) are not converged: a pipeline must see that, though everything else was applied.
 */
export async function applyPlanned(ctx: CommandContext, planned: readonly Planned[], kind: Plan['kind'], action: string, transports: TransportPool): Promise<Outcome> {
  const view = ctx.views.apply();
  const plan = planOf(planned, kind);
  const unreachable = planned.some((p) => p.plan.error);
  const options: ApplyOptions = {
    ...runIdentity(),
    action,
    forks: ctx.line.forks,
    lockTimeoutSeconds: ctx.line.lockTimeoutSeconds,
    ...ctx.events?.apply(),
  };
  // Hosts without changes are not contacted: they come back unchanged.
  const applying = planned.filter((p) => !p.plan.error && p.plan.changes.length > 0).map((p) => p.plan.host);
  // With nothing to ask (--yes), no event stream and every host started at once, the hosts start first and the plan
  // (thousands of lines for thousands of files) is formatted and written while they work: the same text, in the
  // same place, before the results. A host that ends before it got under way (unreachable) counts as started.
  if (ctx.line.yes && !ctx.events && applying.length > 0 && applying.length <= ctx.line.forks) {
    const waiting = new Set(applying);
    let allUnderWay = (): void => {};
    const underWay = new Promise<void>((resolve) => (allUnderWay = resolve));
    const started = (host: string): void => {
      if (waiting.delete(host) && waiting.size === 0) allUnderWay();
    };
    const running = applyAll(planned, (c) => transports.get(c), { ...options, onUnderWay: started, onHostDone: (r) => started(r.host) });
    await Promise.race([underWay, running]);
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
  return reportResults(view, plan, await applyAll(planned, (c) => transports.get(c), options), unreachable);
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
  return withPool(ctx, async (transports) => applyPlanned(ctx, await planSelected(ctx, inputs, transports), 'apply', 'apply', transports));
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
