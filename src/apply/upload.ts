// Uploads before an apply script: large content raw (never base64 inside a script), streamed from the controller
// file or the bytes held, into STATE/staging on the host (script.ts stageCommand). One exec asks what the host has
// of each upload already; each upload then sends only the bytes from there on (a cut upload resumes where it
// stopped; a finished one is not sent again). Controller memory does not grow with the file: the bytes are read
// in chunks and piped with the channel's backpressure. I/O.
//
// Who checks the bytes: a controller file read with the same size, modification and change times and inode before
// and after as when it was hashed (LocalFile.identity, the digest cache's own test) is the file that was hashed;
// SSH's message authentication delivers it as sent; so the controller vouches for it (its sha256 after the bytes)
// and the host writes it once without reading it again. The host hashes what arrives only for a resumed upload
// (the bytes it already holds came from an earlier run) and for a file without that identity.

import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pendingName, unchangedSince } from '../files/digest.js';
import type { LocalFile } from '../model/types.js';
import { sameFileState } from '../util/file-state.js';
import { TransportError } from '../errors.js';
import type { ExecResult, StdinWriter, Transport } from '../transport/types.js';
import { stageCommand, stagedQueryCommand, stagedSize, type StagedBytes } from './script.js';

/**
 * Bytes read from a local file per chunk: the controller holds two such buffers per upload in flight. As large as
 * the channel's window (2 MiB from OpenSSH's sshd), so a window the host opens finds bytes waiting. Against 1 MiB
 * chunks, a 250 MB first apply to 3 hosts was faster in 31 of 36 alternating runs (2 and 4 MiB: by 4-6% in the median,
 * with 8% less controller CPU; 4 MiB no faster than 2, 8 MiB slower and over 150 MB of RSS).
 */
const READ_CHUNK = 2 * 1024 * 1024;

export interface UploadFailure {
  message: string;
  command: string;
  /** The command's exit code; none when the connection was lost while it ran (code TRANSPORT). */
  exitCode?: number;
  stderr: string;
  code?: 'TRANSPORT';
}

export interface UploadReport {
  /** Bytes sent (the missing ones), and bytes the host already had (a resumed or finished upload). */
  sent: number;
  resumed: number;
  failure?: UploadFailure;
}

/**
 * An upload's commands write nothing outside STATE/staging: when the connection is lost while one runs, what
 * became of the host is known (its files are as they were), unlike a command whose outcome is unknown.
 */
async function stagingExec(transport: Transport, command: string, stdin: Readable | StdinWriter | undefined, lostWhile: string, stateDir: string): Promise<ExecResult | { lost: UploadFailure }> {
  try {
    return await transport.exec(command, stdin ? { stdin } : {});
  } catch (error) {
    if (!(error instanceof TransportError) || error.code !== 'OUTCOME_UNKNOWN') throw error;
    const message = `the connection was lost ${lostWhile} (${error.lost ?? 'no reason given'}): nothing on the host was changed but ${stateDir}/staging, where what arrived waits; apply again to resume`;
    return { lost: { message, command, stderr: '', code: 'TRANSPORT' } };
  }
}

/** What the host holds of each staged sha256: complete, or the size of a cut upload (0: nothing). */
async function held(transport: Transport, stateDir: string, shas: string[], aliases: ReadonlyMap<string, string>): Promise<Map<string, { complete: boolean; size: number }> | UploadFailure> {
  const query = stagedQueryCommand(stateDir, shas, aliases);
  const result = await stagingExec(transport, query, undefined, 'while asking what the host holds of the uploads', stateDir);
  if ('lost' in result) return result.lost;
  if (result.exitCode !== 0) {
    return { message: `cannot read what ${stateDir}/staging holds: ${result.stderr.trim() || `exit ${result.exitCode}`}`, command: query, exitCode: result.exitCode, stderr: result.stderr };
  }
  const found = new Map<string, { complete: boolean; size: number }>();
  for (const line of result.stdout.split('\n')) {
    const [sha, state, size] = line.split(' ');
    if (sha && (state === 'have' || state === 'part') && /^\d+$/.test(size ?? '')) found.set(sha, { complete: state === 'have', size: Number(size) });
  }
  return found;
}

