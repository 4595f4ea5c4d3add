// The command users run: bin/nodeform.js starting the single-file build (dist/nodeform.cjs, `npm run build`)
// through the code-cache launcher, as a process, against this machine (ansible_connection: local).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repo, 'bin/nodeform.js');
const dir = mkdtempSync(join(tmpdir(), 'nodeform-built-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  if (!existsSync(join(repo, 'dist/nodeform.cjs'))) throw new Error('dist/nodeform.cjs is missing: run npm run build (npm test does)');
  writeFileSync(join(dir, 'inventory.yaml'), `all:\n  vars:\n    nodeform_state_dir: ${dir}/state\n  hosts:\n    here: { ansible_connection: local }\n`);
  writeFileSync(
    join(dir, 'playbook.yaml'),
    `- name: built\n  hosts: all\n  directories:\n    - path: ${dir}/out\n  files:\n    - path: ${dir}/out/app.conf\n      content: "greeting = {{greeting}}\\n"\n`,
  );
});

function nodeform(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const caches = (): string[] => (existsSync(join(dir, '.cache/nodeform/code')) ? readdirSync(join(dir, '.cache/nodeform/code')) : []);

describe('bin/nodeform.js from the build', () => {
  it('plans and applies, writing one code cache per command, and runs the same from it', () => {
    const first = nodeform('plan', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'greeting=hi');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`+ file ${dir}/out/app.conf`);
    expect(first.stdout).toContain('Plan: 2 to create');
    expect(caches()).toEqual([expect.stringMatching(/^plan-[0-9a-f]{16}\.v8$/)]);
    const second = nodeform('plan', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'greeting=hi');
    expect(second).toEqual(first);

    const applied = nodeform('apply', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'greeting=hi', '--yes');
    expect(applied.code).toBe(0);
    expect(readFileSync(join(dir, 'out/app.conf'), 'utf8')).toBe('greeting = hi\n');
    expect(caches().sort()).toEqual([expect.stringMatching(/^apply-/), expect.stringMatching(/^plan-/)]);
    expect(nodeform('plan', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'greeting=hi', '--detailed-exitcode').code).toBe(0);
  });

  it('keeps the playbook\'s parse for the next run, whose messages place problems as a fresh parse does', () => {
    const parses = (): string[] => (existsSync(join(dir, '.cache/nodeform/parse')) ? readdirSync(join(dir, '.cache/nodeform/parse')) : []);
    // Without -e greeting, the template fails: a problem placed in the playbook's text after the parse.
    const first = nodeform('plan', '-i', 'inventory.yaml', 'playbook.yaml');
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain("variable 'greeting' is not defined");
    expect(first.stderr).toMatch(/playbook\.yaml:7:\d+/);
    expect(parses()).toEqual([expect.stringMatching(/^playbook-[0-9a-f]{16}\.v8$/)]);
    expect(nodeform('plan', '-i', 'inventory.yaml', 'playbook.yaml')).toEqual(first);
    expect(parses()).toHaveLength(1);
  });

  it('reports a configuration error and exits non-zero', () => {
    const bad = nodeform('validate', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'greeting=hi', '-l', 'nohost');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/nohost/);
  });

  it('answers --version without the build', () => {
    const version = execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(version.trim()).toBe("nodeform " + JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
  });
});
