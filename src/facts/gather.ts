// Runs the probe on a host: one exec, or a few when other runs change the host while it reads.

import { TransportError } from '../errors.js';
import type { Facts, LockInfo } from '../model/types.js';
import type { Transport } from '../transport/types.js';
import { buildProbe, PROBE_OVERLAPPED, type ProbeRequest } from './probe.js';
import { parseFacts, parseLock } from './parse.js';
import { RECORDS } from './records.js';

/** Reads while another run took the host lock, one after another, before the probe gives up. */
const MAX_OVERLAPPED = 5;

/** `onLockWait`: told at once when the probe starts to wait for another run that holds the host lock. */
export async function gatherFacts(transport: Transport, request: ProbeRequest, onLockWait?: (lock: LockInfo) => void): Promise<Facts> {
  const probe = buildProbe(request);
  for (let overlapped = 0; ; overlapped++) {
    const result = await transport.exec(probe.command, { stdin: probe.script, ...(onLockWait ? { onStdout: firstLine(tellLockWait(onLockWait)) } : {}) });
    // Another run took the lock while the probe read: read again, once it is done (the probe waits for it first).
    if (result.exitCode === PROBE_OVERLAPPED && overlapped + 1 < MAX_OVERLAPPED) continue;
    if (result.exitCode !== 0) {
      const why = result.exitCode === PROBE_OVERLAPPED ? `other nodeform runs changed the host during each of ${MAX_OVERLAPPED} reads` : 'the facts probe failed';
      throw new TransportError(transport.host, why, {
        command: result.command,
        exitCode: result.exitCode,
        stderr: result.stderr,
      });
    }
    return parseFacts(transport.host, result.stdout);
  }
}

/** The probe's wait record, when its first line is one (a wait is the first thing it prints). */
const tellLockWait =
  (tell: (lock: LockInfo) => void) =>
  (line: string): void => {
    const [tag, ...fields] = line.split('\t');
    if (tag === RECORDS.lockWait.tag) tell(parseLock(fields));
  };

/** Calls `onLine` with the first line of a stream given in chunks, once it is whole. */
function firstLine(onLine: (line: string) => void): (chunk: Buffer) => void {
  let head = '';
  let done = false;
  return (chunk) => {
    if (done) return;
    head += chunk.toString('utf8');
    const end = head.indexOf('\n');
    if (end < 0) return;
    done = true;
    onLine(head.slice(0, end));
  };
}
