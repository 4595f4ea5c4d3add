// Measurement helpers for the benchmark (test/bench/run.ts): a timed child process with its CPU and peak
// memory, the SSH floor, nodeform driven in-process to count execs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import ssh2 from 'ssh2';
import { run as runCli } from '../../src/cli/main.js';
import { TransportPool } from '../../src/transport/ssh/index.js';
import type { Transport } from '../../src/transport/types.js';

export interface Sample {
  wallMs: number;
  /** Controller CPU seconds (user + sys) of the child and every descendant it waited for. */
  cpuS: number;
  /** Peak resident set of the largest single process of the tree, KiB (getrusage of waited children). */
  maxRssKb: number;
  code: number;
  stdout: string;
  stderr: string;
}

export const TIME_BIN = '/usr/bin/time';

/** Runs argv under /usr/bin/time; wall clock from spawn to exit, as a user sees it. */
export function timed(argv: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'nodeform-bench-time-'));
  const out = join(dir, 'time');
  return new Promise((done, reject) => {
    const start = performance.now();
    const child = spawn(TIME_BIN, ['-f', '%U %S %M', '-o', out, ...argv], { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - start;
      // time writes "Command exited with non-zero status N" first when the command failed.
      const last = readFileSync(out, 'utf8').trim().split('\n').pop() ?? '';
      rmSync(dir, { recursive: true, force: true });
      const [user = 0, sys = 0, rss = 0] = last.split(' ').map(Number);
      done({
        wallMs,
        cpuS: user + sys,
        maxRssKb: rss,
        code: code ?? 1,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      });
    });
  });
}

export interface Target {
  host: string;
  port: number;
}

/** The floor: TCP connect, SSH handshake and key login, one `true` exec, for every target in parallel. */
export async function sshFloor(targets: Target[], privateKey: Buffer): Promise<number> {
  const start = performance.now();
  await Promise.all(targets.map((t) => execTrue(t, privateKey)));
  return performance.now() - start;
}

function execTrue(t: Target, privateKey: Buffer): Promise<void> {
  return new Promise((done, fail) => {
    const client = new ssh2.Client();
    client.once('error', fail);
    client.once('ready', () => {
      client.exec('true', (err, stream) => {
        if (err) return fail(err);
        stream.on('data', () => {});
        stream.stderr.on('data', () => {});
        stream.once('close', (code: number) => {
          client.end();
          if (code === 0) done();
          else fail(new Error(`${t.host}:${t.port}: true exited ${code}`));
        });
      });
    });
    // The floor checks no host key: that is a string compare and costs nothing measurable.
    client.connect({ host: t.host, port: t.port, username: 'root', privateKey, readyTimeout: 20_000 });
    // As nodeform's transport does: without it small exchanges wait for delayed ACKs.
    client.setNoDelay(true);
  });
}

export interface TransportCount {
  /** Which host files' content crossed in commands or stdin (plain or base64), by template name. */
  contentSent: string[];
  execs: number;
  bytesSent: number;
  bytesReceived: number;
  hosts: number;
}

/**
 * Runs the CLI in-process (for counting only, never for timing) and sums the transport stats of every
 * connection it opened: TransportPool.get is wrapped for the duration of the call.
 */
export async function countExecs(argv: string[], home: string, cwd: string): Promise<{ code: number; output: string; count: TransportCount }> {
  const opened: Promise<Transport>[] = [];
  const sent = new Map<Transport, string[]>();
  const proto = TransportPool.prototype;
  const original = proto.get;
  proto.get = function (this: TransportPool, ...args: Parameters<TransportPool['get']>) {
    const t = original.apply(this, args);
    opened.push(t);
    // Keep what is sent, to see which files' content crossed (each transport is wrapped once).
    void t.then((tr) => {
      if (sent.has(tr)) return;
      sent.set(tr, []);
      const exec = tr.exec.bind(tr);
      tr.exec = (line, options) => {
        // A streamed stdin is a staged upload: its bytes are a file's, counted by the transport's stats.
        const stdin = options?.stdin;
        sent.get(tr)!.push(line, typeof stdin === 'string' ? stdin : Buffer.isBuffer(stdin) ? stdin.toString() : '');
        return exec(line, options);
      };
    }, () => {});
    return t;
  };
  let output = '';
  let code: number;
  try {
    code = await runCli(argv, {
      stdout: (t) => (output += t),
      stderr: (t) => (output += t),
      isTTY: false,
      env: { HOME: home, NO_COLOR: '1' },
      cwd,
    });
  } finally {
    proto.get = original;
  }
  const count: TransportCount = { contentSent: [], execs: 0, bytesSent: 0, bytesReceived: 0, hosts: 0 };
  const found = new Set<string>();
  for (const r of await Promise.allSettled(opened)) {
    if (r.status !== 'fulfilled') continue;
    const text = (sent.get(r.value) ?? []).join('\n');
    for (const [name, marker] of Object.entries(contentMarkers(r.value.host))) {
      if (text.includes(marker.plain) || text.includes(marker.base64)) found.add(name);
    }
    count.hosts++;
    count.execs += r.value.stats.execs;
    count.bytesSent += r.value.stats.bytesSent;
    count.bytesReceived += r.value.stats.bytesReceived;
  }
  count.contentSent = [...found].sort();
  return { code, output, count };
}

/**
 * The first bytes of each host file as rendered for `host` (up to its first variable other than
 * inventory_hostname and ansible_host), plain and base64: finding one in what was sent means that file's
 * content crossed. Lengths are multiples of 3 so the base64 prefix does not depend on what follows.
 */
function contentMarkers(host: string): Record<string, { plain: string; base64: string }> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'templates', 'bench');
  const out: Record<string, { plain: string; base64: string }> = {};
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name), 'utf8').replaceAll('{{inventory_hostname}}', host);
    const upTo = text.indexOf('{{');
    const whole = Buffer.from(text);
    if (upTo < 0 && whole.length < 24) {
      // A short file (node-id): only its exact base64 is specific enough; its plain text (the host name) is everywhere.
      out[name] = { plain: '\0never\0', base64: whole.toString('base64') };
      continue;
    }
    const head = Buffer.from(upTo < 0 ? text : text.slice(0, upTo)).subarray(0, 45);
    const bytes = head.subarray(0, head.length - (head.length % 3));
    out[name] = { plain: bytes.toString(), base64: bytes.toString('base64') };
  }
  return out;
}
