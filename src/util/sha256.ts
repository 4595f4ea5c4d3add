// The sha256 of bytes or text, as lower-case hex: how nodeform names file contents everywhere. Pure.

import { hash } from 'node:crypto';

/** One call into OpenSSL (crypto.hash, Node 20.12+): no Hash object per content, which a 5,000-file plan made per file. */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}
