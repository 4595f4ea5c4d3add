// `ansible_connection: local`: commands run on the controller through /bin/sh -c, with the same
// semantics and stats as over SSH.

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { TransportError } from '../errors.js';
import type { HostConnection } from '../model/types.js';
import { becomeCommand, checkBecome, ExecRecord, feedStdin, newStats, releaseStdin, signalExitCode, toBuffer, truncateCommand } from './common.js';
import type { ExecOptions, ExecResult, Transport, TransportStats } from './types.js';

/** `loginUser` is the account nodeform runs as: become needs sudo only when it is not the become user. */
export function openLocal(conn: HostConnection, loginUser: string): Transport {
  return new LocalTransport(conn, loginUser);
}

class LocalTransport implements Transport {
  readonly host: string;
  readonly stats: TransportStats = newStats();

  constructor(
    private readonly conn: HostConnection,
    private readonly loginUser: string,
  ) {
    this.host = conn.name;
  }

  async exec(commandLine: string, options: ExecOptions = {}): Promise<ExecResult> {
    const line = becomeCommand(commandLine, this.loginUser, this.conn);
    const shown = truncateCommand(commandLine);
    const result = await this.run(line, commandLine, shown, options);
    checkBecome(this.host, result, line !== commandLine, this.loginUser, shown);
    return result;
  }

  private run(line: string, commandLine: string, shown: string, options: ExecOptions): Promise<ExecResult> {
    const stdin = toBuffer(options.stdin);
    const record = new ExecRecord(this.stats, line, stdin, options.onStdout);
    let stdinError: Error | undefined;
    let release = (): void => releaseStdin(stdin);
    return new Promise<ExecResult>((resolve, reject) => {
      // Its own process group, so a timeout kills everything the command started.
      const child = spawn('/bin/sh', ['-c', line], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const fail = (message: string, cause?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new TransportError(this.host, message, { command: shown, cause }));
      };
      child.stdout.on('data', record.out);
      child.stderr.on('data', record.err);
      child.on('error', (err) => fail(`cannot run /bin/sh: ${err.message}`, err));
      child.on('close', (code, signal) => {
        if (settled) return;
        if (stdinError) return fail(`cannot read what the command was to be given: ${stdinError.message}`, stdinError);
        settled = true;
        clearTimeout(timer);
        resolve(record.result(commandLine, code ?? signalExitCode(signal ?? 'SIGKILL')));
      });
      // A command that exits without reading its input closes the pipe; like ssh, that is not an error.
      child.stdin.on('error', () => {});
      release = feedStdin(stdin, child.stdin, this.stats, (error) => {
        stdinError ??= error;
      });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            // The group already exited between the timer firing and the kill.
          }
          fail(`command timed out after ${options.timeoutMs} ms and was killed`);
        }, options.timeoutMs);
      }
    }).finally(() => release());
  }

  openChannel(port: number, address = '127.0.0.1'): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: address });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => reject(new TransportError(this.host, `cannot reach ${address}:${port}: ${err.message}`, { cause: err })));
    });
  }

  async close(): Promise<void> {}
}
