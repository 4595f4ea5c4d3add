// Private keys are parsed once for all of a run's logins (withKeyObject): signatures must stay exactly what
// ssh2 makes from its PEM text, for every key type ssh-keygen makes.
import { spawnSync } from 'node:child_process';
import { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { withKeyObject } from '../../src/transport/ssh/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nodeform-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parsed(path: string): ParsedKey {
  const key = ssh2.utils.parseKey(readFileSync(path));
  if (key instanceof Error) throw key;
  return (Array.isArray(key) ? key[0] : key) as ParsedKey;
}

describe('withKeyObject', () => {
  it.each([
    ['ed25519', ['-t', 'ed25519'], [undefined]],
    ['rsa', ['-t', 'rsa', '-b', '2048'], [undefined, 'sha256', 'sha512']],
    ['ecdsa 256', ['-t', 'ecdsa', '-b', '256'], [undefined]],
    ['ecdsa 384', ['-t', 'ecdsa', '-b', '384'], [undefined]],
    ['ecdsa 521', ['-t', 'ecdsa', '-b', '521'], [undefined]],
  ])('%s: signatures verify and match ssh2 own where deterministic', (name, args, algos) => {
    const path = join(dir, name.replace(' ', '-'));
    const made = spawnSync('ssh-keygen', [...args, '-N', '', '-q', '-f', path], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const plain = parsed(path);
    const fast = withKeyObject(parsed(path));
    // The speed-up took (ssh2 still keeps the key in a symbol-keyed PEM slot).
    const slots = Object.getOwnPropertySymbols(fast).map((s) => (fast as unknown as Record<symbol, unknown>)[s]);
    expect(slots.some((v) => v instanceof KeyObject)).toBe(true);
    const data = Buffer.from(`session id and request for ${name}`);
    for (const algo of algos) {
      const ours = fast.sign(data, algo);
      expect(ours).toBeInstanceOf(Buffer);
      expect(plain.verify(data, ours, algo)).toBe(true);
      if (!name.startsWith('ecdsa')) expect(ours).toEqual(plain.sign(data, algo));
    }
  });
});
