// The bench's report: every run as measured, the summaries and the recommendation computed from them
// (recommend.ts), the old scripts' promises beside the measured gains; as JSON, Markdown and HTML. Pure.

import type { UnitAccounting, RunFigures } from './measure.js';
import { providerBytesSentence, type ProviderBytes } from './provider-bytes.js';
import { PROMISED, measuredGain, recommend, type Recommendation, type StrategyRun, type StrategySummary } from './recommend.js';
import { htmlReport, type ProgressSeries } from './report-html.js';

export type RunOutcome = 'synced' | 'time-limit' | 'failed' | 'interrupted';

export interface BenchRunRecord extends Omit<RunFigures, 'progress'> {
  strategy: string;
  host: string;
  run: number;
  /** ISO time the client was started on empty chain data (for a run that failed before: the time its step began). */
  startedAt: string;
  /** ISO time the run ended: its last sample (synced, the time limit, Ctrl-C), or its failure. */
  finishedAt: string;
  outcome: RunOutcome;
  /** Why a run failed (an apply that did not go through, a host that could not be reached). */
  error?: string;
  /** The clients' peak memory together (systemd MemoryPeak), and their CPU time together. */
  peakMemoryBytes?: number;
  cpuSeconds?: number;
  units: UnitAccounting[];
  /**
   * Bytes the controller sent the host over SSH for this strategy: its apply (files, a fleet-cache state) and the
   * wipe. What the clients fetch themselves (a provider's state, blocks from peers) is not in it.
   */
  controllerBytes: number;
  /** Bytes the host's system services received from the providers' addresses during the run (nftables), or why not measured. */
  providerBytes: ProviderBytes;
  samples: number;
  progress: RunFigures['progress'];
}

export interface BenchReport {
  format_version: 1;
  title: string;
  started_at: string;
  finished_at: string;
  /** The command line that made it, as given. */
  command: string;
  hosts: string[];
  strategies: { name: string; description: string; vars: Record<string, unknown>; origin: string }[];
  settings: { runs: number; time_limit_seconds: number; sample_seconds: number; parallel: boolean; memory_limit_mb?: number };
  runs: BenchRunRecord[];
  summaries: StrategySummary[];
  recommendation: Recommendation;
  promises: { claim: string; strategy: string; low_percent: number; high_percent: number; measured_percent?: number }[];
  /** Each host after the bench: put back in its declared state, or why not. */
  restored: { host: string; status: string; error?: string }[];
  interrupted: boolean;
  /** Facts the caller adds (the lab's link: delay, bandwidth; the client version). */
  notes: string[];
}

export function buildReport(input: Omit<BenchReport, 'format_version' | 'summaries' | 'recommendation' | 'promises'>): BenchReport {
  const names = input.strategies.map((s) => s.name);
  const runs: StrategyRun[] = input.runs.map((r) => ({
    strategy: r.strategy,
    host: r.host,
    ...(r.timeToSyncedSeconds !== undefined ? { timeToSyncedSeconds: r.timeToSyncedSeconds } : {}),
    ...(r.timeToFirstHeadSeconds !== undefined ? { timeToFirstHeadSeconds: r.timeToFirstHeadSeconds } : {}),
    ...(r.peakMemoryBytes !== undefined ? { peakMemoryBytes: r.peakMemoryBytes } : {}),
    ...(r.cpuSeconds !== undefined ? { cpuSeconds: r.cpuSeconds } : {}),
  }));
  const limit = input.settings.memory_limit_mb !== undefined ? input.settings.memory_limit_mb * 1024 * 1024 : undefined;
  const recommendation = recommend(runs, names, limit);
  const promises = PROMISED.map((p) => {
    const gain = measuredGain(recommendation.summaries, p.strategy);
    return { claim: p.claim, strategy: p.strategy, low_percent: p.lowPercent, high_percent: p.highPercent, ...(gain !== undefined ? { measured_percent: gain } : {}) };
  });
  return { format_version: 1, ...input, summaries: recommendation.summaries, recommendation, promises };
}

/** The recommendation in one sentence. */
export function recommendationSentence(recommendation: Recommendation): string {
  if (recommendation.kind === 'winner') {
    return recommendation.marginSeconds > 0
      ? `Recommended: ${recommendation.strategy}, ${fmt(recommendation.marginSeconds)} s (${recommendation.marginPercent.toFixed(0)}%) faster to synced than ${recommendation.over} (medians; the ranges do not overlap).`
      : `Recommended: ${recommendation.strategy} ${recommendation.over}.`;
  }
  if (recommendation.kind === 'no-clear-winner') return `No clear winner among ${recommendation.candidates.join(', ')}: ${recommendation.reason}.`;
  return `No recommendation: ${recommendation.reason}.`;
}

