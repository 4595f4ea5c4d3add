import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { HostConnection } from '../../../src/model/types.js';
import { TransportPool } from '../../../src/transport/ssh/index.js';

const host = (name: string, connection: 'ssh' | 'local' = 'local'): HostConnection => ({
  name,
  address: name,
  identityFiles: [],
  become: false,
  becomeUser: 'root',
  knownHostsFiles: [],
  connection,
});

describe('TransportPool', () => {
  it('gives one transport per host for the run', async () => {
    const pool = new TransportPool({ env: {}, homeDir: '/nonexistent', localUser: userInfo().username });
    const [a1, a2, b] = await Promise.all([pool.get(host('a')), pool.get(host('a')), pool.get(host('b'))]);
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b);
    await a1.exec('true');
    expect((await pool.get(host('a'))).stats.execs).toBe(1);
    await pool.closeAll();
  });

  it('does not cache a failed connect', async () => {
    const pool = new TransportPool({ env: {}, homeDir: '/nonexistent', localUser: 'root', connectTimeoutMs: 2000 });
    const bad = { ...host('nowhere', 'ssh'), address: '127.0.0.1', port: 1 };
    const first = pool.get(bad);
    await expect(first).rejects.toThrow(/127\.0\.0\.1:1: connection refused/);
    const second = pool.get(bad);
    expect(second).not.toBe(first);
    await expect(second).rejects.toThrow(/connection refused/);
    await pool.closeAll();
  });
});
