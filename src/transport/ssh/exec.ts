// Running commands over one SSH connection: become, sshd's session limit, timeouts, and what a lost
// connection means for a command in flight.

import type { Duplex } from 'node:stream';
import type { ClientChannel, Client as SshClient } from 'ssh2';
import { TransportError, type ErrorCode } from '../../errors.js';
import type { HostConnection } from '../../model/types.js';
import { command } from '../../shell/quote.js';
import { becomeCommand, checkBecome, ExecRecord, feedStdin, newStats, releaseStdin, signalExitCode, toBuffer, truncateCommand } from '../common.js';
import type { ExecOptions, ExecResult, Transport, TransportStats } from '../types.js';
import { batchPacketWrites, endClient } from './client.js';

/** sshd's default MaxSessions: more concurrent channels on one connection are refused, so execs queue. */
const MAX_SESSIONS = 10;
const OPEN_RETRIES = 50;
const OPEN_RETRY_MS = 20;

export class SshTransport implements Transport {
  readonly host: string;
  readonly stats: TransportStats = newStats();
  /** Why the connection is gone, once it is, and the error that said so. */
  private lostBecause?: string;
  private lostCause?: Error;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Corks the socket for this turn of the event loop: the packets of one chunk of stdin go in one write. */
  private readonly batch: () => void;

  constructor(
    private readonly conn: HostConnection,
    private readonly client: SshClient,
    private readonly loginUser: string,
    private readonly onClose: () => Promise<void>,
    deadLinkTimeoutMs: number,
  ) {
    this.host = conn.name;
    this.batch = batchPacketWrites(client);
    client.on('error', (err: Error & { level?: string }) => {
      // After the handshake ssh2's only timeout is its keepalive: the host stopped answering.
      this.lostBecause ??= err.level === 'client-timeout' ? `no answer from the host within ${deadLinkTimeoutMs} ms (${err.message})` : err.message;
      this.lostCause ??= err;
    });
    client.on('close', () => {
      this.lostBecause ??= 'the host closed the connection';
    });
  }

  get lost(): string | undefined {
    return this.lostBecause;
  }

  async exec(commandLine: string, options: ExecOptions = {}): Promise<ExecResult> {
    // sshd ignores signal requests and closing the channel leaves the command running, so the host's own
    // coreutils timeout kills it there. It gets a second more than the timer in run(), which decides the outcome.
    const limited =
      options.timeoutMs === undefined
        ? commandLine
        : command(['timeout', '-s', 'KILL', String(options.timeoutMs / 1000 + 1), 'sh', '-c', commandLine]);
    const line = becomeCommand(limited, this.loginUser, this.conn);
    const shown = truncateCommand(commandLine);
    await this.acquire();
    try {
      if (this.lost) throw new TransportError(this.host, `connection lost: ${this.lost}`, { command: shown, cause: this.lostCause });
      const result = await this.run(line, commandLine, shown, options);
      checkBecome(this.host, result, line !== limited, this.loginUser, shown);
      return result;
    } finally {
      this.release();
    }
  }

