import { describe, expect, it } from 'vitest';
import { parseFacts } from '../../../src/facts/parse.js';
import { sha } from '../helpers.js';

const T = '\t';
const line = (...f: string[]) => f.join(T);

describe('parseFacts', () => {
  const output = [
    line('P', '/etc/a', 'file'),
    line('P', '/etc/a', 'directory'), // a later record of the same path is ignored
    line('P', '/etc/missing', 'missing'),
    line('P', '/srv/d', 'directory'),
    line('P', '/srv/gone', 'file'), // removed between the look and the stat: as if never asked
    line('P', '/srv/secret', 'file'),
    line('S', '644', 'root', 'root', '4', '/etc/a'),
    line('S', '600', 'nobody', 'nogroup', '9', '/etc/a'), // the first stat of a path counts
    line('S', '2750', 'demo', 'demo', '4096', '/srv/d'),
    line('S', '600', 'root', 'root', '64', '/srv/secret'),
    line('H', sha('old\n'), '/etc/a'),
    line('H', '-', '/srv/secret'), // not hashed
    line('Z', '4', '/etc/a'),
    line('B', Buffer.from('old\n').toString('base64')),
    line('U', 'demo.service', 'enabled', 'active'),
    line('W', 'demo', 'demo:x:999:998::/var/lib/demo:/usr/sbin/nologin', 'demo', 'demo,adm'),
    line('W', 'ghost', 'missing'),
    line('M', 'file', '/etc/a'),
    line('M', 'bogus', '/x'),
    line('O', 'file', '/etc/a', '0', '-', '-', '-', '-', '-', '-'),
    line('G', '1', 'apply', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', '1', '3', 'me@ctl'),
    line('G', '2', 'apply', '2026-01-02T00:00:00Z', '-', '0', '1', 'me@ctl'),
    line('X', '000002'),
    line('E', 'unit', 'demo.service', '1', 'b'.repeat(64), '644', 'root', 'root', 'enabled', 'active'),
    line('Q', 'file', '/etc/a'),
    line('L', 'r1', 'me@ctl', '123', 'boot', '2026-01-02T00:00:00Z'),
    line('V', '/usr/local/bin/geth', 'present', 'geth version 1.17.5-stable-abc  '),
    line('V', '/usr/local/bin/teku', 'missing'),
    'Welcome to a chatty login banner',
    'END',
  ].join('\n');

  const facts = parseFacts('h1', output);

  it.each([
    ['file with content for the diff', facts.paths['/etc/a'], { path: '/etc/a', exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', size: 4, sha256: sha('old\n'), content: 'b2xkCg==' }],
    ['missing path', facts.paths['/etc/missing'], { path: '/etc/missing', exists: false }],
    ['a path gone before its stat is left out', facts.paths['/srv/gone'], undefined],
    ['a file not hashed has no sha256', facts.paths['/srv/secret'], { path: '/srv/secret', exists: true, type: 'file', mode: '0600', owner: 'root', group: 'root', size: 64 }],
    ['setgid directory keeps its special bits', facts.paths['/srv/d'], { path: '/srv/d', exists: true, type: 'directory', mode: '2750', owner: 'demo', group: 'demo', size: 4096 }],
    ['unit state', facts.units['demo.service'], { name: 'demo.service', enabled: 'enabled', active: 'active' }],
    ['user', facts.users.demo, { name: 'demo', exists: true, uid: 999, gid: 998, home: '/var/lib/demo', shell: '/usr/sbin/nologin', group: 'demo', groups: ['demo', 'adm'] }],
    ['absent user', facts.users.ghost, { name: 'ghost', exists: false }],
    ['managed entries (unknown kinds dropped)', facts.record.managed, [{ kind: 'file', target: '/etc/a' }]],
    ['originals', facts.record.original, [{ kind: 'file', target: '/etc/a', existed: false }]],
    ['last generation', facts.record.last, { id: 2, entries: [{ kind: 'unit', target: 'demo.service', existed: true, sha256: 'b'.repeat(64), mode: '0644', owner: 'root', group: 'root', enabled: 'enabled', active: 'active' }], managedBefore: [{ kind: 'file', target: '/etc/a' }] }],
    ['lock holder', facts.record.lock, { runId: 'r1', controller: 'me@ctl', pid: '123', since: '2026-01-02T00:00:00Z' }],
    ['binaries', facts.binaries, { '/usr/local/bin/geth': { path: '/usr/local/bin/geth', present: true, versionOutput: 'geth version 1.17.5-stable-abc' }, '/usr/local/bin/teku': { path: '/usr/local/bin/teku', present: false } }],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it("cuts the bytes of the diffs' files by their sizes, and keeps none from a piece that does not hash to its file on", () => {
    const bytes = (...parts: string[]) => line('B', Buffer.from(parts.join('')).toString('base64'));
    const files = (hashes: string[], b: string) =>
      parseFacts('h1', [...['/a', '/b', '/c'].flatMap((p, i) => [line('P', p, 'file'), line('S', '644', 'root', 'root', '2', p), line('H', hashes[i]!, p), line('Z', '2', p)]), b, 'END'].join('\n'));
    const content = (f: ReturnType<typeof parseFacts>) => ['/a', '/b', '/c'].map((p) => f.paths[p]?.content && Buffer.from(f.paths[p].content, 'base64').toString());
    expect(content(files([sha('a\n'), sha('b\n'), sha('c\n')], bytes('a\n', 'b\n', 'c\n')))).toEqual(['a\n', 'b\n', 'c\n']);
    // /b changed between its hash and the cat: the pieces after it cannot be trusted either.
    expect(content(files([sha('a\n'), sha('B\n'), sha('c\n')], bytes('a\n', 'b\n', 'c\n')))).toEqual(['a\n', undefined, undefined]);
    // Cut short: what is there and whole is kept.
    expect(content(files([sha('a\n'), sha('b\n'), sha('c\n')], bytes('a\n', 'b')))).toEqual(['a\n', undefined, undefined]);
  });

  it('reads generations, incomplete ones included', () => {
    expect(facts.record.generations.map((g) => [g.id, g.complete, g.finishedAt])).toEqual([
      [1, true, '2026-01-01T00:00:01Z'],
      [2, false, undefined],
    ]);
  });

  it('refuses output without the END marker (cut off)', () => {
    expect(() => parseFacts('h1', output.replace('END', ''))).toThrow(/ended early/);
  });
});

describe('parseFacts: users and groups in the record', () => {
  const facts = parseFacts(
    'h1',
    [
      line('O', 'user', 'olduser', '1', '-', '-', '-', '-', '-', '-', '/bin/sh', '/home/olduser', 'olduser', 'olduser,oldgrp'),
      line('O', 'user', 'newsvc', '0', '-', '-', '-', '-', '-', '-'),
      line('O', 'group', 'svcgrp', '0', '-', '-', '-', '-', '-', '-'),
      line('R', 'svcgrp', 'present'),
      line('R', 'gone', 'missing'),
      'END',
    ].join('\n'),
  );

  it('reads a changed user as it was, and the groups nodeform created with whether they exist', () => {
    expect(facts.record.original).toEqual([
      { kind: 'user', target: 'olduser', existed: true, user: { shell: '/bin/sh', home: '/home/olduser', group: 'olduser', groups: ['olduser', 'oldgrp'] } },
      { kind: 'user', target: 'newsvc', existed: false },
      { kind: 'group', target: 'svcgrp', existed: false },
    ]);
    expect(facts.groups).toEqual({ svcgrp: true, gone: false });
  });
});
