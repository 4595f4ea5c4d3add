// The facts probe run for real by /bin/sh over real files with awkward names: it notes every path with shell
// builtins and stats and hashes them all in one stat and one sha256sum, so names must survive that batching.
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProbe, DIFF_CONTENT_LIMIT, type ProbeRequest } from '../../src/facts/probe.js';
import { gatherFacts } from '../../src/facts/gather.js';
import { parseFacts } from '../../src/facts/parse.js';
import { openLocal } from '../../src/transport/local.js';
import type { Facts, LockInfo, PathFact } from '../../src/model/types.js';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const WRONG = 'f'.repeat(64);

let root: string;
let facts: Facts;
let stdout: string;
const big = Buffer.alloc(DIFF_CONTENT_LIMIT + 1, 'x');
const files: Record<string, string | Buffer> = {
  'plain.conf': 'a=1\n',
  'same.conf': 'same\n',
  'with space.conf': 'space\n',
  'back\\slash.conf': 'backslash\n',
  'star*[x]?.conf': 'glob\n',
  "quote'and\"dollar$HOME.conf": 'quotes\n',
  'double  space.conf': 'two spaces\n',
  'empty.conf': '',
  'big.bin': big,
  'secret.hex': 'shh\n',
  'asked twice.conf': 'twice\n',
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'nodeform-probe-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), content, { mode: 0o640 });
  mkdirSync(join(root, 'dir with space'), { mode: 0o2750 });
  symlinkSync('plain.conf', join(root, 'link'));
  const at = (name: string) => join(root, name);
  const request: ProbeRequest = {
    stateDir: join(root, 'state'),
    paths: [
      { path: at('plain.conf'), wantSha: WRONG, wantContent: true },
      { path: at('same.conf'), wantSha: sha('same\n'), wantContent: true },
      { path: at('with space.conf'), wantSha: WRONG, wantContent: true },
      { path: at('back\\slash.conf'), wantSha: WRONG, wantContent: true },
      { path: at('star*[x]?.conf'), wantSha: WRONG, wantContent: true },
      { path: at("quote'and\"dollar$HOME.conf"), wantSha: WRONG, wantContent: true },
      { path: at('double  space.conf'), wantSha: WRONG, wantContent: true },
      { path: at('empty.conf'), wantSha: WRONG, wantContent: true },
      { path: at('big.bin'), wantSha: WRONG, wantContent: true },
      { path: at('secret.hex'), wantContent: false, noHash: true },
      { path: at('asked twice.conf'), wantSha: WRONG, wantContent: false },
      { path: at('asked twice.conf'), wantSha: WRONG, wantContent: true }, // the first request counts
      { path: at('dir with space'), wantContent: false },
      { path: at('link'), wantContent: false },
      { path: at('missing'), wantSha: WRONG, wantContent: true },
    ],
    units: [],
    users: [],
  };
  const probe = buildProbe(request);
  const r = spawnSync('/bin/sh', ['-c', probe.command], { input: probe.script, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  stdout = r.stdout;
  facts = parseFacts('h1', stdout);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function expected(name: string, extra: Partial<PathFact> = {}): PathFact {
  const path = join(root, name);
  const st = lstatSync(path);
  const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : 'file';
  const user = userInfo().username;
  const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
  return { path, exists: true, type, mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), owner: user, group, size: st.size, ...extra };
}

describe('the facts probe under /bin/sh', () => {
  const withContent = (name: string) => {
    const content = files[name] as string;
    return expected(name, { sha256: sha(content), content: Buffer.from(content).toString('base64') });
  };

  it.each([
    ['a changed file comes with its bytes', 'plain.conf', () => withContent('plain.conf')],
    ['a file as wanted comes without', 'same.conf', () => expected('same.conf', { sha256: sha('same\n') })],
    ['a name with a space', 'with space.conf', () => withContent('with space.conf')],
    ['a name with a backslash (hashed on its own)', 'back\\slash.conf', () => withContent('back\\slash.conf')],
    ['a name with glob characters (not expanded)', 'star*[x]?.conf', () => withContent('star*[x]?.conf')],
    ['a name with quotes and a dollar', "quote'and\"dollar$HOME.conf", () => withContent("quote'and\"dollar$HOME.conf")],
    ['a name with two spaces (sha256sum separates with two)', 'double  space.conf', () => withContent('double  space.conf')],
    ['an empty file', 'empty.conf', () => expected('empty.conf', { sha256: sha(''), content: '' })],
    ['a changed file too large for a diff: hash only', 'big.bin', () => expected('big.bin', { sha256: sha(big) })],
    ['a host-made secret: never hashed', 'secret.hex', () => expected('secret.hex')],
    ['a path asked twice: the first request counts', 'asked twice.conf', () => expected('asked twice.conf', { sha256: sha('twice\n') })],
    ['a setgid directory', 'dir with space', () => expected('dir with space')],
    ['a symlink, not followed', 'link', () => expected('link')],
    ['a missing path', 'missing', () => ({ path: join(root, 'missing'), exists: false })],
  ])('%s', (_title, name, want) => {
    expect(facts.paths[join(root, name)]).toEqual(want());
  });

  it('never sends the secret', () => {
    expect(stdout).not.toContain(sha('shh\n'));
    expect(stdout).not.toContain(Buffer.from('shh\n').toString('base64'));
  });
});

describe('unit states in the probe (a stand-in systemctl on PATH; the lab tests use real systemd)', () => {
  // `systemctl show -p ...` as systemd 252 prints it: a block per unit, in argument order, blank lines between.
  const FAKE = `#!/bin/sh
cmd=$1; shift
[ -n "\${FAKE_DOWN:-}" ] && { echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2; exit 1; }
echo "$cmd $*" >> "$FAKE_LOG"
[ "$cmd" = show ] || exit 1
while [ "$1" != -- ]; do shift; done; shift
first=1
for u in "$@"; do
  [ $first = 1 ] || echo; first=0
  case $u in
    a.service) printf 'LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n' ;;
    b.service) printf 'LoadState=loaded\nActiveState=failed\nUnitFileState=static\n' ;;
    m.service) printf 'LoadState=masked\nActiveState=inactive\nUnitFileState=masked\n' ;;
    *) printf 'LoadState=not-found\nActiveState=inactive\nUnitFileState=\n' ;;
  esac
done
`;

  function probeUnits(env: Record<string, string>): { facts: Facts; calls: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-units-'));
    try {
      writeFileSync(join(dir, 'systemctl'), FAKE, { mode: 0o755 });
      const state = join(dir, 'state');
      mkdirSync(state);
      // The managed list names units too: each is still asked about once.
      writeFileSync(join(state, 'managed'), 'unit\tb.service\nunit\tc.service\n');
      const probe = buildProbe({ stateDir: state, paths: [], units: ['a.service', 'b.service', 'gone.service', 'a.service', 'm.service'], users: [] });
      const log = join(dir, 'calls');
      writeFileSync(log, '');
      const r = spawnSync('/bin/sh', ['-c', probe.command], {
        input: probe.script,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, FAKE_LOG: log, ...env },
      });
      expect(r.status, r.stderr).toBe(0);
      return { facts: parseFacts('h1', r.stdout), calls: readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('asks systemd once for every unit, and names states as is-enabled and is-active do', () => {
    const { facts, calls } = probeUnits({});
    expect(facts.units).toEqual({
      'a.service': { name: 'a.service', enabled: 'enabled', active: 'active' },
      'b.service': { name: 'b.service', enabled: 'static', active: 'failed' },
      'gone.service': { name: 'gone.service', enabled: 'not-found', active: 'inactive' },
      'm.service': { name: 'm.service', enabled: 'masked', active: 'inactive' },
      'c.service': { name: 'c.service', enabled: 'not-found', active: 'inactive' },
    });
    expect(calls).toEqual(['show -p LoadState -p UnitFileState -p ActiveState -- a.service b.service gone.service m.service c.service']);
  });

  it('without a working systemd every unit is unknown and not found', () => {
    const { facts } = probeUnits({ FAKE_DOWN: '1' });
    expect(Object.values(facts.units).map((u) => [u.name, u.enabled, u.active])).toEqual([
      ['a.service', 'not-found', 'unknown'],
      ['b.service', 'not-found', 'unknown'],
      ['gone.service', 'not-found', 'unknown'],
      ['m.service', 'not-found', 'unknown'],
      ['c.service', 'not-found', 'unknown'],
    ]);
  });
});

describe('how much of the host record the probe reads', () => {
  // A record as the apply script leaves it: managed a.conf (declared again) and gone.conf (no longer declared),
  // originals of those and of old.conf (managed long ago), a last generation's entries and managed list.
  const key = (kind: string, target: string) => sha(`${kind}\t${target}\n`);
  function run(record: 'current' | 'all'): { facts: Facts; stdout: string } {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-record-'));
    try {
      const state = join(dir, 'state');
      const at = (name: string) => join(dir, name);
      for (const name of ['a.conf', 'gone.conf', 'old.conf']) writeFileSync(at(name), `${name}\n`);
      mkdirSync(join(state, 'original'), { recursive: true });
      mkdirSync(join(state, 'generations', '000007'), { recursive: true });
      writeFileSync(join(state, 'managed'), `file\t${at('a.conf')}\nfile\t${at('gone.conf')}\ts\n`);
      for (const name of ['a.conf', 'gone.conf', 'old.conf']) {
        writeFileSync(join(state, 'original', key('file', at(name))), `file\t${at(name)}\t0\t-\t-\t-\t-\t-\t-\t-\n`);
      }
      writeFileSync(join(state, 'generations', '000007', 'meta'), '7\tapply\t2026-01-01T00:00:00Z\t2026-01-01T00:00:01Z\t1\t1\tops@ci\n');
      writeFileSync(join(state, 'generations', '000007', 'entries'), `file\t${at('old.conf')}\t1\t${sha('x')}\t644\troot\troot\t-\t-\t-\n`);
      writeFileSync(join(state, 'generations', '000007', 'managed.before'), `file\t${at('old.conf')}\n`);
      const probe = buildProbe({ stateDir: state, paths: [{ path: at('a.conf'), wantSha: sha('a.conf\n'), wantContent: true }], units: [], users: [], record });
      const r = spawnSync('/bin/sh', ['-c', probe.command], { input: probe.script, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return { facts: parseFacts('h1', r.stdout.replaceAll(dir, '/D')), stdout: r.stdout.replaceAll(dir, '/D') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a plan reads what is declared and what is managed, and only the originals of what must go', () => {
    const { facts, stdout } = run('current');
    expect(facts.record.managed).toEqual([{ kind: 'file', target: '/D/a.conf' }, { kind: 'file', target: '/D/gone.conf', secret: true }]);
    expect(facts.record.original.map((o) => o.target)).toEqual(['/D/gone.conf']);
    expect(Object.keys(facts.paths).sort()).toEqual(['/D/a.conf', '/D/gone.conf']);
    // A secret no longer declared: its keyed digest, for the removal's precondition.
    expect(facts.paths['/D/gone.conf']?.keyedSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(facts.record.generations.map((g) => g.id)).toEqual([7]);
    expect(facts.record.last).toEqual({ id: 7, entries: [], managedBefore: [] });
    expect(stdout).not.toMatch(/^[EQ]\t/m);
  });

  it('reset and history read the whole record, and look at every target in it', () => {
    const { facts } = run('all');
    expect(facts.record.original.map((o) => o.target).sort()).toEqual(['/D/a.conf', '/D/gone.conf', '/D/old.conf']);
    expect(facts.record.last?.entries.map((e) => e.target)).toEqual(['/D/old.conf']);
    expect(facts.record.last?.managedBefore).toEqual([{ kind: 'file', target: '/D/old.conf' }]);
    expect(Object.keys(facts.paths).sort()).toEqual(['/D/a.conf', '/D/gone.conf', '/D/old.conf']);
  });
});

describe('owner and group names in the probe: stat names them for a short list, ids named once each for a long one', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nodeform-probe-names-'));
    for (let i = 0; i < 700; i++) writeFileSync(join(dir, `f${i}`), `${i}\n`);
    // Root runs the host tests in CI: one file of a named user (nobody), one of an id with no name (stat: UNKNOWN).
    spawnSync('chown', ['65534:65534', join(dir, 'f0')]);
    spawnSync('chown', ['4242:4243', join(dir, 'f1')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const probeOf = (count: number): Facts => {
    const request: ProbeRequest = { stateDir: join(dir, 'state'), paths: Array.from({ length: count }, (_, i) => ({ path: join(dir, `f${i}`), wantContent: false })), units: [], users: [] };
    const probe = buildProbe(request);
    const r = spawnSync('/bin/sh', ['-c', probe.command], { input: probe.script, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return parseFacts('h1', r.stdout);
  };

  it('gives the same owner and group either way, as stat %U %G names them', () => {
    const short = probeOf(5);
    const long = probeOf(700);
    for (let i = 0; i < 5; i++) {
      const path = join(dir, `f${i}`);
      const named = spawnSync('stat', ['-c', '%U %G', path], { encoding: 'utf8' }).stdout.trim().split(' ');
      expect(long.paths[path]).toEqual(short.paths[path]);
      expect([short.paths[path]!.owner, short.paths[path]!.group]).toEqual(named);
    }
    expect(Object.keys(long.paths)).toHaveLength(700);
  });
});

describe("another run's lock: the probe waits for a live holder before it reads anything", () => {
  let dir: string;
  let state: string;
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const conf = () => join(dir, 'a.conf');
  const hold = (pid: number | string, bootId = boot) => {
    mkdirSync(join(state, 'lock'), { recursive: true });
    writeFileSync(join(state, 'lock', 'holder'), `run-7\tops@elsewhere\t${pid}\t${bootId}\t2026-12-01T10:00:00Z\n`);
  };
  const local = () => openLocal({ name: 'h1', address: 'localhost', identityFiles: [], become: false, becomeUser: 'root', knownHostsFiles: [], connection: 'local' }, userInfo().username);
  const probe = (lockWaitSeconds: number): Facts => {
    const p = buildProbe({ stateDir: state, paths: [{ path: conf(), wantContent: false }], units: [], users: [], lockWaitSeconds });
    const r = spawnSync('/bin/sh', ['-c', p.command], { input: p.script, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return parseFacts('h1', r.stdout);
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nodeform-probe-lock-'));
    state = join(dir, 'state');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads after the holder is done: what it wrote, and no lock; the wait is told as it starts', async () => {
    writeFileSync(conf(), 'old\n');
    // The holder stands in for an apply: it writes, then releases the lock by one rename, as apply/script.ts does.
    const holder = spawn('/bin/sh', ['-c', `sleep 0.6; printf 'new\\n' > '${conf()}'; mv '${state}/lock' '${state}/lock.old'; rm -rf '${state}/lock.old'`], { stdio: 'ignore' });
    hold(holder.pid!);
    const told: { lock: LockInfo; written: string }[] = [];
    const facts = await gatherFacts(local(), { stateDir: state, paths: [{ path: conf(), wantContent: false }], units: [], users: [], lockWaitSeconds: 10 }, (lock) =>
      told.push({ lock, written: readFileSync(conf(), 'utf8') }),
    );
    expect(facts.paths[conf()]?.sha256).toBe(sha('new\n'));
    expect(facts.record.lock).toBeUndefined();
    // Told once, while the holder still held the lock (before it wrote).
    expect(told).toEqual([{ lock: { runId: 'run-7', controller: 'ops@elsewhere', pid: String(holder.pid), since: '2026-12-01T10:00:00Z' }, written: 'old\n' }]);
  });

  it('still held at the end of the wait: it reads anyway and names the holder', () => {
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      hold(holder.pid!);
      expect(probe(0).record.lock).toEqual({ runId: 'run-7', controller: 'ops@elsewhere', pid: String(holder.pid), since: '2026-12-01T10:00:00Z' });
    } finally {
      holder.kill();
      rmSync(join(state, 'lock'), { recursive: true, force: true });
    }
  });

  it('a run that takes the lock while the probe reads: it reads again once that run is done', async () => {
    writeFileSync(conf(), 'old\n');
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    // systemctl, asked for the units in the middle of the read, stands in for another run's apply that starts just
    // then: on the first call it takes the lock, and a moment later writes a.conf and releases the lock.
    writeFileSync(join(bin, 'systemctl'), `#!/bin/sh
echo call >> '${dir}/calls'
if [ ! -e '${dir}/took' ]; then
  : > '${dir}/took'
  mkdir -p '${state}/lock'
  sh -c "sleep 0.5; printf 'new\\n' > '${conf()}'; mv '${state}/lock' '${state}/lock.old'; rm -rf '${state}/lock.old'" </dev/null >/dev/null 2>&1 &
  printf 'run-8\\tops@elsewhere\\t%s\\t%s\\t2026-12-01T10:00:00Z\\n' $! '${boot}' > '${state}/lock/holder'
fi
shift 7; for u; do printf 'LoadState=loaded\\nActiveState=active\\nUnitFileState=enabled\\n\\n'; done
`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? '/usr/bin:/bin'}`;
    try {
      const transport = local();
      const facts = await gatherFacts(transport, { stateDir: state, paths: [{ path: conf(), wantContent: false }], units: ['x.service'], users: [], lockWaitSeconds: 10 });
      expect(facts.paths[conf()]?.sha256).toBe(sha('new\n'));
      expect(facts.record.lock).toBeUndefined();
      expect(facts.units['x.service']).toEqual({ name: 'x.service', enabled: 'enabled', active: 'active' });
      expect(transport.stats.execs).toBe(2);
      expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe('call\ncall\n');
    } finally {
      process.env.PATH = path;
    }
  });

  it.each([
    ['whose process is gone', () => spawnSync('true').pid, boot],
    ['of an earlier boot', () => process.pid, 'another-boot'],
    ['that cannot be read (cut short)', () => '', boot],
  ])('a holder %s holds nothing: no wait, no lock', (_title, pid, bootId) => {
    hold(pid(), bootId);
    try {
      expect(probe(30).record.lock).toBeUndefined();
    } finally {
      rmSync(join(state, 'lock'), { recursive: true, force: true });
    }
  }, 5000);
});
