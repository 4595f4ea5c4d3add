// HTTP to a node's API through a stream the transport opened (an SSH direct-tcpip channel, or a local socket):
// node:http over a given connection, one request per stream, with a deadline and a bounded body.

import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { readBounded } from '../fetch/body.js';

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** The Host header: the address and port the API listens on, as the host sees them. */
  authority: string;
  path: string;
  /** A JSON body (POST). */
  json?: unknown;
  timeoutMs: number;
  /** Bytes of body accepted; more fails the request. */
  limit: number;
}

/** One request over a new stream from `open`; rejects with a short message on a refused stream, a timeout or a too-large body. */
export async function httpOver(open: () => Promise<Duplex>, req: HttpRequest): Promise<HttpAnswer> {
  let timer: NodeJS.Timeout | undefined;
  let stream: Duplex | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      stream?.destroy();
      reject(new Error(`no answer within ${req.timeoutMs} ms`));
    }, req.timeoutMs);
  });
  const exchange = async (): Promise<HttpAnswer> => {
    stream = await open();
    const channel = stream;
    const payload = req.json === undefined ? undefined : Buffer.from(JSON.stringify(req.json));
    return new Promise<HttpAnswer>((resolve, reject) => {
      const outgoing = request(
        {
          method: req.method,
          path: req.path,
          createConnection: () => channel,
          headers: {
            host: req.authority,
            accept: 'application/json',
            connection: 'close',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        (response) => {
          readBounded(response, req.limit).then(
            (body) => resolve({ status: response.statusCode ?? 0, body }),
            (error: Error) => reject(error),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  };
  try {
    return await Promise.race([exchange(), deadline]);
  } finally {
    clearTimeout(timer);
    stream?.destroy();
  }
}

/** The body as JSON, or undefined when it is not JSON. */
export function jsonOf(answer: HttpAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
