// The sync benchmark's HTML report opened in Debian's headless Chromium: the page renders its charts (counted
// in the DOM Chromium built, and seen in a screenshot as pixels of each strategy's colour) and the console says
// nothing (no script error, no resource it failed to load).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { recommend, summarise, type StrategyRun } from '../../src/bench/recommend.js';
import { htmlReport, type ProgressSeries } from '../../src/bench/report-html.js';

const dir = mkdtempSync(join(tmpdir(), 'nodeform-bench-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const strategies = ['baseline', 'checkpoint-url', 'fleet-cache'];
const runs: StrategyRun[] = strategies.flatMap((strategy, s) =>
  [0, 1, 2].map((run) => ({ strategy, host: `lab${run + 1}`, timeToSyncedSeconds: [300, 60, 40][s]! + run * 3, peakMemoryBytes: (200 + s * 20) * 1048576, cpuSeconds: 30 - s * 5 })),
);
const progress: ProgressSeries[] = strategies.map((strategy, s) => ({
  strategy,
  host: 'lab1',
  run: 1,
  points: Array.from({ length: 20 }, (_, i) => ({ seconds: i * 15, headSlot: Math.min(600, Math.round(i * 15 * [2, 10, 15][s]!)) })),
}));

function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', '--hide-scrollbars', ...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`chromium failed: ${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

describe('the HTML report in headless Chromium', () => {
  const file = join(dir, 'report.html');
  writeFileSync(file, htmlReport({ title: 'Sync strategies <lab>', facts: [{ label: 'command', value: 'nodeform bench --runs 3' }], summaries: summarise(runs, strategies), recommendation: recommend(runs, strategies), progress }));

  it('renders every chart, and the console stays silent', async () => {
    const { stdout, stderr } = await chromium(['--dump-dom', `file://${file}`]);
    expect(stdout.match(/<path class="series"/g)).toHaveLength(3);
    expect(stdout.match(/<rect class="bar"/g)).toHaveLength(9);
    expect(stdout).toContain('Recommended: <strong>fleet-cache</strong>');
    expect(stdout).toContain('<title>Sync strategies &lt;lab&gt;</title>');
    expect(stderr.split('\n').filter((line) => /:CONSOLE|Uncaught|ERR_FILE_NOT_FOUND|Failed to load/.test(line))).toEqual([]);
  });

  it('shows the charts on screen: each strategy colour in the screenshot', async () => {
    const shot = join(dir, 'report.png');
    await chromium([`--screenshot=${shot}`, '--window-size=860,1400', `file://${file}`]);
    const png = PNG.sync.read(readFileSync(shot));
    const count = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      let n = 0;
      for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b) n++;
      return n;
    };
    // Lines and bars in the palette's first three colours, each well beyond a legend swatch (12 x 12 px).
    for (const colour of ['#1f77b4', '#d62728', '#2ca02c']) expect(count(colour), colour).toBeGreaterThan(1000);
  });
});

describe('the lab report nodeform bench wrote (bench-results/sync-2026-12-06-*), in headless Chromium', () => {
  const results = join(import.meta.dirname, '..', '..', 'bench-results');
  const reportDir = readdirSync(results).find((d) => /^sync-2026-12-06-0ms$/.test(d))!;
  const stem = readdirSync(join(results, reportDir)).find((f) => f.endsWith('.json'))!.replace(/\.json$/, '');
  const html = join(results, reportDir, `${stem}.html`);

  it('renders a line per run and a bar per strategy and chart, and the console stays silent', async () => {
    const { stdout, stderr } = await chromium(['--dump-dom', `file://${html}`]);
    expect(stdout.match(/<path class="series"/g)).toHaveLength(9);
    expect(stdout.match(/<rect class="bar"/g)).toHaveLength(9);
    expect(stderr.split('\n').filter((line) => /:CONSOLE|Uncaught|ERR_FILE_NOT_FOUND|Failed to load/.test(line))).toEqual([]);
  });
});
