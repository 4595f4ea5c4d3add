// `nodeform bench`: the dry run and the finished bench, as text or JSON. Progress while it runs goes through the
// diagnostics view (stderr), one line per step and sample (benchProgressLine). Pure.

import { duration, type BenchDryRun } from '../bench/dry-run.js';
import type { BenchStep } from '../bench/measure.js';
import { recommendationSentence, type BenchReport } from '../bench/report.js';
import { painter } from './paint.js';
import { FORMAT_VERSION, jsonText, type ViewOptions, type Writer } from './writer.js';

export interface BenchFiles {
  json: string;
  markdown: string;
  html: string;
}

export interface BenchView {
  dryRun(plan: BenchDryRun): void;
  finished(report: BenchReport, files: BenchFiles): void;
}

/** `[3/12] lab1 checkpoint-provider run 1: ...`: one progress line. */
export function benchProgressLine(step: BenchStep, index: number, total: number, text: string): string {
  return `[${index}/${total}] ${step.host} ${step.strategy} run ${step.run}: ${text}`;
}

export function formatDryRun(plan: BenchDryRun): string {
  const lines: string[] = ['nodeform bench --dry-run: nothing is changed.', ''];
  lines.push('Strategies (each overlay is merged into every host\'s own values of these variables, applied as -e):');
  for (const s of plan.strategies) lines.push(`  ${s.name}: ${s.description}`, `    ${JSON.stringify(s.vars)}`);
  lines.push('', 'On each host, for each strategy and run: apply the overlay (plan and apply, as nodeform apply), stop the');
  lines.push('clients, wipe chain data keeping node identity, start them, and sample their sync state every');
  lines.push(`${plan.intervalSeconds} s until synced or ${duration(plan.timeLimitSeconds)}; then read their systemd accounting.`);
  lines.push('Where the strategy gives the clients a provider URL, an nft table of nodeform\'s own (inet nodeform_bench_HOST)');
  lines.push('counts the bytes from the providers\' addresses to the host\'s system services from before the wipe to the');
  lines.push('run\'s end; it is read and deleted then.', '');
  for (const h of plan.hosts) {
    lines.push(`${h.host}:`);
    lines.push(`  stops: ${h.stopUnits.join(', ') || '(none)'}`);
    lines.push(`  wipes: ${h.wipePaths.join(', ') || '(nothing)'}`);
  }
  lines.push('');
  plan.lanes.forEach((lane, i) => {
    const label = plan.lanes.length > 1 ? `Lane ${i + 1} (at the same time as the others)` : 'In this order';
    lines.push(`${label}: ${lane.map((s) => `${s.host}/${s.strategy}#${s.run}`).join(', ')}`);
  });
  const steps = plan.lanes.reduce((n, lane) => n + lane.length, 0);
  lines.push('', `${steps} run(s); sampling takes at most ${duration(plan.maxSamplingSeconds)}${plan.lanes.length > 1 ? ` (${plan.lanes.length} hosts in parallel)` : ''}, plus each run's apply and wipe.`);
  lines.push('Afterwards (also after Ctrl-C or a failure) every host is put back in its declared state by an apply of the');
  lines.push('inventory and playbook as given.');
  return `${lines.join('\n')}\n`;
}

export function formatBenchResult(report: BenchReport, files: BenchFiles, options: ViewOptions): string {
  const paint = painter(options.color);
  const lines: string[] = [];
  for (const s of report.summaries) {
    const t = s.timeToSynced ? `${s.timeToSynced.median.toFixed(1)} s to synced (${s.timeToSynced.min.toFixed(1)}-${s.timeToSynced.max.toFixed(1)})` : 'never synced in every run';
    lines.push(`  ${s.strategy.padEnd(24)} ${s.synced}/${s.runs} synced  ${t}${s.excluded ? paint('dim', `  left out: ${s.excluded}`) : ''}`);
  }
  lines.push('', paint('bold', recommendationSentence(report.recommendation)));
  for (const p of report.promises) {
    lines.push(`  old scripts' ${p.claim}: ${p.measured_percent === undefined ? 'not measured' : `measured ${p.measured_percent.toFixed(0)}%`}`);
  }
  const notRestored = report.restored.filter((r) => r.status !== 'applied' && r.status !== 'unchanged');
  lines.push('', notRestored.length === 0 ? `Hosts back in their declared state: ${report.restored.map((r) => r.host).join(', ')}` : paint('red', `NOT back in their declared state: ${notRestored.map((r) => `${r.host} (${r.error ?? r.status})`).join('; ')}; run nodeform apply`));
  if (report.interrupted) lines.push(paint('yellow', 'Interrupted: the report holds the runs finished before.'));
  lines.push(`Reports: ${files.markdown}, ${files.html}, ${files.json}`);
  return `${lines.join('\n')}\n`;
}

export class BenchHuman implements BenchView {
  constructor(
    private readonly out: Writer,
    private readonly options: ViewOptions,
  ) {}

  dryRun(plan: BenchDryRun): void {
    this.out.stdout(formatDryRun(plan));
  }

  finished(report: BenchReport, files: BenchFiles): void {
    this.out.stdout(formatBenchResult(report, files, this.options));
  }
}

export class BenchJson implements BenchView {
  constructor(private readonly out: Writer) {}

  dryRun(plan: BenchDryRun): void {
    this.out.stdout(jsonText({ format_version: FORMAT_VERSION, dry_run: plan }));
  }

  finished(report: BenchReport, files: BenchFiles): void {
    const { runs, summaries, recommendation, promises, restored, interrupted } = report;
    // Progress points are in the report file; the document says what was measured and where the reports are.
    this.out.stdout(jsonText({ format_version: FORMAT_VERSION, bench: { runs: runs.map(({ progress: _, ...r }) => r), summaries, recommendation, promises, restored, interrupted }, files }));
  }
}
