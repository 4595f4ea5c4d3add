// Runs the probe on a host: one exec, or a few when other runs change the host while it reads.

import { TransportError } from '../errors.js';
import type { Facts } from '../model/types.js';
import type { Transport } from '../transport/types.js';
import { buildProbe, PROBE_OVERLAPPED, type ProbeRequest } from './probe.js';
import { parseFacts } from './parse.js';

/** Reads while another run took the host lock, one after another, before the probe gives up. */
const MAX_OVERLAPPED = 5;

export async function gatherFacts(transport: Transport, request: ProbeRequest): Promise<Facts> {
  const probe = buildProbe(request);
  for (let overlapped = 0; ; overlapped++) {
    const result = await transport.exec(probe.command, { stdin: probe.script });
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
