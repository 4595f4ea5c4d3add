// The sync figures in Prometheus' text exposition format (version 0.0.4): what `nodeform status --prometheus`
// prints and what the on-host monitor writes for node_exporter's textfile collector. The alert rules in
// monitoring/prometheus/nodeform.rules.yaml are written against these names. Pure.

import type { SyncAssessment, SyncSample, Verdict } from './sync.js';

export const VERDICTS: readonly Verdict[] = ['synced', 'syncing', 'stalled', 'optimistic', 'el-offline', 'down'];

export interface NodeFigures {
  host: string;
  sample: SyncSample;
  assessment: SyncAssessment;
}

interface Metric {
  name: string;
  help: string;
  values: { labels: Record<string, string>; value: number | undefined }[];
}

/** One metric family per figure, every host in each, in a stable order; unknown figures are left out. */
export function prometheusText(nodes: readonly NodeFigures[]): string {
  const bool = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0);
  const per = (pick: (node: NodeFigures) => number | undefined) => nodes.map((node) => ({ labels: { host: node.host }, value: pick(node) }));
  const metrics: Metric[] = [
    { name: 'nodeform_node_up', help: "1 when the consensus client's Beacon API answered.", values: per((n) => bool(n.sample.consensus.reachable)) },
    { name: 'nodeform_sync_head_slot', help: 'Head slot of the consensus client.', values: per((n) => n.sample.consensus.headSlot) },
    { name: 'nodeform_sync_distance_slots', help: 'Slots between the head and the clock (sync_distance).', values: per((n) => n.sample.consensus.syncDistance) },
    { name: 'nodeform_sync_is_syncing', help: '1 while the consensus client says it is syncing.', values: per((n) => bool(n.sample.consensus.isSyncing)) },
    { name: 'nodeform_sync_is_optimistic', help: '1 while the head is not yet verified by the execution client.', values: per((n) => bool(n.sample.consensus.isOptimistic)) },
    {
      name: 'nodeform_execution_offline',
      help: '1 when the consensus client reports el_offline or the execution JSON-RPC does not answer.',
      values: per((n) => (n.sample.consensus.elOffline === true || n.sample.execution?.reachable === false ? 1 : n.sample.consensus.elOffline === false || n.sample.execution ? 0 : undefined)),
    },
    { name: 'nodeform_execution_lag_blocks', help: "Execution blocks behind the consensus head's payload.", values: per((n) => n.assessment.executionLag) },
    { name: 'nodeform_sync_slots_per_minute', help: 'Head slots gained per minute over the monitoring window.', values: per((n) => n.assessment.slotsPerMinute) },
    { name: 'nodeform_sync_eta_seconds', help: 'Seconds until synced at the current speed.', values: per((n) => (n.assessment.etaMs === undefined ? undefined : n.assessment.etaMs / 1000)) },
    {
      name: 'nodeform_peers',
      help: 'Connected peers per client.',
      values: nodes.flatMap((n) => [
        { labels: { host: n.host, layer: 'consensus' }, value: n.sample.consensus.peers },
        { labels: { host: n.host, layer: 'execution' }, value: n.sample.execution?.peers },
      ]),
    },
    { name: 'nodeform_finalized_epoch', help: 'Finalized epoch seen by the consensus client.', values: per((n) => n.sample.consensus.finalizedEpoch) },
    {
      name: 'nodeform_sync_verdict',
      help: "nodeform's verdict on the node: 1 for the current one.",
      values: nodes.flatMap((n) => VERDICTS.map((verdict) => ({ labels: { host: n.host, verdict }, value: n.assessment.verdict === verdict ? 1 : 0 }))),
    },
    { name: 'nodeform_sample_timestamp_seconds', help: 'When the figures were read (Unix time).', values: per((n) => n.sample.at / 1000) },
  ];
  const lines: string[] = [];
  for (const metric of metrics) {
    const known = metric.values.filter((entry) => entry.value !== undefined && Number.isFinite(entry.value));
    if (known.length === 0) continue;
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} gauge`);
    for (const entry of known) lines.push(`${metric.name}{${labelText(entry.labels)}} ${formatValue(entry.value!)}`);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',');
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)));
}
