// The sync benchmark's report as one self-contained HTML page: charts drawn as inline SVG (no script, no
// network: it opens the same from a CI artifact, a mail or a file), the measured table, the recommendation
// and the old scripts' promises beside the measurements. Pure: every figure comes in as data.

import { PROMISED, measuredGain, type Recommendation, type StrategySummary } from './recommend.js';

export interface ProgressSeries {
  strategy: string;
  host: string;
  run: number;
  /** Seconds since the strategy's start, and the head slot then. */
  points: { seconds: number; headSlot: number }[];
}

export interface HtmlReportInput {
  title: string;
  /** When and where it was measured, the command, the chain: shown as given. */
  facts: { label: string; value: string }[];
  summaries: StrategySummary[];
  recommendation: Recommendation;
  progress: ProgressSeries[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The strategy's colour, the same in every chart. */
function colourOf(strategies: string[], strategy: string): string {
  return PALETTE[Math.max(0, strategies.indexOf(strategy)) % PALETTE.length]!;
}

function lineChart(series: ProgressSeries[], strategies: string[]): string {
  const width = 760;
  const height = 300;
  const pad = { left: 64, right: 16, top: 16, bottom: 40 };
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) return '<p>No progress samples were recorded.</p>';
  const maxX = Math.max(1, ...points.map((p) => p.seconds));
  const maxY = Math.max(1, ...points.map((p) => p.headSlot));
  const x = (seconds: number) => pad.left + (seconds / maxX) * (width - pad.left - pad.right);
  const y = (slot: number) => height - pad.bottom - (slot / maxY) * (height - pad.top - pad.bottom);
  const lines = series
    .map((s) => {
      const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.seconds).toFixed(1)},${y(p.headSlot).toFixed(1)}`).join(' ');
      return `<path class="series" data-strategy="${escapeHtml(s.strategy)}" d="${d}" fill="none" stroke="${colourOf(strategies, s.strategy)}" stroke-width="2"><title>${escapeHtml(`${s.strategy}, ${s.host}, run ${s.run}`)}</title></path>`;
    })
    .join('\n');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${x(maxX * f).toFixed(1)}" y="${height - pad.bottom + 18}" text-anchor="middle">${Math.round(maxX * f)} s</text>` +
      `<text x="${pad.left - 6}" y="${(y(maxY * f) + 4).toFixed(1)}" text-anchor="end">${Math.round(maxY * f)}</text>`)
    .join('');
  return `<svg role="img" aria-label="Head slot over time per strategy" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<rect x="${pad.left}" y="${pad.top}" width="${width - pad.left - pad.right}" height="${height - pad.top - pad.bottom}" fill="#fafafa" stroke="#ccc"/>
${lines}
${ticks}
<text x="${width / 2}" y="${height - 6}" text-anchor="middle">time since start</text>
<text x="14" y="${height / 2}" text-anchor="middle" transform="rotate(-90 14 ${height / 2})">head slot</text>
</svg>`;
}

function barChart(label: string, unit: string, summaries: StrategySummary[], strategies: string[], pick: (s: StrategySummary) => { median: number; min: number; max: number } | undefined): string {
  const rows = summaries.map((s) => ({ strategy: s.strategy, spread: pick(s) })).filter((r) => r.spread !== undefined);
  if (rows.length === 0) return `<p>No ${escapeHtml(label)} was measured.</p>`;
  const width = 760;
  const rowHeight = 28;
  const left = 150;
  const max = Math.max(...rows.map((r) => r.spread!.max), 1e-9);
  const scale = (v: number) => (v / max) * (width - left - 90);
  const bars = rows
    .map((r, i) => {
      const top = 8 + i * rowHeight;
      const { median, min, max: high } = r.spread!;
      return `<text x="${left - 8}" y="${top + 16}" text-anchor="end">${escapeHtml(r.strategy)}</text>` +
        `<rect class="bar" data-strategy="${escapeHtml(r.strategy)}" x="${left}" y="${top + 4}" width="${scale(median).toFixed(1)}" height="16" fill="${colourOf(strategies, r.strategy)}"/>` +
        `<line x1="${(left + scale(min)).toFixed(1)}" x2="${(left + scale(high)).toFixed(1)}" y1="${top + 12}" y2="${top + 12}" stroke="#333" stroke-width="2"/>` +
        `<text x="${(left + scale(high) + 6).toFixed(1)}" y="${top + 16}">${formatNumber(median)} ${escapeHtml(unit)}</text>`;
    })
    .join('\n');
  return `<svg role="img" aria-label="${escapeHtml(label)} per strategy" viewBox="0 0 ${width} ${rows.length * rowHeight + 16}" width="${width}" height="${rows.length * rowHeight + 16}">
${bars}
</svg>`;
}

