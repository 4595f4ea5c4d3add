// The lab: real hosts on this machine. Each host is a systemd-nspawn container booting real systemd from one
// cached Debian image, with a private volatile overlay, sharing this machine's network namespace and
// answering SSH on its own loopback address. See test/lab/README.md.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, closeSync, existsSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import YAML from 'yaml';

export interface LabHost { name: string; address: string; port: number; machine: string }
export interface Lab {
  dir: string;
  /** The slot the lab got: the one asked for, or the next free one (asked + 16, + 32, ...) when another run holds it. */
  slot: number;
  hosts: LabHost[];
  clientKey: string;
  knownHosts: string;
  inventoryPath: string;
  sh(host: LabHost | string, script: string): Promise<{ code: number; stdout: string; stderr: string }>;
  stopHost(name: string): Promise<void>;
  stop(): Promise<void>;
}
export interface StartLabOptions {
  name: string;
  count: number;
  /**
   * Host n gets 127.0.<slot>.<10+n>. Each test file asks for its own slot; when another run on this machine
   * holds it (a lock under /run/nodeform-lab) or its addresses answer, the lab takes the next free of slot + 16,
   * slot + 32, ... (lab.slot says which). A reservation from reserveSlot is used as is (and not released on stop).
   */
  slot: number | SlotReservation;
  /** State dir. Kept on stop except for runtime files; default: a fresh temp dir, removed on stop. */
  dir?: string;
  /** Merged into all.vars of inventory.yaml (e.g. nodeform_playbook). */
  inventoryExtra?: Record<string, unknown>;
  /** Hosts outlive this process (the CLI's `up`); stop them with stopLabProcesses or `npm run lab -- down`. */
  detach?: boolean;
  /** Extra read-only bind mounts into every host (nspawn --bind-ro=SOURCE:TARGET); neither path may contain ":". */
  binds?: { source: string; target: string }[];
  /**
   * Capabilities beyond nspawn's default set for every host (nspawn --capability), e.g. CAP_NET_ADMIN for nft, which a
   * real host's root has. The hosts share the machine's network namespace: what they change there, the machine sees.
   */
  capabilities?: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const cacheDir = process.env.NODEFORM_LAB_CACHE ?? '/var/cache/nodeform-lab';
// Marks every nspawn command line and container PID 1 environment, so a crashed run's hosts can be found.
const MARKER = 'NODEFORM_LAB_MACHINE';
const NAME_MARKER = 'NODEFORM_LAB_NAME';
const SLOT_MARKER = 'NODEFORM_LAB_SLOT';
const SSH_PORT = 22;
const STOP_GRACE_MS = 10_000;
/** A slot taken elsewhere moves by this much: test files keep their distinct slots (0-15) within each run. */
export const SLOT_STRIDE = 16;
const LOCK_DIR = existsSync('/run') ? '/run/nodeform-lab' : join(tmpdir(), 'nodeform-lab-locks');

export class LabError extends Error {
  override name = 'LabError';
}

/** Arguments for the system ssh client to reach a lab host with the lab's key and known_hosts only. */
export function sshArgs(lab: Pick<Lab, 'clientKey' | 'knownHosts'>, host: LabHost, user = 'root'): string[] {
  return [
    '-F', '/dev/null', '-i', lab.clientKey, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
    // OpenSSH's default post-quantum key exchange costs ~0.25 s of CPU per login here; ssh2 never uses it anyway.
    '-o', 'KexAlgorithms=curve25519-sha256',
    '-p', String(host.port), `${user}@${host.address}`,
  ];
}

function checkLab(name: string, count: number, slot: number): void {
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(name)) throw new LabError(`lab name "${name}": use 1-41 of [a-z0-9-], starting with a letter`);
  checkSlot(slot);
  if (!Number.isInteger(count) || count < 1 || count > 245) throw new LabError(`lab count ${count}: must be an integer 1-245`);
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot > 255) throw new LabError(`lab slot ${slot}: must be an integer 0-255`);
}

/**
 * Host n of the lab: named NAME-n (its inventory name); its machine (container and hostname) is NAME-n too, or
 * NAME-sSLOT-n when the lab was moved off the slot it asked for, so two runs' labs of one name never share one.
 */