function fmt(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

const MiB = 1024 * 1024;
const bytes = (n: number) => (n >= MiB ? `${fmt(n / MiB)} MiB` : n >= 1024 ? `${fmt(n / 1024)} KiB` : `${n} B`);
const spreadText = (s: { median: number; min: number; max: number } | undefined, scale = 1, unit = 's') =>
  s ? `${fmt(s.median / scale)} ${unit} (${fmt(s.min / scale)}-${fmt(s.max / scale)})` : '-';
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const SOURCE_TEXT: Record<string, string> = {
  systemd: 'systemd (MemoryPeak, CPUUsageNSec)',
  cgroup: "the units' cgroups (memory.peak or v1 memory.max_usage_in_bytes; cpu.stat or v1 cpuacct.usage)",
  process: "the units' main processes (VmHWM, the peak resident set; CPU time from /proc/PID/stat): systemd accounted nothing there",
  none: 'nothing (the host did not say)',
};

/** What the report says of the bytes the clients fetched themselves. */
export const PROVIDER_BYTES =
  '"sent by the controller": what the controller sent the host over SSH (the apply and the wipe). "from the providers": what the host\'s system services (systemd\'s system.slice: the clients among them, not a login shell) received from the checkpoint providers\' addresses, resolved on the host at the run\'s start, from the wipe to the run\'s end, as it arrived (IP and TCP headers and any retransmitted segment included), counted by nftables on the host; never an estimate. What the clients fetch from peers is not measured';

/** One line per run: what its "from the providers" figure is, or why there is none. */
export function providerBytesLines(runs: readonly BenchRunRecord[]): string[] {
  return runs.map((r) => `${r.host} ${r.strategy} run ${r.run}: ${r.providerBytes.measured ? `${bytes(r.providerBytes.bytes)} (${r.providerBytes.bytes} bytes) ` : ''}${providerBytesSentence(r.providerBytes)}`);
}

export function markdownReport(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(`# ${report.title}`, '');
  lines.push(`- measured: ${report.started_at} to ${report.finished_at}${report.interrupted ? ' (interrupted)' : ''}`);
  lines.push(`- command: \`${report.command}\``);
  lines.push(`- hosts: ${report.hosts.join(', ')}`);
  lines.push(`- runs per strategy and host: ${report.settings.runs}; time limit ${report.settings.time_limit_seconds} s; a sample every ${report.settings.sample_seconds} s; ${report.settings.parallel ? 'hosts in parallel' : 'one host at a time'}${report.settings.memory_limit_mb !== undefined ? `; memory limit ${report.settings.memory_limit_mb} MiB` : ''}`);
  for (const note of report.notes) lines.push(`- ${note}`);
  lines.push('', `**${recommendationSentence(report.recommendation)}**`, '');
  lines.push('## Strategies', '', '| strategy | what | overlay |', '| --- | --- | --- |');
  for (const s of report.strategies) lines.push(`| ${cell(s.name)} | ${cell(s.description)} | \`${cell(JSON.stringify(s.vars))}\` |`);
  lines.push('', '## Summary (median, range in brackets)', '', '| strategy | synced runs | time to synced | peak memory | CPU time | left out because |', '| --- | --- | --- | --- | --- | --- |');
  for (const s of report.summaries) {
    lines.push(`| ${cell(s.strategy)} | ${s.synced}/${s.runs} | ${spreadText(s.timeToSynced)} | ${spreadText(s.peakMemory, MiB, 'MiB')} | ${spreadText(s.cpuSeconds)} | ${cell(s.excluded ?? '')} |`);
  }
  const sources = [...new Set(report.runs.flatMap((r) => r.units.map((u) => u.source ?? 'none')))];
  lines.push('', `Peak memory and CPU time are the clients' together, from: ${sources.map((s) => SOURCE_TEXT[s] ?? s).join('; ') || 'no run'}.`);
  lines.push('', `Bytes: ${PROVIDER_BYTES}.`, '');
  for (const line of providerBytesLines(report.runs)) lines.push(`- ${cell(line)}`);
  lines.push('', '## Runs', '', '| strategy | host | run | outcome | first head | synced | start slot | end slot | slots/min | peak memory | CPU | sent by the controller | from the providers |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const opt = (v: number | undefined, f: (n: number) => string) => (v === undefined ? '-' : f(v));
  for (const r of report.runs) {
    lines.push(
      `| ${cell(r.strategy)} | ${cell(r.host)} | ${r.run} | ${r.outcome}${r.error ? `: ${cell(r.error)}` : ''} | ${opt(r.timeToFirstHeadSeconds, (v) => `${fmt(v)} s`)} | ${opt(r.timeToSyncedSeconds, (v) => `${fmt(v)} s`)} | ${opt(r.startSlot, String)} | ${opt(r.endSlot, String)} | ${opt(r.slotsPerMinute, fmt)} | ${opt(r.peakMemoryBytes, (v) => `${fmt(v / MiB)} MiB`)} | ${opt(r.cpuSeconds, (v) => `${fmt(v)} s`)} | ${bytes(r.controllerBytes)} | ${r.providerBytes.measured ? bytes(r.providerBytes.bytes) : 'not measured'} |`,
    );
  }
  lines.push('', '## What the old scripts promised, and what was measured', '', '| promise | measured (against baseline, medians of time to synced) |', '| --- | --- |');
  for (const p of report.promises) {
    lines.push(`| ${cell(p.claim)} | ${p.measured_percent === undefined ? `not measured (needs ${p.strategy} and baseline synced in every run)` : `${p.measured_percent.toFixed(0)}% (${p.strategy})`} |`);
  }
  lines.push('', '## Hosts afterwards', '');
  for (const r of report.restored) lines.push(`- ${r.host}: ${r.status}${r.error ? ` (${r.error})` : ''}`);
  return `${lines.join('\n')}\n`;
}

export function benchHtml(report: BenchReport): string {
  const progress: ProgressSeries[] = report.runs.map((r) => ({ strategy: r.strategy, host: r.host, run: r.run, points: r.progress }));
  return htmlReport({
    title: report.title,
    facts: [
      { label: 'measured', value: `${report.started_at} to ${report.finished_at}${report.interrupted ? ' (interrupted)' : ''}` },
      { label: 'command', value: report.command },
      { label: 'hosts', value: report.hosts.join(', ') },
      { label: 'runs', value: `${report.settings.runs} per strategy and host; time limit ${report.settings.time_limit_seconds} s` },
      { label: 'bytes', value: PROVIDER_BYTES },
      ...providerBytesLines(report.runs).map((line) => ({ label: 'from the providers', value: line })),
      ...report.notes.map((note) => ({ label: 'note', value: note })),
    ],
    summaries: report.summaries,
    recommendation: report.recommendation,
    progress,
  });
}
