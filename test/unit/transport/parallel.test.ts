import { describe, expect, it } from 'vitest';
import type { HostConnection } from '../../../src/model/types.js';
import { mapHosts, TransportPool } from '../../../src/transport/ssh.js';

const host = (name: string, connection: 'ssh' | 'local' = 'local'): HostConnection => ({
  name,
  address: name,
  identityFiles: [],
  become: false,
  becomeUser: 'root',
  knownHostsFiles: [],
  connection,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapHosts', () => {
  it.each([
    [1, 5, 1],
    [3, 10, 3],
    [10, 4, 4],
    [0, 3, 1],
  ])('forks %i over %i hosts runs at most %i at once', async (forks, count, expected) => {
    let running = 0;
    let peak = 0;
    const hosts = Array.from({ length: count }, (_, i) => host(`h${i}`));
    const results = await mapHosts(hosts, forks, async (c) => {
      peak = Math.max(peak, ++running);
      await sleep(10);
      running--;
      return c.name.toUpperCase();
    });
    expect(peak).toBe(expected);
    expect(results).toEqual(hosts.map((h) => ({ host: h.name, ok: true, value: h.name.toUpperCase() })));
  });

  it('collects failures without stopping the other hosts, in input order', async () => {
    const results = await mapHosts([host('a'), host('b'), host('c')], 2, async (c) => {
      if (c.name === 'a') throw new Error('a broke');
      if (c.name === 'b') throw 'not an Error';
      await sleep(5);
      return 1;
    });
    expect(results[0]).toMatchObject({ host: 'a', ok: false, error: { message: 'a broke' } });
    expect(results[1]).toMatchObject({ host: 'b', ok: false, error: { message: 'not an Error' } });
    expect(results[2]).toEqual({ host: 'c', ok: true, value: 1 });
  });

  it('handles no hosts', async () => {
    expect(await mapHosts([], 5, async () => 1)).toEqual([]);
  });
});

describe('TransportPool', () => {
  it('gives one transport per host for the run', async () => {
    const pool = new TransportPool();
    const [a1, a2, b] = await Promise.all([pool.get(host('a')), pool.get(host('a')), pool.get(host('b'))]);
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b);
    await a1.exec('true');
    expect((await pool.get(host('a'))).stats.execs).toBe(1);
    await pool.closeAll();
  });

  it('does not cache a failed connect', async () => {
    const pool = new TransportPool({ homeDir: '/nonexistent', agentSocket: null, connectTimeoutMs: 2000 });
    const bad = { ...host('nowhere', 'ssh'), address: '127.0.0.1', port: 1 };
    const first = pool.get(bad);
    await expect(first).rejects.toThrow(/127\.0\.0\.1:1: connection refused/);
    const second = pool.get(bad);
    expect(second).not.toBe(first);
    await expect(second).rejects.toThrow(/connection refused/);
    await pool.closeAll();
  });
});