function labHosts(name: string, count: number, slot: number, asked: number): LabHost[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${name}-${i + 1}`,
    machine: slot === asked ? `${name}-${i + 1}` : `${name}-s${slot}-${i + 1}`,
    address: slotAddress(slot, 11 + i),
    port: SSH_PORT,
  }));
}

/** 127.0.SLOT.N: a lab host (N = 11, 12, ...) or, for N = 1-10, an address a test may use for its own servers. */
export function slotAddress(slot: number, n: number): string {
  return `127.0.${slot}.${n}`;
}

/** A slot held by this process until release() (or its exit): no other run on this machine takes it meanwhile. */
export interface SlotReservation {
  slot: number;
  release(): void;
}

/**
 * Takes `wanted`, or the first free of wanted + 16, wanted + 32, ... up to 255: free when no other process holds
 * its lock file (flock, held by a child process that exits with this one) and nothing answers SSH at the
 * addresses of its first `hosts` hosts (a detached lab, or another sshd).
 */
export async function reserveSlot(wanted: number, hosts = 0): Promise<SlotReservation> {
  checkSlot(wanted);
  mkdirSync(LOCK_DIR, { recursive: true });
  const tried: string[] = [];
  for (let slot = wanted; slot <= 255; slot += SLOT_STRIDE) {
    const lock = await holdLock(join(LOCK_DIR, `slot-${slot}.lock`));
    if (!lock) {
      tried.push(`${slot} (held by another run)`);
      continue;
    }
    const busy = await answering(labHosts('x', hosts, slot, slot));
    if (busy.length === 0) return { slot, release: lock.release };
    lock.release();
    tried.push(`${slot} (${busy.map((h) => `${h.address}:${h.port}`).join(', ')} already answer)`);
  }
  throw new LabError(`no free lab slot: tried ${tried.join('; ')}; stop a lab (npm run lab -- down) or wait for the other runs`);
}

/** flock on `path`, held by a child process until release() or until this process exits (its stdin closes). */
function holdLock(path: string): Promise<{ release(): void } | undefined> {
  return new Promise((done, fail) => {
    const child = spawn('flock', ['--nonblock', '--conflict-exit-code', '75', path, 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let settled = false;
    child.stdout.once('data', () => {
      settled = true;
      child.stdout.destroy();
      // Neither the child nor its pipe keeps this process alive; the pipe closing on exit releases the lock.
      child.unref();
      (child.stdin as unknown as { unref(): void }).unref();
      done({ release: () => child.stdin.end() });
    });
    child.once('exit', (code) => {
      if (settled) return;
      settled = true;
      if (code === 75) done(undefined);
      else fail(new LabError(`flock ${path} exited ${code} (the lab needs flock from util-linux)`));
    });
    child.once('error', (err) => fail(new LabError(`flock ${path}: ${err.message} (the lab needs flock from util-linux)`)));
  });
}

interface Running {
  host: LabHost;
  child: ChildProcess;
  nspawnPid: number;
  exited: Promise<void>;
  initPid?: number;
}

interface PidsFile { name: string; slot: number; hosts: (LabHost & { nspawnPid: number; initPid?: number })[] }

export async function startLab(opts: StartLabOptions): Promise<Lab> {
  const asked = typeof opts.slot === 'number' ? opts.slot : opts.slot.slot;
  checkLab(opts.name, opts.count, asked);
  preflight();
  const rootfs = await buildImage();
  raiseInotifyLimits();
  // Hosts of this name that no live run holds (a crashed or detached run's) go first; a concurrent run's stay.
  await stopOrphans(opts.name);
  const reservation = typeof opts.slot === 'number' ? await reserveSlot(opts.slot, opts.count) : opts.slot;
  const ownReservation = typeof opts.slot === 'number';
  const hosts = labHosts(opts.name, opts.count, reservation.slot, asked);
  try {
    await assertAddressesFree(hosts);
  } catch (err) {
    if (ownReservation) reservation.release();
    throw err;
  }

  const ownDir = opts.dir === undefined;
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), `nodeform-lab-${opts.name}-`)));
  // nspawn's --bind-ro takes SRC:DST, so a colon would split the path.
  if (dir.includes(':')) throw new LabError(`lab dir ${dir}: must not contain ":"`);
  const files = await writeStateFiles(dir, hosts, opts.inventoryExtra ?? {}).catch((err: unknown) => {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    if (ownReservation) reservation.release();
    throw err;
  });

  const running = new Map<string, Running>();
  const lab: Lab = {
    dir,
    slot: reservation.slot,
    hosts,
    ...files,
    sh: async (host, script) => {
      const name = typeof host === 'string' ? host : host.name;
      const r = running.get(name);
      if (!r) throw new LabError(`lab ${opts.name}: no running host "${name}"`);
      r.initPid ??= findInitPid(r.nspawnPid);
      return nsenter(r.initPid, script);
    },
    stopHost: async (name) => {
      const r = running.get(name);
      if (!r) throw new LabError(`lab ${opts.name}: no running host "${name}"`);
      await stopRunning(r);
      running.delete(name);
      writePids(dir, opts.name, reservation.slot, running);
    },
    stop: async () => {
      await Promise.all([...running.values()].map(stopRunning));
      running.clear();
      active.delete(cleanupSync);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      else rmSync(join(dir, 'pids.json'), { force: true });
      if (ownReservation) reservation.release();
    },
  };
  const cleanupSync = (): void => {
    for (const r of running.values()) killQuietly(r.nspawnPid, 'SIGTERM');
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  if (!opts.detach) watchProcessExit(cleanupSync);

  try {
    for (const host of hosts) running.set(host.name, boot(rootfs, dir, host, { name: opts.name, slot: reservation.slot }, opts.detach ?? false, opts.binds ?? [], opts.capabilities ?? []));
    writePids(dir, opts.name, reservation.slot, running);
    const deadline = Date.now() + 60_000 + hosts.length * 1_000;
    const limit = semaphore(16);
    await Promise.all([...running.values()].map((r) => waitReady(lab, r, deadline, limit)));
    for (const r of running.values()) r.initPid = findInitPid(r.nspawnPid);
    writePids(dir, opts.name, reservation.slot, running);
    return lab;
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

/** Stops every host of lab `name` still running, from this process or a crashed or detached one, and removes its leftovers. */
export async function stopLabProcesses(name: string): Promise<number> {
  return stopProcesses(name, labProcesses().filter((p) => p.name === name));
}

/** Stops the hosts of lab `name` whose slot no live run holds: those of a crashed or detached run. */
async function stopOrphans(name: string): Promise<number> {
  const found = labProcesses().filter((p) => p.name === name);
  const orphans: LabProcess[] = [];
  for (const slot of new Set(found.map((p) => p.slot))) {
    const lock = slot === undefined ? { release: () => undefined } : await holdLock(join(LOCK_DIR, `slot-${slot}.lock`)).catch(() => undefined);
    if (!lock) continue; // a live run holds it
    orphans.push(...found.filter((p) => p.slot === slot));
    lock.release();
  }
  return orphans.length > 0 ? stopProcesses(name, orphans) : 0;
}

async function stopProcesses(name: string, found: LabProcess[]): Promise<number> {
  // nspawn powers its container off on SIGTERM; a PID 1 whose nspawn is gone has nobody to do that.
  for (const p of found) killQuietly(p.pid, p.init ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (found.some((p) => isRunning(p.pid)) && Date.now() < deadline) await sleep(50);
  for (const p of found) killQuietly(p.pid, 'SIGKILL');
  for (const machine of leftoverCgroups(name)) removeCgroups(machine);
  // Temp state dirs of labs of this name whose hosts are all gone (a live lab of another run keeps its own).
  const tempDir = new RegExp(`^nodeform-lab-${name}-[^-]+$`);
  for (const entry of readdirSync(tmpdir())) {
    if (!tempDir.test(entry)) continue;
    const pids = readPids(join(tmpdir(), entry));
    if (pids?.hosts.some((h) => isRunning(h.nspawnPid))) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  return found.filter((p) => !p.init).length;
}

/** Reads the runtime record a lab keeps in its dir (what `npm run lab -- status/down` use). */
export function readPids(dir: string): PidsFile | undefined {
  const path = join(dir, 'pids.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PidsFile) : undefined;
}

function preflight(): void {
  if (process.getuid?.() !== 0) throw new LabError('the lab must run as root (it boots systemd-nspawn containers); try sudo');
  const needed: [string, string][] = [
    ['systemd-nspawn', 'systemd-container'], ['debootstrap', 'debootstrap'], ['ssh-keygen', 'openssh-client'],
    ['nsenter', 'util-linux'], ['setpriv', 'util-linux'], ['flock', 'util-linux'],
  ];
  const path = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  const missing = needed.filter(([cmd]) => !path.some((d) => existsSync(join(d, cmd))));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
    throw new LabError(`the lab needs ${missing.map(([c]) => c).join(', ')}: apt-get install ${pkgs}`);
  }
}

function buildImage(): Promise<string> {
  return new Promise((resolvePath, reject) => {
    execFile('bash', [join(here, 'build-image.sh'), cacheDir], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new LabError(`building the lab image failed (test/lab/build-image.sh ${cacheDir}):\n${stderr}`));
      else resolvePath(stdout.trim());
    });
  });
}

// Every host's systemd takes inotify instances; past ~20 hosts the defaults run out ("Too many open files").
function raiseInotifyLimits(): void {
  for (const [key, min] of [['max_user_instances', 8192], ['max_user_watches', 1_048_576]] as const) {
    const path = `/proc/sys/fs/inotify/${key}`;
    if (Number(readFileSync(path, 'utf8')) < min) writeFileSync(path, String(min));
  }
}

async function answering(hosts: LabHost[]): Promise<LabHost[]> {
  return (await Promise.all(hosts.map(async (h) => ((await probeBanner(h)) === 'refused' ? undefined : h)))).filter((h) => h !== undefined);
}

async function assertAddressesFree(hosts: LabHost[]): Promise<void> {
  const busy = await answering(hosts);
  if (busy.length > 0) {
    throw new LabError(
      `${busy.map((h) => `${h.address}:${h.port}`).join(', ')} already answer: another lab (or sshd) uses these addresses; ` +
        'use another slot, or stop it (npm run lab -- down)',
    );
  }
}

async function writeStateFiles(dir: string, hosts: LabHost[], extra: Record<string, unknown>) {
  const clientKey = join(dir, 'id_ed25519');
  for (const h of hosts) mkdirSync(join(dir, 'hosts', h.machine), { recursive: true, mode: 0o700 });
  const limit = semaphore(16);
  await Promise.all([
    ensureKey(clientKey, 'nodeform-lab-client'),
    ...hosts.map((h) => limit(() => ensureKey(join(dir, 'hosts', h.machine, 'ssh_host_ed25519_key'), `root@${h.machine}`))),
  ]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const known: string[] = [];
  for (const h of hosts) {
    const hdir = join(dir, 'hosts', h.machine);
    const [type, key] = readFileSync(join(hdir, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ');
    known.push(`${h.address} ${type} ${key}`);
    writeFileSync(
      join(hdir, 'sshd.conf'),
      [`ListenAddress ${h.address}:${h.port}`, 'HostKey /etc/ssh/ssh_host_ed25519_key', 'PermitRootLogin prohibit-password',
        'PasswordAuthentication no', 'UseDNS no', ''].join('\n'),
    );
  }
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, known.join('\n') + '\n');
  const inventoryPath = join(dir, 'inventory.yaml');
  writeFileSync(inventoryPath, inventoryYaml(hosts, { clientKey, knownHosts }, extra));
  return { clientKey, knownHosts, inventoryPath };
}

// Keys persist in a kept dir, so a user's known_hosts stays valid across `lab up`s.
// ssh-keygen, not ssh2's generateKeyPairSync: about 1 in 128 of ssh2's ed25519 keys (public key starting with
// a zero byte) is written truncated, and sshd then refuses it ("error in libcrypto").
async function ensureKey(path: string, comment: string): Promise<void> {
  if (existsSync(`${path}.pub`) && (await run('ssh-keygen', ['-y', '-f', path])).code === 0) return;
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  if (r.code !== 0) throw new LabError(`ssh-keygen -f ${path} failed: ${r.stderr.trim()}`);
}

function inventoryYaml(hosts: LabHost[], files: { clientKey: string; knownHosts: string }, extra: Record<string, unknown>): string {
  const doc = new YAML.Document({
    all: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: files.clientKey, nodeform_known_hosts_file: files.knownHosts, ...extra },
      hosts: Object.fromEntries(hosts.map((h) => [h.name, { ansible_host: h.address, ansible_port: h.port }])),
    },
  });
  for (const h of hosts) {
    const node = doc.getIn(['all', 'hosts', h.name], true);
    if (YAML.isMap(node)) node.flow = true;
  }
  return doc.toString();
}

function boot(rootfs: string, dir: string, host: LabHost, lab: { name: string; slot: number }, detach: boolean, binds: { source: string; target: string }[], capabilities: string[]): Running {
  const hdir = join(dir, 'hosts', host.machine);
  const ak = join(dir, 'authorized_keys');
  const nspawn = [
    'systemd-nspawn', '-D', rootfs, '-M', host.machine, `--hostname=${host.machine}`, `--uuid=${randomUUID()}`,
    '--boot', '--register=no', '--keep-unit', '--volatile=overlay', '--console=read-only', `--setenv=${MARKER}=${host.machine}`,
    `--setenv=${NAME_MARKER}=${lab.name}`, `--setenv=${SLOT_MARKER}=${lab.slot}`,
    `--bind-ro=${hdir}/ssh_host_ed25519_key:/etc/ssh/ssh_host_ed25519_key`,
    `--bind-ro=${hdir}/ssh_host_ed25519_key.pub:/etc/ssh/ssh_host_ed25519_key.pub`,
    `--bind-ro=${hdir}/sshd.conf:/etc/ssh/sshd_config.d/nodeform-lab.conf`,
    `--bind-ro=${ak}:/root/.ssh/authorized_keys`,
    `--bind-ro=${ak}:/home/deploy/.ssh/authorized_keys`,
    ...binds.map((b) => `--bind-ro=${b.source}:${b.target}`),
    ...(capabilities.length > 0 ? [`--capability=${capabilities.join(',')}`] : []),
  ];
  const cgroups = hostCgroups(host.machine);
  for (const cg of cgroups) mkdirSync(cg, { recursive: true });
  // nspawn mounts the v1 controller hierarchies read-only (it writes none without a user namespace), so the host's
  // systemd could not account memory per unit. The host's own memory cgroup, bound writable in their place (nspawn
  // leaves a mount point it finds alone), lets it: each unit gets a memory cgroup and its peak (max_usage_in_bytes).
  const memory = cgroups.find((cg) => cg.startsWith('/sys/fs/cgroup/memory/'));
  if (memory !== undefined) nspawn.push('--tmpfs=/sys/fs/cgroup:mode=755', `--bind=${memory}:/sys/fs/cgroup/memory`);
  // Attached hosts die with this process even on SIGKILL: nspawn gets SIGTERM and powers its container off.
  const argv = detach ? nspawn : ['setpriv', '--pdeathsig', 'TERM', ...nspawn];
  const log = openSync(join(hdir, 'console.log'), 'w');
  // Own session: a terminal's Ctrl-C must not reach nspawn, which would forward it to systemd as a reboot request.
  const child: ChildProcess = spawn(
    '/bin/sh',
    ['-c', 'for cg in $NODEFORM_LAB_CGROUPS; do echo $$ > "$cg/cgroup.procs" || exit 1; done; exec "$@"', 'sh', ...argv],
    { detached: true, stdio: ['ignore', log, log], env: { ...process.env, NODEFORM_LAB_CGROUPS: cgroups.join(' ') } },
  );
  closeSync(log);
  if (child.pid === undefined) throw new LabError(`could not start systemd-nspawn for ${host.machine}`);
  // Hosts never keep this process alive: attached ones are powered off when it exits.
  child.unref();
  const exited = new Promise<void>((done) => {
    child.once('exit', () => done());
    child.once('error', () => done());
  });
  return { host, child, nspawnPid: child.pid, exited };
}

// Without systemd on this machine, nspawn splits the cgroup it starts in into payload/ and supervisor/, so
// hosts started from one cgroup would share them and their systemds fight over it (units failing with
// 219/CGROUP under load). Each host gets a cgroup of its own in each hierarchy systemd uses.
function hostCgroups(machine: string): string[] {
  const v2Only = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dirs: string[] = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers, path] = line.split(':');
    const mount = controllers === '' ? (v2Only ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified') : controllers === 'name=systemd' ? '/sys/fs/cgroup/systemd' : controllers === 'memory' && !v2Only ? '/sys/fs/cgroup/memory' : undefined;
    if (mount !== undefined && path !== undefined && existsSync(mount)) dirs.push(join(mount, path, 'nodeform-lab', machine));
  }
  return dirs;
}

/**
 * CPU seconds the host's processes used since it booted (user + system, from its cgroup v2 cpu.stat), or undefined
 * where this machine has no cgroup v2 hierarchy for it. The benchmark reads it around a command to see what the
 * hosts spent on it.
 */
export function hostCpuSeconds(host: Pick<LabHost, 'machine'>): number | undefined {
  // The cgroup v2 one: hostCgroups' others are v1's name=systemd and memory hierarchies.
  const unified = hostCgroups(host.machine).find((dir) => !/^\/sys\/fs\/cgroup\/(systemd|memory)\//.test(dir));
  if (unified === undefined) return undefined;
  try {
    const usage = /^usage_usec (\d+)$/m.exec(readFileSync(join(unified, 'cpu.stat'), 'utf8'));
    return usage ? Number(usage[1]) / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

// A cgroup is removed bottom-up with rmdir once no process is left in it; one still in use stays.
function removeCgroups(machine: string): void {
  const removeTree = (dir: string): void => {
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
      rmdirSync(dir);
    } catch {
      // Gone already, or still populated.
    }
  };
  for (const dir of hostCgroups(machine)) {
    removeTree(dir);
    // The memory hierarchy's nodeform-lab/ sits in this process's own cgroup, which its creator may want to remove
    // when the process is gone: leave nothing there once the last host is stopped.
    if (dir.startsWith('/sys/fs/cgroup/memory/')) {
      try {
        rmdirSync(dirname(dir));
      } catch {
        // Another host of this process still runs.
      }
    }
  }
}

async function waitReady(lab: Lab, r: Running, deadline: number, limit: Semaphore): Promise<void> {
  let gone = false;
  void r.exited.then(() => (gone = true));
  const consoleTail = () => tail(join(lab.dir, 'hosts', r.host.machine, 'console.log'));
  // Polling a closed port is cheap, but 100 hosts polled every 100 ms still take a share of 2 cores.
  for (let attempt = 0; (await probeBanner(r.host)) !== 'ssh'; attempt++) {
    if (gone) throw new LabError(`lab host ${r.host.machine} exited while booting; console:\n${consoleTail()}`);
    if (Date.now() > deadline) throw new LabError(`lab host ${r.host.machine} did not open SSH at ${r.host.address}; ${await diagnose(lab, r)}`);
    await sleep(Math.min(500, 100 * 1.2 ** attempt));
  }
  // The banner alone does not prove the keys work: log in for real, checking the host key we listed.
  const privateKey = readFileSync(lab.clientKey);
  const hostKey = readFileSync(join(lab.dir, 'hosts', r.host.machine, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ')[1];
  while (true) {
    const error = await limit(() => sshLogin(r.host, privateKey, hostKey));
    if (error === undefined) return;
    if (gone || Date.now() > deadline) {
      throw new LabError(`lab host ${r.host.machine}: ssh login as root at ${r.host.address} failed: ${error}; ${await diagnose(lab, r)}`);
    }
    await sleep(200);
  }
}

// An in-process handshake and key login without a session: half the CPU of running `ssh host true`.
function sshLogin(host: LabHost, privateKey: Buffer, hostKey: string | undefined): Promise<string | undefined> {
  return new Promise((done) => {
    const client = new ssh2.Client();
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      client.end();
      done(error);
    };
    client.once('ready', () => finish());
    client.on('error', (e) => finish(e.message));
    client.once('close', () => finish('connection closed'));
    client.connect({
      host: host.address,
      port: host.port,
      username: 'root',
      privateKey,
      readyTimeout: 10_000,
      hostVerifier: (key: Buffer) => key.toString('base64') === hostKey,
    });
  });
}

async function diagnose(lab: Lab, r: Running): Promise<string> {
  const script = 'systemctl status ssh.service --no-pager -n 0; journalctl -b --no-pager -n 20 -u ssh.service; sshd -t';
  const res = await lab.sh(r.host, `{ ${script}; } 2>&1`).catch((e: Error) => ({ stdout: e.message }));
  return `ssh.service:\n${res.stdout}`;
}

/** Whether an SSH server answers at the host's address (its banner arrives). */
export async function answersSsh(host: LabHost): Promise<boolean> {
  return (await probeBanner(host)) === 'ssh';
}

function probeBanner(host: LabHost): Promise<'ssh' | 'refused' | 'other'> {
  return new Promise((done) => {
    const sock = connect({ host: host.address, port: host.port });
    const finish = (result: 'ssh' | 'refused' | 'other') => {
      sock.destroy();
      done(result);
    };
    sock.setTimeout(2_000, () => finish('other'));
    sock.once('data', (d) => finish(d.toString('latin1').startsWith('SSH-') ? 'ssh' : 'other'));
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'refused' : 'other'));
    sock.once('end', () => finish('other'));
  });
}

async function stopRunning(r: Running): Promise<void> {
  // Hosts do not keep this process alive, but waiting for one to stop must.
  r.child.ref();
  killQuietly(r.nspawnPid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([r.exited.then(() => true), new Promise<false>((late) => (timer = setTimeout(late, STOP_GRACE_MS, false)))]);
  clearTimeout(timer);
  if (!graceful) {
    const init = r.initPid ?? tryFindInitPid(r.nspawnPid);
    if (init !== undefined) killQuietly(init, 'SIGKILL');
    killQuietly(r.nspawnPid, 'SIGKILL');
    await r.exited;
  }
  removeCgroups(r.host.machine);
}

// The container's PID 1 is nspawn's child living in a new PID namespace (its NSpid ends in 1).
function tryFindInitPid(nspawnPid: number): number | undefined {
  let children: string[];
  try {
    children = readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8').trim().split(/\s+/);
  } catch {
    return undefined;
  }
  return children.map(Number).find((pid) => isContainerInit(pid));
}

function findInitPid(nspawnPid: number): number {
  const pid = tryFindInitPid(nspawnPid);
  if (pid === undefined) throw new LabError(`systemd-nspawn ${nspawnPid} has no running container`);
  return pid;
}

function isContainerInit(pid: number): boolean {
  try {
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.split(/\s+/) ?? [];
    return nspid.length > 1 && nspid[nspid.length - 1] === '1';
  } catch {
    return false;
  }
}

function leftoverCgroups(name: string): string[] {
  const pattern = new RegExp(`^${name}-(s\\d+-)?\\d+$`);
  const machines = new Set<string>();
  for (const dir of hostCgroups('')) {
    try {
      for (const m of readdirSync(dir)) if (pattern.test(m)) machines.add(m);
    } catch {
      // No lab ever ran in this hierarchy.
    }
  }
  return [...machines];
}

interface LabProcess {
  pid: number;
  /** The container's PID 1 (else its systemd-nspawn). */
  init: boolean;
  /** The lab's name and slot, from the markers nspawn was started with. */
  name?: string;
  slot?: number;
}

function labProcesses(): LabProcess[] {
  const out: LabProcess[] = [];
  const describe = (pid: number, init: boolean, marker: string): LabProcess => {
    const name = new RegExp(`${NAME_MARKER}=([a-z0-9-]+)`).exec(marker)?.[1];
    const slot = new RegExp(`${SLOT_MARKER}=(\\d+)`).exec(marker)?.[1];
    return { pid, init, name, slot: slot === undefined ? undefined : Number(slot) };
  };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (cmdline.includes(`--setenv=${MARKER}=`) && cmdline.includes('systemd-nspawn')) {
        out.push(describe(pid, false, cmdline));
      } else if (isContainerInit(pid)) {
        const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
        if (environ.includes(`${MARKER}=`)) out.push(describe(pid, true, environ));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function nsenter(pid: number, script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('nsenter', ['-t', String(pid), '-a', '--', '/bin/sh', '-c', script], {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
  });
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      done({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

function writePids(dir: string, name: string, slot: number, running: Map<string, Running>): void {
  const record: PidsFile = {
    name,
    slot,
    hosts: [...running.values()].map((r) => ({ ...r.host, nspawnPid: r.nspawnPid, initPid: r.initPid })),
  };
  writeFileSync(join(dir, 'pids.json'), JSON.stringify(record, null, 2) + '\n');
}

// One set of process hooks for all labs of this process: remove temp dirs and power hosts off on the way out.
const active = new Set<() => void>();
let hooked = false;
function watchProcessExit(cleanup: () => void): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', runCleanups);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, onSignal);
  }
  active.add(cleanup);
}
function runCleanups(): void {
  for (const c of active) c();
  active.clear();
}
function onSignal(sig: NodeJS.Signals): void {
  runCleanups();
  // Die of the signal as if we had not caught it, unless someone else handles it.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

export function isRunning(pid: number): boolean {
  try {
    // A zombie is dead for our purposes; whoever reaps it may take a while.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

function killQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no console log)';
  }
}

type Semaphore = <T>(fn: () => Promise<T>) => Promise<T>;
function semaphore(max: number): Semaphore {
  let busy = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    // A finishing task hands its slot straight to the next waiter.
    if (busy < max) busy++;
    else await new Promise<void>((go) => waiting.push(go));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else busy--;
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
