// What the ssh and local transports share: become wrapping, sudo refusals, exit codes, stats and output.

import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { TransportError } from '../errors.js';
import type { HostConnection } from '../model/types.js';
import { command } from '../shell/quote.js';
import type { ExecResult, StdinWriter, TransportStats } from './types.js';

/**
 * Wraps a command line so it runs as the become user through non-interactive sudo, when the
 * connection asks for become and the login user is someone else. `-n` makes sudo fail instead of prompting.
 */
export function becomeCommand(commandLine: string, loginUser: string, conn: Pick<HostConnection, 'become' | 'becomeUser'>): string {
  if (!conn.become || loginUser === conn.becomeUser) return commandLine;
  return command(['sudo', '-n', '-u', conn.becomeUser, '--', 'sh', '-c', commandLine]);
}

/** Throws when sudo itself refused to run a wrapped command (rather than the command failing). */
export function checkBecome(host: string, result: ExecResult, wrapped: boolean, loginUser: string, shown: string): void {
  if (!wrapped || result.exitCode !== 1) return;
  const details = { command: shown, exitCode: result.exitCode, stderr: result.stderr };
  if (/^sudo: (a password is required|a terminal is required)/m.test(result.stderr)) {
    throw new TransportError(
      host,
      `become failed: sudo asks ${loginUser} for a password, and nodeform runs sudo -n, which never prompts. ` +
        `Give ${loginUser} password-less sudo (e.g. "${loginUser} ALL=(ALL) NOPASSWD: ALL" in /etc/sudoers.d/), or connect as root.`,
      details,
    );
  }
  if (/^sudo: .*(is not in the sudoers file|is not allowed to execute)/m.test(result.stderr)) {
    throw new TransportError(host, `become failed: ${loginUser} may not use sudo on this host; grant it in /etc/sudoers.d/, or connect as root.`, details);
  }
}

/** Commands can be whole scripts; errors show their start only. */
export function truncateCommand(commandLine: string, max = 200): string {
  return commandLine.length <= max ? commandLine : `${commandLine.slice(0, max)}... (${commandLine.length} chars)`;
}

/** A process killed by a signal reports 128 + its number, as sh does. */
export function signalExitCode(signal: string): number {
  const number = (constants.signals as Record<string, number | undefined>)[signal.startsWith('SIG') ? signal : `SIG${signal}`];
  return 128 + (number ?? 127);
}

export function newStats(): TransportStats {
  return { execs: 0, bytesSent: 0, bytesReceived: 0 };
}

/** A command's standard input as the transports hold it. */
export type Input = Buffer | Readable | StdinWriter | undefined;

export function toBuffer(data: string | Buffer | Readable | StdinWriter | undefined): Input {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** A write a writer's command no longer takes: the command ended or closed its input (not the writer's error). */
class InputClosed extends Error {}

/**
 * Feeds a command's standard input: a buffer at once, a stream piped with backpressure, a writer chunk by chunk
 * (StdinWriter), their bytes counted as they go. A stream's or writer's error ends the input (the command sees a
 * short input and says so) and is reported through onError. Returns what releases the input once the command ended.
 */
export function feedStdin(stdin: Input, sink: Writable, stats: TransportStats, onError: (error: Error) => void, beforeWrite: () => void = () => {}): () => void {
  if (stdin === undefined || Buffer.isBuffer(stdin)) {
    beforeWrite();
    sink.end(stdin);
    return () => {};
  }
  if (typeof stdin === 'function') return feedWriter(stdin, sink, stats, onError, beforeWrite);
  // Registered before pipe's own listener: it runs before each chunk is written.
  stdin.on('data', (chunk: Buffer) => {
    beforeWrite();
    stats.bytesSent += chunk.length;
  });
  stdin.once('error', (error) => {
    onError(error);
    sink.end();
  });
  stdin.pipe(sink);
  return () => releaseStdin(stdin);
}

function feedWriter(writer: StdinWriter, sink: Writable, stats: TransportStats, onError: (error: Error) => void, beforeWrite: () => void): () => void {
  let ended = false;
  const pending = new Set<(error: Error) => void>();
  const closed = () => new InputClosed('the command ended before it took all its input');
  const write = (chunk: Buffer): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (ended) return reject(closed());
      pending.add(reject);
      stats.bytesSent += chunk.length;
      beforeWrite();
      // ssh2 calls back once the chunk is in packets (or never, when the channel closed: release() rejects it then).
      sink.write(chunk, (error) => {
        pending.delete(reject);
        if (error) reject(new InputClosed(error.message));
        else resolve();
      });
    });
  writer(write).then(
    () => {
      if (!ended) sink.end();
    },
    (error: Error) => {
      // A write the command no longer took: its input is closed already.
      if (ended || error instanceof InputClosed) return;
      onError(error);
      sink.end();
    },
  );
  return () => {
    ended = true;
    for (const reject of pending) reject(closed());
    pending.clear();
  };
}

/** A stream given as stdin is released once its command ended, whether or not it was read to the end. */
export function releaseStdin(stdin: Input): void {
  if (stdin !== undefined && !Buffer.isBuffer(stdin) && typeof stdin !== 'function') stdin.destroy();
}

/**
 * One command's accounting, the same over SSH and locally: the exec and the bytes sent are counted
 * when it starts, output is collected (and counted, and stdout passed on as it arrives), and the
 * result is built once it exits.
 */
export class ExecRecord {
  private readonly stdout: Buffer[] = [];
  private readonly stderr: Buffer[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly stats: TransportStats,
    line: string,
    stdin: Input,
    private readonly onStdout?: (chunk: Buffer) => void,
  ) {
    stats.execs++;
    // A stream's bytes are counted as they are sent (feedStdin).
    stats.bytesSent += Buffer.byteLength(line) + (Buffer.isBuffer(stdin) ? stdin.length : 0);
  }

  readonly out = (chunk: Buffer): void => {
    this.stdout.push(chunk);
    this.stats.bytesReceived += chunk.length;
    this.onStdout?.(chunk);
  };

  readonly err = (chunk: Buffer): void => {
    this.stderr.push(chunk);
    this.stats.bytesReceived += chunk.length;
  };

  result(commandLine: string, exitCode: number): ExecResult {
    return {
      command: commandLine,
      exitCode,
      stdout: Buffer.concat(this.stdout).toString('utf8'),
      stderr: Buffer.concat(this.stderr).toString('utf8'),
      durationMs: performance.now() - this.started,
    };
  }
}
