// Reset planning (src/plan/reset.ts): the host's recorded generations and originals against its facts now.
import { describe, expect, it } from 'vitest';
import { UNIT_DIR as UNITS } from '../../../src/model/types.js';
import type { Change } from '../../../src/model/plan.js';
import type { BackupEntry, Facts, ManagedEntry } from '../../../src/model/types.js';
import { planReset, type ResetTarget } from '../../../src/plan/reset.js';
import { emptyFacts, present, sha } from '../helpers.js';

const summary = (changes: Change[]) => changes.map((c) => `${c.action} ${c.kind} ${c.target}${c.attributes.length ? ` [${c.attributes.map((a) => `${a.name}:${a.before}->${a.after}`).join(' ')}]` : ''}`);

/** Facts with a last generation (id 2) of these entries, and these originals. */
function facts(options: { last?: BackupEntry[]; original?: BackupEntry[]; managedBefore?: ManagedEntry[]; mutate?: (f: Facts) => void }): Facts {
  const f = emptyFacts();
  if (options.last) f.record.last = { id: 2, entries: options.last, managedBefore: options.managedBefore ?? [] };
  f.record.original = options.original ?? [];
  options.mutate?.(f);
  return f;
}

const oldConf = 'port=1\n';
const newConf = 'port=2\n';
const fileEntry = (target: string, existed: boolean, content?: string, extra: Partial<BackupEntry> = {}): BackupEntry =>
  existed ? { kind: 'file', target, existed, sha256: sha(content ?? ''), mode: '0644', owner: 'root', group: 'root', ...extra } : { kind: 'file', target, existed };

