// The SSH transport against real sshd hosts: host keys, agent, ssh config, jump hosts, become, streaming,
// failures. Hosts boot once for the file; each test builds its own home, config and known_hosts files.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import type { HostConnection } from '../../src/model/types.js';
import { connectSsh, TransportPool, type SshOptions } from '../../src/transport/ssh/index.js';
import type { Transport } from '../../src/transport/types.js';
import { eachLimited } from '../../src/util/parallel.js';
import { startLab, type Lab, type LabHost } from './lab.js';
import { startProxy, type Proxy } from './proxy.js';

let lab: Lab;
let h1: LabHost;
let h2: LabHost;
let h3: LabHost;
let work: string;
/** The lab's known_hosts lines by address. */
const labKeys = new Map<string, string>();

beforeAll(async () => {
  lab = await startLab({ name: 'transport', count: 3, slot: 2 });
  [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
  work = await mkdtemp(join(tmpdir(), 'nodeform-transport-'));
  for (const line of (await readFile(lab.knownHosts, 'utf8')).trim().split('\n')) labKeys.set(line.split(' ')[0]!, line);
  // A name only the hosts can resolve, to prove a jump host (not this machine) opens the last leg.
  for (const h of [h1, h3]) await lab.sh(h, `echo '${h2.address} behind-the-jump' >> /etc/hosts`);
  // A login whose sudo wants a password.
  await lab.sh(
    h1,
    'useradd -m -s /bin/sh nopw && install -d -o nopw -m 700 /home/nopw/.ssh && ' +
      'install -o nopw -m 600 /root/.ssh/authorized_keys /home/nopw/.ssh/authorized_keys && ' +
      "echo 'nopw ALL=(ALL) ALL' > /etc/sudoers.d/nopw && chmod 440 /etc/sudoers.d/nopw",
  );
});

afterAll(async () => {
  await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

let dirs = 0;
/** A fresh, empty home directory: no ~/.ssh/config, known_hosts or default keys unless a test writes them. */
async function freshHome(): Promise<string> {
  const home = join(work, `home${++dirs}`);
  await run('mkdir', ['-p', join(home, '.ssh')]);
  return home;
}

function conn(host: LabHost, extra: Partial<HostConnection> = {}): HostConnection {
  return {
    name: host.name,
    address: host.address,
    port: host.port,
    user: 'root',
    identityFiles: [lab.clientKey],
    become: false,
    becomeUser: 'root',
    knownHostsFiles: [lab.knownHosts],
    connection: 'ssh',
    ...extra,
  };
}

/** What the CLI hands the transport; no ssh-agent unless a test gives SSH_AUTH_SOCK. */
function base(homeDir: string): SshOptions {
  return { env: {}, homeDir, localUser: userInfo().username };
}

async function options(extra: Partial<SshOptions> = {}): Promise<SshOptions> {
  return { ...base(await freshHome()), connectTimeoutMs: 10_000, ...extra };
}

async function refusal(promise: Promise<unknown>): Promise<TransportError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

async function withTransport<T>(c: HostConnection, o: SshOptions, fn: (t: Transport) => Promise<T>): Promise<T> {
  const t = await connectSsh(c, o);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** What OpenSSH's own tools say the host's key fingerprint is. */
async function opensshFingerprint(host: LabHost): Promise<string> {
  const scan = await run('sh', ['-c', `ssh-keyscan -t ed25519 -p ${host.port} ${host.address} 2>/dev/null | ssh-keygen -lf -`]);
  const fp = /SHA256:[A-Za-z0-9+/]+/.exec(scan.stdout)?.[0];
  expect(fp).toBeDefined();
  return fp!;
}

describe('host keys', () => {
  it('accepts a key listed in known_hosts', async () => {
    const out = await withTransport(conn(h1), await options(), (t) => t.exec('id -un; hostname'));
    expect(out).toMatchObject({ exitCode: 0, stdout: `root\n${h1.machine}\n`, stderr: '' });
  });

  it('accepts OpenSSH-hashed entries (ssh-keygen -H)', async () => {
    const file = join(work, 'hashed_known_hosts');
    await writeFile(file, await readFile(lab.knownHosts));
    expect((await run('ssh-keygen', ['-H', '-f', file])).code).toBe(0);
    expect(await readFile(file, 'utf8')).not.toContain(h1.address);
    const out = await withTransport(conn(h1, { knownHostsFiles: [file] }), await options(), (t) => t.exec('true'));
    expect(out.exitCode).toBe(0);
  });

  it('refuses an unknown key, with the fingerprint ssh-keygen shows and how to trust it', async () => {
    const o = await options();
    const err = await refusal(connectSsh(conn(h1, { knownHostsFiles: [] }), o));
    expect(err.code).toBe('HOSTKEY');
    expect(err.host).toBe(h1.name);
    expect(err.message).toContain(`unknown host key ssh-ed25519 ${await opensshFingerprint(h1)}`);
    expect(err.message).toContain(`ssh-keyscan -p 22 ${h1.address} >> ${o.homeDir}/.ssh/known_hosts`);
    expect(err.message).toContain('--accept-new');
    expect(existsSync(join(o.homeDir, '.ssh/known_hosts'))).toBe(false);
  });

  it('--accept-new records the key in the first configured file, and the next connect trusts it', async () => {
    const file = join(work, 'accept_known_hosts');
    await writeFile(file, '# mine, without a final newline');
    const c = conn(h1, { knownHostsFiles: [file, lab.knownHosts.replace(/$/, '.absent')] });
    await withTransport(c, await options({ acceptNew: true }), (t) => t.exec('true'));
    expect(await readFile(file, 'utf8')).toBe(`# mine, without a final newline\n${labKeys.get(h1.address)}\n`);
    // OpenSSH reads what we wrote.
    expect((await run('ssh-keygen', ['-F', h1.address, '-f', file])).stdout).toContain(labKeys.get(h1.address)!.split(' ')[2]);
    const out = await withTransport(c, await options(), (t) => t.exec('echo again'));
    expect(out.stdout).toBe('again\n');
  });

  it('--accept-new without configured files records in ~/.ssh/known_hosts', async () => {
    const o = await options({ acceptNew: true });
    await withTransport(conn(h1, { knownHostsFiles: [] }), o, (t) => t.exec('true'));
    expect(await readFile(join(o.homeDir, '.ssh/known_hosts'), 'utf8')).toBe(`${labKeys.get(h1.address)}\n`);
  });

  it('refuses a changed key, naming the old entry, even with --accept-new', async () => {
    const file = join(work, 'changed_known_hosts');
    const otherKey = labKeys.get(h2.address)!.split(' ').slice(1).join(' ');
    const text = `${labKeys.get(h2.address)}\n${h1.address} ${otherKey}\n`;
    await writeFile(file, text);
    for (const acceptNew of [false, true]) {
      const err = await refusal(connectSsh(conn(h1, { knownHostsFiles: [file] }), await options({ acceptNew })));
      expect(err.code).toBe('HOSTKEY');
      expect(err.message).toContain('HOST KEY CHANGED');
      expect(err.message).toContain(`${file}:2`);
      expect(err.message).toContain(await opensshFingerprint(h1));
      expect(err.message).toContain(await opensshFingerprint(h2));
    }
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('refuses a key marked @revoked', async () => {
    const file = join(work, 'revoked_known_hosts');
    const key = labKeys.get(h1.address)!.split(' ').slice(1).join(' ');
    await writeFile(file, `${labKeys.get(h1.address)}\n@revoked * ${key}\n`);
    const err = await refusal(connectSsh(conn(h1, { knownHostsFiles: [file] }), await options({ acceptNew: true })));
    expect(err.message).toContain(`@revoked in ${file}:2`);
  });
});

describe('authentication', () => {
  let agent: ChildProcess | undefined;
  afterAll(() => {
    if (agent?.pid) process.kill(agent.pid);
  });

  it('uses ssh-agent when no identity file is given', async () => {
    const socket = join(work, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await run('ssh-add', [lab.clientKey], { ...process.env, SSH_AUTH_SOCK: socket })).code).toBe(0);
    const c = conn(h1, { identityFiles: [] });
    const out = await withTransport(c, await options({ env: { SSH_AUTH_SOCK: socket } }), (t) => t.exec('id -un'));
    expect(out.stdout).toBe('root\n');
    // The same connection without the agent has no key at all.
    const err = await refusal(connectSsh(c, await options()));
    expect(err.message).toContain('authentication failed for user root');
    expect(err.message).toContain('no ssh-agent and no usable identity file');
  });

  it('goes on with key files when the agent socket is dead', async () => {
    const out = await withTransport(conn(h1), await options({ env: { SSH_AUTH_SOCK: join(work, 'no-such-agent.sock') } }), (t) => t.exec('true'));
    expect(out.exitCode).toBe(0);
  });

  it('explains an encrypted key it cannot use', async () => {
    const key = join(work, 'encrypted_key');
    expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', key])).code).toBe(0);
    const err = await refusal(connectSsh(conn(h1, { identityFiles: [key] }), await options()));
    expect(err.code).toBe('TRANSPORT');
    expect(err.message).toContain(`identity file ${key} is encrypted`);
    expect(err.message).toContain(`ssh-add ${key}`);
  });

  it('names the user when the host rejects the key', async () => {
    const err = await refusal(connectSsh(conn(h1, { user: 'nobody' }), await options()));
    expect(err.message).toMatch(new RegExp(`${h1.address}:22: authentication failed for user nobody: .*\\(${lab.clientKey}\\)`));
  });
});

describe('ssh config', () => {
  it('resolves an alias with HostName, User, Port, IdentityFile and UserKnownHostsFile', async () => {
    const home = await freshHome();
    await writeFile(
      join(home, '.ssh/config'),
      [
        'Host lab-alias wrong-port',
        `  HostName ${h1.address}`,
        '  User deploy',
        `  IdentityFile ${lab.clientKey}`,
        `  UserKnownHostsFile ${lab.knownHosts}`,
        'Host wrong-port',
        '  Port 2',
        'Host *',
        '  Port 22',
      ].join('\n'),
    );
    const o = base(home);
    const bare = { user: undefined, port: undefined, identityFiles: [], knownHostsFiles: [] };
    const out = await withTransport(conn(h1, { ...bare, address: 'lab-alias' }), o, (t) => t.exec('id -un'));
    expect(out.stdout).toBe('deploy\n');
    // Port from the config: nothing listens on 2.
    const err = await refusal(connectSsh(conn(h1, { ...bare, address: 'wrong-port' }), o));
    expect(err.message).toContain(`${h1.address}:2: connection refused`);
    // Inventory values win over the config.
    const root = await withTransport(conn(h1, { ...bare, address: 'wrong-port', port: 22, user: 'root' }), o, (t) => t.exec('id -un'));
    expect(root.stdout).toBe('root\n');
  });

  it('honours a config file at another path', async () => {
    const path = join(work, 'other_ssh_config');
    await writeFile(path, `Host elsewhere\n  HostName ${h1.address}\n  User deploy\n`);
    const out = await withTransport(conn(h1, { address: 'elsewhere', user: undefined }), await options({ sshConfigPath: path }), (t) =>
      t.exec('id -un'),
    );
    expect(out.stdout).toBe('deploy\n');
  });
});

describe('ProxyJump', () => {
  async function jumpConfig(): Promise<{ home: string; knownHosts: string }> {
    const home = await freshHome();
    await writeFile(
      join(home, '.ssh/config'),
      [
        'Host jumpbox',
        `  HostName ${h1.address}`,
        '  User root',
        `Host jumpbox ${h3.address} behind behind-the-jump`,
        `  IdentityFile ${lab.clientKey}`,
        'Host behind',
        '  HostName behind-the-jump',
        '  ProxyJump jumpbox',
      ].join('\n'),
    );
    // The target is checked under the name the jump host resolves.
    const knownHosts = join(home, 'target_known_hosts');
    await writeFile(knownHosts, `${(await readFile(lab.knownHosts, 'utf8')).trim()}\n${labKeys.get(h2.address)!.replace(h2.address, 'behind-the-jump')}\n`);
    return { home, knownHosts };
  }

  it('reaches a host only the jump host can resolve, from ssh config', async () => {
    const { home, knownHosts } = await jumpConfig();
    const c = conn(h2, { address: 'behind', identityFiles: [], knownHostsFiles: [knownHosts] });
    const out = await withTransport(c, base(home), (t) => t.exec('hostname'));
    expect(out.stdout).toBe(`${h2.machine}\n`);
  });

  it('follows an inventory chain through two jump hosts', async () => {
    const { home, knownHosts } = await jumpConfig();
    const c = conn(h2, { address: 'behind-the-jump', proxyJump: `jumpbox,root@${h3.address}:22`, knownHostsFiles: [knownHosts] });
    // The last leg starts at h3: its sshd holds the connection to h2.
    const out = await withTransport(c, base(home), async (t) => {
      const seen = await lab.sh(h3, `ss -Htnp state established dst ${h2.address}:22`);
      expect(seen.stdout).toContain('sshd');
      return t.exec('hostname');
    });
    expect(out.stdout).toBe(`${h2.machine}\n`);
  });

  it('checks jump host keys too', async () => {
    const { home } = await jumpConfig();
    const knownHosts = join(home, 'only_target');
    await writeFile(knownHosts, `${labKeys.get(h2.address)!.replace(h2.address, 'behind-the-jump')}\n`);
    const c = conn(h2, { address: 'behind', identityFiles: [], knownHostsFiles: [knownHosts] });
    const err = await refusal(connectSsh(c, base(home)));
    expect(err.code).toBe('HOSTKEY');
    expect(err.host).toBe(h2.name);
    expect(err.message).toContain(`jump host jumpbox (${h1.address}:22): unknown host key`);
  });

  it('shares one jump connection between the hosts of a pool', async () => {
    const { home, knownHosts } = await jumpConfig();
    const pool = new TransportPool(base(home));
    try {
      const targets = [h2, h3].map((h) => conn(h, { proxyJump: 'jumpbox', knownHostsFiles: [knownHosts] }));
      const results = await eachLimited(targets, 2, async (c) => (await (await pool.get(c)).exec('hostname')).stdout);
      expect(results).toEqual([`${h2.machine}\n`, `${h3.machine}\n`]);
      const toJump = await run('ss', ['-Htn', 'state', 'established', 'dst', `${h1.address}:22`]);
      expect(toJump.stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      await pool.closeAll();
    }
  });
});

describe('become', () => {
  it('runs as root through sudo when logged in as deploy', async () => {
    const c = conn(h1, { user: 'deploy', become: true });
    await withTransport(c, await options(), async (t) => {
      expect((await t.exec('id -u')).stdout).toBe('0\n');
      expect((await t.exec('id -un; echo "$0"')).stdout).toBe('root\nsh\n');
      // Exit codes and stderr come through sudo unchanged.
      expect(await t.exec('echo oops >&2; exit 7')).toMatchObject({ exitCode: 7, stderr: 'oops\n' });
    });
    const plain = await withTransport(conn(h1, { user: 'deploy' }), await options(), (t) => t.exec('id -un'));
    expect(plain.stdout).toBe('deploy\n');
  });

  it('says what to do when sudo wants a password', async () => {
    const c = conn(h1, { user: 'nopw', become: true });
    const err = await withTransport(c, await options(), (t) => refusal(t.exec('id -u')));
    expect(err.message).toContain('sudo asks nopw for a password');
    expect(err.message).toContain('NOPASSWD');
    expect(err.command).toBe('id -u');
  });
});

describe('exec', () => {
  let t: Transport;
  beforeAll(async () => {
    t = await connectSsh(conn(h1, { user: 'deploy', become: true }), await options());
  });
  afterAll(() => t?.close());

  it('counts execs and bytes', async () => {
    const before = { ...t.stats };
    const a = await t.exec('printf abc');
    const b = await t.exec('printf 12345 >&2', { stdin: 'hello' });
    expect(a.stdout).toBe('abc');
    expect(b.stderr).toBe('12345');
    expect(t.stats.execs - before.execs).toBe(2);
    expect(t.stats.bytesReceived - before.bytesReceived).toBe(8);
    // The command as sent (inside sudo) plus stdin.
    const sent = (line: string) => `sudo -n -u root -- sh -c '${line}'`.length;
    expect(t.stats.bytesSent - before.bytesSent).toBe(sent('printf abc') + sent('printf 12345 >&2') + 5);
  });

  it('streams 5 MB of stdin through sudo intact', async () => {
    const payload = randomBytes(5 * 1024 * 1024);
    const r = await t.exec('sha256sum; cat >/dev/null', { stdin: payload });
    expect(r.stdout).toBe(`${createHash('sha256').update(payload).digest('hex')}  -\n`);
  });

  it('takes 5 MB from a stdin writer through sudo intact, and a writer whose command stops reading never hangs', async () => {
    const payload = randomBytes(5 * 1024 * 1024);
    const chunk = Buffer.alloc(256 * 1024);
    const r = await t.exec('sha256sum', {
      stdin: async (write) => {
        for (let at = 0; at < payload.length; at += chunk.length) {
          payload.copy(chunk, 0, at, at + chunk.length);
          await write(chunk);
        }
      },
    });
    expect(r.stdout).toBe(`${createHash('sha256').update(payload).digest('hex')}  -\n`);
    // ssh2 never calls back a write to a closed channel: the transport rejects it once the command ended.
    let ended: Promise<unknown> = Promise.resolve();
    const early = await t.exec('exit 3', {
      stdin: (write) => {
        ended = (async () => {
          for (;;) await write(chunk);
        })().catch((error: unknown) => error);
        return ended.then(() => {});
      },
    });
    expect(early.exitCode).toBe(3);
    expect(String(await ended)).toMatch(/ended before it took all its input/);
  });

  it('streams stdout as it arrives', async () => {
    const chunks: string[] = [];
    const r = await t.exec('echo one; sleep 0.3; echo two', { onStdout: (c) => chunks.push(c.toString()) });
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(chunks.join('')).toBe(r.stdout);
  });

  it('runs 10 commands at once on one connection, and queues past sshd MaxSessions', async () => {
    const started = Date.now();
    const ten = await Promise.all(Array.from({ length: 10 }, (_, i) => t.exec(`sleep 1; echo ${i}`)));
    expect(ten.map((r) => r.stdout)).toEqual(Array.from({ length: 10 }, (_, i) => `${i}\n`));
    expect(Date.now() - started).toBeLessThan(3_000);
    const many = await Promise.all(Array.from({ length: 25 }, (_, i) => t.exec(`echo ${i}`)));
    expect(many.every((r, i) => r.stdout === `${i}\n`)).toBe(true);
  });

  it('times out, kills the command on the host, and keeps the connection', async () => {
    const err = await refusal(t.exec('sleep 77', { timeoutMs: 500 }));
    expect(err.message).toContain('timed out after 500 ms');
    // The host's own timeout kills it a second after this side gave up.
    let left = '';
    for (let i = 0; i < 30; i++) {
      left = (await lab.sh(h1, 'pgrep -x sleep || true')).stdout;
      if (!left) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe('');
    expect((await t.exec('echo alive')).stdout).toBe('alive\n');
  });

  it('fails clearly when the connection dies mid-command: the outcome is unknown', async () => {
    await withTransport(conn(h1), await options(), async (own) => {
      // Kill this connection's sshd session process from inside.
      const err = await refusal(own.exec('kill -9 $PPID; sleep 5'));
      expect(err.code).toBe('OUTCOME_UNKNOWN');
      expect(err.message).toContain('outcome unknown: the connection was lost while the command ran');
      expect(err.command).toBe('kill -9 $PPID; sleep 5');
      // Nothing runs on a connection known to be lost, so that is an ordinary transport failure.
      const next = await refusal(own.exec('true'));
      expect(next.code).toBe('TRANSPORT');
      expect(next.message).toContain('connection lost');
    });
  });

  describe('a link that goes silent without closing', () => {
    /** A connection through a fresh proxy, which the test can freeze. */
    async function throughProxy(fn: (t: Transport, link: Proxy) => Promise<void>, tuning: Partial<SshOptions> = { deadLinkTimeoutMs: 1_000 }): Promise<void> {
      const link = await startProxy({ target: { host: h1.address, port: h1.port }, listen: { host: '127.0.0.1' } });
      try {
        const c = conn(h1, { address: '127.0.0.1', port: link.port, knownHostsFiles: [] });
        await withTransport(c, await options({ acceptNew: true, ...tuning }), (t) => fn(t, link));
      } finally {
        await link.close();
      }
    }

    /** Waits, boundedly, until a file exists on h1 (read through nspawn, not through the link under test). */
    async function waitForFile(path: string): Promise<void> {
      for (let i = 0; i < 100; i++) {
        if ((await lab.sh(h1, `test -e ${path} && echo yes || true`)).stdout.trim() === 'yes') return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${path} did not appear on ${h1.name}`);
    }

    it('while idle: the next exec fails as a lost connection, and the command never reached the host', async () => {
      const marker = `/tmp/idle-${randomBytes(4).toString('hex')}`;
      await throughProxy(async (t, link) => {
        expect((await t.exec('echo up')).stdout).toBe('up\n');
        link.freeze();
        // The exec waits on the frozen link until keepalives give up (the test's timeout bounds it).
        const err = await refusal(t.exec(`touch ${marker}`));
        expect(err.code).toBe('TRANSPORT');
        expect(err.message).toContain('connection lost: no answer from the host within 1000 ms (Keepalive timeout)');
        expect(err.cause).toBeInstanceOf(Error);
      });
      expect((await lab.sh(h1, `test -e ${marker} && echo ran || echo never`)).stdout).toBe('never\n');
    });

    it('mid-command: the outcome is reported unknown, not as an unreachable host, while the host finishes the command', async () => {
      const id = randomBytes(4).toString('hex');
      const [started, go, done] = ['started', 'go', 'done'].map((f) => `/tmp/${f}-${id}`) as [string, string, string];
      await throughProxy(async (t, link) => {
        const running = refusal(t.exec(`touch ${started}; while [ ! -e ${go} ]; do sleep 0.1; done; touch ${done}`));
        await waitForFile(started);
        link.freeze();
        const err = await running;
        expect(err.code).toBe('OUTCOME_UNKNOWN');
        expect(err.host).toBe(h1.name);
        expect(err.message).toBe(
          `${h1.name}: outcome unknown: the connection was lost while the command ran ` +
            `(no answer from the host within 1000 ms (Keepalive timeout)); run plan to see what changed\n` +
            `  command: touch ${started}; while [ ! -e ${go} ]; do sleep 0.1; done; touch ${done}`,
        );
        expect(err.message).not.toContain('unreachable');
      });
      // The command goes on on the host: what it did is there for the next plan to see.
      await lab.sh(h1, `touch ${go}`);
      await waitForFile(done);
    });

    // Before, a frozen link took about 65 s to notice; the default is 15 s. The test's timeout is the bound.
    it('is noticed within the default dead-link timeout', { timeout: 30_000 }, async () => {
      await throughProxy(
        async (t, link) => {
          expect((await t.exec('true')).exitCode).toBe(0);
          link.freeze();
          const err = await refusal(t.exec('sleep 120'));
          expect(err.message).toContain('no answer from the host within 15000 ms (Keepalive timeout)');
        },
        {},
      );
    });
  });
});

describe('connect failures', () => {
  it('names host:port on a connect timeout', async () => {
    // Accepts TCP but never speaks SSH.
    const mute: Server = createServer(() => {});
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as AddressInfo).port;
    try {
      const err = await refusal(connectSsh(conn(h1, { address: '127.0.0.1', port }), await options({ connectTimeoutMs: 500 })));
      expect(err.message).toContain(`127.0.0.1:${port}: timed out after 500 ms connecting`);
    } finally {
      mute.close();
    }
  });

  it('a pool opens a host\'s connection anew once it was lost, so a long run goes on; the command in flight when it dropped stays an unknown outcome', async () => {
    const pool = new TransportPool(await options());
    try {
      const first = await pool.get(conn(h1));
      expect(await pool.get(conn(h1)), 'the same connection while it works').toBe(first);
      expect(first.lost).toBeUndefined();
      // Kill this connection's sshd session process from inside.
      const err = await refusal(first.exec('kill -9 $PPID; sleep 5'));
      expect(err.code).toBe('OUTCOME_UNKNOWN');
      expect(first.lost).toBe('the host closed the connection');
      const second = await pool.get(conn(h1));
      expect(second).not.toBe(first);
      expect((await second.exec('echo alive')).stdout).toBe('alive\n');
      expect(await pool.get(conn(h1))).toBe(second);
      // The lost one says so; nothing is run on it again.
      expect((await refusal(first.exec('true'))).message).toContain('connection lost: the host closed the connection');
    } finally {
      await pool.closeAll();
    }
  });

  it('a stopped host fails clearly while the others in the same parallel run succeed', async () => {
    await lab.stopHost(h3.name);
    const pool = new TransportPool(await options());
    try {
      // Each host's outcome on its own, as apply gathers them.
      const results = await eachLimited([h1, h2, h3], 3, async (h) => {
        try {
          return (await (await pool.get(conn(h))).exec('hostname')).stdout;
        } catch (err) {
          return err as Error;
        }
      });
      expect(results.slice(0, 2)).toEqual([`${h1.machine}\n`, `${h2.machine}\n`]);
      const failed = results[2];
      expect(failed).toBeInstanceOf(TransportError);
      expect((failed as TransportError).message).toBe(`${h3.name}: ${h3.address}:22: connection refused (is sshd running and listening on port 22?)`);
    } finally {
      await pool.closeAll();
    }
  });
});
