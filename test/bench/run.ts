// The benchmark: nodeform against ansible-playbook (as shipped and tuned) and against the SSH floor, on real lab
// hosts, with and without added latency. `npm run bench -- --help`. Writes bench-results/bench-<stamp>.{json,md}.
// Not part of `npm test`; it asserts nothing about time.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { hostCpuSeconds, sshArgs, startLab, type Lab, type LabHost } from '../lab/lab.js';
import { startProxy, type Proxy } from '../lab/proxy.js';
import { filesCells } from './files.js';
import { countExecs, sshFloor, timed, TIME_BIN, type Sample, type Target, type TransportCount } from './measure.js';
import { HELP, parseOptions, type Options } from './options.js';
import { median } from './stats.js';
import { renderMarkdown, type BigFileCell, type Measured, type Results, type StepResult, type Tool } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const PLAYBOOK = join(here, 'playbook.yaml');
const ANSIBLE_PLAYBOOK = join(here, 'ansible', 'playbook.yml');
const STEPS = ['first', 'noop', 'plan', 'change'] as const;
export type Step = (typeof STEPS)[number];
const LAB_SLOT = 20;
const SCALE_SLOT = 21;
const BIG_SLOT = 22;
const BIG_HOSTS = 3;
/** Hosts for the many-files and history cells (their lab's slot: FILES_SLOT in files.ts). */
const FILES_HOSTS = 3;
// Everything either tool creates on a host, removed between first-apply runs (through nsenter, not SSH).
const RESET_SCRIPT = [
  'systemctl disable --now bench.service >/dev/null 2>&1',
  'rm -f /etc/systemd/system/bench.service /etc/systemd/system/multi-user.target.wants/bench.service',
  'systemctl daemon-reload',
  'systemctl reset-failed bench.service >/dev/null 2>&1',
  'rm -rf /etc/bench /var/lib/bench /var/log/bench /var/lib/nodeform /root/.ansible',
  'true',
].join('; ');
const STATE_PATHS = [
  '/etc/bench', '/var/lib/bench', '/var/log/bench', '/etc/bench/bench.conf', '/etc/bench/peers.conf', '/etc/bench/limits.conf',
  '/etc/bench/env', '/var/lib/bench/node-id', '/etc/bench/data.txt', '/etc/systemd/system/bench.service',
];

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => existsSync(join(d, cmd)));
}

function preflight(opts: Options): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('run as root: the benchmark boots lab hosts (systemd-nspawn)');
  if (!existsSync(TIME_BIN)) problems.push(`${TIME_BIN} is missing (it measures CPU and peak memory of each command): apt-get install time`);
  if (opts.tools.some((t) => t !== 'nodeform') && !onPath('ansible-playbook')) {
    problems.push('ansible-playbook is not installed: apt-get install ansible-core (or run nodeform alone: --tools nodeform)');
  }
  if (problems.length > 0) {
    console.error(`bench: cannot run:\n  - ${problems.join('\n  - ')}`);
    process.exit(1);
  }
}

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ---------------------------------------------------------------- inventories, configs, hosts

interface Endpoint {
  host: LabHost;
  address: string;
  port: number;
}

