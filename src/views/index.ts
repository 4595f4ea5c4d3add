// The one place a command's rendering is chosen: human text, or JSON with --json (Terraform's views.NewView).

import { ApplyHuman, ApplyJson, type ApplyView } from './apply.js';
import { ReportHuman, ReportJson, type ReportView } from './report.js';
import { DriftHuman, DriftJson, type DriftView } from './drift.js';
import { BenchHuman, BenchJson, type BenchView } from './bench.js';
import { DiagnosticsHuman, DiagnosticsJson, type DiagnosticsView } from './diagnostics.js';
import { HistoryHuman, HistoryJson, type HistoryView } from './history.js';
import { ImportHuman, ImportJson, type ImportView } from './import.js';
import { terminalSafe } from './paint.js';
import { PlanHuman, PlanJson, PlanMarkdown, type PlanView } from './plan.js';
import type { MarkdownOptions } from './markdown.js';
import { ProvidersHuman, ProvidersJson, type ProvidersView } from './providers.js';
import { StatusHuman, StatusJson, StatusPrometheus, type StatusView } from './status.js';
import { ValidateHuman, ValidateJson, type ValidateView } from './validate.js';
import type { ViewOptions, Writer } from './writer.js';

/** markdown: plan's pull-request comment; every other view is human then. */
export type ViewFormat = 'human' | 'json' | 'markdown';

export interface Views {
  diagnostics: DiagnosticsView;
  validate(): ValidateView;
  plan(): PlanView;
  /** apply, and reset (which applies a reset plan). */
  apply(): ApplyView;
  history(): HistoryView;
  drift(): DriftView;
  report(): ReportView;
  providers(): ProvidersView;
  import(): ImportView;
  /** status: a table (redrawn in place by --watch when `tty`), JSON, or with `prometheus` the text format. */
  status(options: { prometheus: boolean; tty: boolean }): StatusView;
  bench(): BenchView;
}

export function chooseViews(format: ViewFormat, out: Writer, options: ViewOptions & { markdown?: MarkdownOptions }): Views {
  if (format === 'json') {
    return {
      diagnostics: new DiagnosticsJson(out),
      validate: () => new ValidateJson(out),
      plan: () => new PlanJson(out),
      apply: () => new ApplyJson(out),
      history: () => new HistoryJson(out),
      drift: () => new DriftJson(out),
      report: () => new ReportJson(out),
      providers: () => new ProvidersJson(out),
      import: () => new ImportJson(out),
      status: () => new StatusJson(out),
      bench: () => new BenchJson(out),
    };
  }
  // Everything a human view writes goes through terminalSafe: no escape sequence from a host or a file reaches the
  // terminal as is.
  const safe: Writer = { stdout: (text) => out.stdout(terminalSafe(text)), stderr: (text) => out.stderr(terminalSafe(text)) };
  const views = humanViews(safe, options, out);
  // A comment for a forge, not a terminal: its text is escaped as markdown (views/markdown.ts), and no colour.
  return format === 'markdown' ? { ...views, plan: () => new PlanMarkdown(safe, options.markdown ?? {}) } : views;
}

/** `raw` is for the one view that moves the cursor (status --watch); it makes its own text terminal-safe. */
function humanViews(out: Writer, options: ViewOptions, raw: Writer): Views {
  return {
    diagnostics: new DiagnosticsHuman(out),
    validate: () => new ValidateHuman(out),
    plan: () => new PlanHuman(out, options),
    apply: () => new ApplyHuman(out, options),
    history: () => new HistoryHuman(out),
    drift: () => new DriftHuman(out, options),
    report: () => new ReportHuman(out, options),
    providers: () => new ProvidersHuman(out, options),
    import: () => new ImportHuman(out),
    bench: () => new BenchHuman(out, options),
    status: ({ prometheus, tty }) => (prometheus ? new StatusPrometheus(out) : new StatusHuman(raw, { ...options, tty })),
  };
}

export type { ApplyView, BenchView, DiagnosticsView, DriftView, ReportView, HistoryView, ImportView, PlanView, ProvidersView, StatusView, ValidateView, ViewOptions, Writer };
