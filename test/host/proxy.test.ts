// The lab's delay proxy (test/lab/proxy.ts) limits bandwidth: a megabyte through a 512 KiB/s link takes at least
// two seconds, whole and in order, and the limit is the link's, shared by two connections.
import { createHash } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../lab/proxy.js';

let server: Server;
let port = 0;
const payload = Buffer.alloc(1024 * 1024, 0);
for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) % 251;

beforeAll(async () => {
  // Sends the payload to each connection and closes.
  server = createServer((socket) => socket.end(payload));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function fetchAll(proxyPort: number): Promise<{ bytes: Buffer; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port: proxyPort });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve({ bytes: Buffer.concat(chunks), ms: Date.now() - started }));
    socket.on('error', reject);
  });
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('startProxy bytesPerSecond', () => {
  it('passes everything, in order, no faster than the link', async () => {
    const proxy = await startProxy({ target: { host: '127.0.0.1', port }, listen: { host: '127.0.0.1' }, delayMs: 25, bytesPerSecond: 512 * 1024 });
    try {
      const { bytes, ms } = await fetchAll(proxy.port);
      expect(digest(bytes)).toBe(digest(payload));
      // 1 MiB at 512 KiB/s: two seconds at least (a lower bound: the limiter can only make it slower).
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(proxy.bytesDown).toBe(payload.length);
    } finally {
      await proxy.close();
    }
  }, 20_000);

  it('shares the link between connections', async () => {
    const proxy = await startProxy({ target: { host: '127.0.0.1', port }, listen: { host: '127.0.0.1' }, bytesPerSecond: 1024 * 1024 });
    try {
      const [a, b] = await Promise.all([fetchAll(proxy.port), fetchAll(proxy.port)]);
      expect(digest(a.bytes)).toBe(digest(payload));
      expect(digest(b.bytes)).toBe(digest(payload));
      // Two megabytes over one 1 MiB/s link: the later of the two ends after two seconds at least.
      expect(Math.max(a.ms, b.ms)).toBeGreaterThanOrEqual(1900);
    } finally {
      await proxy.close();
    }
  }, 20_000);
});