/**
 * The bytes of a controller file from `offset`, then the line that vouches for them (or not: see stageCommand).
 * Two buffers, reused: one is read into while the other is sent (no new buffer per chunk, nothing to collect).
 */
function fileFrom(local: LocalFile, sha256: string, offset: number, later?: Promise<LocalFile>): StdinWriter {
  return async (write) => {
    const handle = await open(local.path, 'r');
    try {
      const unchanged = async (): Promise<boolean> => unchangedSince(local, await handle.stat());
      const before = await unchanged();
      const buffers = [Buffer.allocUnsafe(Math.min(READ_CHUNK, local.size)), Buffer.allocUnsafe(Math.min(READ_CHUNK, local.size))];
      let sending: Promise<void> = Promise.resolve();
      let at = offset;
      for (let turn = 0; at < local.size; turn++) {
        const buffer = buffers[turn % 2]!;
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, local.size - at), at);
        // Shorter than when it was hashed: no line follows, so the host keeps a short part of a sha256 no run asks for.
        if (bytesRead === 0) throw new Error(`${local.path} is shorter (${at} bytes) than when it was hashed (${local.size}): apply again`);
        await sending; // the other buffer is free again
        sending = write(buffer.subarray(0, bytesRead));
        sending.catch(() => {}); // seen when awaited; never an unhandled rejection while the next chunk is read
        at += bytesRead;
      }
      await sending;
      const vouch = local.identity === undefined ? '-' : before && (await unchanged()) ? await digestOf(local, sha256, later) : 'changed';
      await write(Buffer.from(`${vouch}\n`));
    } finally {
      await handle.close();
    }
  };
}

/**
 * The sha256 the controller vouches for: the file's, or for a pending one (hashed while it was sent) the digest
 * made meanwhile, if it is of the same file unchanged ('changed' otherwise: the host then keeps nothing).
 */
async function digestOf(local: LocalFile, sha256: string, later: Promise<LocalFile> | undefined): Promise<string> {
  if (!local.pending) return sha256;
  const real = later ? await later.catch(() => undefined) : undefined;
  return real && sameFileState(real, local) ? real.sha256 : 'changed';
}

function from(staged: StagedBytes, sha256: string, offset: number, later?: Promise<LocalFile>): Readable | StdinWriter {
  // Bytes held were hashed as they are: the controller vouches for them.
  if ('bytes' in staged) return Readable.from([staged.bytes.subarray(offset), Buffer.from(`${sha256}\n`)]);
  return fileFrom(staged.local, sha256, offset, later);
}

/** How a long upload says how far it got: a line every `everyMs` while it runs (the first after as long). */
export interface UploadProgress {
  everyMs: number;
  line(text: string): void;
}

const MIB = 1024 * 1024;
const mib = (bytes: number): string => (bytes / MIB).toFixed(1);