describe('planReset', () => {
  const cases: { name: string; to: ResetTarget; facts: Facts; expected: string[] }[] = [
    {
      name: 'a file that existed before is restored from its backup',
      to: 'previous',
      facts: facts({ last: [fileEntry('/etc/a', true, oldConf)], mutate: (f) => (f.paths['/etc/a'] = present('/etc/a', newConf)) }),
      expected: [`update file /etc/a [content:sha256:${sha(newConf).slice(0, 12)}->sha256:${sha(oldConf).slice(0, 12)}]`],
    },
    {
      name: 'a file already as it was: nothing',
      to: 'previous',
      facts: facts({ last: [fileEntry('/etc/a', true, oldConf)], mutate: (f) => (f.paths['/etc/a'] = present('/etc/a', oldConf)) }),
      expected: [],
    },
    {
      name: 'a file removed since is created again',
      to: 'previous',
      facts: facts({ last: [fileEntry('/etc/a', true, oldConf)] }),
      expected: [`create file /etc/a [content:null->sha256:${sha(oldConf).slice(0, 12)} mode:null->0644 owner:null->root group:null->root]`],
    },
    {
      name: 'only the mode changed back',
      to: 'previous',
      facts: facts({ last: [fileEntry('/etc/a', true, oldConf, { mode: '0600' })], mutate: (f) => (f.paths['/etc/a'] = present('/etc/a', oldConf)) }),
      expected: ['update file /etc/a [mode:0644->0600]'],
    },
    {
      name: 'a file nodeform created is removed',
      to: 'previous',
      facts: facts({ last: [fileEntry('/etc/new', false)], mutate: (f) => (f.paths['/etc/new'] = present('/etc/new', newConf)) }),
      expected: [`delete file /etc/new [content:sha256:${sha(newConf).slice(0, 12)}->null]`],
    },
    {
      name: 'a file nodeform created and someone removed: nothing',
      to: 'previous',
      facts: facts({ last: [fileEntry('/etc/new', false)] }),
      expected: [],
    },
    {
      name: 'a unit nodeform created, running, is stopped and removed',
      to: 'previous',
      facts: facts({
        last: [{ kind: 'unit', target: 'demo.service', existed: false }],
        mutate: (f) => {
          f.paths[`${UNITS}/demo.service`] = present(`${UNITS}/demo.service`, '[Service]\n');
          f.units['demo.service'] = { name: 'demo.service', enabled: 'enabled', active: 'active' };
        },
      }),
      expected: ['delete unit demo.service [active:true->null enabled:true->null]'],
    },
    {
      name: 'a unit nodeform created, already gone and stopped: nothing',
      to: 'previous',
      facts: facts({ last: [{ kind: 'unit', target: 'demo.service', existed: false }], mutate: (f) => (f.units['demo.service'] = { name: 'demo.service', enabled: 'not-found', active: 'inactive' }) }),
      expected: [],
    },
    {
      name: 'a unit file restored while it runs is restarted',
      to: 'previous',
      facts: facts({
        last: [{ kind: 'unit', target: 'geth.service', existed: true, sha256: sha('old\n'), mode: '0644', owner: 'root', group: 'root', enabled: 'enabled', active: 'active' }],
        mutate: (f) => {
          f.paths[`${UNITS}/geth.service`] = present(`${UNITS}/geth.service`, 'new\n');
          f.units['geth.service'] = { name: 'geth.service', enabled: 'enabled', active: 'active' };
        },
      }),
      expected: [`update unit geth.service [content:sha256:${sha('new\n').slice(0, 12)}->sha256:${sha('old\n').slice(0, 12)}]`, 'restart unit geth.service'],
    },
    {
      name: 'a unit enabled and started by nodeform goes back to disabled and stopped',
      to: 'previous',
      facts: facts({
        last: [{ kind: 'unit', target: 'geth.service', existed: true, sha256: sha('u\n'), mode: '0644', owner: 'root', group: 'root', enabled: 'disabled', active: 'inactive' }],
        mutate: (f) => {
          f.paths[`${UNITS}/geth.service`] = present(`${UNITS}/geth.service`, 'u\n');
          f.units['geth.service'] = { name: 'geth.service', enabled: 'enabled', active: 'active' };
        },
      }),
      expected: ['update unit geth.service [enabled:true->false active:true->false]'],
    },
    {
      name: 'directories: existing ones restored shallowest first, created ones removed deepest first, only if empty',
      to: 'previous',
      facts: facts({
        last: [
          { kind: 'directory', target: '/a/b/c', existed: false },
          { kind: 'directory', target: '/a', existed: false },
          { kind: 'directory', target: '/x/y', existed: true, mode: '0700', owner: 'root', group: 'root' },
          { kind: 'directory', target: '/x', existed: true, mode: '0755', owner: 'root', group: 'root' },
        ],
        mutate: (f) => {
          for (const p of ['/a/b/c', '/a']) f.paths[p] = { path: p, exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root' };
          f.paths['/x'] = { path: '/x', exists: true, type: 'directory', mode: '0750', owner: 'root', group: 'root' };
          f.paths['/x/y'] = { path: '/x/y', exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root' };
        },
      }),
      expected: ['update directory /x [mode:0750->0755]', 'update directory /x/y [mode:0755->0700]', 'delete directory /a/b/c', 'delete directory /a'],
    },
    {
      name: 'a user nodeform created is removed, after its files',
      to: 'previous',
      facts: facts({
        last: [{ kind: 'user', target: 'demo', existed: false }, fileEntry('/etc/new', false)],
        mutate: (f) => {
          f.users.demo = { name: 'demo', exists: true, uid: 999, gid: 999, home: '/', shell: '/bin/false', group: 'demo', groups: [] };
          f.paths['/etc/new'] = present('/etc/new', 'x');
        },
      }),
      expected: [`delete file /etc/new [content:sha256:${sha('x').slice(0, 12)}->null]`, 'delete user demo'],
    },
    {
      name: 'a user that existed before is never removed',
      to: 'original',
      facts: facts({ original: [{ kind: 'user', target: 'deploy', existed: true }], mutate: (f) => (f.users.deploy = { name: 'deploy', exists: true, uid: 1000, gid: 1000, home: '/home/deploy', shell: '/bin/sh', group: 'deploy', groups: [] }) }),
      expected: [],
    },
    {
      name: 'original: from the originals, not the last generation',
      to: 'original',
      facts: facts({
        last: [fileEntry('/etc/a', true, newConf)],
        original: [fileEntry('/etc/a', false)],
        mutate: (f) => (f.paths['/etc/a'] = present('/etc/a', 'port=3\n')),
      }),
      expected: [`delete file /etc/a [content:sha256:${sha('port=3\n').slice(0, 12)}->null]`],
    },
    {
      name: 'a target listed twice counts once (the first)',
      to: 'previous',
      facts: facts({ last: [fileEntry('/etc/a', false), fileEntry('/etc/a', true, oldConf)], mutate: (f) => (f.paths['/etc/a'] = present('/etc/a', newConf)) }),
      expected: [`delete file /etc/a [content:sha256:${sha(newConf).slice(0, 12)}->null]`],
    },
  ];

  it.each(cases)('$name', ({ to, facts: f, expected }) => {
    expect(summary(planReset('h1', f, to).changes)).toEqual(expected);
  });

  it('says there is nothing to reset without a generation', () => {
    const managed: ManagedEntry[] = [{ kind: 'file', target: '/etc/a' }];
    const f = facts({ mutate: (x) => (x.record.managed = managed) });
    expect(planReset('h1', f, 'previous')).toEqual({ host: 'h1', changes: [], warnings: ['nothing to reset: nodeform has no generation on this host'], managedAfter: managed, resetTo: 'previous' });
  });

  it.each([
    ['previous', 'generation 1 (undo generation 2)', [{ kind: 'file', target: '/etc/keep' }]],
    ['original', 'original', []],
  ] as const)('to %s: labelled %j, managing what it managed before', (to, label, managedAfter) => {
    const plan = planReset('h1', facts({ last: [], managedBefore: [{ kind: 'file', target: '/etc/keep' }], original: [] }), to);
    expect(plan.resetTo).toBe(label);
    expect(plan.managedAfter).toEqual(managedAfter);
  });

  it('restores content from the backup blob, with the recorded owner and mode, and the plan precondition of the file now', () => {
    const f = facts({ last: [fileEntry('/etc/a', true, oldConf, { mode: '0640', owner: 'demo', group: 'demo' })], mutate: (x) => (x.paths['/etc/a'] = present('/etc/a', newConf)) });
    const [c] = planReset('h1', f, 'previous').changes;
    expect(c).toMatchObject({
      content: { from: 'backup', record: 'generation', generation: 2 },
      after: { sha256: sha(oldConf), mode: '0640', owner: 'demo', group: 'demo' },
      precondition: { exists: true, sha256: sha(newConf) },
      reason: 'restore state before generation 2',
    });
  });

  it('removes a created directory only when empty', () => {
    const f = facts({ last: [{ kind: 'directory', target: '/d', existed: false }], mutate: (x) => (x.paths['/d'] = { path: '/d', exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root' }) });
    expect(planReset('h1', f, 'previous').changes[0]).toMatchObject({ action: 'delete', onlyIfEmpty: true, reason: 'restore state before generation 2; removed only if empty' });
  });
});

describe('planReset of a state-only unit (its state recorded by the apply that stopped it)', () => {
  const name = 'checkpoint-monitor.service';
  const path = `${UNITS}/${name}`;
  const text = '[Service]\nExecStart=/opt/old/monitor.sh\n';
  const stoppedNow = (file: boolean) => (f: Facts) => {
    if (file) f.paths[path] = present(path, text);
    f.units[name] = { name, enabled: 'disabled', active: 'inactive' };
  };

  it.each(['previous', 'original'] as const)('to %s: its file in /etc/systemd/system as it was, so only enabled and active come back', (to) => {
    const entry: BackupEntry = { kind: 'unit', target: name, existed: true, sha256: sha(text), mode: '0644', owner: 'root', group: 'root', enabled: 'enabled', active: 'active' };
    const plan = planReset('h1', facts({ last: [entry], original: [entry], mutate: stoppedNow(true) }), to);
    expect(summary(plan.changes)).toEqual([`update unit ${name} [enabled:false->true active:false->true]`]);
    expect(plan.changes[0]!.unit).toEqual({ enabled: true, active: true });
  });

  it('its file elsewhere (none in /etc/systemd/system then or now): started and enabled again, no file deleted', () => {
    const entry: BackupEntry = { kind: 'unit', target: name, existed: false, enabled: 'enabled', active: 'active' };
    const [c, ...rest] = planReset('h1', facts({ last: [entry], mutate: stoppedNow(false) }), 'previous').changes;
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ action: 'update', precondition: { exists: false }, unit: { enabled: true, active: true } });
    expect(c!.after).toBeUndefined();
  });

  it('one that is gone from the host since: nothing to start', () => {
    const entry: BackupEntry = { kind: 'unit', target: name, existed: false, enabled: 'enabled', active: 'active' };
    const gone = (f: Facts) => (f.units[name] = { name, enabled: 'not-found', active: 'inactive' });
    expect(planReset('h1', facts({ last: [entry], mutate: gone }), 'previous').changes).toEqual([]);
  });

  it('a unit nodeform created (not-found before) is still removed', () => {
    const entry: BackupEntry = { kind: 'unit', target: 'new.service', existed: false, enabled: 'not-found', active: 'inactive' };
    const running = (f: Facts) => (f.units['new.service'] = { name: 'new.service', enabled: 'enabled', active: 'active' });
    expect(summary(planReset('h1', facts({ last: [entry], mutate: running }), 'previous').changes)).toEqual(['delete unit new.service [active:true->null enabled:true->null]']);
  });
});
