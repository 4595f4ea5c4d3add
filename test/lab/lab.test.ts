// The lab itself, on real hosts: boot, SSH with per-host keys, systemd, sh, stopHost, the proxy, clean-up.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { answersSsh, isRunning, readPids, reserveSlot, SLOT_STRIDE, slotAddress, sshArgs, startLab, stopLabProcesses, type Lab, type LabHost } from './lab.js';
import { startProxy } from './proxy.js';
import { run } from '../../src/cli/main.js';

const SLOT = 1;
const NAME = 'labtest';
const here = dirname(fileURLToPath(import.meta.url));

interface Result { code: number; stdout: string; stderr: string; ms: number }

function exec(cmd: string, args: string[]): Promise<Result> {
  const started = performance.now();
  return new Promise((done) => {
    execFile(cmd, args, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

describe('lab', () => {
  let lab: Lab;
  let bootMs = 0;
  const ssh = (host: LabHost, command: string, user = 'root', extra: string[] = [], of: Lab = lab) =>
    exec('ssh', [...extra, ...sshArgs(of, host, user), command]);

  beforeAll(async () => {
    const started = Date.now();
    lab = await startLab({ name: NAME, count: 3, slot: SLOT, inventoryExtra: { nodeform_playbook: 'demo.yaml' } });
    bootMs = Date.now() - started;
    console.log(`lab: 3 hosts booted and answering ssh in ${bootMs} ms`);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('names and addresses hosts by slot (the one asked for, unless another run on this machine holds it)', () => {
    expect(lab.slot % SLOT_STRIDE).toBe(SLOT);
    const machine = (n: number) => (lab.slot === SLOT ? `labtest-${n}` : `labtest-s${lab.slot}-${n}`);
    expect(lab.hosts).toEqual([1, 2, 3].map((n) => ({ name: `labtest-${n}`, machine: machine(n), address: `127.0.${lab.slot}.${10 + n}`, port: 22 })));
  });

  it('moves a second lab of the same name off the slot the first holds, and leaves the first alone', async () => {
    const second = await startLab({ name: NAME, count: 1, slot: SLOT });
    try {
      expect(second.slot).toBe(lab.slot + SLOT_STRIDE);
      expect(second.hosts).toEqual([{ name: 'labtest-1', machine: `labtest-s${second.slot}-1`, address: slotAddress(second.slot, 11), port: 22 }]);
      expect((await ssh(second.hosts[0]!, 'hostname', 'root', [], second)).stdout).toBe(`labtest-s${second.slot}-1\n`);
      for (const host of lab.hosts) expect((await ssh(host, 'hostname')).stdout).toBe(`${host.machine}\n`);
    } finally {
      await second.stop();
    }
    for (const host of lab.hosts) expect(await answersSsh(host)).toBe(true);
  });

  it('serves each host its own host key, as listed in known_hosts', async () => {
    const known = readFileSync(lab.knownHosts, 'utf8').trim().split('\n');
    expect(known).toHaveLength(3);
    expect(new Set(known.map((l) => l.split(' ')[2])).size).toBe(3);
    for (const host of lab.hosts) {
      const scan = await exec('ssh-keyscan', ['-t', 'ed25519', host.address]);
      expect(scan.stdout.trim()).toBe(known.find((l) => l.startsWith(`${host.address} `)));
    }
  });

  it('lets the lab key in as root and as deploy (with password-less sudo), checking known_hosts', async () => {
    for (const host of lab.hosts) {
      const root = await ssh(host, 'hostname; id -u');
      expect(root).toMatchObject({ code: 0, stdout: `${host.machine}\n0\n`, stderr: '' });
      const deploy = await ssh(host, 'id -un; sudo -n id -u', 'deploy');
      expect(deploy).toMatchObject({ code: 0, stdout: 'deploy\n0\n', stderr: '' });
    }
  });

  it('writes an Ansible-shape inventory of the hosts', () => {
    const inv = YAML.parse(readFileSync(lab.inventoryPath, 'utf8'));
    expect(inv).toEqual({
      all: {
        vars: {
          ansible_user: 'root',
          ansible_ssh_private_key_file: lab.clientKey,
          nodeform_known_hosts_file: lab.knownHosts,
          nodeform_playbook: 'demo.yaml',
        },
        hosts: Object.fromEntries(lab.hosts.map((h) => [h.name, { ansible_host: h.address, ansible_port: 22 }])),
      },
    });
  });

  it('boots real systemd as PID 1, one machine id per host', async () => {
    const ids = new Set<string>();
    for (const host of lab.hosts) {
      const r = await lab.sh(host, 'ps -p 1 -o comm=; systemctl is-system-running --wait; cat /etc/machine-id');
      const [pid1, state, id] = r.stdout.trim().split('\n');
      expect(pid1).toBe('systemd');
      expect(['running', 'degraded']).toContain(state);
      ids.add(id!);
    }
    expect(ids.size).toBe(3);
  });

  it('sh runs as root inside one host, with its exit code and stderr; hosts have private file systems', async () => {
    const [h1, h2] = lab.hosts as [LabHost, LabHost];
    expect(await lab.sh(h1.name, 'echo probe > /etc/nodeform-probe; echo oops >&2; exit 3')).toEqual({ code: 3, stdout: '', stderr: 'oops\n' });
    expect((await ssh(h1, 'cat /etc/nodeform-probe')).stdout).toBe('probe\n');
    expect((await ssh(h2, 'test -e /etc/nodeform-probe; echo $?')).stdout).toBe('1\n');
  });

  it('delays each direction through the proxy, in order', async () => {
    const echo = await echoServer(slotAddress(lab.slot, 2));
    const proxy = await startProxy({ target: echo.target, listen: { host: slotAddress(lab.slot, 1) }, delayMs: 25 });
    try {
      const sock = await open(proxy.address, proxy.port);
      const rtts: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        sock.write('ping');
        await read(sock, 4);
        rtts.push(performance.now() - t);
      }
      expect(Math.min(...rtts)).toBeGreaterThanOrEqual(49);
      expect(Math.max(...rtts)).toBeLessThan(150);
      // Many small writes arrive whole and in order.
      const sent = Array.from({ length: 200 }, (_, i) => `${i},`).join('');
      for (const part of sent.match(/.{1,7}/g)!) sock.write(part);
      expect(await read(sock, sent.length)).toBe(sent);
      sock.destroy();
      expect(proxy.bytesUp).toBe(20 + sent.length);
      expect(proxy.bytesDown).toBe(20 + sent.length);
    } finally {
      await proxy.close();
      await echo.close();
    }
  });

  it('carries real ssh through the proxy with the added latency', async () => {
    const host = lab.hosts[0]!;
    const proxy = await startProxy({ target: { host: host.address, port: host.port }, listen: { host: slotAddress(lab.slot, 1) }, delayMs: 25 });
    try {
      const via = { ...host, address: proxy.address, port: proxy.port };
      // The quickest of three direct logins: one of them slowed by other work on the machine would hide the
      // proxy's latency (a slow direct login once left less than 200 ms between them).
      const direct = { ms: Infinity };
      for (let i = 0; i < 3; i++) direct.ms = Math.min(direct.ms, (await ssh(host, 'true')).ms);
      const proxied = await exec('ssh', ['-o', `HostKeyAlias=${host.address}`, ...sshArgs(lab, via), 'hostname']);
      expect(proxied).toMatchObject({ code: 0, stdout: `${host.machine}\n` });
      // An SSH login and exec take at least 4 round trips.
      expect(proxied.ms - direct.ms).toBeGreaterThan(4 * 50);
      expect(proxy.connections).toBe(1);
      expect(proxy.bytesUp).toBeGreaterThan(1000);
      console.log(`lab: ssh login+exec direct ${direct.ms.toFixed(0)} ms, through 50 ms RTT proxy ${proxied.ms.toFixed(0)} ms`);
    } finally {
      await proxy.close();
    }
  });

  it('cuts a connection after the given bytes in one direction', async () => {
    const echo = await echoServer(slotAddress(lab.slot, 2));
    const proxy = await startProxy({ target: echo.target, listen: { host: slotAddress(lab.slot, 1) }, cutAfterBytes: { direction: 'up', bytes: 5 } });
    try {
      const sock = await open(proxy.address, proxy.port);
      sock.write('0123456789');
      expect(await readToClose(sock)).toBe('');
      expect(echo.received()).toBe('01234');
      expect(proxy.bytesUp).toBe(5);
    } finally {
      await proxy.close();
      await echo.close();
    }

    const host = lab.hosts[0]!;
    const cut = await startProxy({ target: { host: host.address, port: host.port }, listen: { host: slotAddress(lab.slot, 1) }, cutAfterBytes: { direction: 'down', bytes: 20_000 } });
    try {
      const via = { ...host, address: cut.address, port: cut.port };
      const r = await exec('ssh', ['-o', `HostKeyAlias=${host.address}`, ...sshArgs(lab, via), 'head -c 1000000 /dev/zero']);
      expect(r.code).toBe(255);
      expect(r.stdout.length).toBeLessThan(20_000);
      expect(cut.bytesDown).toBe(20_000);
    } finally {
      await cut.close();
    }
  });

  it('stopHost powers one host off and leaves the others answering', async () => {
    const [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
    const pid = readPids(lab.dir)!.hosts.find((h) => h.name === h2.name)!.nspawnPid;
    await lab.stopHost(h2.name);
    expect(isRunning(pid)).toBe(false);
    expect(await answersSsh(h2)).toBe(false);
    expect((await ssh(h2, 'true')).code).toBe(255);
    expect((await ssh(h1, 'true')).code).toBe(0);
    expect((await ssh(h3, 'true')).code).toBe(0);
    await expect(lab.sh(h2, 'true')).rejects.toThrow(/no running host/);
  });

  it('stop leaves no host process and no state behind', async () => {
    const pids = readPids(lab.dir)!.hosts.map((h) => h.nspawnPid);
    await lab.stop();
    expect(pids.filter(isRunning)).toEqual([]);
    expect(await stopLabProcesses(NAME)).toBe(0);
    expect(existsSync(lab.dir)).toBe(false);
    for (const h of lab.hosts) expect(await answersSsh(h)).toBe(false);
    console.log(`lab: boot of 3 hosts took ${bootMs} ms`);
  });

  it('up --nodes: a host with the stand-in clients and an inventory that makes it a node; a leftover lab of the same name is stopped before booting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-lab-cli-'));
    try {
      // The CLI's hosts outlive it, like those of a run that crashed.
      const up = await exec('node', ['--import', 'tsx', join(here, 'cli.ts'), 'up', '1', '--nodes', '--name', NAME, '--slot', String(SLOT), '--dir', dir]);
      expect(up).toMatchObject({ code: 0, stderr: '' });
      expect(up.stdout).toContain('lighthouse + geth (stand-ins)');
      expect(up.stdout).toContain('(playbooks/fleet.yaml: each host a node on mainnet, no checkpoint sync)');
      const leftover = readPids(dir)!.hosts[0]!;
      expect(await answersSsh(leftover)).toBe(true);
      // The stand-ins are installed where nodeform's units look for the clients, and the inventory alone (its
      // playbook named in it) plans a node.
      const installed = await exec('ssh', [...sshArgs({ clientKey: join(dir, 'id_ed25519'), knownHosts: join(dir, 'known_hosts') }, leftover), 'test -x /usr/local/bin/lighthouse && test -x /usr/local/bin/geth && echo installed']);
      expect(installed.stdout).toBe('installed\n');
      let planned = '';
      const home = mkdtempSync(join(tmpdir(), 'nodeform-lab-cli-home-'));
      const code = await run(['plan', '-i', join(dir, 'inventory.yaml'), '--detailed-exitcode'], { stdout: (t) => (planned += t), stderr: (t) => (planned += t), isTTY: false, env: { HOME: home }, cwd: dir });
      rmSync(home, { recursive: true, force: true });
      expect(code, planned).toBe(2);
      expect(planned).toMatch(/\+ unit lighthouse\.service/);
      expect(planned).toMatch(/\+ unit geth\.service/);

      const again = await startLab({ name: NAME, count: 1, slot: SLOT });
      try {
        expect(isRunning(leftover.nspawnPid)).toBe(false);
        expect(readFileSync(again.knownHosts, 'utf8')).not.toBe(readFileSync(join(dir, 'known_hosts'), 'utf8'));
        expect((await exec('ssh', [...sshArgs(again, again.hosts[0]!), 'true'])).code).toBe(0);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lab slots across runs on one machine', () => {
  it('a slot reserved by this process is not given again until released', async () => {
    const first = await reserveSlot(5);
    const second = await reserveSlot(5);
    try {
      expect(first.slot % SLOT_STRIDE).toBe(5);
      expect(second.slot).toBeGreaterThan(first.slot);
      expect(second.slot % SLOT_STRIDE).toBe(5);
    } finally {
      second.release();
    }
    first.release();
    const again = await waitFor(async () => {
      const r = await reserveSlot(5);
      if (r.slot === first.slot) return r;
      r.release();
      return undefined;
    });
    again.release();
  });

  it('a slot held by another process is skipped, and freed when that process dies', async () => {
    const labModule = join(here, 'lab.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { reserveSlot } = await import(${JSON.stringify(labModule)}); const r = await reserveSlot(4); console.log(r.slot); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const held = Number(await new Promise<string>((ok) => child.stdout.once('data', (d: Buffer) => ok(d.toString()))));
      expect(held % SLOT_STRIDE).toBe(4);
      const mine = await reserveSlot(held);
      expect(mine.slot).toBeGreaterThan(held);
      mine.release();
      // A run that dies (SIGKILL: no clean-up of its own) leaves its slot free for the next.
      child.kill('SIGKILL');
      const freed = await waitFor(async () => {
        const r = await reserveSlot(held);
        if (r.slot === held) return r;
        r.release();
        return undefined;
      });
      freed.release();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a slot whose host addresses already answer SSH is skipped', async () => {
    const first = await reserveSlot(6, 1);
    const address = slotAddress(first.slot, 11);
    first.release();
    const fake = createServer((s) => s.end('SSH-2.0-not-a-lab-host\r\n'));
    await new Promise<void>((ok) => fake.listen(22, address, ok));
    try {
      const r = await reserveSlot(first.slot, 1);
      expect(r.slot).toBeGreaterThan(first.slot);
      r.release();
      // Without hosts to place there, the slot is taken.
      const bare = await reserveSlot(first.slot, 0);
      expect(bare.slot).toBe(first.slot);
      bare.release();
    } finally {
      await new Promise<void>((ok) => fake.close(() => ok()));
    }
  });
});

/** Polls until check gives a value (at most 10 s). */
async function waitFor<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('timed out waiting');
}

async function echoServer(listen: string): Promise<{ target: { host: string; port: number }; received(): string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let received = '';
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('data', (d: Buffer) => (received += d.toString()));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((ok) => server.listen(0, listen, ok));
  const { address, port } = server.address() as AddressInfo;
  return {
    target: { host: address, port },
    received: () => received,
    close: () => new Promise<void>((ok) => (sockets.forEach((s) => s.destroy()), server.close(() => ok()))),
  };
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((ok, fail) => {
    const s = connect({ host, port }, () => ok(s));
    s.setNoDelay(true);
    s.once('error', fail);
  });
}

function read(sock: Socket, bytes: number): Promise<string> {
  return new Promise((ok) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.length >= bytes) {
        sock.off('data', onData);
        ok(got);
      }
    };
    sock.on('data', onData);
  });
}

function readToClose(sock: Socket): Promise<string> {
  return new Promise((ok) => {
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString()));
    sock.once('close', () => ok(got));
    sock.once('error', () => undefined);
  });
}
