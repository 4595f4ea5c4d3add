import { describe, expect, it } from 'vitest';
import {
  blobKeyType,
  checkHostKey,
  entryMatches,
  fingerprint,
  knownHostsLine,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
} from '../../../src/transport/ssh/known-hosts.js';

// Real keys from ssh-keygen; fingerprints as `ssh-keygen -lf` printed them.
const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAILyvWyDEKbwQ+ZGk6kANAqMtZyTHwYwK9tA7JU7xlmLu';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIDVrkQAObq9irMmJ+CcHNMFiRmfkbzVAuZBIiwiKBKDS';
const K3 =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHV3YkPhjKDqRgXjBy6vuyPjFM4lzCuglVl5i6ziKeHnjGSmssuaCx/FQDLhMzt7ZFvvUxE8zNUg82Gg3l6WJ3o=';
const blob = (b64: string): Buffer => Buffer.from(b64, 'base64');

describe('fingerprint', () => {
  it.each([
    [K1, 'SHA256:+b3wrr2KDISJXSDt1RagSaD4wHjIU0lvK9k02YcADcg'],
    [K2, 'SHA256:hAziLJy1WPJ7+mC1SuRI9XYe3qX0rmmwvvYdXNqWNR0'],
    [K3, 'SHA256:gz6EmdGAILMeZ80vgtxDC5ovZks8m2csj1IcVOw7LuM'],
  ])('matches ssh-keygen -l for %#', (key, expected) => {
    expect(fingerprint(blob(key))).toBe(expected);
  });
});

describe('blobKeyType', () => {
  it.each([
    ['ed25519', blob(K1), 'ssh-ed25519'],
    ['ecdsa', blob(K3), 'ecdsa-sha2-nistp256'],
    ['empty', Buffer.alloc(0), undefined],
    ['length past the end', Buffer.from([0, 0, 0, 40, 0x61]), undefined],
    ['zero length', Buffer.from([0, 0, 0, 0]), undefined],
    ['binary garbage', Buffer.from([0, 0, 0, 2, 0xff, 0x00]), undefined],
  ])('%s', (_name, key, expected) => {
    expect(blobKeyType(key)).toBe(expected);
  });
});

describe('knownHostsName', () => {
  it.each([
    ['Web1.Example.com', 22, 'web1.example.com'],
    ['10.0.0.1', 2222, '[10.0.0.1]:2222'],
    ['::1', 22, '::1'],
  ])('%s port %i', (host, port, expected) => {
    expect(knownHostsName(host, port)).toBe(expected);
  });
});

// Line numbers matter: messages name file:line.
const PLAIN = [
  '# a comment', //                                                     1
  '', //                                                                2
  `web1.example.com,10.0.0.1 ssh-ed25519 ${K1} k1@somewhere`, //        3
  `[web2.example.com]:2222 ecdsa-sha2-nistp256 ${K3}`, //               4
  `*.lan,!bad.lan ssh-ed25519 ${K1}`, //                                5
  `@cert-authority *.example.com ssh-ed25519 ${K2}`, //                 6
  `changed.example.com ssh-ed25519 ${K2}`, //                           7
  `   indented.example.com   ssh-ed25519   ${K1}`, //                   8
  'broken-line-without-key', //                                         9
  `bad-base64.example.com ssh-ed25519 !!!!`, //                         10
  `@unknown-marker x.example.com ssh-ed25519 ${K1}`, //                 11
  `multi.example.com ssh-ed25519 ${K2}`, //                             12
  `multi.example.com ssh-ed25519 ${K1}`, //                             13
  `q?.example.com ssh-ed25519 ${K1}`, //                                14
].join('\n');

// `ssh-keygen -H` output for web1.example.com (K1) and [web2.example.com]:2222 (K3).
const HASHED = [
  `|1|kPrQiy8+HR9n33RXwqQl8vnxWS0=|G9hw7RrCBMobRQXKi33ADt5HBIY= ssh-ed25519 ${K1}`,
  `|1|FP/NFOX83I2wEpySWA7sfIeU8OI=|qIczd4QD9cuROKUPpgclfIcYSAI= ecdsa-sha2-nistp256 ${K3}`,
  `|2|unsupported|hash ssh-ed25519 ${K1}`,
].join('\n');

const REVOKED = [`@revoked * ssh-ed25519 ${K2}`, `web1.example.com ssh-ed25519 ${K2}`].join('\n');

describe('parseKnownHosts', () => {
  it('keeps valid lines with their line numbers and skips the rest', () => {
    const entries = parseKnownHosts(PLAIN, 'kh');
    expect(entries.map((e) => e.line)).toEqual([3, 4, 5, 7, 8, 12, 13, 14]);
    expect(entries[0]).toMatchObject({ file: 'kh', revoked: false, keyType: 'ssh-ed25519', hosts: { hashed: false, patterns: ['web1.example.com', '10.0.0.1'] } });
  });
  it('reads hashed entries and skips unknown hash formats', () => {
    const entries = parseKnownHosts(HASHED, 'h');
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => e.hosts.hashed)).toBe(true);
  });
  it('reads @revoked', () => {
    expect(parseKnownHosts(REVOKED, 'r').map((e) => e.revoked)).toEqual([true, false]);
  });
  it('takes the key type from the blob, not the type field', () => {
    const [entry] = parseKnownHosts(`h ssh-rsa ${K1}`, 'x');
    expect(entry?.keyType).toBe('ssh-ed25519');
  });
  it('handles CRLF files', () => {
    expect(parseKnownHosts(`h1 ssh-ed25519 ${K1}\r\nh2 ssh-ed25519 ${K2}\r\n`, 'x')).toHaveLength(2);
  });
});

