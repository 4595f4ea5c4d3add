import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { decryptVault, isVaultText, type VaultPassword } from '../../../src/inventory/vault.js';

// Fixtures made with the real ansible-vault (Debian's ansible-core 2.14); see test/fixtures/vault/strings.yaml.
const fixtures = join(import.meta.dirname, '../../fixtures/vault');
const password = (name: string, id?: string): VaultPassword => ({ secret: readFileSync(join(fixtures, name), 'utf8').trimEnd(), ...(id ? { id } : {}) });
const vaultTag: ScalarTag = { tag: '!vault', resolve: (text: string) => text };
const strings = parse(readFileSync(join(fixtures, 'strings.yaml'), 'utf8'), { customTags: [vaultTag] }) as Record<string, string>;
const whole = readFileSync(join(fixtures, 'whole-file.yaml'), 'utf8');

describe('decryptVault', () => {
  it.each([
    ['jwt_secret', 's3cr3t-jwt', [password('password')]],
    ['sixteen', 'exactly16bytes!!', [password('password')]],
    ['webhook', 'multi\nline\nvalue', [password('password-prod', 'prod')]],
    // The password for the value's vault id is tried first, wherever it stands.
    ['webhook', 'multi\nline\nvalue', [password('password'), password('password-prod', 'prod')]],
  ])('opens %s', (name, plain, passwords) => {
    expect(isVaultText(strings[name]!)).toBe(true);
    expect(decryptVault(strings[name]!, passwords)).toEqual({ ok: true, text: plain });
  });

  it('opens a whole encrypted vars file', () => {
    const opened = decryptVault(whole, [password('password')]);
    expect(opened).toEqual({ ok: true, text: 'consensus:\n  client: lighthouse\nwebhook_token: tok-123\n' });
  });

  it('says a password is needed, naming the vault id, when none is given', () => {
    expect(decryptVault(strings.webhook!, [])).toEqual({ ok: false, reason: "no password was given (vault id 'prod'); pass --vault-id prod@FILE or --vault-password-file FILE" });
    expect(decryptVault(strings.jwt_secret!, [])).toEqual({ ok: false, reason: 'no password was given; pass --vault-password-file FILE' });
  });

  it('tells a wrong password from a damaged text', () => {
    expect(decryptVault(strings.jwt_secret!, [{ secret: 'wrong' }])).toEqual({ ok: false, reason: expect.stringMatching(/no password given opens it/) });
    const damaged = strings.jwt_secret!.replace(/\n([0-9a-f])/, '\nz');
    expect(decryptVault(damaged, [password('password')])).toEqual({ ok: false, reason: expect.stringMatching(/damaged/) });
    // One flipped ciphertext byte: the HMAC no longer matches, so nothing is decrypted.
    const lines = strings.jwt_secret!.split('\n');
    const last = lines[lines.length - 2]!;
    lines[lines.length - 2] = last.slice(0, -1) + (last.endsWith('0') ? '1' : '0');
    expect(decryptVault(lines.join('\n'), [password('password')]).ok).toBe(false);
  });

  it('refuses other vault formats by name', () => {
    expect(decryptVault('$ANSIBLE_VAULT;1.0;AES\n00', [password('password')])).toEqual({ ok: false, reason: expect.stringMatching(/is not one nodeform reads/) });
    expect(isVaultText('plain')).toBe(false);
  });
});