  /**
   * A direct-tcpip channel over this connection to address:port as the host sees it (sshd connects there
   * itself): no port is opened on the host and nothing runs there. Channels are not sessions: MaxSessions
   * does not limit them.
   */
  openChannel(port: number, address = '127.0.0.1'): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      if (this.lost) return reject(new TransportError(this.host, `connection lost: ${this.lost}`, { cause: this.lostCause }));
      try {
        this.client.forwardOut('127.0.0.1', 0, address, port, (err, channel) => {
          if (err) {
            // sshd answers "Connection refused" when nothing listens, "administratively prohibited" when forwarding is off.
            reject(new TransportError(this.host, `cannot reach ${address}:${port} through the SSH connection: ${err.message}`, { cause: err }));
            return;
          }
          resolve(channel);
        });
      } catch (err) {
        reject(new TransportError(this.host, `connection lost: ${this.lost ?? (err as Error).message}`, { cause: err }));
      }
    });
  }

  async close(): Promise<void> {
    this.lostBecause ??= 'the transport was closed';
    await endClient(this.client);
    await this.onClose();
  }

  private acquire(): Promise<void> {
    if (this.active < MAX_SESSIONS) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private run(line: string, commandLine: string, shown: string, options: ExecOptions): Promise<ExecResult> {
    const stdin = toBuffer(options.stdin);
    const record = new ExecRecord(this.stats, line, stdin, options.onStdout);
    let release = (): void => releaseStdin(stdin);
    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let stdinError: Error | undefined;
      const fail = (message: string, cause?: unknown, code?: ErrorCode, lost?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new TransportError(this.host, message, { command: shown, cause, ...(code ? { code } : {}), ...(lost !== undefined ? { lost } : {}) }));
      };
      // The host may have run the command, in part or in full: saying "unreachable" would claim nothing happened.
      const outcomeUnknown = (): void =>
        fail(
          `outcome unknown: the connection was lost while the command ran (${this.lost}); run plan to see what changed`,
          this.lostCause,
          'OUTCOME_UNKNOWN',
          this.lost,
        );
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          fail(`command timed out after ${options.timeoutMs} ms and was killed`);
          channel?.close();
        }, options.timeoutMs);
      }
      const onChannel = (err: Error | undefined, stream: ClientChannel): void => {
        if (err) {
          if (!this.lost) return fail(`cannot start the command: ${err.message}`, err);
          return neverSent(err) ? fail(`connection lost: ${this.lost}`, this.lostCause ?? err) : outcomeUnknown();
        }
        if (settled) return void stream.close();
        channel = stream;
        let exitCode: number | undefined;
        let closed = false;
        let stderrEnded = false;
        const finish = (): void => {
          if (!closed || !stderrEnded || settled) return;
          if (exitCode === undefined) {
            if (this.lost) return outcomeUnknown();
            return fail('the host closed the session without an exit status', this.lostCause);
          }
          if (stdinError) return fail(`cannot read what the command was to be given: ${stdinError.message}`, stdinError);
          settled = true;
          clearTimeout(timer);
          resolve(record.result(commandLine, exitCode));
        };
        stream.on('data', record.out);
        stream.stderr.on('data', record.err);
        stream.stderr.on('end', () => {
          stderrEnded = true;
          finish();
        });
        stream.on('exit', (code: number | null, signal?: string) => {
          exitCode = code ?? signalExitCode(signal ?? 'SIGKILL');
        });
        stream.on('close', () => {
          closed = true;
          finish();
        });
        stream.on('error', (e: Error) => fail(`the session failed: ${e.message}`, e));
        release = feedStdin(
          stdin,
          stream,
          this.stats,
          (error) => {
            stdinError ??= error;
          },
          this.batch,
        );
      };
      // sshd frees a session slot a moment after its channel closed, so a burst of execs can be refused
      // a session even below MaxSessions; such refusals are retried for a while.
      const open = (attempt: number): void => {
        try {
          this.client.exec(line, (err, stream) => {
            const refused = (err as { reason?: number } | undefined)?.reason !== undefined;
            if (refused && attempt < OPEN_RETRIES && !settled && !this.lost) setTimeout(() => open(attempt + 1), OPEN_RETRY_MS);
            else onChannel(err, stream);
          });
        } catch (err) {
          fail(`connection lost: ${this.lost ?? (err as Error).message}`, err);
        }
      };
      open(1);
    }).finally(() => release());
  }
}

/**
 * Whether a failed exec never reached the host. ssh2 sends the exec request only once the host has
 * confirmed the session channel; a connection lost before that fails the open with "No response from
 * server", and a refused open carries a reason. Any other failure may have come after the host started it.
 */
function neverSent(err: Error & { reason?: unknown }): boolean {
  return err.reason !== undefined || err.message === 'No response from server';
}
