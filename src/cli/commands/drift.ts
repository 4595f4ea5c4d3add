// nodeform drift: for scheduled jobs. Each selected host against its own record of what nodeform's last
// generation left there (STATE/applied), one probe exec per host; the playbook is not read: what was applied
// is what the host recorded, not what the repository says now (that is plan's question).

import { driftAll, lockedFailure } from '../../apply/run.js';
import { driftStatus, type HostDrift } from '../../views/drift.js';
import { loadHosts, probeRunOf, withPool, type Command } from '../context.js';

export const drift: Command = async (ctx) => {
  const desired = await loadHosts(ctx);
  return withPool(ctx, async (transports) => {
    const planned = await driftAll(desired, (c) => transports.get(c), probeRunOf(ctx), ctx.events?.probe('drift'));
    const rows: HostDrift[] = planned.map((p) => {
      const host = p.desired.host;
      // Read while another run still changed the host: what differs may be that run's changes half made.
      const lock = p.facts?.record.lock;
      if (lock) return { host, error: lockedFailure(host, lock) };
      return {
        host,
        ...(p.plan.error ? { error: p.failure ?? { code: 'TRANSPORT', message: p.plan.error, host } } : {}),
        ...(p.plan.drift ? { check: p.plan.drift } : {}),
      };
    });
    ctx.views.drift().drift(rows);
    const statuses = rows.map(driftStatus);
    if (statuses.includes('error')) return 'failure';
    return statuses.some((s) => s !== 'in-sync') ? 'drifted' : 'success';
  });
};
