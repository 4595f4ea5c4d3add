// The apply script builder (src/apply/script.ts): its shape, its order, and its quoting. Pure: the script is
// text here; sh only parses it (sh -n) or splits one of its lines into words, never runs it. Running it is
// test/host/scripts.test.ts and the lab's.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildApplyScript, EXIT_DRIFT, managedLines, ScriptMemo, STAGE_THRESHOLD, stageCommand, stagedContent, type ScriptOptions } from '../../../src/apply/script.js';
import { UNIT_DIR } from '../../../src/model/types.js';
import type { Change, HostPlan } from '../../../src/model/plan.js';
import type { Facts, Resource } from '../../../src/model/types.js';
import { planHost } from '../../../src/plan/compute.js';
import { stateOnlyUnit } from '../../../src/node/builders.js';
import { desired, emptyFacts, file, present, sha, unit } from '../helpers.js';

const options: ScriptOptions = { stateDir: '/var/lib/nodeform', runId: 'r1', controller: 'me@ctl', lockTimeoutSeconds: 30, keepGenerations: 5, action: 'apply' };

function plan(resources: Resource[], facts: Facts = emptyFacts()): HostPlan {
  return planHost(desired(resources), facts, { removeUndeclared: true });
}
function build(resources: Resource[], facts?: Facts, opts: ScriptOptions = options) {
  return buildApplyScript(plan(resources, facts), desired(resources), opts);
}
/** The script's body: the commands main() runs after its helpers, in order (heredoc data left out). */
function body(script: string): string[] {
  const lines = script.split('\n');
  const start = lines.findIndex((l) => l === '  lock');
  const commands: string[] = [];
  let inHeredoc = false;
  for (const line of lines.slice(start, lines.lastIndexOf('}'))) {
    if (inHeredoc) inHeredoc = line !== 'NODEFORM_EOF';
    else {
      commands.push(line.trim());
      inHeredoc = line.endsWith(" <<'NODEFORM_EOF'");
    }
  }
  return commands;
}
/** The words sh makes of a line (its command and arguments), without running the command. */
function words(line: string): string[] {
  const r = spawnSync('sh', ['-c', `set -- ${line.replace(/ <<'NODEFORM_EOF'$/, '')}; printf '%s\\0' "$@"`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}
const parses = (script: string) => spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' }).status === 0;

const conf = file('/etc/demo/demo.conf', 'port=1\n', { mode: '0640', group: 'demo' });
const svc = unit('demo.service', '[Service]\nExecStart=/bin/true\n', { restartOn: ['/etc/demo/demo.conf'] });
const running = (f: Facts) => {
  f.paths[svc.path] = present(svc.path, svc.content);
  f.units[svc.name] = { name: svc.name, enabled: 'enabled', active: 'active' };
};
const withFacts = (mutate: (f: Facts) => void): Facts => {
  const f = emptyFacts();
  mutate(f);
  return f;
};

describe('the script is one function called on its last line', () => {
  const scripts: [string, Resource[], Facts?][] = [
    ['one new file', [conf]],
    ['a file and a unit', [conf, svc]],
    ['no changes', [conf], withFacts((f) => (f.paths[conf.path] = present(conf.path, conf.content, { mode: '0640', group: 'demo' })))],
    ['a restart only', [conf, svc], withFacts((f) => (running(f), (f.paths[conf.path] = present(conf.path, 'port=0\n', { mode: '0640', group: 'demo' }))))],
  ];

  it.each(scripts)('%s: main() { ... } then main "$@", and sh parses it', (_name, resources, facts) => {
    const { script } = build(resources, facts);
    const lines = script.split('\n');
    expect(lines[0]).toBe('main() {');
    expect(lines.slice(-3)).toEqual(['}', 'main "$@"', '']);
    expect(parses(script)).toBe(true);
  });

  it.each(scripts)('%s: cut off anywhere before its last line, it runs nothing (a syntax error, or main never called)', (_name, resources, facts) => {
    const { script } = build(resources, facts);
    const lines = script.split('\n');
    const call = lines.lastIndexOf('main "$@"');
    for (let cut = 1; cut < call; cut += Math.max(1, Math.floor(call / 40))) {
      const partial = lines.slice(0, cut).join('\n');
      expect(!parses(partial) || !/^main "\$@"$/m.test(partial), `cut after line ${cut}`).toBe(true);
    }
  });

  it('passes its settings as arguments, each quoted', () => {
    const { command } = build([conf], undefined, { ...options, stateDir: '/srv/state dir', controller: "o'brien@ctl; rm -rf /" });
    expect(command.startsWith('sh -s -- ')).toBe(true);
    expect(words(command.slice('sh -s -- '.length))).toEqual(['/srv/state dir', 'r1', "o'brien@ctl; rm -rf /", '30', '5', 'apply', '1']);
  });
});

describe('order: lock, every precondition, backups, the sealed record, then writes', () => {
  const WRITES = /^(put|stage|gen|restore|attrs|del|mkd|rmtree|rmd|uadd|umod|udel|gdel|wipe|ustop|sctl|rm -f)\b/;
  const cases: [string, Resource[], Facts?][] = [
    ['new file and unit', [conf, svc]],
    ['changed file restarts the unit', [conf, svc], withFacts((f) => (running(f), (f.paths[conf.path] = present(conf.path, 'port=0\n'))))],
    ['a file no longer declared', [], withFacts((f) => ((f.record.managed = [{ kind: 'file', target: '/etc/old' }]), (f.paths['/etc/old'] = present('/etc/old', 'x'))))],
    [
      'users and directories',
      [
        { kind: 'user', id: 'user:demo', tags: [], name: 'demo', system: true, groups: [], shell: '/usr/sbin/nologin' },
        { kind: 'directory', id: 'directory:/etc/demo', tags: [], path: '/etc/demo', mode: '0750', owner: 'root', group: 'demo' },
        conf,
      ] as Resource[],
    ],
  ];

  it.each(cases)('%s', (_name, resources, facts) => {
    const commands = body(build(resources, facts).script);
    expect(commands[0]).toBe('lock');
    const guard = commands.indexOf(`[ "$DRIFT" = 0 ] || exit ${EXIT_DRIFT}`);
    const begin = commands.indexOf('begin');
    expect(guard).toBeGreaterThan(0);
    expect(begin).toBe(guard + 1);
    const pre = commands.map((c, i) => (c.startsWith('pre_') ? i : -1)).filter((i) => i >= 0);
    const writes = commands.map((c, i) => (WRITES.test(c) ? i : -1)).filter((i) => i >= 0);
    const backups = commands.map((c, i) => (c.startsWith('bk_') ? i : -1)).filter((i) => i >= 0);
    expect(pre.length).toBeGreaterThan(0);
    expect(writes.length).toBeGreaterThan(0);
    expect(Math.max(...pre)).toBeLessThan(guard);
    expect(Math.min(...backups)).toBeGreaterThan(begin);
    // The record (backups, new managed list, completion line) is on disk before the first change.
    const seal = commands.findIndex((c) => c.startsWith('seal '));
    expect(seal).toBeGreaterThan(Math.max(...backups));
    expect(seal).toBeLessThan(Math.min(...writes.filter((i) => !commands[i]!.startsWith('rm -f'))));
    expect(commands.at(-1)).toBe('finish');
  });

  it('checks a precondition for every change but restarts', () => {
    const facts = withFacts((f) => (running(f), (f.paths[conf.path] = present(conf.path, 'port=0\n'))));
    const p = plan([conf, svc], facts);
    expect(p.changes.map((c) => c.action)).toEqual(['update', 'restart']);
    const pre = body(buildApplyScript(p, desired([conf, svc]), options).script).filter((c) => c.startsWith('pre_'));
    expect(pre.map(words)).toEqual([['pre_file', conf.path, sha('port=0\n')]]);
    // The backup is named by the hash pre_file checks, not by reading the file again.
    const bk = body(buildApplyScript(p, desired([conf, svc]), options).script).filter((c) => c.startsWith('bk_file '));
    expect(bk.map(words)).toEqual([['bk_file', conf.path, '-', sha('port=0\n')]]);
  });

  it.each<[string, Partial<Change>, string[]]>([
    ['a file expected absent', { kind: 'file', precondition: { exists: false } }, ['pre_file', '/x', 'absent']],
    ['a file with its hash', { kind: 'file', precondition: { exists: true, sha256: 'ab' } }, ['pre_file', '/x', 'ab']],
    ['a unit file by its path', { kind: 'unit', target: 'x.service', precondition: { exists: true, sha256: 'cd' } }, ['pre_file', `${UNIT_DIR}/x.service`, 'cd']],
    ['a directory', { kind: 'directory', precondition: { exists: true } }, ['pre_dir', '/x', 'present']],
    ['a user expected absent', { kind: 'user', target: 'demo', precondition: { exists: false } }, ['pre_user', 'demo', 'absent']],
    ['a generated secret', { kind: 'file', precondition: { exists: false }, content: { from: 'generate', kind: 'hex32' } }, ['pre_exists', '/x', 'absent']],
  ])('precondition of %s', (_name, extra, expected) => {
    const change: Change = { kind: 'file', action: 'delete', target: '/x', attributes: [], secret: false, precondition: { exists: false }, ...extra };
    const { script } = buildApplyScript({ host: 'h1', changes: [change], warnings: [], managedAfter: [] }, undefined, options);
    expect(words(body(script).find((c) => c.startsWith('pre_'))!)).toEqual(expected);
  });
});

describe('hostile paths are quoted, never interpreted', () => {
  const hostile = [
    '/srv/a b/c.conf',
    "/srv/it's.conf",
    '/srv/$(touch /tmp/pwned).conf',
    '/srv/`id`.conf',
    '/srv/a;b&c|d.conf',
    '/srv/*?[x].conf',
    '/srv/"quoted"\\back.conf',
    '/srv/-leading-dash',
    '/srv/~tilde/$HOME/${IFS}.conf',
  ];

  it.each(hostile)('%s: every line naming it gives sh exactly that word', (path) => {
    const resource = file(path, 'x\n', { owner: "o'wn er", group: 'g$(id)' });
    const commands = body(build([resource]).script);
    const naming = commands.filter((c) => c.includes('/srv/') && !c.startsWith('stale '));
    expect(naming.map((c) => c.split(' ')[0])).toEqual(['pre_file', 'bk_file', 'put', 'chk']);
    expect(words(naming[0]!)).toEqual(['pre_file', path, 'absent']);
    expect(words(naming[1]!)).toEqual(['bk_file', path]);
    expect(words(naming[2]!)).toEqual(['put', path, '0644', "o'wn er", 'g$(id)', sha('x\n')]);
    expect(words(naming[3]!)).toEqual(['chk', path, sha('x\n')]);
    expect(commands.filter((c) => c.startsWith('stale ')).map(words)).toEqual([['stale', path.slice(0, path.lastIndexOf('/'))]]);
  });

  it.each(hostile)('%s: the whole script still parses', (path) => {
    expect(parses(build([file(path, 'x\n')]).script)).toBe(true);
  });

  it('carries content as base64 in a quoted heredoc, whatever the content says', () => {
    const content = "NODEFORM_EOF\n$(rm -rf /)\n`id`\n'\"\n";
    const { script } = build([file('/srv/a', content)]);
    const put = script.split('\n').findIndex((l) => l.trim().startsWith('put '));
    expect(script.split('\n')[put]!.endsWith(" <<'NODEFORM_EOF'")).toBe(true);
    const lines = script.split('\n').slice(put + 1);
    const data = lines.slice(0, lines.indexOf('NODEFORM_EOF')).join('');
    expect(Buffer.from(data, 'base64').toString('utf8')).toBe(content);
    expect(script).not.toContain('rm -rf /');
  });
});

describe('what the script does for each kind of change', () => {
  it.each<[string, Resource[], Facts | undefined, (commands: string[]) => void]>([
    ['a new unit file: daemon-reload, enable, start, then checks it runs', [svc], undefined, (c) => {
      const at = (s: string) => c.indexOf(s);
      expect(at(`put ${svc.path} 0644 root root ${svc.sha256} <<'NODEFORM_EOF'`)).toBeGreaterThan(0);
      expect(at('sctl daemon-reload')).toBeGreaterThan(at(`put ${svc.path} 0644 root root ${svc.sha256} <<'NODEFORM_EOF'`));
      expect(at('sctl enable -- demo.service')).toBeGreaterThan(at('sctl daemon-reload'));
      expect(at('sctl start -- demo.service')).toBeGreaterThan(at('sctl enable -- demo.service'));
      expect(at('chk_active demo.service active')).toBeGreaterThan(at('sctl start -- demo.service'));
    }],
    ['a changed input: restart, no daemon-reload', [conf, svc], withFacts((f) => (running(f), (f.paths[conf.path] = present(conf.path, 'port=0\n', { mode: '0640', group: 'demo' })))), (c) => {
      expect(c).toContain('sctl restart -- demo.service');
      expect(c).not.toContain('sctl daemon-reload');
    }],
    ['a mode change only: attrs, no content sent', [conf], withFacts((f) => (f.paths[conf.path] = present(conf.path, conf.content))), (c) => {
      expect(c.filter((x) => /^(put|attrs) /.test(x))).toEqual([`attrs ${conf.path} 0640 root demo`]);
    }],
    ['a file no longer declared is removed', [], withFacts((f) => ((f.record.managed = [{ kind: 'file', target: '/etc/old' }]), (f.paths['/etc/old'] = present('/etc/old', 'x')))), (c) => {
      expect(c).toContain('del /etc/old');
    }],
    ['stale temp files of a cut-off run go, in each written directory once', [conf, file('/etc/demo/other', 'y')], undefined, (c) => {
      expect(c.filter((x) => x.startsWith('stale '))).toEqual(['stale /etc/demo']);
    }],
  ])('%s', (_name, resources, facts, check) => {
    check(body(build(resources, facts).script));
  });

  it('with --up-for, the units it starts or restarts are checked once, that long after, for staying up; a stop is checked at once', () => {
    const stopped = { ...svc, name: 'stopped.service', path: '/etc/systemd/system/stopped.service', active: false };
    const c = body(build([conf, svc, stopped], undefined, { ...options, upForSeconds: 3 }).script);
    expect(c.filter((x) => /^(chk_active|up_for) /.test(x))).toEqual(['chk_active stopped.service inactive', 'up_for 3 demo.service']);
    expect(c.indexOf('up_for 3 demo.service')).toBeGreaterThan(c.indexOf('sctl start -- demo.service'));
    // 0 (or none): checked right after the start only.
    expect(body(build([conf, svc]).script).filter((x) => /^(chk_active|up_for) /.test(x))).toEqual(['chk_active demo.service active']);
  });

  it('a generated secret is made on the host and never read back', () => {
    const jwt = file('/etc/jwt.hex', '', { mode: '0600', secret: true, generate: 'hex32' });
    const p = plan([jwt]);
    const commands = body(buildApplyScript(p, desired([jwt]), options).script);
    if (p.changes[0]?.content?.from !== 'generate') throw new Error(`expected a generated file, got ${JSON.stringify(p.changes[0])}`);
    expect(commands.filter((c) => c.includes('/etc/jwt.hex')).map((c) => c.split(' ')[0])).toEqual(['pre_exists', 'bk_file', 'gen', "NOHASH='|/etc/jwt.hex|'"]);
    // NOHASH: the record of what the apply left (STATE/applied, for nodeform drift) does not hash it either.
    expect(commands.at(-1)).toBe('finish');
  });

  it('a file over the stage threshold is uploaded first and staged, not inlined', () => {
    const big = file('/srv/big.bin', 'a'.repeat(STAGE_THRESHOLD + 1));
    const p = plan([big]);
    expect([...stagedContent(p, desired([big])).keys()]).toEqual([big.sha256]);
    const commands = body(buildApplyScript(p, desired([big]), options).script);
    expect(commands).toContain(`stage /srv/big.bin 0644 root root ${big.sha256} ${STAGE_THRESHOLD + 1} 1`);
    expect(commands.some((c) => c.startsWith('put '))).toBe(false);
    // Moved into place at its last use: read back by its size (its hash was checked as it arrived), not hashed again.
    expect(commands).toContain(`chks /srv/big.bin ${STAGE_THRESHOLD + 1} ${big.sha256}`);
    expect(commands.some((c) => c.startsWith('chk /srv/big.bin'))).toBe(false);
    expect(commands.at(-1)).toBe(`unstage ${big.sha256}`);
  });

  it('one upload for two paths of the same bytes: copied (and hashed) at the first, moved at the last', () => {
    const a = file('/srv/a.bin', 'b'.repeat(STAGE_THRESHOLD + 1));
    const b = file('/srv/b.bin', 'b'.repeat(STAGE_THRESHOLD + 1));
    const p = plan([a, b]);
    expect(stagedContent(p, desired([a, b])).size).toBe(1);
    const commands = body(buildApplyScript(p, desired([a, b]), options).script);
    expect(commands).toContain(`stage /srv/a.bin 0644 root root ${a.sha256} ${STAGE_THRESHOLD + 1} 0`);
    expect(commands).toContain(`stage /srv/b.bin 0644 root root ${b.sha256} ${STAGE_THRESHOLD + 1} 1`);
    expect(commands).toContain(`chk /srv/a.bin ${a.sha256}`);
    expect(commands).toContain(`chks /srv/b.bin ${STAGE_THRESHOLD + 1} ${b.sha256}`);
  });

  it('a local file is always staged, whatever its size, and never inlined', () => {
    const local = { ...file('/srv/small.bin', ''), content: '', encoding: 'base64' as const, sha256: 'cd'.repeat(32), local: { path: '/ctl/small.bin', size: 10, sha256: 'cd'.repeat(32) } };
    const p = plan([local]);
    expect(stagedContent(p, desired([local])).get(local.sha256)).toEqual({ local: local.local });
    const commands = body(buildApplyScript(p, desired([local]), options).script);
    expect(commands).toContain(`stage /srv/small.bin 0644 root root ${local.sha256} 10 1`);
    expect(commands.some((c) => c.startsWith('put '))).toBe(false);
  });

  it('a file at the threshold is inlined', () => {
    const edge = file('/srv/edge.bin', 'a'.repeat(STAGE_THRESHOLD));
    expect(stagedContent(plan([edge]), desired([edge])).size).toBe(0);
  });

  it('stageCommand quotes its state dir and checks the upload hash', () => {
    const command = stageCommand("/srv/st'ate", 'ab'.repeat(32), 5, 10, true);
    expect(command.startsWith('sh -c ')).toBe(true);
    expect(words(command.slice('sh -c '.length))).toEqual([expect.stringContaining('sha256sum'), 'sh', "/srv/st'ate", 'ab'.repeat(32), '5', '10', '1']);
    expect(words(stageCommand('/s', 'ab'.repeat(32), 0, 10, false).slice('sh -c '.length)).at(-1)).toBe('0');
  });

  it('refuses a content change whose content it does not have', () => {
    expect(() => buildApplyScript(plan([conf]), desired([]), options)).toThrow(/no declared content for \/etc\/demo\/demo.conf/);
  });
});

describe('managedLines', () => {
  it.each([
    [[], ''],
    [[{ kind: 'file', target: '/a' }], 'file\t/a'],
    [[{ kind: 'file', target: '/a' }, { kind: 'unit', target: 'u' }, { kind: 'file', target: '/a' }], 'file\t/a\nunit\tu'],
    [[{ kind: 'file', target: 'x' }, { kind: 'directory', target: 'x' }], 'file\tx\ndirectory\tx'],
  ] as const)('%j', (entries, text) => {
    expect(managedLines([...entries])).toBe(text);
  });
});

describe('many files on many hosts', () => {
  const many = (rev: string) => Array.from({ length: 2000 }, (_, i) => file(`/srv/many/d${i % 10}/f${i}.conf`, `file ${i} ${rev}\n`));

  it('packs the same files and lists once for all the hosts of a run that get them, apart for a host that gets others', () => {
    const memo = new ScriptMemo();
    const first = buildApplyScript(plan(many('a')), desired(many('a')), options, memo).script;
    const packedForOne = memo.packed;
    expect(packedForOne).toBeGreaterThan(0);
    expect(first).toContain('put_many "$W/put"');
    expect(first.length).toBeLessThan(400_000); // 2,000 files and their lists, gzipped (the tar alone is 2.7 MB as base64)
    for (let host = 2; host <= 3; host++) expect(buildApplyScript(plan(many('a')), desired(many('a')), options, memo).script).toBe(first);
    expect(memo.packed).toBe(packedForOne);
    // Other content: its own archive (and the lists that name its hashes), the same lists of paths.
    const other = buildApplyScript(plan(many('b')), desired(many('b')), options, memo).script;
    expect(other).not.toBe(first);
    expect(memo.packed).toBeGreaterThan(packedForOne);
    expect(memo.packed).toBeLessThan(2 * packedForOne);
    // Without a shared memo each host packs its own, the same script.
    expect(buildApplyScript(plan(many('a')), desired(many('a')), options).script).toBe(first);
  });
});

describe('a state-only unit (its file is not nodeform\'s)', () => {
  const old = stateOnlyUnit('checkpoint-monitor.service', { enabled: false, active: false }, []);
  const text = '[Service]\nExecStart=/opt/old/monitor.sh\n';
  const facts = withFacts((f) => {
    f.paths[old.path] = present(old.path, text);
    f.units[old.name] = { name: old.name, enabled: 'enabled', active: 'active' };
  });

  it('is checked, backed up with its state, disabled and stopped, then checked inactive: its file neither written nor removed, no daemon-reload', () => {
    const { script } = build([old], facts);
    expect(parses(script)).toBe(true);
    const commands = body(script);
    expect(commands.filter((c) => /^(pre_\w+|bk_\w+|sctl|chk_active|put|stage|del|restore|attrs|ustop)\b/.test(c)).map(words)).toEqual([
      ['pre_file', old.path, sha(text)],
      ['bk_unit', old.name],
      ['sctl', 'disable', '--', old.name],
      ['sctl', 'stop', '--', old.name],
      ['chk_active', old.name, 'inactive'],
    ]);
    // Not in nodeform's record of what it manages: a later plan without it never removes the file.
    expect(script).toContain(`seal <<'NODEFORM_EOF'\n\nNODEFORM_EOF`);
  });
});
