// nodeform history: each host's generations, read from its record (one probe exec per host).

import { planResetAll } from '../../apply/run.js';
import { loadHosts, probeRunOf, withPool, type Command } from '../context.js';

export const history: Command = async (ctx) => {
  const desired = await loadHosts(ctx);
  return withPool(ctx, async (transports) => {
    const planned = await planResetAll(desired, (c) => transports.get(c), probeRunOf(ctx), 'previous');
    const rows = planned.map((p) => ({ host: p.desired.host, error: p.plan.error, generations: p.facts?.record.generations ?? [] }));
    ctx.views.history().history(rows);
    return rows.some((r) => r.error) ? 'failure' : 'success';
  });
};