function formatNumber(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function recommendationText(recommendation: Recommendation): string {
  if (recommendation.kind === 'winner') {
    const margin = recommendation.marginSeconds > 0 ? `, ${formatNumber(recommendation.marginSeconds)} s (${recommendation.marginPercent.toFixed(0)}%) faster to synced than ${recommendation.over}` : ` ${recommendation.over}`;
    return `Recommended: <strong>${escapeHtml(recommendation.strategy)}</strong>${escapeHtml(margin)}.`;
  }
  if (recommendation.kind === 'no-clear-winner') return `No clear winner among ${escapeHtml(recommendation.candidates.join(', '))}: ${escapeHtml(recommendation.reason)}.`;
  return `No recommendation: ${escapeHtml(recommendation.reason)}.`;
}

export function htmlReport(input: HtmlReportInput): string {
  const strategies = input.summaries.map((s) => s.strategy);
  const mib = (s: StrategySummary) => s.peakMemory && { median: s.peakMemory.median / 1048576, min: s.peakMemory.min / 1048576, max: s.peakMemory.max / 1048576 };
  const table = input.summaries
    .map((s) => `<tr><td>${escapeHtml(s.strategy)}</td><td>${s.synced}/${s.runs}</td><td>${s.timeToSynced ? `${formatNumber(s.timeToSynced.median)} s (${formatNumber(s.timeToSynced.min)}-${formatNumber(s.timeToSynced.max)})` : '-'}</td><td>${s.peakMemory ? `${formatNumber(s.peakMemory.median / 1048576)} MiB` : '-'}</td><td>${s.cpuSeconds ? `${formatNumber(s.cpuSeconds.median)} s` : '-'}</td><td>${escapeHtml(s.excluded ?? '')}</td></tr>`)
    .join('\n');
  const promises = PROMISED.map((p) => {
    const gain = measuredGain(input.summaries, p.strategy);
    return `<tr><td>${escapeHtml(p.claim)}</td><td>${gain === undefined ? 'not measured' : `${gain.toFixed(0)}% (${escapeHtml(p.strategy)} against baseline, medians)`}</td></tr>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(input.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 820px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
svg text { font: 12px system-ui, sans-serif; fill: #333; }
.legend span { display: inline-block; margin-right: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<dl>${input.facts.map((f) => `<dt>${escapeHtml(f.label)}</dt><dd>${escapeHtml(f.value)}</dd>`).join('')}</dl>
<p id="recommendation">${recommendationText(input.recommendation)}</p>
<p class="legend">${strategies.map((s) => `<span><i style="background:${colourOf(strategies, s)}"></i>${escapeHtml(s)}</span>`).join('')}</p>
<h2>Sync progress</h2>
${lineChart(input.progress, strategies)}
<h2>Time to synced (median, bar; range, line)</h2>
${barChart('time to synced', 's', input.summaries, strategies, (s) => s.timeToSynced)}
<h2>Peak memory</h2>
${barChart('peak memory', 'MiB', input.summaries, strategies, mib)}
<h2>CPU time</h2>
${barChart('CPU time', 's', input.summaries, strategies, (s) => s.cpuSeconds)}
<h2>Measurements</h2>
<table><thead><tr><th>strategy</th><th>synced runs</th><th>time to synced</th><th>peak memory</th><th>CPU</th><th>left out because</th></tr></thead>
<tbody>
${table}
</tbody></table>
<h2>What the old scripts promised, and what was measured</h2>
<table><thead><tr><th>promise</th><th>measured</th></tr></thead>
<tbody>
${promises}
</tbody></table>
</body>
</html>
`;
}
