// Human plan text (src/views/plan.ts).
import { describe, expect, it } from 'vitest';
import type { Change, HostPlan, Plan } from '../../../src/model/plan.js';
import { formatChange, formatHostPlan, formatPlan } from '../../../src/views/plan.js';
import { painter } from '../../../src/views/paint.js';

const change = (extra: Partial<Change> & Pick<Change, 'kind' | 'action' | 'target'>): Change => ({ attributes: [], secret: false, precondition: { exists: false }, ...extra });
const host = (name: string, changes: Change[], extra: Partial<HostPlan> = {}): HostPlan => ({ host: name, changes, warnings: [], managedAfter: [], ...extra });
const plain = painter(false);

describe('painter', () => {
  it.each([
    ['green', 'x', '\x1b[32mx\x1b[0m'],
    ['red', 'gone', '\x1b[31mgone\x1b[0m'],
    ['bold', 'h1', '\x1b[1mh1\x1b[0m'],
    ['dim', 'note', '\x1b[2mnote\x1b[0m'],
  ] as const)('paints %s with SGR when colour is on', (style, text, painted) => {
    expect(painter(true)(style, text)).toBe(painted);
  });

  it('leaves text alone without colour', () => {
    expect(painter(false)('red', 'gone')).toBe('gone');
  });
});

describe('formatChange', () => {
  it.each<[string, Change, string[]]>([
    ['create with attributes', change({ kind: 'file', action: 'create', target: '/etc/a', attributes: [{ name: 'mode', before: null, after: '0644' }, { name: 'owner', before: null, after: 'root' }] }), ['  + file /etc/a  (mode=0644, owner=root)']],
    ['update: before -> after', change({ kind: 'file', action: 'update', target: '/etc/a', attributes: [{ name: 'mode', before: '0600', after: '0644' }] }), ['  ~ file /etc/a  (mode: 0600 -> 0644)']],
    ['update of an attribute that was unset', change({ kind: 'unit', action: 'update', target: 'x.service', attributes: [{ name: 'enabled', before: null, after: 'true' }] }), ['  ~ unit x.service  (enabled=true)']],
    ['delete: what goes', change({ kind: 'file', action: 'delete', target: '/etc/old', attributes: [{ name: 'content', before: 'sha256:abc', after: null }] }), ['  - file /etc/old  (content=sha256:abc)']],
    ['create with an empty after', change({ kind: 'directory', action: 'create', target: '/d', attributes: [{ name: 'group', before: null, after: null }] }), ['  + directory /d  (group=∅)']],
    ['restart with its reason', change({ kind: 'unit', action: 'restart', target: 'geth.service', reason: 'input /etc/geth.toml changed' }), ['  ↻ restart unit geth.service  (input /etc/geth.toml changed)']],
    ['attributes and reason together', change({ kind: 'file', action: 'delete', target: '/etc/x', reason: 'no longer declared', attributes: [{ name: 'content', before: 'sha256:1', after: null }] }), ['  - file /etc/x  (content=sha256:1; no longer declared)']],
    ['no attributes, no reason', change({ kind: 'user', action: 'delete', target: 'demo' }), ['  - user demo']],
    ['a wipe says its reason alone', change({ kind: 'wipe', action: 'update', target: 'ephemery', reason: 'ephemery iteration 161 -> 162: stop clients, wipe chain data' }), ['  ! ephemery iteration 161 -> 162: stop clients, wipe chain data']],
    ['a wipe without a reason', change({ kind: 'wipe', action: 'update', target: 'ephemery' }), ['  ! wipe ephemery']],
    ['secret content is hidden', change({ kind: 'file', action: 'update', target: '/etc/jwt', secret: true, attributes: [{ name: 'content', before: 'sha256:1', after: 'sha256:2' }] }), ['  ~ file /etc/jwt  (content: sha256:1 -> sha256:2)', '      (content hidden: secret)']],
    ['a secret whose content does not change says nothing more', change({ kind: 'file', action: 'update', target: '/etc/jwt', secret: true, attributes: [{ name: 'mode', before: '0644', after: '0600' }] }), ['  ~ file /etc/jwt  (mode: 0644 -> 0600)']],
    ['a diff, indented, its trailing newline dropped', change({ kind: 'file', action: 'update', target: '/etc/a', diff: '--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n' }), ['  ~ file /etc/a', '      --- a', '      +++ b', '      @@ -1 +1 @@', '      -old', '      +new']],
  ])('%s', (_name, c, lines) => {
    expect(formatChange(c, plain)).toEqual(lines);
  });

  it('colours the mark by action, and diff lines by sign', () => {
    const lines = formatChange(change({ kind: 'file', action: 'update', target: '/a', diff: '@@ -1 +1 @@\n-a\n+b\n c\n' }), painter(true));
    expect(lines).toEqual(['  \x1b[33m~ file /a\x1b[0m', '      \x1b[36m@@ -1 +1 @@\x1b[0m', '      \x1b[31m-a\x1b[0m', '      \x1b[32m+b\x1b[0m', '       c']);
  });

  it.each([
    ['create', '32', '+'],
    ['update', '33', '~'],
    ['delete', '31', '-'],
    ['restart', '36', '↻'],
  ] as const)('%s is %s-coloured %s', (action, sgr, mark) => {
    expect(formatChange(change({ kind: 'unit', action, target: 'u' }), painter(true))[0]!.startsWith(`  \x1b[${sgr}m${mark} `)).toBe(true);
  });
});