describe('checkHostKey', () => {
  const plain = parseKnownHosts(PLAIN, 'plain');
  const hashed = parseKnownHosts(HASHED, 'hashed');
  const revoked = parseKnownHosts(REVOKED, 'revoked');
  it.each([
    // name, entries, host, port, key, status, line
    ['exact host', plain, 'web1.example.com', 22, K1, 'known', 3],
    ['second name in a comma list', plain, '10.0.0.1', 22, K1, 'known', 3],
    ['host names are case-insensitive', plain, 'WEB1.Example.COM', 22, K1, 'known', 3],
    ['port 22 entry does not cover another port', plain, 'web1.example.com', 2222, K1, 'unknown', undefined],
    ['[host]:port entry', plain, 'web2.example.com', 2222, K3, 'known', 4],
    ['[host]:port entry does not cover port 22', plain, 'web2.example.com', 22, K3, 'unknown', undefined],
    ['same type, other key: changed', plain, 'web1.example.com', 22, K2, 'changed', 3],
    ['wildcard', plain, 'box.lan', 22, K1, 'known', 5],
    ['negated pattern vetoes the line', plain, 'bad.lan', 22, K1, 'unknown', undefined],
    ['? matches exactly one character', plain, 'q1.example.com', 22, K1, 'known', 14],
    ['? does not match none', plain, 'q.example.com', 22, K1, 'unknown', undefined],
    ['@cert-authority lines vouch for nothing', plain, 'a.example.com', 22, K2, 'unknown', undefined],
    ['changed names the old line', plain, 'changed.example.com', 22, K1, 'changed', 7],
    ['indented line', plain, 'indented.example.com', 22, K1, 'known', 8],
    ['any listed key of the type is accepted', plain, 'multi.example.com', 22, K1, 'known', 13],
    ['another type only: unknown, not changed', plain, 'web1.example.com', 22, K3, 'unknown', undefined],
    ['hashed host', hashed, 'web1.example.com', 22, K1, 'known', 1],
    ['hashed host is case-insensitive', hashed, 'Web1.example.com', 22, K1, 'known', 1],
    ['hashed [host]:port', hashed, 'web2.example.com', 2222, K3, 'known', 2],
    ['hashed host, other port', hashed, 'web2.example.com', 22, K3, 'unknown', undefined],
    ['hashed host, changed key', hashed, 'web1.example.com', 22, K2, 'changed', 1],
    ['revoked wins over a plain entry', revoked, 'web1.example.com', 22, K2, 'revoked', 1],
    ['revoked applies to any host its pattern matches', revoked, 'other.example.com', 22, K2, 'revoked', 1],
    ['revoked line is not a known key for others', revoked, 'other.example.com', 22, K1, 'unknown', undefined],
    ['no entries', [], 'web1.example.com', 22, K1, 'unknown', undefined],
  ] as const)('%s', (_name, entries, host, port, key, status, line) => {
    const verdict = checkHostKey(entries, host, port, blob(key));
    expect(verdict.status).toBe(status);
    expect('entry' in verdict ? verdict.entry.line : undefined).toBe(line);
  });

  it('lists the other known key types of an unknown key', () => {
    expect(checkHostKey(plain, 'web1.example.com', 22, blob(K3))).toEqual({ status: 'unknown', otherTypes: ['ssh-ed25519'] });
  });

  it('an exact match in one file wins over a different key in another', () => {
    const both = [...parseKnownHosts(`web1.example.com ssh-ed25519 ${K2}`, 'a'), ...parseKnownHosts(`web1.example.com ssh-ed25519 ${K1}`, 'b')];
    expect(checkHostKey(both, 'web1.example.com', 22, blob(K1))).toMatchObject({ status: 'known', entry: { file: 'b' } });
  });
});

describe('knownKeyTypes', () => {
  it('lists the types known for a host, not revoked ones', () => {
    const entries = parseKnownHosts(`${PLAIN}\n${REVOKED}\nweb1.example.com ecdsa-sha2-nistp256 ${K3}`, 'x');
    expect(knownKeyTypes(entries, 'web1.example.com', 22)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    expect(knownKeyTypes(entries, 'nowhere.example.com', 22)).toEqual([]);
  });
});

describe('knownHostsLine', () => {
  it.each([
    ['host', 22, false, `host ssh-ed25519 ${K1}`],
    ['10.0.0.5', 2200, false, `[10.0.0.5]:2200 ssh-ed25519 ${K1}`],
  ])('%s:%i', (host, port, hashedLine, expected) => {
    expect(knownHostsLine(host, port, blob(K1), hashedLine)).toBe(expected);
  });

  it('hashed lines match only their own host and port', () => {
    const [entry] = parseKnownHosts(knownHostsLine('Box.example.com', 2200, blob(K1), true), 'x');
    expect(entry?.hosts.hashed).toBe(true);
    expect(entryMatches(entry!, knownHostsName('box.example.com', 2200))).toBe(true);
    expect(entryMatches(entry!, knownHostsName('box.example.com', 22))).toBe(false);
    expect(checkHostKey([entry!], 'box.example.com', 2200, blob(K1)).status).toBe('known');
  });

  it('round-trips through the parser', () => {
    const entries = parseKnownHosts(knownHostsLine('h', 22, blob(K3)), 'x');
    expect(checkHostKey(entries, 'h', 22, blob(K3)).status).toBe('known');
  });
});
