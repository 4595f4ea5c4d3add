// `nodeform status`: each node host's sync state as a table (one line per host, then its reason and what its
// units and files say), JSON, Prometheus text, and the rounds of --watch: redrawn in place with a progress
// bar per host on a terminal, plain lines (one per host per round) otherwise. Pure.

import { prometheusText } from '../monitor/prometheus.js';
import type { HostStatus } from '../monitor/status.js';
import type { Verdict } from '../monitor/sync.js';
import { painter, terminalSafe, type Paint, type Style } from './paint.js';
import { FORMAT_VERSION, jsonText, type ViewOptions, type Writer } from './writer.js';

export interface StatusView {
  /** One look at every host (status without --watch). */
  status(rows: readonly HostStatus[], now: number): void;
  /** One round of --watch; `intervalSeconds` for the header. */
  round(rows: readonly HostStatus[], now: number, intervalSeconds: number): void;
}

const VERDICT_STYLE: Record<Verdict, Style> = { synced: 'green', syncing: 'cyan', stalled: 'red', optimistic: 'yellow', 'el-offline': 'red', down: 'red' };

/** "3h 04m", "4m 05s", "12s"; "-" when unknown. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  const s = Math.round(ms / 1000);
  if (s >= 86_400) return `${Math.floor(s / 86_400)}d ${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A bar of `width` cells for 0-1; unknown progress is an empty bar with "?". */