/** Starts the progress lines of one upload (from the bytes the transport has taken since); the returned function stops them. */
function reportProgress(transport: Transport, what: string, offset: number, total: number, progress: UploadProgress | undefined): () => void {
  if (!progress) return () => {};
  const sentBefore = transport.stats.bytesSent;
  const began = Date.now();
  const timer = setInterval(() => {
    const sent = Math.max(0, Math.min(total - offset, transport.stats.bytesSent - sentBefore));
    const rate = sent / Math.max(0.001, (Date.now() - began) / 1000);
    const resumed = offset > 0 ? `, resumed at ${mib(offset)} MiB` : '';
    progress.line(`${transport.host}: uploading ${what}: ${mib(offset + sent)} of ${mib(total)} MiB (${Math.floor(((offset + sent) / total) * 100)}%)${resumed}, ${mib(rate)} MiB/s`);
  }, progress.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Whether the host must hash what arrives: a resumed upload, or a file the controller cannot vouch for. */
const hostHashes = (staged: StagedBytes, offset: number): boolean => offset > 0 || ('local' in staged && staged.local.identity === undefined);

/** What an upload may be handed besides its bytes. */
export interface UploadContext {
  progress?: UploadProgress;
  /** The digests being made of pending local files, by their placeholder names (files/digest.ts fileDigestOrLater). */
  later?: ReadonlyMap<string, Promise<LocalFile>>;
  /** Uploads of local files started before the plan (apply --yes, while the file was hashed), by controller path. */
  early?: ReadonlyMap<string, Promise<UploadReport>>;
}

/**
 * Starts the upload of a pending local file (its digest still being made) into STATE/staging, before the host's
 * plan: apply --yes does it where the probe shows the file must change (absent, or of another size). The host names
 * it by the sha256 the controller says after the bytes; the apply then finds it there (UploadContext.early).
 */
export function uploadEarly(transport: Transport, stateDir: string, local: LocalFile, later: Promise<LocalFile>, progress?: UploadProgress): Promise<UploadReport> {
  return uploadStaged(transport, stateDir, new Map([[local.sha256, { local }]]), { ...(progress ? { progress } : {}), later: new Map([[local.sha256, later]]) });
}

/** Sends every staged upload the host does not have whole yet, each from where the host's copy stops. */
export async function uploadStaged(transport: Transport, stateDir: string, staged: Map<string, StagedBytes>, context: UploadContext = {}): Promise<UploadReport> {
  const { progress, later, early } = context;
  const report: UploadReport = { sent: 0, resumed: 0 };
  // Those started before the plan: their outcome is this upload's.
  const rest = new Map<string, StagedBytes>();
  for (const [sha256, bytes] of staged) {
    const started = 'local' in bytes ? early?.get(bytes.local.path) : undefined;
    if (!started) {
      rest.set(sha256, bytes);
      continue;
    }
    const done = await started;
    if (done.failure) return { ...report, failure: done.failure };
    report.sent += done.sent;
    report.resumed += done.resumed;
  }
  if (rest.size === 0) return report;
  // A local file's cut upload from a run that did not know its digest yet waits under its placeholder name.
  const aliases = new Map<string, string>();
  for (const [sha256, bytes] of rest) {
    const alias = 'local' in bytes && !bytes.local.pending ? pendingName(bytes.local) : undefined;
    if (alias) aliases.set(sha256, alias);
  }
  const have = await held(transport, stateDir, [...rest.keys()], aliases);
  if (!(have instanceof Map)) return { ...report, failure: have };
  for (const [sha256, bytes] of rest) {
    const total = stagedSize(bytes);
    const there = have.get(sha256) ?? { complete: false, size: 0 };
    if (there.complete && there.size === total) {
      report.resumed += total;
      continue;
    }
    // A part longer than the file is not a prefix of it: start over (the command truncates at offset 0).
    const offset = !there.complete && there.size <= total ? there.size : 0;
    const stage = stageCommand(stateDir, sha256, offset, total, hostHashes(bytes, offset), aliases.get(sha256));
    const what = 'local' in bytes ? bytes.local.path : `a ${total}-byte file (sha256 ${sha256.slice(0, 12)})`;
    // A pending file's name is a placeholder: it is named by its path until its sha256 is known.
    const named = 'local' in bytes && bytes.local.pending ? `a ${total}-byte file (${bytes.local.path}, hashed as it is sent)` : `a ${total}-byte file (sha256 ${sha256})`;
    const stopProgress = reportProgress(transport, what, offset, total, progress);
    const upload = await stagingExec(transport, stage, from(bytes, sha256, offset, later?.get(sha256)), `during the upload of ${named}`, stateDir).finally(stopProgress);
    if ('lost' in upload) return { ...report, failure: upload.lost };
    if (upload.exitCode !== 0) {
      const why = upload.stderr.trim() || `exit ${upload.exitCode}`;
      return { ...report, failure: { message: `upload of ${named} failed: ${why}`, command: stage, exitCode: upload.exitCode, stderr: upload.stderr } };
    }
    report.sent += total - offset;
    report.resumed += offset;
  }
  return report;
}
