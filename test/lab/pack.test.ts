// The npm package on its own: `npm pack` of this checkout (its dist/ as `npm run build` made it: the lab setup
// builds before the tests), installed into an empty folder from npm's cache, runs --help, validate and a real
// plan against a lab host, with nothing of the checkout on its paths.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from './lab.js';

const repo = resolve(import.meta.dirname, '../..');
let work: string;
let app: string;
let home: string;
let lab: Lab | undefined;
let packed: { files: { path: string }[] };

function run(cmd: string, args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home, NO_COLOR: '1', npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? '/root', '.npm') } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const nodeform = (...args: string[]) => run(join(app, 'node_modules/.bin/nodeform'), args, app);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nodeform-pack-'));
  home = join(work, 'home');
  app = join(work, 'app');
  mkdirSync(home);
  mkdirSync(app);
  // --ignore-scripts: the prepare script would rebuild dist/ under the other test files using it.
  const pack = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], repo);
  if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  packed = (JSON.parse(pack.stdout) as (typeof packed)[]).at(0)!;
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], app);
  if (install.code !== 0) throw new Error(`npm install of the tarball failed: ${install.stderr}`);
  lab = await startLab({ name: 'pack', count: 1, slot: 14, inventoryExtra: { nodeform_playbook: join(app, 'node_modules/nodeform/playbooks/demo.yaml') } });
}, 300_000);

afterAll(async () => {
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed nodeform', () => {
  it.each(['bin/nodeform.js', 'dist/nodeform.cjs', 'dist/cli/help.js', 'dist/cli/launch.js', 'dist/fetch/ssz-worker.js', 'dist/inventory/validators.generated.cjs', 'schemas/plan.schema.json', 'templates/demo/demo.conf.hbs', 'playbooks/demo.yaml', 'package.json'])('holds %s', (path) => {
    expect(packed.files.map((f) => f.path)).toContain(path);
  });

  it('holds no sources or tests', () => {
    expect(packed.files.filter((f) => /^(src|test|scripts)\//.test(f.path))).toEqual([]);
  });

  it('answers --help', () => {
    const r = nodeform('--help');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('Usage:');
  });

  it('validates the built-in demo playbook it ships, against the lab inventory', () => {
    const r = nodeform('validate', '-i', lab!.inventoryPath);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('plans against a real host, with its own templates', () => {
    const r = nodeform('plan', '-i', lab!.inventoryPath, '--detailed-exitcode', '--no-color');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('pack-1');
    expect(r.stdout).toContain('+ file /etc/demo/demo.conf');
    expect(r.stdout).toContain('+ unit demo.service');
  });
});
