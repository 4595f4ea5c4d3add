// The README's first command, `npm run demo`, run as the user runs it (test/lab/demo.ts, the real CLI against real
// hosts and the real Lodestar), apart from a user's own lab: its own folder, lab name and slot, and --stop so no
// host outlives the test. The demo checks each step's result itself and exits 1 at the first that is wrong.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'nodeform-demo-'));
const NAME = 'demo-test';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runDemo(): Promise<{ code: number; out: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', 'test/lab/demo.ts', '--dir', dir, '--name', NAME, '--slot', '17', '--stop'],
      { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024, timeout: 280_000, killSignal: 'SIGTERM' },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout + stderr }),
    ),
  );
}

describe('npm run demo', () => {
  it('walks a fleet of the real Lodestar and two stand-ins through plan, apply, status until synced, drift, reset; no host is left running', async () => {
    const { code, out } = await runDemo();
    expect(code, out).toBe(0);
    // Every step ran, in order (the demo ends at the first step that does not give what it says).
    const steps = [...out.matchAll(/^== (.*)$/gm)].map((m) => m[1]);
    expect(steps).toEqual([
      expect.stringMatching(/^boot 3 lab hosts/),
      expect.stringMatching(/^an Ephemery release and a checkpoint provider/),
      expect.stringMatching(/^node1 finalizes its first epoch/),
      expect.stringMatching(/^plan: three nodes to create/),
      expect.stringMatching(/^apply: node1's checkpoint .* every client started/),
      expect.stringMatching(/^plan again: no changes/),
      expect.stringMatching(/^status: the nodes just started are syncing/),
      expect.stringMatching(/Lodestar peered with node1 .* status until every node is synced/),
      expect.stringMatching(/^a hand edit on /),
      expect.stringMatching(/^drift: /),
      expect.stringMatching(/^plan: exactly that drift/),
      expect.stringMatching(/^apply: the unit is put back/),
      'history',
      expect.stringMatching(/^reset --to original/),
      expect.stringMatching(/^plan: everything is to create again/),
    ]);
    expect(out).toMatch(/Done in [\d.]+ s\. Every host, node1 and the servers stop with the demo/);
    expect(out).toMatch(/runs the real Lodestar 1\.5\.1/);
    // status called every node synced, the real Lodestar's among them.
    expect(out).toMatch(/demo-lodestar-1 synced \(head \d+, distance 0\)/);
    // Its hosts are gone: nspawn marks each of them with the lab's name.
    const left = spawnSync('pgrep', ['-af', `NODEFORM_LAB_NAME=${NAME}`], { encoding: 'utf8' });
    expect(left.stdout).toBe('');
  }, 300_000);
});
