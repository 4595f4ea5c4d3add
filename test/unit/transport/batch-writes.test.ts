import { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { batchPacketWrites } from '../../../src/transport/ssh/client.js';

/** A socket stand-in that records each system-call-sized write: one entry per _write or _writev. */
function recordingSocket(): { sock: Duplex; calls: number[] } {
  const calls: number[] = [];
  const sock = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      calls.push(1);
      callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.length);
      callback();
    },
  });
  return { sock, calls };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('batchPacketWrites', () => {
  it('writes the packets one turn makes in one write, for writes outside socket events', async () => {
    const { sock, calls } = recordingSocket();
    const cork = batchPacketWrites({ _sock: sock } as unknown as Client);
    cork();
    for (let i = 0; i < 32; i++) sock.write(Buffer.alloc(10));
    await turn();
    expect(calls).toEqual([32]);
  });

  it('corks while the socket delivers data: what a handler writes goes in one write', async () => {
    const { sock, calls } = recordingSocket();
    batchPacketWrites({ _sock: sock } as unknown as Client);
    // ssh2's own handler, registered before: the batching listener still runs first.
    sock.on('data', () => {
      for (let i = 0; i < 5; i++) sock.write(Buffer.alloc(10));
    });
    sock.push(Buffer.from('window adjust'));
    await turn();
    expect(calls).toEqual([5]);
  });

  it('leaves writes alone without a cork: each is its own write', async () => {
    const { sock, calls } = recordingSocket();
    batchPacketWrites({ _sock: sock } as unknown as Client);
    for (let i = 0; i < 3; i++) sock.write(Buffer.alloc(10));
    await turn();
    expect(calls.length).toBeGreaterThan(1);
  });

  it('does nothing for a client whose socket it cannot reach', () => {
    expect(() => batchPacketWrites({} as unknown as Client)()).not.toThrow();
  });
});
