// Many files per host and a plan after a large history (issue 15), each next to its floor in the same run, on real
// lab hosts: the `--files` and `--history` cells of `npm run bench` (test/bench/run.ts calls filesCells). Also runs
// alone, printing the same Markdown sections as the bench's report:
//   npm run build && node --import tsx test/bench/files.ts [--files 100,1000,5000] [--hosts 3] [--runs 1] [--history 5000]
// For each file count: no-op plan, first apply, a one-line change to every file, `reset --to original`, next to the
// floors `tar c | ssh host tar x` of the same files and `ssh host sha256sum` of them, to every host in parallel;
// then a plan of 10 files on hosts that once managed --history files (reset --to original left their originals,
// generations and backups) next to the same plan on clean hosts. Controller RSS is the largest process of each
// command (/usr/bin/time). As root (it boots lab hosts); asserts nothing about time.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { sshArgs, startLab, type LabHost } from '../lab/lab.js';
import { timed, type Sample } from './measure.js';
import { ints } from './options.js';
import { renderFilesMarkdown, type HistoryCell, type ManyFilesCell, type Measured } from './report.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin', 'nodeform.js');
const BASE = '/srv/many';
const DIRS = 10;
/** Files in the plan after the history. */
const HISTORY_PLAN = 10;
/** The lab's slot: apart from the bench's other labs (20-22), bench:status (24) and the lab tests (0-15, 27). */
const FILES_SLOT = 23;

export interface FilesOptions {
  /** File counts per host; none skips the many-files cells. */
  sizes: number[];
  /** Files once managed before the history plan; 0 skips it. */
  history: number;
  hosts: number;
  runs: number;
  /** A scratch directory (removed by the caller). */
  work: string;
  /** The commands' environment: PATH and HOME at least. */
  env: NodeJS.ProcessEnv;
  log(message: string): void;
}

export interface FilesResults {
  manyFiles: ManyFilesCell[];
  history?: HistoryCell;
}

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

/** The same files locally, for the tar floor. */
function localTree(dir: string, n: number): void {
  for (let d = 0; d < DIRS; d++) mkdirSync(join(dir, `d${d}`), { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `d${i % DIRS}`, `f${i}.conf`), `# file ${i} of ${n}, written by the bench\nname = f${i}\nrev = 1\n${'x'.repeat(120)}\n`);
}

const measured = (sample: Sample): Measured => ({ wallMs: sample.wallMs, cpuS: sample.cpuS, maxRssKb: sample.maxRssKb });
const secs = (xs: Measured[]): string => `${(xs.at(-1)!.wallMs / 1000).toFixed(2)}s`;

