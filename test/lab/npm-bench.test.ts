// `npm run bench`'s many-files and history cells end to end, tiny: 10 files per host and a history of 20 on the
// bench's own 3 lab hosts (test/bench/files.ts, lab `bench-files`, slot 23), run as a user runs the bench
// (node --import tsx test/bench/run.ts, with --no-build: it runs bin/nodeform.js on the dist/ that CI built). Checks the
// machinery: every cell next to its floor, with the controller's RSS, in the results JSON and the Markdown report.
// It asserts nothing about time.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Measured, Results } from '../bench/report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = mkdtempSync(join(tmpdir(), 'nodeform-npm-bench-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/bench/run.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A real measurement of a nodeform command: a wall time and the peak RSS of a Node process (tens of MiB). */
const nodeformRun = (xs: Measured[], n: number) => {
  expect(xs).toHaveLength(n);
  for (const v of xs) {
    expect(v.wallMs).toBeGreaterThan(0);
    expect(v.maxRssKb).toBeGreaterThan(20 * 1024);
  }
};

describe('npm run bench --files --history', () => {
  it('measures each cell next to its floor and reports both with the ratio and the controller RSS', async () => {
    const r = await bench(['--tools', 'nodeform', '--hosts', '0', '--scale', '0', '--big-files', '0', '--files', '10', '--history', '20', '--runs', '1', '--no-build', '--out', out]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const json = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(json).toHaveLength(1);
    const results = JSON.parse(readFileSync(join(out, json[0]!), 'utf8')) as Results;
    expect(results.steps).toEqual([]);

    expect(results.manyFiles).toHaveLength(1);
    const cell = results.manyFiles![0]!;
    expect(cell).toMatchObject({ files: 10, hosts: 3 });
    for (const floor of [cell.tarFloor, cell.hashFloor]) {
      expect(floor).toHaveLength(1);
      expect(floor[0]!.wallMs).toBeGreaterThan(0);
    }
    for (const step of [cell.noopPlan, cell.firstApply, cell.firstApplyCached!, cell.change, cell.reset]) nodeformRun(step, 1);

    const history = results.history!;
    expect(history).toMatchObject({ history: 20, files: 10, hosts: 3 });
    expect(Number.isInteger(history.originals) && Number.isInteger(history.blobs)).toBe(true);
    nodeformRun(history.afterHistory, 3);
    nodeformRun(history.clean, 3);

    const md = readFileSync(join(out, json[0]!.replace(/\.json$/, '.md')), 'utf8');
    expect(r.stdout).toContain(md.trim());
    expect(md).toMatch(/^\| 10 \| 3 \| no-op plan \| [0-9.]+ \| ssh sha256sum \| [0-9.]+ \| [0-9.]+× \| \d+ \|/m);
    expect(md).toMatch(/^\| 10 \| 3 \| first apply \| [0-9.]+ \| tar c \\\| ssh tar x \| [0-9.]+ \| [0-9.]+× \| \d+ \| playbook parse cache cold \|$/m);
    expect(md).toMatch(/^\| 10 \| 3 \| first apply \| [0-9.]+ \| tar c \\\| ssh tar x \| [0-9.]+ \| [0-9.]+× \| \d+ \| playbook parse cached \(as after a plan\) \|$/m);
    expect(md).toMatch(/^\| 10 \| 20 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+× \| \d+ \| \d+ \| \d+ original records, \d+ blobs \|$/m);
  }, 180_000);
});
