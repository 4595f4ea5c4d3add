// known_hosts parsing and host key checking, with OpenSSH's semantics (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT).
// Pure: callers read and append the files.

import { createHash, createHmac, randomBytes } from 'node:crypto';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  /** `@revoked` lines refuse the key for every host they match. */
  revoked: boolean;
  hosts: { hashed: true; salt: Buffer; hash: Buffer } | { hashed: false; patterns: string[] };
  /** Key type from the key blob itself, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The public key blob (SSH wire format). */
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  /** No entry for this host with the presented key's type; `otherTypes` lists the types that are known. */
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

/** Parses one known_hosts file; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]?.startsWith('#')) return;
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      // Host certificates are not supported, so @cert-authority lines cannot vouch for any key.
      if (marker !== '@revoked') return;
      revoked = true;
    }
    const [hostField, , keyField] = fields;
    if (!hostField || !keyField) return;
    const key = Buffer.from(keyField, 'base64');
    const keyType = blobKeyType(key);
    if (!keyType) return;
    const hosts = parseHostField(hostField);
    if (!hosts) return;
    entries.push({ file, line: index + 1, revoked, hosts, keyType, key });
  });
  return entries;
}

function parseHostField(field: string): KnownHostEntry['hosts'] | undefined {
  if (!field.startsWith('|')) return { hashed: false, patterns: field.split(',').filter(Boolean) };
  const [, magic, salt, hash] = field.split('|');
  if (magic !== '1' || !salt || !hash) return undefined;
  return { hashed: true, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

/** The name a host is listed under: `host` on port 22, `[host]:port` otherwise; lower case, as ssh uses. */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.hashed) {
    return createHmac('sha1', entry.hosts.salt).update(name).digest().equals(entry.hosts.hash);
  }
  return matchPatternList(entry.hosts.patterns, name);
}

/** OpenSSH pattern lists: `*` and `?` wildcards, and a matching `!pattern` vetoes the whole list. */
function matchPatternList(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, name.toLowerCase())) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

const globCache = new Map<string, RegExp>();

function globMatch(pattern: string, name: string): boolean {
  const lower = pattern.toLowerCase();
  if (!/[*?]/.test(lower)) return lower === name;
  let regex = globCache.get(lower);
  if (!regex) {
    const source = lower
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`);
    globCache.set(lower, regex);
  }
  return regex.test(name);
}

/**
 * The entries listing `name`, in file order. A fleet's known_hosts holds a line per host and every host is
 * checked against it: plain names are looked up in an index built once per entry list, so checking N hosts
 * costs N lookups, not N x N pattern matches. Wildcards, negations and hashed names are still tried one by one.
 */
function entriesFor(entries: readonly KnownHostEntry[], name: string): KnownHostEntry[] {
  let index = indexes.get(entries);
  if (!index) {
    index = { plain: new Map(), scan: [], byName: new Map() };
    entries.forEach((entry, position) => {
      const patterns = entry.hosts.hashed ? undefined : entry.hosts.patterns;
      if (!patterns || patterns.some((p) => /[*?!]/.test(p))) {
        index!.scan.push(position);
        return;
      }
      for (const pattern of new Set(patterns.map((p) => p.toLowerCase()))) {
        const list = index!.plain.get(pattern);
        if (list) list.push(position);
        else index!.plain.set(pattern, [position]);
      }
    });
    indexes.set(entries, index);
  }
  const lower = name.toLowerCase();
  let found = index.byName.get(lower);
  if (!found) {
    const positions = [...(index.plain.get(lower) ?? []), ...index.scan.filter((i) => entryMatches(entries[i]!, lower))];
    found = positions.sort((a, b) => a - b).map((i) => entries[i]!);
    index.byName.set(lower, found);
  }
  return found;
}

interface EntryIndex {
  /** Lower-case plain host name -> positions of the entries listing it. */
  plain: Map<string, number[]>;
  /** Positions of entries with wildcards, negations or hashed names. */
  scan: number[];
  byName: Map<string, KnownHostEntry[]>;
}
const indexes = new WeakMap<readonly KnownHostEntry[], EntryIndex>();

/**
 * Checks a presented host key against every entry, as OpenSSH does: a revoked match refuses, any exact
 * match accepts (so a host may be listed with several keys), and only then does a same-type entry with
 * another key count as changed.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const type = blobKeyType(key);
  const listed = entriesFor(entries, name);
  const revoked = listed.find((e) => e.revoked && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const live = listed.filter((e) => !e.revoked);
  const known = live.find((e) => e.key.equals(key));
  if (known) return { status: 'known', entry: known };
  const changed = live.find((e) => e.keyType === type);
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', otherTypes: [...new Set(live.map((e) => e.keyType))] };
}

/** Key types listed for a host, so the handshake can prefer a key we can verify (as OpenSSH does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  return [...new Set(entriesFor(entries, name).filter((e) => !e.revoked).map((e) => e.keyType))];
}

/** `SHA256:` + unpadded base64 of the blob's SHA-256, exactly as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The type name at the start of a key blob (an SSH string), or undefined when the blob is malformed. */
export function blobKeyType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > key.length) return undefined;
  const type = key.subarray(4, 4 + length).toString('latin1');
  return /^[a-z0-9@.-]+$/i.test(type) ? type : undefined;
}

/** A known_hosts line for a key; hashed when ssh config says `HashKnownHosts yes`. */
export function knownHostsLine(host: string, port: number, key: Buffer, hashed = false): string {
  const name = knownHostsName(host, port);
  let field = name;
  if (hashed) {
    const salt = randomBytes(20);
    field = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
  }
  return `${field} ${blobKeyType(key) ?? 'unknown'} ${key.toString('base64')}`;
}
