// `nodeform history`: each host's generations, as a table or JSON. Pure.

import type { GenerationSummary } from '../model/types.js';
import { FORMAT_VERSION, jsonText, type Writer } from './writer.js';

export interface HostHistory {
  host: string;
  /** Why the host's record could not be read. */
  error?: string;
  generations: GenerationSummary[];
}

export interface HistoryView {
  history(rows: readonly HostHistory[]): void;
}

export class HistoryHuman implements HistoryView {
  constructor(private readonly out: Writer) {}

  history(rows: readonly HostHistory[]): void {
    for (const row of rows) {
      this.out.stdout(`${row.host}\n`);
      if (row.error) this.out.stdout(`  error: ${row.error}\n`);
      else if (row.generations.length === 0) this.out.stdout('  no generations\n');
      for (const g of row.generations) {
        const state = g.complete ? 'complete' : 'INCOMPLETE (cut off; the next apply converges)';
        this.out.stdout(`  ${String(g.id).padStart(4)}  ${g.action.padEnd(15)} ${g.startedAt}  ${String(g.changes).padStart(3)} change(s)  ${g.controller}  ${state}\n`);
      }
    }
  }
}

export class HistoryJson implements HistoryView {
  constructor(private readonly out: Writer) {}

  history(rows: readonly HostHistory[]): void {
    const hosts = rows.map((r) => ({ host: r.host, ...(r.error !== undefined ? { error: r.error } : {}), generations: r.generations }));
    this.out.stdout(jsonText({ format_version: FORMAT_VERSION, hosts }));
  }
}
