// The sha256 of bytes or text, as lower-case hex: how nodeform names file contents everywhere. Pure.

import { createHash } from 'node:crypto';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
