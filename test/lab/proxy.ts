// A TCP proxy for tests and benchmarks: adds one-way latency (this kernel has no netem), limits bandwidth,
// cuts connections after a number of bytes, to simulate a link dropping mid-apply, and freezes them,
// to simulate a link that goes silent without closing.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface ProxyOptions {
  target: { host: string; port: number };
  listen: { host: string; port?: number };
  /** Delay added to each direction's data, in order (25 ms = 50 ms more round trip). */
  delayMs?: number;
  /**
   * Bandwidth of the link in each direction, bytes per second, shared by all connections (a link, not a
   * per-connection cap): data leaves when the link is free, then takes delayMs to arrive. Unlimited by default.
   */
  bytesPerSecond?: number;
  /** Destroy both sockets of a connection once this many bytes passed in that direction (each connection). */
  cutAfterBytes?: { direction: 'up' | 'down'; bytes: number };
  /** freeze() once this many bytes passed in that direction, over all connections: the last of them pass, no more. */
  freezeAfterBytes?: { direction: 'up' | 'down'; bytes: number };
}

export interface Proxy {
  address: string;
  port: number;
  /** Bytes forwarded client -> target, over all connections. */
  readonly bytesUp: number;
  /** Bytes forwarded target -> client, over all connections. */
  readonly bytesDown: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /**
   * From now on, every connection's data and ends are dropped in both directions, queued ones too, and
   * nothing is closed: both sides see a link that went silent, as when a route or a NAT entry dies.
   */
  freeze(): void;
  close(): Promise<void>;
}

type Direction = 'up' | 'down';

export async function startProxy(opts: ProxyOptions): Promise<Proxy> {
  const delayMs = opts.delayMs ?? 0;
  const rate = opts.bytesPerSecond;
  const totals = { up: 0, down: 0, connections: 0 };
  /** When each direction of the link is free again (ms), with a bandwidth limit. */
  const linkFree = { up: 0, down: 0 };
  /** Bytes a direction of one connection may hold queued before its sender is paused (TCP pushes back). */
  const QUEUE_LIMIT = 256 * 1024;
  const open = new Set<Socket>();
  let frozen = false;

  // Half-open on both sides, so each direction's end is forwarded in order behind its delayed data.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    totals.connections++;
    const target = connect({ host: opts.target.host, port: opts.target.port, allowHalfOpen: true });
    for (const s of [client, target]) {
      open.add(s);
      s.setNoDelay(true);
      s.once('close', () => open.delete(s));
    }
    const destroyBoth = (): void => {
      // A frozen link carries nothing, not even a reset.
      if (frozen) return;
      client.destroy();
      target.destroy();
    };
    client.on('error', destroyBoth);
    target.on('error', destroyBoth);
    forward(client, target, 'up', destroyBoth);
    forward(target, client, 'down', destroyBoth);
  });

  function forward(from: Socket, to: Socket, dir: Direction, destroyBoth: () => void): void {
    const cut = opts.cutAfterBytes?.direction === dir ? opts.cutAfterBytes.bytes : Infinity;
    let passed = 0;
    // Items leave in arrival order, each delayMs after it came in; null is the end of the stream.
    const queue: { at: number; chunk: Buffer | null; last: boolean }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let draining = false;
    let queued = 0;
    let held = false;

    const deliver = (chunk: Buffer | null, last: boolean): void => {
      if (to.destroyed || frozen) return;
      if (chunk === null) to.end();
      else if (last) to.write(chunk, destroyBoth);
      else if (!to.write(chunk) && !draining) {
        draining = true;
        from.pause();
        to.once('drain', () => {
          draining = false;
          if (!held) from.resume();
        });
      }
    };
    const pump = (): void => {
      timer = undefined;
      while (queue.length > 0 && queue[0]!.at <= Date.now()) {
        const item = queue.shift()!;
        queued -= item.chunk?.length ?? 0;
        deliver(item.chunk, item.last);
      }
      if (held && queued < QUEUE_LIMIT / 2) {
        held = false;
        if (!draining) from.resume();
      }
      if (queue.length > 0) timer = setTimeout(pump, Math.max(0, queue[0]!.at - Date.now()));
    };
    const push = (chunk: Buffer | null, last = false): void => {
      if (delayMs === 0 && rate === undefined) return deliver(chunk, last);
      let leaves = Date.now();
      if (rate !== undefined && chunk !== null) {
        leaves = Math.max(leaves, linkFree[dir]) + (chunk.length / rate) * 1000;
        linkFree[dir] = leaves;
      } else if (rate !== undefined) leaves = Math.max(leaves, linkFree[dir]);
      const at = Math.max(leaves + delayMs, queue[queue.length - 1]?.at ?? 0);
      queue.push({ at, chunk, last });
      queued += chunk?.length ?? 0;
      if (queued >= QUEUE_LIMIT && !held) {
        held = true;
        from.pause();
      }
      timer ??= setTimeout(pump, Math.max(0, at - Date.now()));
    };

    const freezeAt = opts.freezeAfterBytes?.direction === dir ? opts.freezeAfterBytes.bytes : Infinity;
    from.on('data', (data: Buffer) => {
      if (passed >= cut || frozen) return;
      const chunk = data.subarray(0, Math.min(cut - passed, freezeAt - totals[dir]));
      passed += chunk.length;
      totals[dir] += chunk.length;
      push(chunk, passed >= cut);
      if (totals[dir] >= freezeAt) frozen = true;
    });
    from.once('end', () => {
      if (!frozen) push(null);
    });
    to.once('close', () => clearTimeout(timer));
  }

  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(opts.listen.port ?? 0, opts.listen.host, () => ready());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    address,
    port,
    get bytesUp() {
      return totals.up;
    },
    get bytesDown() {
      return totals.down;
    },
    get connections() {
      return totals.connections;
    },
    freeze: () => {
      frozen = true;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const s of open) s.destroy();
        server.close(() => done());
      }),
  };
}
