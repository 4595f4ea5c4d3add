// The padding pool ssh2's packet code gets in the CLI's build: the bytes asked for, from a CSPRNG fill, none twice.
import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import ssh2Crypto, { pooledRandomFill } from '../../../src/transport/ssh/random-pool.js';

/** A fill that writes a counter (distinct bytes per call) and records each call's size. */
function countingFill(): { fill: typeof randomFillSync; sizes: number[] } {
  const sizes: number[] = [];
  let next = 0;
  const fill = <T extends NodeJS.ArrayBufferView>(buffer: T, offset = 0, size = buffer.byteLength - offset): T => {
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    for (let i = offset; i < offset + size; i++) bytes[i] = next++ % 251;
    sizes.push(size);
    return buffer;
  };
  return { fill, sizes };
}

describe('pooledRandomFill', () => {
  it('fills exactly the range asked for and leaves the rest of the packet alone', () => {
    const fill = pooledRandomFill();
    const packet = Buffer.alloc(64, 0xaa);
    expect(fill(packet, 40, 12)).toBe(packet);
    expect(packet.subarray(0, 40).every((b) => b === 0xaa)).toBe(true);
    expect(packet.subarray(52).every((b) => b === 0xaa)).toBe(true);
    expect(packet.subarray(40, 52).some((b) => b !== 0xaa)).toBe(true);
  });

  it('fills the pool once for many paddings, and refills it only when it runs out', () => {
    const { fill, sizes } = countingFill();
    const pooled = pooledRandomFill(fill, 64);
    const seen: number[] = [];
    for (let i = 0; i < 16; i++) {
      const packet = Buffer.alloc(8);
      pooled(packet, 0, 8);
      seen.push(...packet);
    }
    expect(sizes).toEqual([64, 64]);
    // 128 bytes handed out, each pool byte once: the counter's 128 distinct values in order.
    expect(seen).toEqual(Array.from({ length: 128 }, (_, i) => i % 251));
  });

  it('starts a fresh pool when the padding asked for does not fit in what is left', () => {
    const { fill, sizes } = countingFill();
    const pooled = pooledRandomFill(fill, 64);
    for (const size of [16, 16, 16, 15]) pooled(Buffer.alloc(16), 0, size);
    const last = Buffer.alloc(16);
    pooled(last, 0, 16); // 63 + 16 > 64: a new pool, its first bytes
    expect(sizes).toEqual([64, 64]);
    expect([...last]).toEqual(Array.from({ length: 16 }, (_, i) => (64 + i) % 251));
  });

  it('sends large requests, and anything not a Buffer, to the CSPRNG directly', () => {
    const { fill, sizes } = countingFill();
    const pooled = pooledRandomFill(fill, 64);
    pooled(Buffer.alloc(100), 0, 17);
    pooled(new Uint32Array(2));
    expect(sizes).toEqual([17, 8]);
  });

  it('defaults the range to the rest of the buffer', () => {
    const { fill } = countingFill();
    const pooled = pooledRandomFill(fill, 64);
    const packet = Buffer.alloc(8, 0xff);
    pooled(packet, 5);
    expect([...packet]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2]);
  });

  it('draws real random bytes by default: two paddings differ', () => {
    const fill = pooledRandomFill();
    const a = fill(Buffer.alloc(16));
    const b = fill(Buffer.alloc(16));
    expect(a.equals(b)).toBe(false);
  });
});

describe("ssh2's node:crypto", () => {
  it('is node:crypto with the pooled fill', () => {
    expect(ssh2Crypto.createCipheriv).toBeTypeOf('function');
    expect(ssh2Crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('a'))).toBe(true);
    expect(ssh2Crypto.randomFillSync).not.toBe(randomFillSync);
    const { createHmac, randomFillSync: fill } = ssh2Crypto;
    expect(createHmac('sha256', 'k').update('x').digest('hex')).toHaveLength(64);
    expect(fill(Buffer.alloc(8), 0, 8)).toHaveLength(8);
  });
});
