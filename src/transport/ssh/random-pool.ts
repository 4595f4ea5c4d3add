// Random bytes for SSH packet padding, drawn from a pool filled by the CSPRNG.
// ssh2 fills each packet's 4-19 bytes of padding with its own randomFillSync call: 23,000 calls for a 250 MB
// upload to 3 hosts, high in a CPU profile of that apply. One call fills 64 KiB instead, and each byte is handed
// out once, as Node's randomUUID does with its cache; the controller then used about 5% less CPU for that apply.
// The CLI's build gives this to ssh2's packet code (scripts/build.mjs); OpenSSH pads from a buffered arc4random.

import crypto, { randomFillSync } from 'node:crypto';

type Fill = <T extends NodeJS.ArrayBufferView>(buffer: T, offset?: number, size?: number) => T;

/** The pool's size. A request larger than a quarter of it goes to the CSPRNG directly. */
export const RANDOM_POOL_BYTES = 64 * 1024;

/**
 * A randomFillSync for Buffers (ssh2's padding): fills `size` bytes of `buffer` from `offset` with bytes from
 * the pool, refilled by `fill` when it runs out. Never hands out the same pool byte twice.
 */
export function pooledRandomFill(fill: Fill = randomFillSync, poolBytes = RANDOM_POOL_BYTES): Fill {
  const pool = Buffer.allocUnsafe(poolBytes);
  let at = pool.length;
  return <T extends NodeJS.ArrayBufferView>(buffer: T, offset = 0, size = buffer.byteLength - offset): T => {
    if (!Buffer.isBuffer(buffer) || size > poolBytes / 4 || offset < 0 || size < 0 || offset + size > buffer.length) return fill(buffer, offset, size);
    if (at + size > pool.length) {
      fill(pool);
      at = 0;
    }
    pool.copy(buffer, offset, at, at + size);
    at += size;
    return buffer;
  };
}

/** node:crypto as ssh2's packet code sees it in the CLI's build: the same module, padding from the pool. */
export default Object.assign(Object.create(crypto) as typeof crypto, { randomFillSync: pooledRandomFill() });
