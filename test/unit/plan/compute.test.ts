import { describe, expect, it } from 'vitest';
import { UNIT_DIR } from '../../../src/model/types.js';
import type { Facts, Resource } from '../../../src/model/types.js';
import { planHost, probeRequestFor } from '../../../src/plan/compute.js';
import { stateOnlyUnit } from '../../../src/node/builders.js';
import { desired, dir, emptyFacts, file, present, sha, unit } from '../helpers.js';

const summary = (resources: Resource[], facts: Facts, removeUndeclared = true) =>
  planHost(desired(resources), facts, { removeUndeclared }).changes.map((c) => `${c.action} ${c.kind} ${c.target}${c.reason ? ` (${c.reason})` : ''}`);

function withFacts(mutate: (f: Facts) => void): Facts {
  const f = emptyFacts();
  mutate(f);
  return f;
}

describe('planHost', () => {
  const conf = file('/etc/demo/demo.conf', 'port=1\n');
  const svc = unit('demo.service', '[Service]\nExecStart=/bin/true\n', { restartOn: ['/etc/demo/demo.conf'] });
  const cases: { name: string; resources: Resource[]; facts: Facts; expected: string[]; removeUndeclared?: boolean }[] = [
    { name: 'missing file is created', resources: [conf], facts: emptyFacts(), expected: ['create file /etc/demo/demo.conf'] },
    {
      name: 'identical file: no change',
      resources: [conf],
      facts: withFacts((f) => (f.paths[conf.path] = present(conf.path, 'port=1\n'))),
      expected: [],
    },
    {
      name: 'mode differs only',
      resources: [conf],
      facts: withFacts((f) => (f.paths[conf.path] = present(conf.path, 'port=1\n', { mode: '0600' }))),
      expected: ['update file /etc/demo/demo.conf'],
    },
    {
      name: 'directory where a file should be is left alone with a warning',
      resources: [conf],
      facts: withFacts((f) => (f.paths[conf.path] = { path: conf.path, exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root' })),
      expected: [],
    },
    {
      name: 'new unit: created, no restart',
      resources: [conf, svc],
      facts: emptyFacts(),
      expected: ['create file /etc/demo/demo.conf', 'create unit demo.service'],
    },
    {
      name: 'changed input restarts the active unit',
      resources: [conf, svc],
      facts: withFacts((f) => {
        f.paths[conf.path] = present(conf.path, 'port=2\n');
        f.paths[svc.path] = present(svc.path, svc.content);
        f.units[svc.name] = { name: svc.name, enabled: 'enabled', active: 'active' };
      }),
      expected: ['update file /etc/demo/demo.conf', 'restart unit demo.service (input /etc/demo/demo.conf changed)'],
    },
    {
      name: 'mode-only change of an input does not restart',
      resources: [conf, svc],
      facts: withFacts((f) => {
        f.paths[conf.path] = present(conf.path, 'port=1\n', { mode: '0600' });
        f.paths[svc.path] = present(svc.path, svc.content);
        f.units[svc.name] = { name: svc.name, enabled: 'enabled', active: 'active' };
      }),
      expected: ['update file /etc/demo/demo.conf'],
    },
    {
      name: 'inactive unit is started, not restarted',
      resources: [conf, svc],
      facts: withFacts((f) => {
        f.paths[conf.path] = present(conf.path, 'port=2\n');
        f.paths[svc.path] = present(svc.path, svc.content);
        f.units[svc.name] = { name: svc.name, enabled: 'enabled', active: 'failed' };
      }),
      expected: ['update file /etc/demo/demo.conf', 'update unit demo.service'],
    },
    {
      name: 'static unit is not toggled',
      resources: [svc],
      facts: withFacts((f) => {
        f.paths[svc.path] = present(svc.path, svc.content);
        f.units[svc.name] = { name: svc.name, enabled: 'static', active: 'active' };
      }),
      expected: [],
    },
    {
      name: 'undeclared managed file and unit are removed, unit first',
      resources: [],
      facts: withFacts((f) => {
        f.record.managed = [
          { kind: 'file', target: '/etc/old.conf' },
          { kind: 'unit', target: 'old.service' },
        ];
        f.paths['/etc/old.conf'] = present('/etc/old.conf', 'x');
        f.paths[`${UNIT_DIR}/old.service`] = present(`${UNIT_DIR}/old.service`, 'y');
        f.units['old.service'] = { name: 'old.service', enabled: 'enabled', active: 'active' };
      }),
      expected: ['delete unit old.service (no longer declared)', 'delete file /etc/old.conf (no longer declared)'],
    },
    {
      name: 'with --tags, undeclared items are kept',
      resources: [],
      removeUndeclared: false,
      facts: withFacts((f) => {
        f.record.managed = [{ kind: 'file', target: '/etc/old.conf' }];
        f.paths['/etc/old.conf'] = present('/etc/old.conf', 'x');
      }),
      expected: [],
    },
    {
      name: 'a directory or user that existed before nodeform is not removed',
      resources: [],
      facts: withFacts((f) => {
        f.record.managed = [
          { kind: 'directory', target: '/srv/kept' },
          { kind: 'directory', target: '/srv/made' },
          { kind: 'user', target: 'olduser' },
        ];
        f.record.original = [
          { kind: 'directory', target: '/srv/kept', existed: true },
          { kind: 'directory', target: '/srv/made', existed: false },
          { kind: 'user', target: 'olduser', existed: true },
        ];
        f.paths['/srv/kept'] = { path: '/srv/kept', exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root' };
        f.paths['/srv/made'] = { path: '/srv/made', exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root' };
        f.users.olduser = { name: 'olduser', exists: true };
      }),
      expected: ['delete directory /srv/made (no longer declared; removed only if empty (--prune-data removes it with its contents))'],
    },
  ];
  it.each(cases)('$name', ({ resources, facts, expected, removeUndeclared }) => {
    expect(summary(resources, facts, removeUndeclared ?? true)).toEqual(expected);
  });

  it('shows a unified diff of a changed file and records its precondition', () => {
    const facts = withFacts((f) => (f.paths[conf.path] = present(conf.path, 'port=2\n')));
    const [change] = planHost(desired([conf]), facts, { removeUndeclared: true }).changes;
    expect(change?.diff).toBe('@@ -1,1 +1,1 @@\n-port=2\n+port=1\n');
    expect(change?.precondition).toEqual({ exists: true, sha256: sha('port=2\n') });
    expect(change?.after).toEqual({ sha256: sha('port=1\n'), mode: '0644', owner: 'root', group: 'root' });
  });

  it('never shows the content of a secret file', () => {
    const secret = file('/etc/jwt.hex', 'deadbeef', { secret: true, mode: '0640' });
    const facts = withFacts((f) => (f.paths[secret.path] = present(secret.path, 'cafebabe')));
    const plan = planHost(desired([secret]), facts, { removeUndeclared: true });
    const text = JSON.stringify(plan);
    expect(text).not.toContain('deadbeef');
    expect(text).not.toContain('cafebabe');
    expect(plan.changes[0]?.diff).toBeUndefined();
    expect(plan.changes[0]?.attributes.find((a) => a.name === 'content')).toEqual({ name: 'content', before: '(sensitive)', after: '(sensitive)' });
  });

  it('records what it will manage afterwards', () => {
    const plan = planHost(desired([conf, svc]), emptyFacts(), { removeUndeclared: true });
    expect(plan.managedAfter).toEqual([
      { kind: 'file', target: '/etc/demo/demo.conf' },
      { kind: 'unit', target: 'demo.service' },
    ]);
  });
});

describe('probeRequestFor', () => {
  it('asks for content only of non-secret files and unit files', () => {
    const req = probeRequestFor(desired([file('/a', 'x'), file('/b', 'y', { secret: true }), unit('u.service', 'z')]));
    expect(req.paths.map((p) => [p.path, p.wantContent])).toEqual([
      ['/a', true],
      ['/b', false],
      [`${UNIT_DIR}/u.service`, true],
      // The files' directory: only whether it is there.
      ['/', false],
    ]);
    expect(req.units).toEqual(['u.service']);
  });

  it('asks once for each file\'s directory that no directories: entry declares', () => {
    const req = probeRequestFor(desired([dir('/etc/app'), file('/etc/app/a.conf', 'x'), file('/etc/other/b.conf', 'y'), file('/etc/other/c.conf', 'z')]));
    expect(req.paths.map((p) => p.path)).toEqual(['/etc/app', '/etc/app/a.conf', '/etc/other/b.conf', '/etc/other/c.conf', '/etc/other']);
  });
});

describe('a file whose directory the host lacks', () => {
  const facts = (paths: Record<string, boolean>) => {
    const f = emptyFacts();
    for (const [path, exists] of Object.entries(paths)) f.paths[path] = exists ? { path, exists, type: 'directory' } : { path, exists };
    return f;
  };

  it('is not planned (the apply would fail halfway), and the plan says why and what to do', () => {
    const plan = planHost(desired([file('/etc/typo/app.conf', 'x'), file('/etc/app/ok.conf', 'y')]), facts({ '/etc/typo': false, '/etc/app': true }), { removeUndeclared: true });
    expect(plan.changes.map((c) => c.target)).toEqual(['/etc/app/ok.conf']);
    expect(plan.warnings).toEqual([
      '/etc/typo/app.conf is not written: its directory /etc/typo does not exist on the host and no directories: entry makes it; declare /etc/typo under directories: (nodeform then creates it) or change the path',
    ]);
  });

  it('is planned when a directories: entry makes its directory in the same run, or the probe did not look (no fact)', () => {
    const declared = planHost(desired([dir('/etc/typo'), file('/etc/typo/app.conf', 'x')]), facts({ '/etc/typo': false }), { removeUndeclared: true });
    expect(declared.changes.map((c) => `${c.kind} ${c.target}`)).toEqual(['directory /etc/typo', 'file /etc/typo/app.conf']);
    expect(declared.warnings).toEqual([]);
    const unknown = planHost(desired([file('/etc/typo/app.conf', 'x')]), facts({}), { removeUndeclared: true });
    expect(unknown.changes.map((c) => c.target)).toEqual(['/etc/typo/app.conf']);
  });
});

describe('client binaries', () => {
  const binary = (path: string): Resource => ({ kind: 'binary', id: `binary:${path}`, tags: [], path, name: 'geth', minVersion: 'v1.15.6', targetVersion: 'v1.17.5' });
  it.each([
    ['missing', { path: '/b', present: false }, ['geth is not installed at /b: install geth v1.17.5 (v1.15.6 or newer) there, or point the node\'s binary setting at it']],
    ['older', { path: '/b', present: true, versionOutput: 'Geth version 1.10.26-stable' }, ['geth at /b is 1.10.26, older than v1.15.6, the oldest release nodeform\'s flags work with: upgrade it to v1.17.5']],
    ['new enough', { path: '/b', present: true, versionOutput: 'geth version 1.17.5-stable' }, []],
    ['silent', { path: '/b', present: true, versionOutput: '' }, ['geth at /b did not say its version (--version printed "")']],
  ])('%s: the plan warns, and changes nothing', (_name, fact, expected) => {
    const facts = withFacts((f) => (f.binaries = { '/b': fact }));
    const plan = planHost(desired([binary('/b')]), facts, { removeUndeclared: true });
    expect(plan.warnings).toEqual(expected);
    expect(plan.changes).toEqual([]);
    expect(plan.managedAfter).toEqual([]);
  });
  it('asks the probe for the version', () => {
    expect(probeRequestFor(desired([binary('/b')])).binaries).toEqual(['/b']);
  });
});

describe('a file no longer declared that existed before nodeform', () => {
  it('is put back as it was, not deleted', () => {
    const facts = withFacts((f) => {
      f.record.managed = [{ kind: 'file', target: '/etc/pre' }];
      f.record.original = [{ kind: 'file', target: '/etc/pre', existed: true, sha256: sha('before\n'), mode: '0600', owner: 'root', group: 'root' }];
      f.paths['/etc/pre'] = present('/etc/pre', 'managed\n');
    });
    const [change] = planHost(desired([]), facts, { removeUndeclared: true }).changes;
    expect(change).toMatchObject({
      kind: 'file',
      action: 'update',
      target: '/etc/pre',
      reason: 'no longer declared; restored as it was before nodeform',
      content: { from: 'backup', record: 'original' },
      after: { sha256: sha('before\n'), mode: '0600', owner: 'root', group: 'root' },
    });
  });
});

describe('held, volatile lines, notes left on the host, oneshots caught running', () => {
  const env = file('/etc/ethereum/lighthouse.checkpoint.env', '# nodeform\nARGS=--url=https://a\n', { hostNotes: ['# Switched by fallback at '] });
  const svc = unit('lighthouse.service', '[Service]\nExecStart=/bin/true\n', { restartOn: [] });
  const held = 'no trusted checkpoint: 1 of 3 answering providers agree';

  it('a held resource is neither created nor changed nor removed, and the plan says why', () => {
    const facts = withFacts((f) => {
      f.paths[svc.path] = present(svc.path, 'old unit\n');
      f.units[svc.name] = { name: svc.name, enabled: 'enabled', active: 'active' };
      f.record.managed = [{ kind: 'unit', target: svc.name }, { kind: 'file', target: env.path }];
    });
    const plan = planHost(desired([{ ...env, held }, { ...svc, held }]), facts, { removeUndeclared: true });
    expect(plan.changes).toEqual([]);
    expect(plan.held).toEqual([
      { target: `file ${env.path}`, reason: held },
      { target: 'unit lighthouse.service', reason: held },
    ]);
    expect(plan.managedAfter).toEqual(expect.arrayContaining([{ kind: 'unit', target: svc.name }, { kind: 'file', target: env.path }]));
  });

  it('without the hold the same facts are changes', () => {
    const facts = withFacts((f) => (f.paths[svc.path] = present(svc.path, 'old unit\n')));
    expect(summary([env, svc], facts)).toEqual([`create file ${env.path}`, 'update unit lighthouse.service']);
  });

  const conf = file('/etc/nodeform/fallback.conf', '# head\nQUORUM_EPOCH=20\nQUORUM_ROOT=0xbb\nPROVIDER_1=https://a\n', { volatileLines: ['QUORUM_'] });
  it.each([
    ['only volatile lines differ: no change', '# head\nQUORUM_EPOCH=10\nQUORUM_ROOT=0xaa\nPROVIDER_1=https://a\n', []],
    ['a stable line differs too: the whole file is rewritten', '# head\nQUORUM_EPOCH=10\nQUORUM_ROOT=0xaa\nPROVIDER_1=https://b\n', [`update file ${conf.path}`]],
    ['a volatile line missing on the host is a change', '# head\nPROVIDER_1=https://a\n', [`update file ${conf.path}`]],
  ])('%s', (_name, onHost, expected) => {
    expect(summary([conf], withFacts((f) => (f.paths[conf.path] = present(conf.path, onHost))))).toEqual(expected);
  });

  it('a note the on-host fallback left explains the drift', () => {
    const onHost = '# nodeform\n# Switched by fallback at 2026-11-22T10:00:00Z: https://a -> https://b: a is dead\nARGS=--url=https://b\n';
    const plan = planHost(desired([env]), withFacts((f) => (f.paths[env.path] = present(env.path, onHost))), { removeUndeclared: true });
    expect(plan.changes[0]).toMatchObject({ action: 'update', reason: 'changed on the host: Switched by fallback at 2026-11-22T10:00:00Z: https://a -> https://b: a is dead' });
    expect(plan.changes[0]!.diff).toContain('-ARGS=--url=https://b');
  });

  it('a static oneshot caught running (activating) is not drift; one that stays active is', () => {
    const oneshot = unit('fallback.service', '[Service]\nType=oneshot\n', { enabled: false, active: false });
    const at = (active: string) =>
      withFacts((f) => {
        f.paths[oneshot.path] = present(oneshot.path, oneshot.content);
        f.units[oneshot.name] = { name: oneshot.name, enabled: 'static', active };
      });
    expect(summary([oneshot], at('activating'))).toEqual([]);
    expect(summary([oneshot], at('active'))).toEqual(['update unit fallback.service']);
  });
});

describe('a local file (a large source: copy)', () => {
  const local = { ...file('/srv/big.bin', ''), content: '', encoding: 'base64' as const, sha256: 'ab'.repeat(32), local: { path: '/ctl/big.bin', size: 262_144_000, sha256: 'ab'.repeat(32) } };

  it('is hashed by the probe, never read back for a diff', () => {
    expect(probeRequestFor(desired([local])).paths).toEqual([
      { path: '/srv/big.bin', wantSha: 'ab'.repeat(32), wantContent: false },
      { path: '/srv', wantContent: false },
    ]);
  });

  it('shows its size and hash before and after, never a text diff', () => {
    const facts = withFacts((f) => (f.paths[local.path] = { ...present(local.path, 'old text\n'), size: 9 }));
    const [change] = planHost(desired([local]), facts, { removeUndeclared: true }).changes;
    expect(change!.attributes).toEqual([{ name: 'content', before: `sha256:${sha('old text\n').slice(0, 12)} (9 bytes)`, after: `sha256:${'ab'.repeat(6)} (262144000 bytes)` }]);
    expect(change!.diff).toBeUndefined();
  });

  it('the same bytes on the host: no change', () => {
    const facts = withFacts((f) => (f.paths[local.path] = { ...present(local.path, ''), sha256: 'ab'.repeat(32), size: 262_144_000 }));
    expect(planHost(desired([local]), facts, { removeUndeclared: true }).changes).toEqual([]);
  });
});

describe('diffs shared by the hosts of a run', () => {
  const files = Array.from({ length: 50 }, (_, i) => file(`/srv/many/f${i}.conf`, `line one\nfile ${i}\n`));

  it('makes each diff once for every host that gets the same file over the same content, and tells the same diff', () => {
    const diffs = new Map<string, string | undefined>();
    const plans = [1, 2, 3].map(() => planHost(desired(files), emptyFacts(), { removeUndeclared: true, diffs }));
    expect(diffs.size).toBe(files.length);
    const alone = planHost(desired(files), emptyFacts(), { removeUndeclared: true });
    for (const p of plans) expect(p).toEqual(alone);
    expect(alone.changes.find((c) => c.target === '/srv/many/f7.conf')?.diff).toBe('@@ -0,0 +1,2 @@\n+line one\n+file 7\n');
  });

  it('keeps apart the diff of the same file over other content', () => {
    const diffs = new Map<string, string | undefined>();
    const target = file('/srv/many/f1.conf', 'new\n');
    const over = (before: string) => {
      const facts = emptyFacts();
      facts.paths[target.path] = present(target.path, before);
      return planHost(desired([target]), facts, { removeUndeclared: true, diffs }).changes[0]?.diff;
    };
    expect(over('old\n')).toContain('-old');
    expect(over('older\n')).toContain('-older');
    expect(diffs.size).toBe(2);
  });
});

describe('a state-only unit (its file is not nodeform\'s)', () => {
  const old = stateOnlyUnit('checkpoint-monitor.service', { enabled: false, active: false }, ['monitoring']);
  const onHost = (enabled: string, active: string, file = true) =>
    withFacts((f) => {
      if (file) f.paths[old.path] = present(old.path, '[Service]\nExecStart=/opt/old/monitor.sh\n');
      f.units[old.name] = { name: old.name, enabled, active };
    });

  it('asks systemd for its state and nothing of a file the plan never reads', () => {
    const req = probeRequestFor(desired([old]));
    expect(req.units).toEqual(['checkpoint-monitor.service']);
    expect(req.paths).toEqual([]);
  });

  it('enabled and running: stopped and disabled, its file left alone (no content, no after), never in the record', () => {
    const facts = onHost('enabled', 'active');
    const plan = planHost(desired([old]), facts, { removeUndeclared: true });
    expect(plan.changes).toEqual([
      {
        kind: 'unit',
        action: 'update',
        target: 'checkpoint-monitor.service',
        reason: "stop, disable; its unit file is not nodeform's and stays as it is",
        attributes: [
          { name: 'enabled', before: 'true', after: 'false' },
          { name: 'active', before: 'true', after: 'false' },
        ],
        secret: false,
        precondition: { exists: true, sha256: facts.paths[old.path]!.sha256 },
        unit: { enabled: false, active: false },
      },
    ]);
    expect(plan.managedAfter).toEqual([]);
  });

  it('a unit whose file is elsewhere (a package\'s): its state alone, the file in /etc/systemd/system expected absent', () => {
    const [change] = planHost(desired([old]), onHost('enabled', 'active', false), { removeUndeclared: true }).changes;
    expect(change).toMatchObject({ action: 'update', precondition: { exists: false }, unit: { enabled: false, active: false } });
  });

  it('missing from the host, or already as declared: nothing to do, nothing said', () => {
    expect(summary([old], emptyFacts())).toEqual([]);
    expect(summary([old], withFacts((f) => (f.units[old.name] = { name: old.name, enabled: 'not-found', active: 'inactive' })))).toEqual([]);
    expect(summary([old], onHost('disabled', 'inactive'))).toEqual([]);
    expect(planHost(desired([old]), onHost('disabled', 'failed'), { removeUndeclared: true }).changes).toEqual([]);
  });

  it('manages only what it gives: active alone leaves enablement as it is', () => {
    const stopOnly = stateOnlyUnit('x.service', { active: false }, []);
    const facts = withFacts((f) => (f.units['x.service'] = { name: 'x.service', enabled: 'enabled', active: 'active' }));
    const [change] = planHost(desired([stopOnly]), facts, { removeUndeclared: true }).changes;
    expect(change!.attributes).toEqual([{ name: 'active', before: 'true', after: 'false' }]);
    expect(change!.unit).toEqual({ enabled: true, active: false });
    expect(change!.reason).toMatch(/^stop;/);
  });

  it('a unit nodeform manages elsewhere is not removed because a state-only declaration names another', () => {
    const facts = onHost('enabled', 'active');
    facts.record.managed = [{ kind: 'unit', target: 'gone.service' }];
    facts.paths[`${UNIT_DIR}/gone.service`] = present(`${UNIT_DIR}/gone.service`, 'x');
    expect(summary([old], facts)).toEqual(["update unit checkpoint-monitor.service (stop, disable; its unit file is not nodeform's and stays as it is)", 'delete unit gone.service (no longer declared)']);
  });
});