describe('formatHostPlan', () => {
  it.each<[string, HostPlan, string]>([
    ['no changes', host('h1', []), 'h1\n  no changes'],
    ['an error instead of changes', host('h1', [], { error: 'ssh: connection refused' }), 'h1\n  error: ssh: connection refused'],
    ['a reset target in the heading', host('h1', [], { resetTo: 'original' }), 'h1 (reset to original)\n  no changes'],
    ['changes in order', host('h1', [change({ kind: 'file', action: 'create', target: '/a' }), change({ kind: 'unit', action: 'restart', target: 'u.service' })]), 'h1\n  + file /a\n  ↻ restart unit u.service'],
    ['notes after the changes', host('h1', [], { notes: ['checkpoint: provider a (3 of 3 agree)'] }), 'h1\n  no changes\n  checkpoint: provider a (3 of 3 agree)'],
    ['warnings last', host('h1', [], { warnings: ['geth is older than 1.14'], notes: ['n'] }), 'h1\n  no changes\n  n\n  warning: geth is older than 1.14'],
    [
      'held items grouped by reason, in first-seen order',
      host('h1', [], { held: [{ target: 'a', reason: 'no quorum' }, { target: 'b', reason: 'other' }, { target: 'c', reason: 'no quorum' }] }),
      'h1\n  no changes\n  held (no quorum): a, c\n  held (other): b',
    ],
  ])('%s', (_name, plan, text) => {
    expect(formatHostPlan(plan, { color: false })).toBe(text);
  });
});

describe('formatPlan', () => {
  const plan = (hosts: HostPlan[]): Plan => ({ formatVersion: 1, kind: 'apply', hosts });
  const create = change({ kind: 'file', action: 'create', target: '/a' });
  const update = change({ kind: 'file', action: 'update', target: '/b' });
  const remove = change({ kind: 'file', action: 'delete', target: '/c' });
  const restart = change({ kind: 'unit', action: 'restart', target: 'u' });

  it.each<[string, HostPlan[], string]>([
    ['nothing to do', [host('h1', []), host('h2', [])], 'No changes on 2 host(s).'],
    ['counts by action and hosts with changes', [host('h1', [create, update]), host('h2', [remove, restart]), host('h3', [])], 'Plan: 1 to create, 1 to update, 1 to remove, 1 to restart, on 2 of 3 host(s).'],
    ['failed hosts are not counted as planned', [host('h1', []), host('h2', [], { error: 'down' })], 'No changes on 1 host(s). 1 host(s) could not be planned.'],
    ['hosts holding items back', [host('h1', [create], { held: [{ target: 'x', reason: 'r' }] })], 'Plan: 1 to create, 0 to update, 0 to remove, 0 to restart, on 1 of 1 host(s). 1 host(s) hold items back (see held).'],
  ])('%s', (_name, hosts, summary) => {
    const text = formatPlan(plan(hosts), { color: false });
    expect(text.endsWith(`\n\n${summary}\n`)).toBe(true);
  });

  it('separates hosts by a blank line, in plan order', () => {
    expect(formatPlan(plan([host('b', []), host('a', [])]), { color: false })).toBe('b\n  no changes\n\na\n  no changes\n\nNo changes on 2 host(s).\n');
  });

  it('has no escape codes without colour, and some with', () => {
    const p = plan([host('h1', [create])]);
    expect(formatPlan(p, { color: false })).not.toContain('\x1b[');
    expect(formatPlan(p, { color: true })).toContain('\x1b[1mh1\x1b[0m');
  });
});