/** One inventory both tools read: Ansible's shape, nodeform's known_hosts var, OpenSSH's via ssh_common_args. */
function writeInventory(dir: string, lab: Lab, endpoints: Endpoint[], knownHosts: string): string {
  const inventory = {
    all: {
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: lab.clientKey,
        ansible_ssh_common_args: `-o UserKnownHostsFile=${knownHosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
        nodeform_known_hosts_file: knownHosts,
        bench_greeting: 'hello',
      },
      hosts: Object.fromEntries(endpoints.map((e) => [e.host.name, { ansible_host: e.address, ansible_port: e.port }])),
    },
  };
  const path = join(dir, 'inventory.yaml');
  writeFileSync(path, YAML.stringify(inventory));
  return path;
}

/** known_hosts for the endpoints: the lab's keys, listed under the proxy's [address]:port where there is one. */
function writeKnownHosts(dir: string, lab: Lab, endpoints: Endpoint[]): string {
  const keys = new Map<string, string>();
  for (const line of readFileSync(lab.knownHosts, 'utf8').split('\n')) {
    const [name, ...rest] = line.split(' ');
    if (name) keys.set(name, rest.join(' '));
  }
  const lines = endpoints.map((e) => {
    const name = e.port === 22 ? e.address : `[${e.address}]:${e.port}`;
    return `${name} ${keys.get(e.host.address)}`;
  });
  const path = join(dir, 'known_hosts');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function ansibleCfg(dir: string, tool: 'ansible' | 'ansible-tuned', hosts: number): string {
  const cp = join(dir, 'cp');
  mkdirSync(cp, { recursive: true });
  // As shipped: only control_path_dir is set, to a directory of this command's own, so each command starts
  // cold (as nodeform does) and its ControlPersist masters can be found and closed afterwards.
  const lines =
    tool === 'ansible'
      ? ['[defaults]', 'nocolor = True', '', '[ssh_connection]', `control_path_dir = ${cp}`]
      : [
          '[defaults]',
          'nocolor = True',
          `forks = ${hosts}`,
          'interpreter_python = /usr/bin/python3',
          '',
          '[ssh_connection]',
          'pipelining = True',
          'ssh_args = -C -o ControlMaster=auto -o ControlPersist=600s',
          `control_path_dir = ${cp}`,
        ];
  const path = join(dir, 'ansible.cfg');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Closes the ControlPersist masters a command left behind, adding their CPU time (they are not waited for). */
function closeMasters(cpDir: string): number {
  let cpuS = 0;
  if (!existsSync(cpDir)) return 0;
  const tick = 100; // USER_HZ
  for (const sock of readdirSync(cpDir)) {
    const path = join(cpDir, sock);
    const check = spawnSync('ssh', ['-F', '/dev/null', '-o', `ControlPath=${path}`, '-O', 'check', 'x'], { encoding: 'utf8' });
    const pid = /pid=(\d+)/.exec(check.stderr)?.[1];
    if (pid) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /, '').split(' ');
        cpuS += (Number(fields[11]) + Number(fields[12])) / tick;
      } catch {
        // Gone already.
      }
    }
    spawnSync('ssh', ['-F', '/dev/null', '-o', `ControlPath=${path}`, '-O', 'exit', 'x'], { encoding: 'utf8' });
  }
  rmSync(cpDir, { recursive: true, force: true });
  return cpuS;
}

async function resetHosts(lab: Lab, hosts: LabHost[], script = RESET_SCRIPT): Promise<void> {
  const results = await Promise.all(hosts.map((h) => lab.sh(h, script)));
  const bad = results.findIndex((r) => r.code !== 0);
  if (bad >= 0) throw new Error(`reset of ${hosts[bad]!.name} failed: ${results[bad]!.stderr}`);
}

async function hostState(lab: Lab, host: LabHost): Promise<string> {
  const script =
    STATE_PATHS.map((p) => `printf '%s %s %s\\n' '${p}' "$(stat -c '%a %U %G %F' '${p}' 2>&1)" "$( [ -f '${p}' ] && sha256sum < '${p}' | cut -c1-16)"`).join('; ') +
    '; echo "unit $(systemctl is-enabled bench.service) $(systemctl is-active bench.service)"';
  return (await lab.sh(host, script)).stdout;
}

// ---------------------------------------------------------------- the comparison

interface Ctx {
  opts: Options;
  lab: Lab;
  home: string;
  work: string;
  results: Results;
}

function commandFor(tool: Tool, step: Step, inv: string, hosts: number, greeting: string): string[] {
  const extra = step === 'plan' || step === 'change' ? ['-e', `bench_greeting=${greeting}`] : [];
  if (tool === 'nodeform') {
    const forks = ['-f', String(Math.max(20, hosts))];
    return step === 'plan'
      ? ['node', 'bin/nodeform.js', 'plan', '-i', inv, PLAYBOOK, ...forks, ...extra]
      : // Ansible's systemd module does not wait to see a started unit stay up: nor does nodeform here (--up-for 0).
        ['node', 'bin/nodeform.js', 'apply', '-i', inv, PLAYBOOK, '--yes', '--up-for', '0', ...forks, ...extra];
  }
  return ['ansible-playbook', '-i', inv, ANSIBLE_PLAYBOOK, ...(step === 'plan' ? ['--check', '--diff'] : []), ...extra];
}

function wire(proxies: Proxy[]): { up: number; down: number; connections: number } {
  return proxies.reduce((a, p) => ({ up: a.up + p.bytesUp, down: a.down + p.bytesDown, connections: a.connections + p.connections }), {
    up: 0,
    down: 0,
    connections: 0,
  });
}

async function runTool(ctx: Ctx, tool: Tool, step: Step, inv: string, hosts: number, greeting: string, proxies: Proxy[]): Promise<{ sample: Sample; wire: ReturnType<typeof wire> }> {
  const dir = mkdtempSync(join(ctx.work, `${tool}-${step}-`));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: ctx.home, LANG: 'C.UTF-8', NO_COLOR: '1' };
  if (tool !== 'nodeform') env.ANSIBLE_CONFIG = ansibleCfg(dir, tool, hosts);
  const before = wire(proxies);
  const sample = await timed(commandFor(tool, step, inv, hosts, greeting), { env, cwd: root });
  if (tool !== 'nodeform') sample.cpuS += closeMasters(join(dir, 'cp'));
  const after = wire(proxies);
  rmSync(dir, { recursive: true, force: true });
  if (sample.code !== 0) {
    throw new Error(`${tool} ${step} on ${hosts} host(s) exited ${sample.code}:\n${sample.stdout.slice(-3000)}\n${sample.stderr.slice(-3000)}`);
  }
  if (tool !== 'nodeform' && step === 'noop' && /changed=[1-9]/.test(sample.stdout)) {
    throw new Error(`${tool}: the no-op apply changed something:\n${sample.stdout.slice(-3000)}`);
  }
  return { sample, wire: { up: after.up - before.up, down: after.down - before.down, connections: after.connections - before.connections } };
}

async function compare(ctx: Ctx, hosts: number, latencyMs: number): Promise<void> {
  const { lab, opts } = ctx;
  const used = lab.hosts.slice(0, hosts);
  const dir = mkdtempSync(join(ctx.work, `h${hosts}-l${latencyMs}-`));
  const proxies: Proxy[] = [];
  try {
    for (const h of used) {
      if (latencyMs > 0) {
        proxies.push(await startProxy({ target: { host: h.address, port: h.port }, listen: { host: `127.0.${lab.slot}.1` }, delayMs: latencyMs / 2 }));
      }
    }
    const endpoints: Endpoint[] = used.map((h, i) => (latencyMs > 0 ? { host: h, address: proxies[i]!.address, port: proxies[i]!.port } : { host: h, address: h.address, port: h.port }));
    const inv = writeInventory(dir, lab, endpoints, writeKnownHosts(dir, lab, endpoints));
    const key = readFileSync(lab.clientKey);
    const targets: Target[] = endpoints.map((e) => ({ host: e.address, port: e.port }));

    // The floor, in-process.
    const floor: number[] = [];
    for (let r = 0; r < Math.max(3, opts.runs); r++) floor.push(await sshFloor(targets, key));
    ctx.results.floor.push({ hosts, latencyMs, samplesMs: floor, medianMs: median(floor) });
    log(`${hosts} host(s), +${latencyMs} ms: floor ${median(floor).toFixed(0)} ms`);

    // Execs and payload bytes of nodeform, counted in-process once (never timed), at the first latency only.
    if (opts.tools.includes('nodeform') && latencyMs === opts.latency[0]) {
      await resetHosts(lab, used);
      for (const step of STEPS) {
        const argv = commandFor('nodeform', step, inv, hosts, 'counted').slice(2);
        const { code, output, count } = await countExecs(argv, ctx.home, root);
        if (code !== 0) throw new Error(`nodeform ${step} (in-process count) exited ${code}:\n${output.slice(-3000)}`);
        ctx.results.counts.push({ hosts, step, ...perHost(count) });
      }
    }

    const states = new Map<Tool, string>();
    for (let r = 0; r < Math.max(opts.runs, opts.ansibleRuns); r++) {
      for (const tool of opts.tools) {
        if (tool !== 'nodeform' && r >= opts.ansibleRuns) continue;
        if (tool === 'nodeform' && r >= opts.runs) continue;
        await resetHosts(lab, used);
        const greeting = `changed-${r}`;
        for (const step of STEPS) {
          const { sample, wire: w } = await runTool(ctx, tool, step, inv, hosts, greeting, proxies);
          record(ctx.results, { tool, step, hosts, latencyMs }, sample, latencyMs > 0 ? w : undefined);
          if (step === 'first' && r === 0) states.set(tool, await hostState(lab, used[0]!));
        }
        const last = ctx.results.steps.filter((s) => s.tool === tool && s.hosts === hosts && s.latencyMs === latencyMs);
        log(`${hosts} host(s), +${latencyMs} ms, ${tool} run ${r + 1}: ${last.map((s) => `${s.step} ${(s.samples.at(-1)!.wallMs / 1000).toFixed(2)}s`).join(', ')}`);
      }
    }
    // Both tools must have produced the same host: same paths, modes, owners, contents, unit state.
    const distinct = new Set(states.values());
    ctx.results.equivalence.push({ hosts, latencyMs, identical: distinct.size <= 1, states: Object.fromEntries(states) });
    if (distinct.size > 1) log(`WARNING: the tools left different states on ${used[0]!.name}; see equivalence in the JSON`);
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
  }
}

function perHost(c: TransportCount): { contentSent: string[]; execsPerHost: number; bytesSentPerHost: number; bytesReceivedPerHost: number } {
  const n = Math.max(1, c.hosts);
  return { contentSent: c.contentSent, execsPerHost: c.execs / n, bytesSentPerHost: c.bytesSent / n, bytesReceivedPerHost: c.bytesReceived / n };
}

function record(results: Results, key: Pick<StepResult, 'tool' | 'step' | 'hosts' | 'latencyMs'>, sample: Sample, w?: { up: number; down: number; connections: number }): void {
  let entry = results.steps.find((s) => s.tool === key.tool && s.step === key.step && s.hosts === key.hosts && s.latencyMs === key.latencyMs);
  if (!entry) {
    entry = { ...key, samples: [], wire: [] };
    results.steps.push(entry);
  }
  entry.samples.push({ wallMs: sample.wallMs, cpuS: sample.cpuS, maxRssKb: sample.maxRssKb });
  if (w) entry.wire.push({ upPerHost: w.up / key.hosts, downPerHost: w.down / key.hosts, connectionsPerHost: w.connections / key.hosts });
}

// ---------------------------------------------------------------- the scale run

async function scaleRun(ctx: Ctx, count: number): Promise<void> {
  log(`scale: booting ${count} hosts`);
  const bootStart = Date.now();
  const lab = await startLab({ name: 'bench-scale', count, slot: SCALE_SLOT });
  try {
    const bootS = (Date.now() - bootStart) / 1000;
    const dir = mkdtempSync(join(ctx.work, 'scale-'));
    const endpoints = lab.hosts.map((h) => ({ host: h, address: h.address, port: h.port }));
    const inv = writeInventory(dir, lab, endpoints, writeKnownHosts(dir, lab, endpoints));
    const scaleCtx = { ...ctx, lab };
    const first = await runTool(scaleCtx, 'nodeform', 'first', inv, count, 'x', []);
    const plans: Sample[] = [];
    for (let r = 0; r < ctx.opts.runs; r++) plans.push((await runTool(scaleCtx, 'nodeform', 'plan', inv, count, `changed-${r}`, [])).sample);
    const noops: Sample[] = [];
    for (let r = 0; r < ctx.opts.runs; r++) noops.push((await runTool(scaleCtx, 'nodeform', 'noop', inv, count, 'x', [])).sample);
    const key = readFileSync(lab.clientKey);
    const floor: number[] = [];
    for (let r = 0; r < Math.max(3, ctx.opts.runs); r++) floor.push(await sshFloor(endpoints.map((e) => ({ host: e.address, port: e.port })), key));
    ctx.results.scale = {
      hosts: count,
      bootS,
      firstApply: { wallMs: first.sample.wallMs, cpuS: first.sample.cpuS, maxRssKb: first.sample.maxRssKb },
      plan: plans.map((s) => ({ wallMs: s.wallMs, cpuS: s.cpuS, maxRssKb: s.maxRssKb })),
      noop: noops.map((s) => ({ wallMs: s.wallMs, cpuS: s.cpuS, maxRssKb: s.maxRssKb })),
      floorMs: floor,
    };
    log(`scale: ${count} hosts: plan ${(median(plans.map((s) => s.wallMs)) / 1000).toFixed(2)} s, floor ${(median(floor) / 1000).toFixed(2)} s`);
  } finally {
    await lab.stop();
  }
}

// ---------------------------------------------------------------- large files

/**
 * One file of `mb` MB (random bytes, a `source:` copy) on 3 hosts, next to its floors in the same run: `sha256sum`
 * of it on the controller, and `ssh host cat FILE > /dev/null` to every host at once (OpenSSH, a file of the same
 * size on each host). nodeform: the first apply (digest cache cold: it hashes the file), a no-op plan with the
 * digest cache cold and with it warm, the first apply again with the digest cached; each with its controller RSS.
 */
async function bigFileRun(ctx: Ctx, lab: Lab, mb: number): Promise<void> {
  const dir = mkdtempSync(join(ctx.work, `big-${mb}-`));
  const file = join(dir, `big-${mb}.bin`);
  execFileSync('sh', ['-c', `head -c ${mb * 1024 * 1024} /dev/urandom > '${file}'`]);
  const target = `/var/lib/bigfile/big-${mb}.bin`;
  const playbook = join(dir, 'playbook.yaml');
  writeFileSync(playbook, YAML.stringify([{ name: 'large file', hosts: 'all', directories: [{ path: '/var/lib/bigfile' }], files: [{ path: target, source: `big-${mb}.bin` }] }]));
  const endpoints = lab.hosts.map((h) => ({ host: h, address: h.address, port: h.port }));
  const known = writeKnownHosts(dir, lab, endpoints);
  const inv = writeInventory(dir, lab, endpoints, known);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: ctx.home, LANG: 'C.UTF-8', NO_COLOR: '1' };
  const digests = join(ctx.home, '.cache', 'nodeform', 'digests');
  const nodeform = async (command: 'apply' | 'plan'): Promise<Sample> => {
    const argv = ['node', 'bin/nodeform.js', command, '-i', inv, playbook, ...(command === 'apply' ? ['--yes'] : []), '-f', '20'];
    const sample = await timedOnLab(lab, argv, { env, cwd: root });
    if (sample.code !== 0) throw new Error(`nodeform ${command} of a ${mb} MB file exited ${sample.code}:\n${sample.stdout.slice(-2000)}\n${sample.stderr.slice(-2000)}`);
    return sample;
  };
  const reset = () => resetHosts(lab, lab.hosts, 'rm -rf /var/lib/bigfile /var/lib/nodeform');
  // The floor's file on every host: the same size, read by cat over OpenSSH.
  const floorFile = (await Promise.all(lab.hosts.map((h) => lab.sh(h, `head -c ${mb * 1024 * 1024} /dev/urandom > /root/floor.bin`)))).every((r) => r.code === 0);
  if (!floorFile) throw new Error('cannot write the floor file on the hosts');
  const ssh = (h: LabHost) => ['ssh', ...sshArgs(lab, h)].map((a) => `'${a}'`).join(' ');
  /** One OpenSSH command line per host (from its quoted ssh argv), all at once. */
  const atOnce = (line: (ssh: string) => string): string[] => ['sh', '-c', `${lab.hosts.map((h) => `${line(ssh(h))} &`).join(' ')} wait`];
  const catAll = atOnce((ssh) => `${ssh} cat /root/floor.bin > /dev/null`);
  // The second floor: the same bytes sent the way the apply sends them, written and flushed on each host.
  const uploadAll = atOnce((ssh) => `${ssh} 'cat > /root/upload.bin && sync /root/upload.bin' < '${file}'`);
  // The same upload with nothing written on the hosts: the difference is what writing the file there costs (ssh cat writes nothing).
  const discardAll = atOnce((ssh) => `${ssh} 'cat > /dev/null' < '${file}'`);
  const uploads: BigFileCell['sshCat'] = [];
  const discarded: BigFileCell['sshCat'] = [];
  const firstCached: BigFileCell['firstApply'] = [];
  const cell: BigFileCell = { mb, hosts: lab.hosts.length, sha256sum: [], sshCat: [], sshUpload: uploads, sshUploadDiscarded: discarded, firstApply: [], firstApplyCached: firstCached, planCold: [], planWarm: [] };
  for (let r = 0; r < ctx.opts.runs; r++) {
    cell.sha256sum.push(measured(await timed(['sha256sum', file], { env, cwd: root })));
    cell.sshCat.push(measured(await timedOnLab(lab, catAll, { env, cwd: root })));
    discarded.push(measured(await timedOnLab(lab, discardAll, { env, cwd: root })));
    uploads.push(measured(await timedOnLab(lab, uploadAll, { env, cwd: root })));
    await resetHosts(lab, lab.hosts, 'rm -f /root/upload.bin');
    await reset();
    rmSync(digests, { recursive: true, force: true });
    cell.firstApply.push(measured(await nodeform('apply')));
    rmSync(digests, { recursive: true, force: true });
    cell.planCold.push(measured(await nodeform('plan')));
    cell.planWarm.push(measured(await nodeform('plan')));
    // The same first apply with the digest cached, as after a plan: what the hash costs a cold one.
    await reset();
    firstCached.push(measured(await nodeform('apply')));
    log(`large file ${mb} MB, run ${r + 1}: sha256sum ${s(cell.sha256sum.at(-1)!.wallMs)}, ssh cat ${s(cell.sshCat.at(-1)!.wallMs)}, ssh upload ${s(uploads.at(-1)!.wallMs)} (not written ${s(discarded.at(-1)!.wallMs)}), first apply ${s(cell.firstApply.at(-1)!.wallMs)} (digest cached ${s(firstCached.at(-1)!.wallMs)}), no-op plan cold ${s(cell.planCold.at(-1)!.wallMs)} warm ${s(cell.planWarm.at(-1)!.wallMs)}`);
  }
  // The apply left the declared bytes on every host.
  const want = createHash('sha256');
  await pipeline(createReadStream(file), want);
  const wantHex = want.digest('hex');
  for (const h of lab.hosts) {
    const got = (await lab.sh(h, `sha256sum < ${target} | cut -c1-64`)).stdout.trim();
    if (got !== wantHex) throw new Error(`${h.name}: ${target} has sha256 ${got}, not the source's ${wantHex}`);
  }
  ctx.results.bigFiles ??= [];
  ctx.results.bigFiles.push(cell);
  await resetHosts(lab, lab.hosts, 'rm -rf /var/lib/bigfile /var/lib/nodeform /root/floor.bin');
  rmSync(dir, { recursive: true, force: true });
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;
const measured = (sample: Sample & { hostsCpuS?: number }): Measured => ({
  wallMs: sample.wallMs,
  cpuS: sample.cpuS,
  maxRssKb: sample.maxRssKb,
  ...(sample.hostsCpuS !== undefined ? { hostsCpuS: sample.hostsCpuS } : {}),
});

/** The lab hosts' CPU seconds so far, summed; undefined where a host's cgroup cannot be read. */
function labCpuSeconds(lab: Lab): number | undefined {
  let sum = 0;
  for (const h of lab.hosts) {
    const used = hostCpuSeconds(h);
    if (used === undefined) return undefined;
    sum += used;
  }
  return sum;
}

/** A command timed as `timed` does, with the CPU the lab hosts used meanwhile. */
async function timedOnLab(lab: Lab, argv: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }): Promise<Sample & { hostsCpuS?: number }> {
  const before = labCpuSeconds(lab);
  const sample = await timed(argv, opts);
  const after = labCpuSeconds(lab);
  return before !== undefined && after !== undefined ? { ...sample, hostsCpuS: after - before } : sample;
}

async function bigFileCells(ctx: Ctx): Promise<void> {
  log(`large files: booting ${BIG_HOSTS} hosts`);
  const lab = await startLab({ name: 'bench-big', count: BIG_HOSTS, slot: BIG_SLOT });
  try {
    for (const mb of ctx.opts.bigFiles) await bigFileRun(ctx, lab, mb);
  } finally {
    await lab.stop();
  }
}

// ---------------------------------------------------------------- main

function machine(): Results['machine'] {
  const version = (cmd: string, args: string[]): string | undefined => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]?.trim();
    } catch {
      return undefined;
    }
  };
  // The commit, and whether tracked files differ from it (the bench's own output is untracked).
  const head = version('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  const changed = version('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no']);
  return {
    hostname: hostname(),
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    ansible: version('ansible-playbook', ['--version']),
    nodeform: head && `${head}${changed ? ' + uncommitted changes' : ''}`,
    loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2), root);
  } catch (err) {
    console.error(`bench: ${(err as Error).message} (npm run bench -- --help)`);
    process.exit(3);
  }
  if (opts.help) {
    console.log(HELP);
    process.exit(0);
  }
  preflight(opts);
  const started = new Date();
  if (opts.build && opts.tools.includes('nodeform')) {
    log('npm run build');
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    if (b.status !== 0) {
      console.error(`bench: npm run build failed (use --no-build to bench the dist/ there is):\n${b.stdout}\n${b.stderr}`);
      process.exit(1);
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'nodeform-bench-'));
  const home = join(work, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const results: Results = {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    started: started.toISOString(),
    machine: machine(),
    options: { ...opts, out: undefined, help: undefined },
    steps: [],
    floor: [],
    counts: [],
    equivalence: [],
    fileBytes: fileBytes(),
  };
  try {
    const max = Math.max(0, ...opts.hosts);
    const ctx: Ctx = { opts, lab: undefined as unknown as Lab, home, work, results };
    if (max > 0) {
      log(`booting ${max} lab host(s)`);
      ctx.lab = await startLab({ name: 'bench', count: max, slot: LAB_SLOT });
      try {
        for (const latencyMs of opts.latency) for (const hosts of opts.hosts) await compare(ctx, hosts, latencyMs);
      } finally {
        await ctx.lab.stop();
      }
    }
    if (opts.scale > 0 && opts.tools.includes('nodeform')) await scaleRun(ctx, opts.scale);
    if (opts.bigFiles.length > 0 && opts.tools.includes('nodeform')) await bigFileCells(ctx);
    if ((opts.files.length > 0 || opts.history > 0) && opts.tools.includes('nodeform')) {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', NO_COLOR: '1' };
      const cells = await filesCells({ sizes: opts.files, history: opts.history, hosts: FILES_HOSTS, runs: opts.runs, work, env, log });
      if (cells.manyFiles.length > 0) results.manyFiles = cells.manyFiles;
      if (cells.history) results.history = cells.history;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  results.finished = new Date().toISOString();
  results.machine.loadAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  mkdirSync(opts.out, { recursive: true });
  const stamp = started.toISOString().replace(/[:]/g, '').replace(/\..*/, '');
  const md = renderMarkdown(results);
  writeFileSync(join(opts.out, `bench-${stamp}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(opts.out, `bench-${stamp}.md`), md);
  console.log(md);
  log(`wrote ${join(opts.out, `bench-${stamp}.json`)} and .md`);
  // The lab's hosts and the proxies are gone; nothing else holds the event loop but stray ssh2 sockets.
  process.exit(0);
}

function fileBytes(): Results['fileBytes'] {
  const dir = join(here, 'templates', 'bench');
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f)).length]));
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
