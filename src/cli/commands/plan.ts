// nodeform plan: what apply would change on each selected host, one probe exec per host.

import { readFile, writeFile } from 'node:fs/promises';
import { planAll, type Planned, type ProbeObserver, type SettleDesired } from '../../apply/run.js';
import type { LoadOptions } from '../../project/load.js';
import type { Desired } from '../../model/types.js';
import type { NodeSpec } from '../../clients/types.js';
import { hasChanges, type Plan } from '../../model/plan.js';
import { planOptionsFor } from '../../plan/compute.js';
import type { TransportPool } from '../../transport/ssh/index.js';
import { inputsOf, inShard, loadDesired, planOf, probeRunOf, withPool, type Command, type CommandContext } from '../context.js';
import { readPlanDocument, savedPlanText, type Inputs } from '../../plan/saved-plan.js';

/** Loads, connects and plans every selected host; the pool stays open for an apply to reuse. */
export async function planSelected(
  ctx: CommandContext,
  inputs: Inputs,
  transports: TransportPool,
  onNodeSpecs?: (specs: Record<string, NodeSpec>) => void,
  /** Without --events: told each host's plan as it is made, if it returns an observer for these hosts (apply --yes). */
  observeFor?: (desired: readonly Desired[]) => ProbeObserver | undefined,
  /** apply --yes: large local files hashed while the hosts are probed, each host's state settled before its plan. */
  deferred?: { digests: NonNullable<LoadOptions['deferDigests']>; settle: SettleDesired },
): Promise<Planned[]> {
  // The SSH handshakes (round trips, and the hosts' own work) run while templates are read and rendered: as many
  // hosts as the forks will take first.
  const width = ctx.line.forks;
  const desired = await loadDesired(ctx, inputs, (connections) => connections.slice(0, width).forEach((c) => void transports.get(c)), onNodeSpecs, deferred?.digests);
  // The pull-request comment has a drift section: the same probe also compares each host with its record.
  const checkApplied = ctx.line.format === 'markdown';
  const observe = ctx.events?.probe('plan') ?? observeFor?.(desired);
  return planAll(desired, (c) => transports.get(c), probeRunOf(ctx), { ...planOptionsFor({ ...inputs, pruneData: ctx.line.pruneData }), checkApplied }, observe, deferred?.settle);
}

export const plan: Command = async (ctx) => {
  const view = ctx.views.plan();
  if (ctx.line.savedPlan !== undefined) {
    // plan --plan FILE: a plan shown again (as markdown for a comment, say); no host is contacted.
    const saved = readPlanDocument(ctx.line.savedPlan, await readFile(ctx.line.savedPlan, 'utf8'));
    const shown: Plan = { formatVersion: 1, kind: saved.kind, hosts: inShard(ctx, saved.hosts, (h) => h.host) };
    view.plan(shown);
    if (shown.hosts.some((h) => h.error)) return 'failure';
    return ctx.line.detailedExitcode && hasChanges(shown) ? 'changesPending' : 'success';
  }
  const inputs = inputsOf(ctx.line);
  return withPool(ctx, async (transports) => {
    const shown = planOf(await planSelected(ctx, inputs, transports), 'apply');
    view.plan(shown);
    if (ctx.line.out) {
      await writeFile(ctx.line.out.path, savedPlanText(shown, new Date().toISOString(), inputs), { mode: 0o600 });
      view.saved(ctx.line.out.given);
    }
    if (shown.hosts.some((h) => h.error)) return 'failure';
    return ctx.line.detailedExitcode && hasChanges(shown) ? 'changesPending' : 'success';
  });
};
