// nodeform status: each node host's sync state, read through the run's SSH connections (forwarded channels to
// its APIs, one exec for its units and files), judged over the history kept on the controller, with alerts
// to the node's webhooks on a change of verdict. --watch repeats it until interrupted.

import { ALERTING, nextAlerts } from '../../monitor/alerts.js';
import { assessHost, keepForWindow, type HostStatus } from '../../monitor/status.js';
import type { SyncSample } from '../../monitor/sync.js';
import { webhookPosts } from '../../monitor/webhooks.js';
import { nodeTargetsOf, sampleNodes, type NodeObservation, type NodeTarget } from '../../observe/collect.js';
import { HistoryStore, historyKey } from '../../observe/history.js';
import { sendPosts } from '../../observe/send.js';
import { loadNodeTargets } from '../../project/load.js';
import type { TransportPool } from '../../transport/ssh/index.js';
import { usageError } from '../arguments.js';
import { inputsOf, loaderEnvironment, statusHistoryDir, withPool, type Command, type CommandContext } from '../context.js';
import type { Outcome } from '../exit-codes.js';

export const status: Command = async (ctx) => {
  const { desired, nodeSpecs } = await loadNodeTargets({ ...inputsOf(ctx.line), ...(await loaderEnvironment(ctx)) });
  const targets = nodeTargetsOf(desired, nodeSpecs);
  if (targets.length === 0) throw usageError('no node host selected: status looks at the hosts of ethereum_node plays (check the playbook and --limit)');
  const view = ctx.views.status({ prometheus: ctx.line.prometheus, tty: ctx.io.isTTY });
  const now = (): number => ctx.io.now?.() ?? Date.now();
  const rounds = new Rounds(ctx, targets, new HistoryStore(statusHistoryDir(ctx.io.env)), now);
  return withPool(ctx, async (pool) => {
    if (!ctx.line.watch) {
      const rows = await rounds.next(pool);
      view.status(rows, now());
      return outcomeOf(rows);
    }
    let interrupted = false;
    let wake: () => void = () => undefined;
    const stop = ctx.io.onInterrupt?.(() => {
      interrupted = true;
      wake();
    });
    try {
      for (;;) {
        const rows = await rounds.next(pool);
        view.round(rows, now(), ctx.line.intervalSeconds);
        if (!interrupted) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ctx.line.intervalSeconds * 1000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        if (interrupted) return outcomeOf(rows);
      }
    } finally {
      stop?.();
    }
  });
};

/** Non-zero when a host needs someone: stalled, down, el-offline or optimistic for too long. */
function outcomeOf(rows: readonly HostStatus[]): Outcome {
  return rows.some((row) => ALERTING.has(row.assessment.verdict)) ? 'failure' : 'success';
}

/** Successive looks at the hosts, each judged over the host's history (read from the store once, then kept). */
class Rounds {
  private readonly memory = new Map<string, SyncSample[]>();

  constructor(
    private readonly ctx: CommandContext,
    private readonly targets: readonly NodeTarget[],
    private readonly store: HistoryStore,
    private readonly now: () => number,
  ) {}

  async next(pool: TransportPool): Promise<HostStatus[]> {
    const observations = await sampleNodes(this.targets, (c) => pool.get(c), { now: this.now, forks: this.ctx.line.forks });
    return Promise.all(observations.map((observation, i) => this.judge(this.targets[i]!, observation)));
  }

  private async judge(target: NodeTarget, observation: NodeObservation): Promise<HostStatus> {
    const monitoring = target.spec.monitoring;
    const policy = monitoring.stall;
    const key = historyKey(target.host, target.connection.address, target.connection.port);
    const history = this.memory.get(key) ?? (await this.store.samples(key));
    history.push(observation.sample);
    await this.store.append(key, observation.sample, monitoring.historyMaxBytes);
    const at = this.now();
    const assessment = assessHost(history, policy, at, observation.secondsPerSlot);
    this.memory.set(key, keepForWindow(history, policy, at));
    const alerts: HostStatus['alerts'] = [];
    if (!this.ctx.line.noAlerts && monitoring.alerts.length > 0) {
      const told = await this.store.alertState(key);
      const next = nextAlerts(target.host, told, assessment.verdict, assessment.reason, at, monitoring.alertIntervalSeconds * 1000);
      for (const event of next.events) {
        const outcomes = await sendPosts(webhookPosts([event], monitoring.alerts));
        alerts.push({ event, failed: outcomes.filter((o) => !o.ok).map((o) => `${o.label}: ${o.error ?? 'failed'}`) });
      }
      await this.store.saveAlertState(key, next.state);
    }
    const spec = target.spec;
    const iteration = observation.state?.iteration ?? spec.network.iteration;
    return {
      host: target.host,
      clients: { consensus: spec.consensus.client, execution: spec.execution.client },
      network: { name: spec.network.name, ...(iteration !== undefined ? { iteration } : {}) },
      sample: observation.sample,
      assessment,
      versions: observation.versions,
      ...(observation.state ? { units: observation.state.units, checkpoint: observation.state.checkpoint } : {}),
      errors: observation.errors,
      alerts,
    };
  }
}
