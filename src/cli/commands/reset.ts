// nodeform reset: undo the last apply or go back to the original state, or (--wipe-data) wipe chain data
// keeping node identity; shown as a plan first, applied like one.

import { planResetAll, planWipeDataAll } from '../../apply/run.js';
import { loadDesired, loadHosts, inputsOf, probeRunOf, withPool, type Command } from '../context.js';
import { applyPlanned } from './apply.js';

export const reset: Command = async (ctx) => {
  if (ctx.line.wipeData) {
    // The old scripts' `--reset --force`, with a plan shown first.
    const desired = await loadDesired(ctx, inputsOf(ctx.line));
    return withPool(ctx, async (transports) =>
      applyPlanned(ctx, await planWipeDataAll(desired, (c) => transports.get(c), probeRunOf(ctx), ctx.events?.probe('plan')), 'reset', 'wipe-data', transports),
    );
  }
  const to = ctx.line.resetTo;
  const desired = await loadHosts(ctx);
  return withPool(ctx, async (transports) =>
    applyPlanned(ctx, await planResetAll(desired, (c) => transports.get(c), probeRunOf(ctx), to, ctx.events?.probe('plan')), 'reset', `reset-${to}`, transports),
  );
};