/** Boots `hosts` lab hosts, measures the cells, stops the lab. */
export async function filesCells(opts: FilesOptions): Promise<FilesResults> {
  const { env, log } = opts;
  log(`many files: booting ${opts.hosts} hosts`);
  const lab = await startLab({ name: 'bench-files', count: opts.hosts, slot: FILES_SLOT });
  const results: FilesResults = { manyFiles: [] };
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
    const onHosts = async (script: string) => {
      const r = await Promise.all(lab.hosts.map((h) => lab.sh(h, script)));
      const bad = r.findIndex((x) => x.code !== 0);
      if (bad >= 0) throw new Error(`${lab.hosts[bad]!.name}: ${script}: exit ${r[bad]!.code}: ${r[bad]!.stderr}`);
      return r.map((x) => x.stdout);
    };
    /** Removes the files, the floor's copy and (state) nodeform's records, through nsenter. */
    const wipe = (state: boolean) => onHosts(`rm -rf ${BASE} /srv/floor${state ? ' /var/lib/nodeform' : ''}`);
    const nodeform = async (what: string, argv: string[], cwd: string): Promise<Measured> => {
      const sample = await timed(['node', bin, ...argv, '-f', '20'], { env, cwd });
      if (sample.code !== 0) throw new Error(`nodeform ${what}: exit ${sample.code}\n${sample.stdout.slice(-2000)}\n${sample.stderr.slice(-2000)}`);
      return measured(sample);
    };
    /** One shell command per host, all at once; argv of OpenSSH for host h from ssh(h). */
    const everyHost = async (what: string, line: (ssh: string) => string, cwd: string): Promise<Measured> => {
      const ssh = (h: LabHost) => ['ssh', ...sshArgs(lab, h)].map((a) => `'${a}'`).join(' ');
      const script = `${lab.hosts.map((h, i) => `( ${line(ssh(h))} ) & p${i}=$!; `).join('')}fail=0; ${lab.hosts.map((_, i) => `wait $p${i} || fail=1; `).join('')}exit $fail`;
      const sample = await timed(['sh', '-c', script], { env, cwd });
      if (sample.code !== 0) throw new Error(`${what}: exit ${sample.code}\n${sample.stderr.slice(-2000)}`);
      return measured(sample);
    };

    for (const n of opts.sizes) {
      const dir = join(opts.work, `files-${n}`);
      mkdirSync(dir, { recursive: true });
      const pb = join(dir, 'playbook.yaml');
      writeFileSync(pb, YAML.stringify(playbook(n)));
      const inv = inventory(dir);
      const local = join(dir, 'local');
      localTree(local, n);
      const cell: ManyFilesCell = { files: n, hosts: lab.hosts.length, tarFloor: [], hashFloor: [], noopPlan: [], firstApply: [], firstApplyCached: [], change: [], reset: [] };
      const allThere = async (what: string): Promise<void> => {
        const counts = await onHosts(`find ${BASE} -type f | wc -l`);
        if (counts.some((c) => Number(c.trim()) !== n)) throw new Error(`after the ${what} of ${n} files the hosts have ${counts.map((c) => c.trim()).join(', ')}`);
      };
      for (let r = 0; r < opts.runs; r++) {
        await wipe(true);
        await onHosts('mkdir -p /srv/floor');
        cell.tarFloor.push(await everyHost('tar floor', (ssh) => `tar c -C ${local} . | ${ssh} 'tar x -C /srv/floor'`, dir));
        await wipe(true);
        // The first run of this playbook: nothing of it in the controller's parse cache.
        rmSync(join(env.HOME ?? '', '.cache', 'nodeform', 'parse'), { recursive: true, force: true });
        cell.firstApply.push(await nodeform(`first apply of ${n} files`, ['apply', '-i', inv, pb, '--yes'], dir));
        await allThere('first apply');
        // Again onto wiped hosts, the playbook's parse now cached: a first apply after a plan of it.
        await wipe(true);
        cell.firstApplyCached!.push(await nodeform(`first apply of ${n} files, parse cached`, ['apply', '-i', inv, pb, '--yes'], dir));
        await allThere('first apply with the parse cached');
        cell.hashFloor.push(await everyHost('hash floor', (ssh) => `${ssh} 'find ${BASE} -type f -exec sha256sum {} +' > /dev/null`, dir));
        cell.noopPlan.push(await nodeform(`no-op plan of ${n} files`, ['plan', '-i', inv, pb, '--detailed-exitcode'], dir));
        cell.change.push(await nodeform(`change of ${n} files`, ['apply', '-i', inv, pb, '--yes', '-e', `many_rev=${r + 2}`], dir));
        cell.reset.push(await nodeform(`reset of ${n} files`, ['reset', '-i', inv, '--to', 'original', '--yes'], dir));
        log(`${n} files, run ${r + 1}: tar floor ${secs(cell.tarFloor)}, first apply ${secs(cell.firstApply)} (parse cached ${secs(cell.firstApplyCached!)}), hash floor ${secs(cell.hashFloor)}, no-op plan ${secs(cell.noopPlan)}, change ${secs(cell.change)}, reset ${secs(cell.reset)}`);
      }
      results.manyFiles.push(cell);
      rmSync(dir, { recursive: true, force: true });
    }

    if (opts.history > 0) {
      // History: that many files applied, changed and reset to original (originals, generations and blobs stay).
      const dir = join(opts.work, 'history');
      mkdirSync(dir, { recursive: true });
      const big = join(dir, 'big.yaml');
      writeFileSync(big, YAML.stringify(playbook(opts.history)));
      const small = join(dir, 'small.yaml');
      writeFileSync(small, YAML.stringify(playbook(HISTORY_PLAN)));
      const inv = inventory(dir);
      await wipe(true);
      await nodeform('history: apply', ['apply', '-i', inv, big, '--yes'], dir);
      await nodeform('history: change', ['apply', '-i', inv, big, '--yes', '-e', 'many_rev=2'], dir);
      await nodeform('history: reset', ['reset', '-i', inv, '--to', 'original', '--yes'], dir);
      const [originals = NaN, blobs = NaN] = (await lab.sh(lab.hosts[0]!, "find /var/lib/nodeform/original -type f ! -name '*.tmp' -exec cat -- {} + 2>/dev/null | wc -l; ls /var/lib/nodeform/blobs 2>/dev/null | wc -l")).stdout.trim().split('\n').map(Number);
      const cell: HistoryCell = { history: opts.history, files: HISTORY_PLAN, hosts: lab.hosts.length, originals, blobs, afterHistory: [], clean: [] };
      const runs = Math.max(3, opts.runs);
      for (let r = 0; r < runs; r++) cell.afterHistory.push(await nodeform('plan after history', ['plan', '-i', inv, small], dir));
      await wipe(true);
      for (let r = 0; r < runs; r++) cell.clean.push(await nodeform('plan on clean hosts', ['plan', '-i', inv, small], dir));
      log(`history of ${opts.history}: plan of ${HISTORY_PLAN} files ${secs(cell.afterHistory)}, on clean hosts ${secs(cell.clean)}; left ${originals} original records, ${blobs} blobs`);
      results.history = cell;
      await wipe(true);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await lab.stop();
  }
  return results;
}

/** Alone: the old command line (--files, --hosts, --runs, --history), the many-files and history sections printed. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '100,1000,5000' },
      hosts: { type: 'string', default: '3' },
      runs: { type: 'string', default: '1' },
      history: { type: 'string', default: '5000' },
    },
  });
  if (process.getuid?.() !== 0) throw new Error('run as root: the bench boots lab hosts');
  const work = mkdtempSync(join(tmpdir(), 'nodeform-bench-files-'));
  const home = join(work, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const runs = ints(values.runs, 'runs', 1)[0]!;
  let results: FilesResults;
  try {
    results = await filesCells({
      sizes: ints(values.files, 'files', 0).filter((n) => n > 0),
      history: ints(values.history, 'history', 0)[0]!,
      hosts: ints(values.hosts, 'hosts', 1)[0]!,
      runs,
      work,
      env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', NO_COLOR: '1' },
      log: (m) => process.stderr.write(`[files ${new Date().toISOString().slice(11, 19)}] ${m}\n`),
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  console.log(`\nnodeform ${git}; ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' / ')} at the end; median of ${runs} run(s)\n`);
  console.log(renderFilesMarkdown(results).join('\n'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
