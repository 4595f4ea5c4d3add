// applyAll's hosts against a transport that records what it was given (src/apply/run.ts): with onUnderWay, each
// host's script is written by the transport once its session is open, and that moment is told; the bytes the
// host gets are the script's, as without it.
import { describe, expect, it } from 'vitest';
import { applyAll, ApplyAsPlanned, type ApplyOptions, type Planned } from '../../../src/apply/run.js';
import { buildApplyScript, EXIT_LOCKED } from '../../../src/apply/script.js';
import type { Desired } from '../../../src/model/types.js';
import { planHost } from '../../../src/plan/compute.js';
import type { ExecOptions, ExecResult, Transport } from '../../../src/transport/types.js';
import { desired, emptyFacts, file } from '../helpers.js';

interface Session {
  command: string;
  /** What the command was given: the script's text. */
  input: string;
  /** Whether the input came through a writer (written once the session was open). */
  written: boolean;
  /** Hosts told under way before this session's input was written. */
  toldBefore: string[];
}

function recording(host: string, sessions: Session[], told: string[]): Transport {
  return {
    host,
    stats: { execs: 0, bytesSent: 0, bytesReceived: 0 },
    async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      const session: Session = { command, input: '', written: false, toldBefore: [] };
      sessions.push(session);
      const stdin = options.stdin;
      if (typeof stdin === 'function') {
        session.written = true;
        const chunks: Buffer[] = [];
        await stdin(async (chunk) => {
          session.toldBefore = [...told];
          chunks.push(Buffer.from(chunk));
        });
        session.input = Buffer.concat(chunks).toString('utf8');
      } else {
        session.input = typeof stdin === 'string' ? stdin : Buffer.isBuffer(stdin) ? stdin.toString('utf8') : '(a stream)';
      }
      return { command, exitCode: 0, stdout: 'GEN\t1\n', stderr: '', durationMs: 1 };
    },
    openChannel: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
}

function hostDesired(host: string): Desired {
  return { ...desired([file(`/srv/${host}.conf`, `name = ${host}\n`), file('/srv/shared.conf', 'same\n')]), host, connection: { ...desired([]).connection, name: host, address: host } };
}

const base: Omit<ApplyOptions, 'onUnderWay'> = { runId: 'r1', controller: 'me@ctl', lockTimeoutSeconds: 30, action: 'apply', forks: 5 };

describe('applyAll', () => {
  const hosts = ['a', 'b', 'c'];
  const planned: Planned[] = hosts.map((host) => {
    const d = hostDesired(host);
    return { desired: d, plan: planHost(d, { ...emptyFacts(), host }, { removeUndeclared: true }) };
  });
  planned.push({ desired: hostDesired('idle'), plan: { host: 'idle', changes: [], warnings: [], managedAfter: [] } });

  it('tells each host under way as its session takes the script, and sends it the script it would get otherwise', async () => {
    const sessions: Session[] = [];
    const told: string[] = [];
    const results = await applyAll(planned, async (c) => recording(c.name, sessions, told), { ...base, onUnderWay: (host) => told.push(host) });
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'unchanged']);
    // The host without changes is not contacted, so never told.
    expect(told).toEqual(['a', 'b', 'c']);
    expect(sessions.map((s) => s.written)).toEqual([true, true, true]);
    sessions.forEach((session, index) => {
      expect(session.toldBefore).toContain(hosts[index]);
      const { command, script } = buildApplyScript(planned[index]!.plan, planned[index]!.desired, { stateDir: '/var/lib/nodeform', runId: 'r1', controller: 'me@ctl', lockTimeoutSeconds: 30, keepGenerations: 5, action: 'apply' });
      expect(session.command).toBe(command);
      expect(session.input).toBe(script);
    });

    const plain: Session[] = [];
    await applyAll(planned, async (c) => recording(c.name, plain, []), base);
    expect(plain.map((s) => s.written)).toEqual([false, false, false]);
    expect(plain.map((s) => s.input)).toEqual(sessions.map((s) => s.input));
  });

  it('applies a host as soon as it is started (as it is planned), each once, and gives the results in the plan\'s order', async () => {
    const sessions: Session[] = [];
    const applier = new ApplyAsPlanned(async (c) => recording(c.name, sessions, []), base);
    applier.start(planned[1]!);
    applier.start(planned[1]!);
    // Its session opens without waiting for the other hosts' plans.
    await new Promise((resolve) => setImmediate(resolve));
    expect(sessions.map((s) => s.command.includes('sh -s'))).toEqual([true]);
    const results = await applier.results(planned);
    expect(results.map((r) => `${r.host} ${r.status}`)).toEqual(['a applied', 'b applied', 'c applied', 'idle unchanged']);
    expect(sessions).toHaveLength(3);
    expect(sessions[0]!.input).toBe(buildApplyScript(planned[1]!.plan, planned[1]!.desired, { stateDir: '/var/lib/nodeform', runId: 'r1', controller: 'me@ctl', lockTimeoutSeconds: 30, keepGenerations: 5, action: 'apply' }).script);
  });
});

describe('a host another run holds', () => {
  const d = hostDesired('a');
  const holder = { runId: 'r9', controller: 'ops@elsewhere', pid: '4242', since: '2026-12-01T10:00:00Z' };
  const message = 'locked by another nodeform run (run r9 from ops@elsewhere, pid 4242) since 2026-12-01T10:00:00Z; it is still alive: wait for it, or raise --lock-timeout';

  it('planned while the lock stayed held (the probe named the holder): locked, and not contacted', async () => {
    const facts = { ...emptyFacts(), host: 'a', record: { ...emptyFacts().record, lock: holder } };
    const sessions: Session[] = [];
    const [result] = await applyAll([{ desired: d, facts, plan: planHost(d, facts, { removeUndeclared: true }) }], async (c) => recording(c.name, sessions, []), base);
    expect(result).toMatchObject({ status: 'locked', error: message, failure: { code: 'LOCKED', message } });
    expect(sessions).toEqual([]);
  });

  it('held when the script waited for it to the end: locked, the holder named from the LOCKED line', async () => {
    const transport: Transport = {
      ...recording('a', [], []),
      exec: async (command) => ({ command, exitCode: EXIT_LOCKED, stdout: 'LOCKED\tr9\tops@elsewhere\t4242\tboot\t2026-12-01T10:00:00Z\n', stderr: '', durationMs: 1 }),
    };
    const [result] = await applyAll([{ desired: d, plan: planHost(d, { ...emptyFacts(), host: 'a' }, { removeUndeclared: true }) }], async () => transport, base);
    expect(result).toMatchObject({ status: 'locked', error: message, failure: { code: 'LOCKED' } });
  });
});
