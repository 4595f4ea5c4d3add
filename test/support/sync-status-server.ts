// A stand-in for a consensus client's REST API that answers only GET /eth/v1/node/syncing: synced, syncing,
// an HTTP 503, or not at all (the connection destroyed, as a crash-looping client would). The answers can be
// scripted in order (the last one repeats) or switched at any time.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type SyncAnswer = 'synced' | 'syncing' | 'error' | 'down';

export interface SyncStatusServer {
  url: string;
  /** Answers still to give, in order; the last one repeats. Assign to switch. */
  answers: SyncAnswer[];
  /** How many /eth/v1/node/syncing requests came in. */
  requests: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startSyncStatusServer(answers: SyncAnswer[], host = '127.0.0.1'): Promise<SyncStatusServer> {
  const sockets = new Set<Socket>();
  const self = { answers: [...answers], requests: 0 };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/eth/v1/node/syncing') return send(res, 404, { code: 404, message: `no route ${path}` });
    self.requests += 1;
    const answer = self.answers.length > 1 ? self.answers.shift()! : (self.answers[0] ?? 'down');
    if (answer === 'down') return req.socket.destroy();
    if (answer === 'error') return send(res, 503, { code: 503, message: 'beacon node is starting' });
    const syncing = answer === 'syncing';
    return send(res, 200, {
      data: { head_slot: syncing ? '64' : '39552', sync_distance: syncing ? '39488' : '0', is_syncing: syncing, is_optimistic: false, el_offline: false },
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(self, {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
