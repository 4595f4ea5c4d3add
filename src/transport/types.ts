// The one interface all host I/O goes through. Results are data, like execa's.

import type { Duplex, Readable } from 'node:stream';

/**
 * Writes a command's standard input itself, chunk by chunk: each `write` resolves once the transport has taken the
 * chunk (its buffer may then be filled again: a large file goes through a few reused buffers) and never settles
 * before; it rejects once the command ended or stopped reading. The input ends when the writer's promise settles;
 * the writer's own error (not a rejected write) ends it early, as a stream's does.
 */
export type StdinWriter = (write: (chunk: Buffer) => Promise<void>) => Promise<void>;

export interface ExecOptions {
  /**
   * Bytes fed to the command's standard input, then EOF. A stream is piped with backpressure (a large file is
   * never held in memory) and destroyed once the command ends; its error ends the command's input early.
   */
  stdin?: string | Buffer | Readable | StdinWriter;
  /** Kill the remote command and fail after this long. */
  timeoutMs?: number;
  /** Called with each chunk of standard output as it arrives (progress lines). */
  onStdout?: (chunk: Buffer) => void;
}

export interface ExecResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface TransportStats {
  /** Remote commands run since connect (the plan's budget is one). */
  execs: number;
  /** Application bytes sent to the host: commands and stdin. */
  bytesSent: number;
  bytesReceived: number;
}

export interface Transport {
  /** inventory_hostname */
  readonly host: string;
  /**
   * Runs one command line (built with quote/command) through POSIX sh on the host,
   * as root when the host's connection says become. Never throws for a non-zero exit:
   * the exit code is data; it throws TransportError when the connection fails: code TRANSPORT when
   * the command never reached the host, OUTCOME_UNKNOWN when the connection was lost while it ran.
   */
  exec(commandLine: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * A TCP stream to `address:port` as seen from the host (its loopback by default), through the run's own
   * connection (an SSH direct-tcpip channel; a plain socket for local): no port is opened on the host. Throws
   * TransportError when the host refuses it (nothing listens there, or sshd forbids forwarding).
   */
  openChannel(port: number, address?: string): Promise<Duplex>;
  readonly stats: TransportStats;
  /** Why the connection is gone, once it is (closed by the host, keepalives unanswered); undefined while it works. */
  readonly lost?: string | undefined;
  close(): Promise<void>;
}
