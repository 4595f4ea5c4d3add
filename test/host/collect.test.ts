// The collector on this machine: stand-in clients (test/lab/standin/standin.py) listening on loopback, reached
// through the local transport's channel, one observation per host; a closed port is an unreachable API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConnection } from '../../src/model/types.js';
import { nodeSpecFor } from '../../src/node/spec.js';
import { sampleNodes, type NodeTarget } from '../../src/observe/collect.js';
import { httpOver } from '../../src/observe/http.js';
import { openLocal } from '../../src/transport/local.js';
import { stopChild } from '../support/child.js';

const STANDIN = join(import.meta.dirname, '../lab/standin/standin.py');
const FLAGS = join(import.meta.dirname, '../../src/clients/flags');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

const conn = (name: string): HostConnection => ({ name, address: name, identityFiles: [], become: false, becomeUser: 'root', knownHostsFiles: [], connection: 'local' });

describe('sampleNodes over the local transport', () => {
  const children: ChildProcess[] = [];
  let dir: string;
  let cl: number;
  let el: number;
  let closed: number;
  let closed2: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nodeform-collect-'));
    [cl, el, closed, closed2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const start = (client: string, argv: string[]) => {
      const child = spawn('python3', [STANDIN, '--client', client, '--reference', join(FLAGS, `${client}.json`), ...argv], {
        env: { ...process.env, NODEFORM_STANDIN_SLOT_SECONDS: '0.2', NODEFORM_STANDIN_SYNC_SECONDS: '600', NODEFORM_STANDIN_PEERS: '5' },
        stdio: 'ignore',
      });
      children.push(child);
    };
    start('lighthouse', ['bn', '--http-address', '127.0.0.1', '--http-port', String(cl), '--datadir', join(dir, 'cl')]);
    start('geth', ['--http.addr', '127.0.0.1', '--http.port', String(el), '--datadir', join(dir, 'el')]);
    // Until both answer.
    const transport = openLocal(conn('probe'), userInfo().username);
    for (const port of [cl, el]) {
      for (let i = 0; i < 400; i++) {
        const up = await transport.openChannel(port).then((s) => (s.destroy(), true), () => false);
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // Python's start-up alone can take seconds on a loaded 2-core machine.
  }, 60_000);

  afterAll(async () => {
    await Promise.all(children.map((child) => stopChild(child)));
    rmSync(dir, { recursive: true, force: true });
  });

  const target = (host: string, clPort: number, elPort: number): NodeTarget => {
    const result = nodeSpecFor(
      { network: 'mainnet', consensus: { client: 'lighthouse', ports: { http: clPort } }, execution: { client: 'geth', ports: { http: elPort } } },
      host,
    );
    expect(result.problems).toEqual([]);
    return { host, connection: conn(host), spec: result.spec! };
  };

  it('reads the Beacon API and the JSON-RPC of a syncing node, and says what is unreachable', async () => {
    let clock = 1_000_000;
    const [running, silent] = await sampleNodes([target('up', cl, el), target('silent', closed, closed2)], async (c) => openLocal(c, userInfo().username), {
      now: () => clock++,
      timeoutMs: 3000,
    });
    expect(running!.host).toBe('up');
    expect(running!.sample.at).toBeGreaterThanOrEqual(1_000_000);
    expect(running!.sample.consensus).toMatchObject({ reachable: true, isSyncing: true, isOptimistic: false, elOffline: false, peers: 5 });
    expect(running!.sample.consensus.headSlot).toBeGreaterThanOrEqual(0);
    expect(running!.sample.consensus.syncDistance).toBeGreaterThan(0);
    expect(running!.sample.consensus.finalizedEpoch).toBeGreaterThanOrEqual(0);
    // The stand-in serves no blocks: no payload number, and that is no error.
    expect(running!.sample.consensus.headPayloadNumber).toBeUndefined();
    expect(running!.sample.execution).toMatchObject({ reachable: true, peers: 5 });
    expect(running!.sample.execution!.blockNumber).toBeGreaterThanOrEqual(0);
    expect(running!.sample.execution!.syncing).toMatchObject({ currentBlock: expect.any(Number), highestBlock: expect.any(Number) });
    expect(running!.versions.consensus).toMatch(/^Lighthouse\/v.*standin/);
    expect(running!.versions.execution).toMatch(/^Geth\/v.*standin/);
    // This machine has no such units: systemctl shows them as not found.
    expect(running!.state?.units.map((u) => u.name)).toEqual(['lighthouse.service', 'geth.service']);

    expect(silent!.sample.consensus.reachable).toBe(false);
    expect(silent!.sample.consensus.error).toContain(`127.0.0.1:${closed}`);
    expect(silent!.sample.execution?.reachable).toBe(false);
  });

  it('the head advances between two looks', async () => {
    const sample = async () => (await sampleNodes([target('up', cl, el)], async (c) => openLocal(c, userInfo().username), { now: () => 0 }))[0]!;
    const first = await sample();
    await new Promise((r) => setTimeout(r, 700));
    const second = await sample();
    expect(second.sample.consensus.headSlot!).toBeGreaterThan(first.sample.consensus.headSlot!);
  });

  it('bounds the body and the time of an answer', async () => {
    const transport = openLocal(conn('x'), userInfo().username);
    await expect(
      httpOver(() => transport.openChannel(cl), { method: 'GET', authority: `127.0.0.1:${cl}`, path: '/eth/v1/node/syncing', timeoutMs: 3000, limit: 10 }),
    ).rejects.toThrow('answer larger than 10 bytes');
    // A listener that never answers.
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await expect(httpOver(() => transport.openChannel(port), { method: 'GET', authority: 'x', path: '/', timeoutMs: 300, limit: 100 })).rejects.toThrow(
      'no answer within 300 ms',
    );
    server.close();
  });
});
