// Many files per host and a plan after a large history (issue 15), each next to its floor in the same run, on
// 3 real lab hosts:
//   npm run build && node --import tsx test/bench/files.ts [--files 100,1000,5000] [--hosts 3] [--runs 1] [--history 5000]
// For each file count: no-op plan, first apply, a one-line change to every file, `reset --to original`, each
// next to the floor `tar c | ssh host tar x` of the same files to every host in parallel; then a plan of 10 files
// on hosts that once managed --history files (reset --to original left their originals, generations and
// backups) next to the same plan on clean hosts. Controller RSS is the largest process of each command
// (/usr/bin/time). As root (it boots lab hosts); asserts nothing about time, prints a table.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { startLab } from '../lab/lab.js';
import { median, timed, type Sample } from './measure.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '100,1000,5000' },
    hosts: { type: 'string', default: '3' },
    runs: { type: 'string', default: '1' },
    history: { type: 'string', default: '5000' },
  },
});
const SIZES = values.files.split(',').map(Number);
const HOSTS = Number(values.hosts);
const RUNS = Math.max(1, Number(values.runs));
const HISTORY = Number(values.history);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin', 'nodeform.js');
const BASE = '/srv/many';
const DIRS = 10;

const log = (m: string) => process.stderr.write(`[files ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** A play of n small files (about 200 bytes each) in 10 directories; `many_rev` is a line of every file. */
function playbook(n: number): unknown[] {
  const dirs = Array.from({ length: DIRS }, (_, d) => ({ path: `${BASE}/d${d}`, mode: '0755' }));
  const files = Array.from({ length: n }, (_, i) => ({
    path: `${BASE}/d${i % DIRS}/f${i}.conf`,
    content: `# file ${i} of ${n}, written by the bench\nname = f${i}\nrev = {{ many_rev }}\n${'x'.repeat(120)}\n`,
    mode: '0644',
  }));
  return [{ name: 'many files', hosts: 'all', directories: [{ path: BASE, mode: '0755' }, ...dirs], files }];
}

/** The same files locally, for the floor. */
function localTree(dir: string, n: number): void {
  for (let d = 0; d < DIRS; d++) mkdirSync(join(dir, `d${d}`), { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `d${i % DIRS}`, `f${i}.conf`), `# file ${i} of ${n}, written by the bench\nname = f${i}\nrev = 1\n${'x'.repeat(120)}\n`);
}

