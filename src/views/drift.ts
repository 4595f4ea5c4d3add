// `nodeform drift`: each host against its own record of what the last generation left (STATE/applied), as text
// or JSON. Pure.

import type { AppliedCheck, DriftItem } from '../model/types.js';
import type { ErrorDetails } from '../model/results.js';
import { errorJson } from './diagnostics.js';
import { painter } from './paint.js';
import { FORMAT_VERSION, jsonText, type ViewOptions, type Writer } from './writer.js';

export type DriftStatus = 'in-sync' | 'drifted' | 'no-record' | 'error';

export interface HostDrift {
  host: string;
  /** Why the host could not be checked. */
  error?: ErrorDetails;
  check?: AppliedCheck;
}

/** in-sync: as the last generation left it; drifted: something differs; no-record: nothing to compare with. */
export function driftStatus(row: HostDrift): DriftStatus {
  if (row.error || !row.check) return 'error';
  if (row.check.generation === undefined) return 'no-record';
  return row.check.drift.length > 0 ? 'drifted' : 'in-sync';
}

export function driftCounts(rows: readonly HostDrift[]): Record<DriftStatus, number> {
  const counts: Record<DriftStatus, number> = { 'in-sync': 0, drifted: 0, 'no-record': 0, error: 0 };
  for (const row of rows) counts[driftStatus(row)] += 1;
  return counts;
}

const NAMES = { file: 'file', directory: 'directory', unit: 'unit', user: 'user' } as const;

/** One difference in words: `file /etc/x: content changed`, `unit a.service: active: active -> failed`. */
export function describeDrift(item: DriftItem): string {
  const what = `${NAMES[item.kind]} ${item.target}`;
  if (item.field === 'exists') return `${what}: ${item.live === 'false' ? 'is gone' : 'exists again (the last apply removed it)'}`;
  if (item.field === 'content') return `${what}: content changed`;
  return `${what}: ${item.field}: ${item.recorded ?? '?'} -> ${item.live ?? '?'}`;
}

export const NO_RECORD =
  'no record of what the last apply left (STATE/applied): nodeform never applied to this host, or last applied before it kept that record';

export function driftSummary(rows: readonly HostDrift[]): string {
  const c = driftCounts(rows);
  const parts = [
    c.drifted ? `${c.drifted} of ${rows.length} host(s) changed outside nodeform since its last apply` : `No host changed outside nodeform since its last apply (${rows.length} checked)`,
    ...(c['no-record'] ? [`${c['no-record']} host(s) have no record to compare with`] : []),
    ...(c.error ? [`${c.error} host(s) could not be checked`] : []),
  ];
  return `${parts.join('; ')}.`;
}

export interface DriftView {
  drift(rows: readonly HostDrift[]): void;
}

export class DriftHuman implements DriftView {
  constructor(
    private readonly out: Writer,
    private readonly options: ViewOptions,
  ) {}

  drift(rows: readonly HostDrift[]): void {
    const paint = painter(this.options.color);
    const lines: string[] = [];
    for (const row of rows) {
      const status = driftStatus(row);
      const since = row.check?.generation !== undefined ? `generation ${row.check.generation}${row.check.finishedAt ? `, ${row.check.finishedAt}` : ''}` : '';
      if (status === 'error') lines.push(`${paint('bold', row.host)}  ${paint('red', `error: ${row.error?.message ?? 'not checked'}`)}`);
      else if (status === 'no-record') lines.push(`${paint('bold', row.host)}  ${paint('yellow', NO_RECORD)}`);
      else if (status === 'in-sync') lines.push(`${paint('bold', row.host)}  ${paint('dim', `as the last apply left it (${since})`)}`);
      else {
        lines.push(`${paint('bold', row.host)}  ${paint('yellow', `${row.check!.drift.length} change(s) outside nodeform since ${since}`)}`);
        for (const item of row.check!.drift) lines.push(`  ${paint('yellow', '~')} ${describeDrift(item)}`);
      }
    }
    this.out.stdout(`${lines.join('\n')}\n\n${driftSummary(rows)}\n`);
  }
}

/** The drift report (schemas/output.schema.json `drift`). */
export function driftDocument(rows: readonly HostDrift[]): object {
  const c = driftCounts(rows);
  return {
    format_version: FORMAT_VERSION,
    hosts: rows.map((row) => ({
      host: row.host,
      status: driftStatus(row),
      ...(row.check?.generation !== undefined ? { generation: row.check.generation } : {}),
      ...(row.check?.finishedAt !== undefined ? { finished_at: row.check.finishedAt } : {}),
      drift: (row.check?.drift ?? []).map((d) => ({ kind: d.kind, target: d.target, field: d.field, recorded: d.recorded, live: d.live })),
      ...(row.error ? { error: errorJson(row.error) } : {}),
    })),
    summary: { in_sync: c['in-sync'], drifted: c.drifted, no_record: c['no-record'], error: c.error },
  };
}

export class DriftJson implements DriftView {
  constructor(private readonly out: Writer) {}

  drift(rows: readonly HostDrift[]): void {
    this.out.stdout(jsonText(driftDocument(rows)));
  }
}
