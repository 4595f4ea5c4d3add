// Runs the probe on a host: one exec.

import { TransportError } from '../errors.js';
import type { Facts } from '../model/types.js';
import type { Transport } from '../transport/types.js';
import { buildProbe, type ProbeRequest } from './probe.js';
import { parseFacts } from './parse.js';

export async function gatherFacts(transport: Transport, request: ProbeRequest): Promise<Facts> {
  const probe = buildProbe(request);
  const result = await transport.exec(probe.command, { stdin: probe.script });
  if (result.exitCode !== 0) {
    throw new TransportError(transport.host, 'the facts probe failed', {
      command: result.command,
      exitCode: result.exitCode,
      stderr: result.stderr,
    });
  }
  return parseFacts(transport.host, result.stdout);
}
