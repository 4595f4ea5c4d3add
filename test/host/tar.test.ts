// The archive apply/tar.ts makes, extracted by the real GNU tar the apply script runs: names short, long (ustar's
// prefix) and too long for ustar (a pax header), odd characters, empty and binary files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tarArchive, type TarFile } from '../../src/apply/tar.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nodeform-tar-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('GNU tar extracts every file whole, under its own name and mode', () => {
  const files: TarFile[] = [
    { name: 'a/short.conf', data: Buffer.from('short\n'), mode: 0o644 },
    { name: `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(90)}.conf`, data: Buffer.from('long\n'), mode: 0o600 },
    { name: `${'g'.repeat(120)}/${'h'.repeat(120)}/${'i'.repeat(150)}.conf`, data: Buffer.from('very long\n'), mode: 0o640 },
    { name: "b/odd $(name) 'quoted' ü.conf", data: Buffer.from('odd\n'), mode: 0o644 },
    { name: 'b/empty', data: Buffer.alloc(0), mode: 0o600 },
    { name: 'b/binary.bin', data: Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 256)), mode: 0o755 },
  ];
  const r = spawnSync('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner'], { input: tarArchive(files) });
  expect(r.status, r.stderr.toString()).toBe(0);
  for (const f of files) {
    expect(readFileSync(join(dir, f.name)).equals(f.data), f.name).toBe(true);
    expect(statSync(join(dir, f.name)).mode & 0o777, f.name).toBe(f.mode);
  }
});

it('run as root with the apply script\'s flags, GNU tar sets each file\'s owner and group by name and its mode exactly (no umask)', () => {
  if (process.getuid?.() !== 0) throw new Error('this test runs as root, as CI and the apply script do');
  const files: TarFile[] = [
    { name: 'o/daemon.conf', data: Buffer.from('d\n'), mode: 0o640, owner: { user: 'daemon', group: 'daemon' } },
    { name: 'o/root.conf', data: Buffer.from('r\n'), mode: 0o2755, owner: { user: 'root', group: 'daemon' } },
  ];
  const r = spawnSync('sh', ['-c', `umask 077 && tar -x -m -f - -C ${dir} --same-owner --same-permissions`], { input: tarArchive(files) });
  expect(r.status, r.stderr.toString()).toBe(0);
  const daemon = statSync(join(dir, 'o/daemon.conf'));
  expect([daemon.uid, daemon.gid, daemon.mode & 0o7777]).toEqual([1, 1, 0o640]);
  const root = statSync(join(dir, 'o/root.conf'));
  expect([root.uid, root.gid, root.mode & 0o7777]).toEqual([0, 1, 0o2755]);
  // -m: written now, not at the archive's time zero
  expect(Date.now() - root.mtimeMs).toBeLessThan(3_600_000);
});