export function progressBar(progress: number | undefined, width = 20): string {
  if (progress === undefined) return `[${' '.repeat(width)}]   ?`;
  const filled = Math.round(Math.min(1, Math.max(0, progress)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(progress * 100)).padStart(3)}%`;
}

const num = (value: number | undefined) => (value === undefined ? '-' : String(value));

const COLUMNS = ['HOST', 'VERDICT', 'HEAD', 'DIST', 'SPEED', 'ETA', 'PEERS', 'EL LAG', 'VERSIONS'] as const;
type Cells = Record<(typeof COLUMNS)[number], string>;

function cells(row: HostStatus): Cells {
  const cl = row.sample.consensus;
  const el = row.sample.execution;
  const a = row.assessment;
  return {
    HOST: row.host,
    VERDICT: a.verdict,
    HEAD: num(cl.headSlot),
    DIST: num(cl.syncDistance),
    SPEED: a.slotsPerMinute === undefined ? '-' : `${a.slotsPerMinute.toFixed(1)}/min`,
    ETA: a.verdict === 'synced' ? '-' : duration(a.etaMs),
    PEERS: `${num(cl.peers)}/${num(el?.peers)}`,
    'EL LAG': num(a.executionLag),
    VERSIONS: `${row.versions.consensus ?? row.clients.consensus} · ${row.versions.execution ?? row.clients.execution}`,
  };
}


function table(rows: readonly HostStatus[], paint: Paint): string[] {
  const all = rows.map(cells);
  const width = Object.fromEntries(COLUMNS.map((c) => [c, Math.max(c.length, ...all.map((r) => r[c].length))]));
  const line = (r: Cells, verdict?: Verdict) =>
    COLUMNS.map((c, i) => {
      const text = i === COLUMNS.length - 1 ? r[c] : r[c].padEnd(width[c]!);
      return c === 'VERDICT' && verdict ? paint(VERDICT_STYLE[verdict], text) : text;
    })
      .join('  ')
      .trimEnd();
  return [paint('bold', line(Object.fromEntries(COLUMNS.map((c) => [c, c])) as Cells)), ...all.map((r, i) => line(r, rows[i]!.assessment.verdict))];
}

function details(row: HostStatus): string {
  const parts: string[] = [];
  if (row.units) parts.push(`units ${row.units.map((u) => `${u.name} ${u.active}${u.sub ? `/${u.sub}` : ''}${u.restarts ? ` (${u.restarts} restarts)` : ''}`).join(', ')}`);
  parts.push(row.network.iteration !== undefined ? `${row.network.name} iteration ${row.network.iteration}` : row.network.name);
  const cp = row.checkpoint;
  if (cp) {
    const switched = cp.switched ? `, switched by the fallback at ${cp.switched.at} from ${cp.switched.from}` : '';
    parts.push(cp.source === 'genesis' ? 'synced from genesis' : cp.source === 'unknown' ? 'checkpoint not known' : `checkpoint from ${cp.source === 'fleet-cache' ? 'the fleet cache ' : ''}${cp.from ?? '?'}${switched}`);
  }
  const cl = row.sample.consensus;
  if (cl.finalizedEpoch !== undefined) parts.push(`finalized epoch ${cl.finalizedEpoch}`);
  if (cl.isOptimistic) parts.push('optimistic');
  return parts.join('; ');
}

function alertLines(row: HostStatus): string[] {
  return row.alerts.map(({ event, failed }) => {
    const what = `alert ${event.kind}: ${row.host} ${event.kind === 'firing' ? 'is' : 'is no longer'} ${event.verdict}`;
    return failed.length > 0 ? `${what} (not delivered: ${failed.join('; ')})` : what;
  });
}

function clock(now: number): string {
  return new Date(now).toISOString().slice(11, 19) + ' UTC';
}

export class StatusHuman implements StatusView {
  private readonly paint: Paint;
  /** Lines the last --watch round drew on the terminal, to move back over. */
  private drawn = 0;

  /** `raw` writes the cursor movements of the redraw; everything else goes through terminalSafe. */
  constructor(
    private readonly raw: Writer,
    private readonly options: ViewOptions & { tty: boolean },
  ) {
    this.paint = painter(options.color);
  }

  private write(text: string): void {
    this.raw.stdout(terminalSafe(text));
  }

  status(rows: readonly HostStatus[]): void {
    const lines = table(rows, this.paint);
    this.write(`${lines[0]}\n`);
    rows.forEach((row, i) => {
      this.write(`${lines[i + 1]}\n`);
      this.write(`    ${row.assessment.reason}\n`);
      this.write(`    ${details(row)}\n`);
      for (const error of row.errors) this.write(`    ${this.paint('yellow', error)}\n`);
      for (const alert of alertLines(row)) this.write(`    ${alert}\n`);
    });
  }

  round(rows: readonly HostStatus[], now: number, intervalSeconds: number): void {
    if (!this.options.tty) {
      // Not a terminal: one plain line per host per round, for logs and pipes.
      for (const row of rows) {
        const c = cells(row);
        const a = row.assessment;
        this.write(
          `${new Date(now).toISOString()} ${row.host} ${a.verdict} head=${c.HEAD} distance=${c.DIST} speed=${c.SPEED} eta=${c.ETA.replace(' ', '')} ` +
            `progress=${a.progress === undefined ? '-' : `${Math.floor(a.progress * 100)}%`} peers=${c.PEERS} el_lag=${c['EL LAG']}: ${a.reason}\n`,
        );
        for (const alert of alertLines(row)) this.write(`${new Date(now).toISOString()} ${alert}\n`);
      }
      return;
    }
    const hostWidth = Math.max(4, ...rows.map((r) => r.host.length));
    const lines = [
      this.paint('bold', `nodeform status: every ${intervalSeconds} s, ${clock(now)} (Ctrl-C to stop)`),
      ...rows.map((row) => {
        const c = cells(row);
        const a = row.assessment;
        return (
          `${row.host.padEnd(hostWidth)}  ${this.paint(VERDICT_STYLE[a.verdict], a.verdict.padEnd(10))} ${progressBar(a.progress)}  ` +
          `head ${c.HEAD}  dist ${c.DIST}  ${c.SPEED}  ETA ${a.verdict === 'synced' ? '-' : c.ETA}  peers ${c.PEERS}  el lag ${c['EL LAG']}`
        );
      }),
    ];
    // Back to the top of the last round's lines; each line is cleared before it is drawn again.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    this.raw.stdout(up);
    for (const line of lines) this.raw.stdout(`\r\x1b[2K${terminalSafe(line)}\n`);
    this.drawn = lines.length;
  }
}

/** The JSON document of one look (and of each --watch round, one per line). */
export function statusDocument(rows: readonly HostStatus[], now: number): unknown {
  return {
    format_version: FORMAT_VERSION,
    at: new Date(now).toISOString(),
    hosts: rows.map((row) => {
      const cl = row.sample.consensus;
      const el = row.sample.execution;
      const a = row.assessment;
      const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      return defined({
        host: row.host,
        verdict: a.verdict,
        reason: a.reason,
        progress: a.progress,
        slots_per_minute: a.slotsPerMinute,
        eta_seconds: a.etaMs === undefined ? undefined : Math.round(a.etaMs / 1000),
        execution_lag: a.executionLag,
        sampled_at: new Date(row.sample.at).toISOString(),
        consensus: defined({
          client: row.clients.consensus,
          version: row.versions.consensus,
          reachable: cl.reachable,
          head_slot: cl.headSlot,
          sync_distance: cl.syncDistance,
          is_syncing: cl.isSyncing,
          is_optimistic: cl.isOptimistic,
          el_offline: cl.elOffline,
          peers: cl.peers,
          finalized_epoch: cl.finalizedEpoch,
          head_payload_number: cl.headPayloadNumber,
          error: cl.error,
        }),
        execution: defined({
          client: row.clients.execution,
          version: row.versions.execution,
          reachable: el?.reachable,
          block_number: el?.blockNumber,
          syncing: el?.syncing === undefined ? undefined : el.syncing === false ? false : { current_block: el.syncing.currentBlock, highest_block: el.syncing.highestBlock },
          peers: el?.peers,
          error: el?.error,
        }),
        network: defined({ name: row.network.name, iteration: row.network.iteration }),
        units: row.units,
        checkpoint: row.checkpoint,
        errors: row.errors,
        alerts: row.alerts.map(({ event, failed }) => ({ kind: event.kind, verdict: event.verdict, reason: event.reason, failed })),
      });
    }),
  };
}

export class StatusJson implements StatusView {
  constructor(private readonly out: Writer) {}

  status(rows: readonly HostStatus[], now: number): void {
    this.out.stdout(jsonText(statusDocument(rows, now)));
  }

  round(rows: readonly HostStatus[], now: number): void {
    this.out.stdout(`${JSON.stringify(statusDocument(rows, now))}\n`);
  }
}

/** --prometheus: the text exposition format (src/monitor/prometheus.ts), for a textfile collector or a scrape. */
export class StatusPrometheus implements StatusView {
  constructor(private readonly out: Writer) {}

  status(rows: readonly HostStatus[]): void {
    this.out.stdout(prometheusText(rows.map((row) => ({ host: row.host, sample: row.sample, assessment: row.assessment }))));
  }

  round(rows: readonly HostStatus[]): void {
    this.status(rows);
  }
}
