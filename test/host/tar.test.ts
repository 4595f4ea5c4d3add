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
