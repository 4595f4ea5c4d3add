// status views: the table, the --watch rounds (redrawn in place on a terminal, plain lines otherwise), JSON that
// matches schemas/output.schema.json, and the Prometheus text; all from HostStatus rows built by assessHost.
import { describe, expect, it } from 'vitest';
import { assessHost, type HostStatus } from '../../../src/monitor/status.js';
import { MONITOR_DEFAULTS, type SyncSample } from '../../../src/monitor/sync.js';
import { chooseViews } from '../../../src/views/index.js';
import { duration, progressBar, statusDocument } from '../../../src/views/status.js';
import { outputSchemaErrors } from '../../support/output-schema.js';

const MIN = 60_000;
const T = Date.UTC(2026, 11, 6, 21, 0, 0);

function row(host: string, samples: SyncSample[], extra: Partial<HostStatus> = {}): HostStatus {
  const now = samples[samples.length - 1]!.at;
  return {
    host,
    clients: { consensus: 'lighthouse', execution: 'geth' },
    network: { name: 'ephemery', iteration: 212 },
    sample: samples[samples.length - 1]!,
    assessment: assessHost(samples, MONITOR_DEFAULTS, now, 12),
    versions: { consensus: 'Lighthouse/v7.0.0', execution: 'Geth/v1.15.0' },
    units: [
      { name: 'lighthouse.service', active: 'active', sub: 'running' },
      { name: 'geth.service', active: 'active', sub: 'running' },
    ],
    checkpoint: { source: 'provider', from: 'https://cp.example/' },
    errors: [],
    alerts: [],
    ...extra,
  };
}

const syncing = row('lab1', [
  { at: T - 5 * MIN, consensus: { reachable: true, headSlot: 1000, syncDistance: 2000, isSyncing: true, peers: 8 }, execution: { reachable: true, blockNumber: 900, peers: 5 } },
  { at: T, consensus: { reachable: true, headSlot: 2000, syncDistance: 1025, isSyncing: true, peers: 8 }, execution: { reachable: true, blockNumber: 1900, peers: 5 } },
]);
const down = row('lab2', [{ at: T, consensus: { reachable: false, error: 'cannot connect to the host: refused' } }], { versions: {}, errors: ['cannot connect to the host: refused'] });
const stalled = row(
  'lab3',
  [
    { at: T - 6 * MIN, consensus: { reachable: true, headSlot: 500, syncDistance: 900, isSyncing: true, peers: 0 } },
    { at: T - 4 * MIN, consensus: { reachable: true, headSlot: 500, syncDistance: 910, isSyncing: true, peers: 0 } },
    { at: T, consensus: { reachable: true, headSlot: 500, syncDistance: 930, isSyncing: true, peers: 0 } },
  ],
  {
    alerts: [{ event: { host: 'lab3', kind: 'firing', verdict: 'stalled', reason: 'x', at: T }, failed: ['alert webhook 2 (slack): HTTP 500'] }],
  },
);
const rows = [syncing, down, stalled];

function capture(format: 'human' | 'json', tty: boolean, prometheus = false) {
  const out: string[] = [];
  const views = chooseViews(format, { stdout: (t) => out.push(t), stderr: () => undefined }, { color: false });
  return { view: views.status({ prometheus, tty }), text: () => out.join('') };
}

describe('status views', () => {
  it('the table: one line per host with verdict, head, distance, speed, ETA, peers, lag and versions; then why', () => {
    const { view, text } = capture('human', false);
    view.status(rows, T);
    const lines = text().split('\n');
    expect(lines[0]).toMatch(/^HOST\s+VERDICT\s+HEAD\s+DIST\s+SPEED\s+ETA\s+PEERS\s+EL LAG\s+VERSIONS$/);
    expect(lines[1]).toMatch(/^lab1\s+syncing\s+2000\s+1025\s+200\.0\/min\s+5m 15s\s+8\/5\s+-\s+Lighthouse\/v7\.0\.0 · Geth\/v1\.15\.0$/);
    expect(text()).toContain('units lighthouse.service active/running, geth.service active/running; ephemery iteration 212; checkpoint from https://cp.example/');
    expect(text()).toMatch(/lab2\s+down\s+-\s+-/);
    expect(text()).toContain("the consensus client's Beacon API does not answer: cannot connect to the host: refused");
    expect(text()).toMatch(/lab3\s+stalled/);
    expect(text()).toContain('alert firing: lab3 is stalled (not delivered: alert webhook 2 (slack): HTTP 500)');
  });

  it('--watch on a terminal: a header and one line with a bar per host, redrawn in place', () => {
    const { view, text } = capture('human', true);
    view.round(rows, T, 5);
    const first = text();
    expect(first.startsWith('\r\x1b[2Knodeform status: every 5 s, 21:00:00 UTC')).toBe(true);
    expect(first.split('\n').filter((l) => l !== '')).toHaveLength(4);
    expect(first).toContain("lab1  syncing    [##########----------]  48%");
    view.round(rows, T + 5000, 5);
    // The second round moves back up over the four lines it drew, and clears each line before drawing it.
    expect(text().slice(first.length).startsWith('\x1b[4A\r\x1b[2K')).toBe(true);
  });

  it('--watch elsewhere: one plain line per host per round, no escape sequences', () => {
    const { view, text } = capture('human', false);
    view.round(rows, T, 5);
    view.round(rows, T + 5000, 5);
    const lines = text().trim().split('\n');
    expect(lines.filter((l) => / lab1 /.test(l))).toHaveLength(2);
    expect(lines[0]).toMatch(/^2026-12-06T21:00:00.000Z lab1 syncing head=2000 distance=1025 speed=200.0\/min eta=5m15s progress=48% peers=8\/5 el_lag=-: /);
    expect(text()).not.toContain('\x1b');
  });

  it('JSON matches the output schema and carries no URL of a webhook', () => {
    const { view, text } = capture('json', false);
    view.status(rows, T);
    const doc = JSON.parse(text());
    expect(outputSchemaErrors('status', doc)).toBe('');
    expect(doc.hosts.map((h: { verdict: string }) => h.verdict)).toEqual(['syncing', 'down', 'stalled']);
    expect(doc.hosts[0]).toMatchObject({ eta_seconds: 315, consensus: { head_slot: 2000, client: 'lighthouse' }, network: { iteration: 212 } });
    expect(outputSchemaErrors('status', statusDocument([], T))).toBe('');
  });

  it('--prometheus: the metrics of src/monitor/prometheus.ts', () => {
    const { view, text } = capture('human', false, true);
    view.status(rows, T);
    expect(text()).toContain('nodeform_sync_verdict{host="lab3",verdict="stalled"} 1');
    expect(text()).toContain('nodeform_node_up{host="lab2"} 0');
  });

  it('durations and bars', () => {
    expect(duration(undefined)).toBe('-');
    expect(duration(65_000)).toBe('1m 05s');
    expect(duration(3 * 3600_000 + 4 * MIN)).toBe('3h 04m');
    expect(progressBar(0.5, 10)).toBe('[#####-----]  50%');
    expect(progressBar(undefined, 4)).toBe('[    ]   ?');
  });
});