interface Cell {
  name: string;
  ms: number;
  rssMb: number;
  floorMs?: number;
  note?: string;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the bench boots lab hosts');
  const work = mkdtempSync(join(tmpdir(), 'nodeform-bench-files-'));
  const home = join(work, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  const lab = await startLab({ name: 'bench-files', count: HOSTS, slot: 22 });
  const env = { ...process.env, HOME: home };
  const cells: Cell[] = [];
  try {
    const inventory = (dir: string) => {
      const path = join(dir, 'inventory.yaml');
      writeFileSync(
        path,
        YAML.stringify({
          all: {
            vars: { ansible_user: 'root', ansible_ssh_private_key_file: lab.clientKey, nodeform_known_hosts_file: lab.knownHosts, many_rev: 1 },
            hosts: Object.fromEntries(lab.hosts.map((h) => [h.name, { ansible_host: h.address, ansible_port: h.port }])),
          },
        }),
      );
      return path;
    };
    const wipe = async (state: boolean) => {
      for (const h of lab.hosts) await lab.sh(h, `rm -rf ${BASE} /srv/floor${state ? ' /var/lib/nodeform' : ''}`);
    };
    const run = async (name: string, argv: string[], cwd: string): Promise<Sample> => {
      const sample = await timed(['node', bin, ...argv], { env, cwd });
      if (sample.code !== 0 && sample.code !== 2) throw new Error(`${name}: exit ${sample.code}\n${sample.stdout.slice(-2000)}\n${sample.stderr.slice(-2000)}`);
      return sample;
    };
    const cell = (name: string, samples: Sample[], floorMs?: number, note?: string) => {
      const c: Cell = { name, ms: median(samples.map((s) => s.wallMs)), rssMb: Math.max(...samples.map((s) => s.maxRssKb)) / 1024, ...(floorMs !== undefined ? { floorMs } : {}), ...(note ? { note } : {}) };
      cells.push(c);
      log(`${name}: ${(c.ms / 1000).toFixed(2)} s${floorMs !== undefined ? ` (floor ${(floorMs / 1000).toFixed(2)} s)` : ''}, RSS ${c.rssMb.toFixed(0)} MB`);
    };
    const floor = async (local: string): Promise<number> => {
      const samples: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        for (const h of lab.hosts) await lab.sh(h, 'rm -rf /srv/floor && mkdir -p /srv/floor');
        const ssh = (h: (typeof lab.hosts)[number]) =>
          `tar c -C ${local} . | ssh -i ${lab.clientKey} -o UserKnownHostsFile=${lab.knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -p ${h.port} root@${h.address} 'tar x -C /srv/floor' &`;
        const t = await timed(['sh', '-c', `${lab.hosts.map(ssh).join('\n')}\nwait`], { env, cwd: work });
        samples.push(t.wallMs);
      }
      return median(samples);
    };

    for (const n of SIZES) {
      const dir = join(work, `n${n}`);
      mkdirSync(dir, { recursive: true });
      const pb = join(dir, 'playbook.yaml');
      writeFileSync(pb, YAML.stringify(playbook(n)));
      const inv = inventory(dir);
      const local = join(dir, 'local');
      localTree(local, n);
      const tarFloor = await floor(local);
      const first: Sample[] = [];
      const noop: Sample[] = [];
      const change: Sample[] = [];
      const reset: Sample[] = [];
      for (let r = 0; r < RUNS; r++) {
        await wipe(true);
        first.push(await run(`first apply ${n}`, ['apply', '-i', inv, pb, '--yes', '-f', '20'], dir));
        noop.push(await run(`no-op plan ${n}`, ['plan', '-i', inv, pb, '-f', '20'], dir));
        change.push(await run(`change ${n}`, ['apply', '-i', inv, pb, '--yes', '-f', '20', '-e', `many_rev=${r + 2}`], dir));
        reset.push(await run(`reset ${n}`, ['reset', '-i', inv, '--to', 'original', '--yes', '-f', '20'], dir));
      }
      cell(`${n} files: no-op plan`, noop);
      cell(`${n} files: first apply`, first, tarFloor);
      cell(`${n} files: one-line change to every file`, change, tarFloor);
      const applyMs = median(first.map((s) => s.wallMs));
      cell(`${n} files: reset --to original`, reset, tarFloor, `${(median(reset.map((s) => s.wallMs)) / applyMs).toFixed(2)}x its first apply`);
    }

    if (HISTORY > 0) {
      // History: HISTORY files applied, changed and reset to original (originals, generations and blobs stay).
      const dir = join(work, 'history');
      mkdirSync(dir, { recursive: true });
      const big = join(dir, 'big.yaml');
      writeFileSync(big, YAML.stringify(playbook(HISTORY)));
      const small = join(dir, 'small.yaml');
      writeFileSync(small, YAML.stringify(playbook(10)));
      const inv = inventory(dir);
      await wipe(true);
      await run('history: apply', ['apply', '-i', inv, big, '--yes', '-f', '20'], dir);
      await run('history: change', ['apply', '-i', inv, big, '--yes', '-f', '20', '-e', 'many_rev=2'], dir);
      await run('history: reset', ['reset', '-i', inv, '--to', 'original', '--yes', '-f', '20'], dir);
      const records = (await lab.sh(lab.hosts[0]!, 'ls /var/lib/nodeform/original 2>/dev/null | wc -l; ls /var/lib/nodeform/blobs 2>/dev/null | wc -l')).stdout.trim().split('\n');
      const after: Sample[] = [];
      for (let r = 0; r < Math.max(3, RUNS); r++) after.push(await run('plan after history', ['plan', '-i', inv, small, '-f', '20'], dir));
      await wipe(true);
      const clean: Sample[] = [];
      for (let r = 0; r < Math.max(3, RUNS); r++) clean.push(await run('plan on a clean host', ['plan', '-i', inv, small, '-f', '20'], dir));
      const cleanMs = median(clean.map((s) => s.wallMs));
      cell(`plan of 10 files, clean hosts`, clean);
      cell(`plan of 10 files after ${HISTORY} were managed`, after, undefined, `${(median(after.map((s) => s.wallMs)) / cleanMs).toFixed(2)}x clean; host record after the reset: ${records.join(' / ')} (original records / blobs)`);
    }
  } finally {
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  console.log(`\nMany files on ${HOSTS} lab hosts (nodeform ${git}; ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; median of ${RUNS} run(s))\n`);
  console.log('| cell | nodeform | floor (tar c \\| ssh tar x) | ratio | controller RSS | note |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const c of cells) {
    const ratio = c.floorMs ? `${(c.ms / c.floorMs).toFixed(1)}x` : '';
    console.log(`| ${c.name} | ${(c.ms / 1000).toFixed(2)} s | ${c.floorMs ? `${(c.floorMs / 1000).toFixed(2)} s` : ''} | ${ratio} | ${c.rssMb.toFixed(0)} MB | ${c.note ?? ''} |`);
  }
}

await main();
