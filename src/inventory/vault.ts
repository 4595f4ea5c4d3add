// Ansible Vault (format 1.1 and 1.2, AES256), so inventories that keep secrets with `!vault` values or
// whole encrypted vars files work as they do with ansible-playbook. Pure: the passwords come in as
// arguments (read by the loader from --vault-password-file); node:crypto only computes.
//
// The format (ansible/parsing/vault/__init__.py, VaultAES256): a header line
// `$ANSIBLE_VAULT;1.1;AES256` (1.2 adds `;<vault id>`), then hex of "hex(salt)\nhex(hmac)\nhex(ciphertext)".
// PBKDF2-HMAC-SHA256 over the password and salt, 10000 rounds, gives 80 bytes: the AES key, the HMAC key and
// the CTR counter's start. The HMAC-SHA256 of the ciphertext must match before anything is decrypted;
// the plain text is PKCS#7-padded.

import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export interface VaultPassword {
  /** The vault id it was given for (`--vault-id prod@file`), or undefined for a plain password file. */
  id?: string;
  secret: string;
}

export type VaultResult = { ok: true; text: string } | { ok: false; reason: string };

const HEADER = /^\$ANSIBLE_VAULT;(1\.[12]);AES256(?:;([^\s;]+))?\s*$/;

/** True when a text (a scalar's value or a whole file) is Ansible Vault ciphertext. */
export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith('$ANSIBLE_VAULT;');
}

/**
 * Decrypts vault text with the first password that opens it (passwords for its vault id first, as
 * ansible-vault tries them). A wrong password is told apart from a damaged or unsupported text.
 */
export function decryptVault(text: string, passwords: readonly VaultPassword[]): VaultResult {
  const lines = text.trim().split(/\r?\n/).map((line) => line.trim());
  const header = HEADER.exec(lines[0] ?? '');
  if (!header) {
    const first = (lines[0] ?? '').slice(0, 40);
    return { ok: false, reason: `its header '${first}' is not one nodeform reads ($ANSIBLE_VAULT;1.1;AES256 and 1.2)` };
  }
  const vaultId = header[2];
  const envelope = unhex(lines.slice(1).join(''));
  const parts = envelope?.toString('latin1').split('\n');
  const salt = parts?.[0] !== undefined ? unhex(parts[0]) : undefined;
  const mac = parts?.[1] !== undefined ? unhex(parts[1]) : undefined;
  const ciphertext = parts?.[2] !== undefined ? unhex(parts[2]) : undefined;
  if (!parts || parts.length !== 3 || !salt || !mac || !ciphertext || mac.length !== 32 || ciphertext.length % 16 !== 0) {
    return { ok: false, reason: 'the vault text is damaged (not the hex of salt, HMAC and ciphertext); re-encrypt it with ansible-vault' };
  }
  if (passwords.length === 0) {
    return {
      ok: false,
      reason: vaultId ? `no password was given (vault id '${vaultId}'); pass --vault-id ${vaultId}@FILE or --vault-password-file FILE` : 'no password was given; pass --vault-password-file FILE',
    };
  }
  const ordered = vaultId ? [...passwords.filter((p) => p.id === vaultId), ...passwords.filter((p) => p.id !== vaultId)] : passwords;
  for (const password of ordered) {
    const derived = pbkdf2Sync(Buffer.from(password.secret, 'utf8'), salt, 10000, 80, 'sha256');
    const aesKey = derived.subarray(0, 32);
    const hmacKey = derived.subarray(32, 64);
    const counter = derived.subarray(64, 80);
    const expected = createHmac('sha256', hmacKey).update(ciphertext).digest();
    if (!timingSafeEqual(expected, mac)) continue;
    const decipher = createDecipheriv('aes-256-ctr', aesKey, counter);
    const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    const pad = padded[padded.length - 1] ?? 0;
    if (pad < 1 || pad > 16 || padded.length < pad || !padded.subarray(padded.length - pad).every((byte) => byte === pad)) {
      return { ok: false, reason: 'it decrypted with bad padding: the text is damaged; re-encrypt it with ansible-vault' };
    }
    const plain = padded.subarray(0, padded.length - pad);
    const decoded = new TextDecoder('utf-8', { fatal: true });
    try {
      return { ok: true, text: decoded.decode(plain) };
    } catch {
      return { ok: false, reason: 'the decrypted value is not UTF-8 text' };
    }
  }
  return {
    ok: false,
    reason: `no password given opens it${vaultId ? ` (vault id '${vaultId}')` : ''}; check --vault-password-file and --vault-id`,
  };
}

function unhex(text: string): Buffer | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}
