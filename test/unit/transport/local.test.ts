import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../../src/errors.js';
import type { HostConnection } from '../../../src/model/types.js';
import { becomeCommand, checkBecome, signalExitCode, truncateCommand } from '../../../src/transport/common.js';
import { openLocal } from '../../../src/transport/local.js';
import { command } from '../../../src/shell/quote.js';
import { openTransport } from '../../../src/transport/ssh/index.js';

/** The account these tests run as, as the CLI would hand it to the transport. */
const me = userInfo().username;

const conn: HostConnection = {
  name: 'controller',
  address: 'localhost',
  identityFiles: [],
  become: false,
  becomeUser: 'root',
  knownHostsFiles: [],
  connection: 'local',
};

describe('becomeCommand', () => {
  it.each([
    ['no become', 'deploy', { become: false, becomeUser: 'root' }, 'id -u'],
    ['already the become user', 'root', { become: true, becomeUser: 'root' }, 'id -u'],
    ['deploy to root', 'deploy', { become: true, becomeUser: 'root' }, "sudo -n -u root -- sh -c 'id -u'"],
    ['root to another user', 'root', { become: true, becomeUser: 'geth' }, "sudo -n -u geth -- sh -c 'id -u'"],
  ])('%s', (_name, login, become, expected) => {
    expect(becomeCommand('id -u', login, become)).toBe(expected);
  });

  it('passes the command to sh -c as one word, intact', async () => {
    const line = becomeCommand(command(['printf', '%s', "it's; $(rm -rf /) `x`"]), 'deploy', { become: true, becomeUser: 'root' });
    expect(line.startsWith('sudo -n -u root -- sh -c ')).toBe(true);
    const r = await openLocal(conn, me).exec(line.replace(/^sudo -n -u root -- /, ''));
    expect(r.stdout).toBe("it's; $(rm -rf /) `x`");
  });
});

describe('checkBecome', () => {
  const result = (exitCode: number, stderr: string) => ({ command: 'x', exitCode, stdout: '', stderr, durationMs: 1 });
  it.each([
    ['password prompt', result(1, 'sudo: a password is required\n'), true, /configure|NOPASSWD/],
    ['not in sudoers', result(1, 'deploy is not in the sudoers file.\nsudo: deploy is not in the sudoers file.\n'), true, /may not use sudo/],
    ['command failed on its own', result(1, 'grep: x: No such file\n'), true, undefined],
    ['not wrapped', result(1, 'sudo: a password is required\n'), false, undefined],
    ['other exit code', result(2, 'sudo: a password is required\n'), true, undefined],
  ])('%s', (_name, r, wrapped, error) => {
    const run = () => checkBecome('h', r, wrapped, 'deploy', 'x');
    if (error) expect(run).toThrow(error);
    else expect(run).not.toThrow();
  });
});

describe('helpers', () => {
  it('signalExitCode follows sh', () => {
    expect(signalExitCode('KILL')).toBe(137);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
  it('truncateCommand keeps short lines and marks long ones', () => {
    expect(truncateCommand('echo hi')).toBe('echo hi');
    expect(truncateCommand('x'.repeat(300))).toBe(`${'x'.repeat(200)}... (300 chars)`);
  });
});

describe('local transport', () => {
  it('runs through /bin/sh -c and returns results as data', async () => {
    const t = await openTransport(conn, { env: {}, homeDir: '/nonexistent', localUser: me });
    const r = await t.exec('echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ command: 'echo out; echo err >&2; exit 3', exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(r.durationMs).toBeGreaterThan(0);
    expect(t.host).toBe('controller');
    await t.close();
  });

  it('streams stdin and counts bytes', async () => {
    const t = openLocal(conn, me);
    const payload = Buffer.alloc(3 * 1024 * 1024, 'nodeform');
    const chunks: Buffer[] = [];
    const r = await t.exec('sha256sum', { stdin: payload, onStdout: (c) => chunks.push(c) });
    const sum = createHash('sha256').update(payload).digest('hex');
    expect(r.stdout).toBe(`${sum}  -\n`);
    expect(Buffer.concat(chunks).toString()).toBe(r.stdout);
    expect(t.stats).toEqual({ execs: 1, bytesSent: 'sha256sum'.length + payload.length, bytesReceived: r.stdout.length });
  });

  it('a stdin writer: each chunk written (its buffer reused after each write), then EOF; its bytes counted', async () => {
    const t = openLocal(conn, me);
    const buffer = Buffer.alloc(64 * 1024);
    const hash = createHash('sha256');
    const r = await t.exec('sha256sum', {
      stdin: async (write) => {
        for (let i = 0; i < 40; i++) {
          buffer.fill(i);
          hash.update(buffer);
          await write(buffer);
        }
      },
    });
    expect(r.stdout).toBe(`${hash.digest('hex')}  -\n`);
    expect(t.stats.bytesSent).toBe('sha256sum'.length + 40 * buffer.length);
  });

  it('a stdin writer whose command stops reading: the exec ends with its exit code, the writer\'s writes reject', async () => {
    let writes: string | undefined;
    const r = await openLocal(conn, me).exec('head -c 10 >/dev/null; exit 7', {
      stdin: async (write) => {
        try {
          for (let i = 0; i < 1000; i++) await write(Buffer.alloc(1024 * 1024));
          writes = 'all taken';
        } catch (error) {
          writes = (error as Error).message;
          throw error;
        }
      },
    });
    expect(r.exitCode).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(writes).toBeDefined();
    expect(writes).not.toBe('all taken');
  });

  it('a stdin writer that fails fails the exec with its error', async () => {
    const err = await openLocal(conn, me)
      .exec('cat >/dev/null', { stdin: async () => Promise.reject(new Error('the source went away')) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(String(err)).toMatch(/cannot read what the command was to be given: the source went away/);
  });

  it('ignores stdin the command does not read', async () => {
    const r = await openLocal(conn, me).exec('true', { stdin: Buffer.alloc(1024 * 1024) });
    expect(r.exitCode).toBe(0);
  });

  it('kills the whole command on timeout', async () => {
    const t = openLocal(conn, me);
    const started = Date.now();
    const err = await t.exec('sleep 30 & sleep 30; wait', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(String(err)).toMatch(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a signal death as 128+n', async () => {
    expect((await openLocal(conn, me).exec('kill -9 $$')).exitCode).toBe(137);
  });

  it.runIf(userInfo().username === 'root')('become as root needs no sudo', async () => {
    const r = await openLocal({ ...conn, become: true }, me).exec('id -u');
    expect(r.stdout).toBe('0\n');
  });
});
