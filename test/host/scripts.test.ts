// The host-side scripts run for real by /bin/sh on this machine, against real files in a temp dir
// (no systemd here: units are covered by the lab tests).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NAMES_SH } from '../../src/facts/applied.js';
import { buildApplyScript, BULK_THRESHOLD, EXIT_DRIFT, EXIT_LOCKED, STAGE_THRESHOLD } from '../../src/apply/script.js';
import { applyOne } from '../../src/apply/run.js';
import { openLocal } from '../../src/transport/local.js';
import { buildProbe } from '../../src/facts/probe.js';
import { parseFacts } from '../../src/facts/parse.js';
import { planHost, probeRequestFor } from '../../src/plan/compute.js';
import { planReset } from '../../src/plan/reset.js';
import { readSavedPlan, savedPlanMismatches, savedPlanText } from '../../src/plan/saved-plan.js';
import type { Desired, DirectoryResource, Resource } from '../../src/model/types.js';
import { desired, file, sha } from '../unit/helpers.js';

let root: string;
let state: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nodeform-host-'));
  state = join(root, 'state');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function sh(command: string, stdin: string) {
  const r = spawnSync('/bin/sh', ['-c', command], { input: stdin, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The probe as plan runs it; with all: as reset does, the whole record. */
function probe(d: Desired, all = false) {
  const p = buildProbe({ ...probeRequestFor(d), ...(all ? { record: 'all' as const } : {}) });
  const r = sh(p.command, p.script);
  expect(r.code, r.stderr).toBe(0);
  return parseFacts('h1', r.stdout);
}

const dirRes = (path: string): DirectoryResource => ({ kind: 'directory', id: `dir:${path}`, tags: [], path, mode: '0755', owner: 'root', group: 'root' });
const opts = (action = 'apply') => ({ stateDir: state, runId: 'r1', controller: 'test@here', lockTimeoutSeconds: 1, keepGenerations: 3, action });

function apply(d: Desired) {
  const facts = probe(d);
  const plan = planHost(d, facts, { removeUndeclared: true });
  const s = buildApplyScript(plan, d, opts());
  return { plan, ...sh(s.command, s.script) };
}

describe('probe and apply scripts under /bin/sh', () => {
  it('creates, converges, detects drift, and resets to original byte for byte', () => {
    const pre = join(root, 'pre.conf');
    writeFileSync(pre, 'original\n', { mode: 0o600 });
    const d = () => desired([file(join(root, 'a.conf'), 'a=1\n'), file(pre, 'managed\n', { mode: '0640' })], state);
    const first = apply(d());
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(readFileSync(join(root, 'a.conf'), 'utf8')).toBe('a=1\n');
    expect(statSync(pre).mode & 0o777).toBe(0o640);
    expect(first.stdout).toMatch(/^GEN\t1$/m);

    const second = probe(d());
    expect(planHost(d(), second, { removeUndeclared: true }).changes).toEqual([]);
    expect(second.record.generations.map((g) => [g.id, g.complete])).toEqual([[1, true]]);

    writeFileSync(join(root, 'a.conf'), 'a=2\n');
    const drifted = planHost(d(), probe(d()), { removeUndeclared: true });
    expect(drifted.changes.map((c) => c.diff)).toEqual(['@@ -1,1 +1,1 @@\n-a=2\n+a=1\n']);

    const facts = probe(d(), true);
    const reset = planReset('h1', facts, 'original');
    const s = buildApplyScript(reset, undefined, opts('reset-original'));
    const r = sh(s.command, s.script);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(existsSync(join(root, 'a.conf'))).toBe(false);
    expect(readFileSync(pre, 'utf8')).toBe('original\n');
    expect(statSync(pre).mode & 0o777).toBe(0o600);
    expect(readdirSync(root).filter((n) => n.startsWith('.nodeform-tmp'))).toEqual([]);
  });

  it('refuses a plan whose precondition no longer holds, changing nothing', () => {
    const target = join(root, 'x.conf');
    const d = desired([file(target, 'new\n')], state);
    const plan = planHost(d, probe(d), { removeUndeclared: true });
    writeFileSync(target, 'someone else\n');
    const s = buildApplyScript(plan, d, opts());
    const r = sh(s.command, s.script);
    expect(r.code).toBe(EXIT_DRIFT);
    expect(r.stdout).toContain(`DRIFT\t${target}\texists now; the plan expected it absent`);
    expect(readFileSync(target, 'utf8')).toBe('someone else\n');
    expect(existsSync(join(state, 'generations'))).toBe(false);
  });

  it('runs nothing when the script is cut off in transit', () => {
    const target = join(root, 'cut.conf');
    const d = desired([file(target, 'x\n'.repeat(1000))], state);
    const s = buildApplyScript(planHost(d, probe(d), { removeUndeclared: true }), d, opts());
    for (const fraction of [0.1, 0.5, 0.9, 0.99]) {
      const r = sh(s.command, s.script.slice(0, Math.floor(s.script.length * fraction)));
      expect(r.code).not.toBe(0);
      expect(existsSync(target)).toBe(false);
      expect(existsSync(state)).toBe(false);
    }
  });

  it('waits for a live lock holder, then gives up naming it', () => {
    const d = desired([file(join(root, 'l.conf'), 'l\n')], state);
    const s = buildApplyScript(planHost(d, probe(d), { removeUndeclared: true }), d, opts());
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    sh(`mkdir -p ${state}/lock && printf 'other\\tops@ci\\t%s\\t${boot}\\t2026-01-01T00:00:00Z\\n' "$PPID" > ${state}/lock/holder`, '');
    // $PPID of that sh is this test process: alive, so the lock is honoured.
    const r = sh(s.command, s.script);
    expect(r.code).toBe(EXIT_LOCKED);
    expect(r.stdout).toMatch(/^LOCKED\tother\tops@ci\t\d+\t/m);
  });

  it('takes over a lock whose holder is dead', () => {
    const d = desired([file(join(root, 'l.conf'), 'l\n')], state);
    const s = buildApplyScript(planHost(d, probe(d), { removeUndeclared: true }), d, opts());
    sh(`mkdir -p ${state}/lock && printf 'dead\\tops@ci\\t999999\\tother-boot\\t2026-01-01T00:00:00Z\\n' > ${state}/lock/holder`, '');
    const r = sh(s.command, s.script);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^STALE\tdead/m);
    expect(existsSync(join(state, 'lock'))).toBe(false);
  });

  it('takes over a lock whose holder file is empty (a run killed while the disk was full), and says so', () => {
    const d = desired([file(join(root, 'l.conf'), 'l\n')], state);
    const s = buildApplyScript(planHost(d, probe(d), { removeUndeclared: true }), d, opts());
    sh(`mkdir -p ${state}/lock && : > ${state}/lock/holder`, '');
    const r = sh(s.command, s.script);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^STALE\tunreadable holder \(empty or cut short\): taken over as dead$/m);
    expect(readFileSync(join(root, 'l.conf'), 'utf8')).toBe('l\n');
    expect(existsSync(join(state, 'lock'))).toBe(false);
  });

  it('keeps only the configured number of generations and their backups', () => {
    const target = join(root, 'g.conf');
    for (let i = 0; i < 6; i += 1) {
      const r = apply(desired([file(target, `v${i}\n`)], state));
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    expect(readdirSync(join(state, 'generations'))).toEqual(['000004', '000005', '000006']);
    // Backups: v2..v4 (before-states of the kept generations); the original state (absent) needs none.
    expect(readdirSync(join(state, 'blobs')).sort()).toEqual([sha('v2\n'), sha('v3\n'), sha('v4\n')].sort());
    const facts = probe(desired([file(target, 'v5\n')], state), true);
    expect(facts.record.last?.id).toBe(6);
    const undo = planReset('h1', facts, 'previous');
    const s = buildApplyScript(undo, undefined, opts('reset-previous'));
    expect(sh(s.command, s.script).code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('v4\n');
  });

  it('makes a generated secret on the host, never hashes or returns it, and keeps it on later applies', () => {
    const jwt = join(root, 'jwt.hex');
    const d = () => desired([file(jwt, '', { generate: 'hex32', secret: true, mode: '0640', sha256: '' })], state);
    const facts = probe(d());
    expect(facts.paths[jwt]).toEqual({ path: jwt, exists: false });
    const first = apply(d());
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const secret = readFileSync(jwt, 'utf8');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(jwt).mode & 0o777).toBe(0o640);
    const p = buildProbe(probeRequestFor(d()));
    const out = sh(p.command, p.script).stdout;
    expect(out).not.toContain(secret);
    expect(out).not.toContain(sha(secret));
    expect(planHost(d(), probe(d()), { removeUndeclared: true }).changes).toEqual([]);
    expect(readFileSync(jwt, 'utf8')).toBe(secret);
  });

  it('records a generated secret as made on the host once, however many applies follow', () => {
    const jwt = join(root, 'jwt-many.hex');
    const conf = join(root, 'beside-jwt.conf');
    for (const version of [1, 2, 3]) {
      const result = apply(desired([file(jwt, '', { generate: 'hex32', secret: true, mode: '0640', sha256: '' }), file(conf, `v${version}\n`)], state));
      expect(result.code, result.stdout + result.stderr).toBe(0);
    }
    const made = readFileSync(join(state, 'applied'), 'utf8').split('\n').filter((l) => l.startsWith('N\t'));
    expect(made).toEqual([`N\t${jwt}`]);
  });

  describe('a secret file: a saved plan holds only digests under the host key, and apply checks them on the host', () => {
    const OLD = 'pw1\n';
    const NEW = 'pw2\n';
    /** plan --out for a secret declared NEW over a host copy of OLD, read back as apply --plan reads it. */
    function savedPlan(target: string, declared: Desired) {
      const host = planHost(declared, probe(declared), { removeUndeclared: true });
      const text = savedPlanText({ formatVersion: 1, kind: 'apply', hosts: [host] }, '2026-12-06T00:00:00Z', { inventoryPath: '/i', extraVars: [] });
      for (const plain of [sha(OLD), sha(NEW), sha(OLD).slice(0, 12), sha(NEW).slice(0, 12)]) expect(text).not.toContain(plain);
      const saved = readSavedPlan('plan.json', text).hosts[0]!;
      expect(saved.changes.map((c) => [c.target, c.secret])).toEqual([[target, true]]);
      return saved;
    }
    const applySaved = (saved: ReturnType<typeof savedPlan>, declared: Desired) => {
      expect(savedPlanMismatches(saved, declared)).toEqual([]);
      const s = buildApplyScript(saved, declared, opts());
      return sh(s.command, s.script);
    };

    it('the probe makes the key once (0600, in a 0700 state directory it creates) and keeps it', () => {
      const target = join(root, 'password');
      writeFileSync(target, OLD, { mode: 0o600 });
      const d = desired([file(target, NEW, { secret: true, mode: '0600' })], state);
      const facts = probe(d);
      const key = readFileSync(join(state, 'key'), 'utf8');
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(join(state, 'key')).mode & 0o777).toBe(0o600);
      expect(statSync(state).mode & 0o777).toBe(0o700);
      expect(facts.paths[target]).toMatchObject({ sha256: sha(OLD), keyedSha256: sha(key + sha(OLD)), keyedWantSha256: sha(key + sha(NEW)) });
      probe(d);
      expect(readFileSync(join(state, 'key'), 'utf8')).toBe(key);
      expect(readdirSync(state)).toEqual(['key']);
    });

    it('applies when nothing changed since the plan, for an update and for a create', () => {
      const target = join(root, 'password');
      const created = join(root, 'token');
      writeFileSync(target, OLD, { mode: 0o600 });
      const d = desired([file(target, NEW, { secret: true, mode: '0600' }), file(created, NEW, { secret: true, mode: '0600' })], state);
      const host = planHost(d, probe(d), { removeUndeclared: true });
      const text = savedPlanText({ formatVersion: 1, kind: 'apply', hosts: [host] }, '2026-12-06T00:00:00Z', { inventoryPath: '/i', extraVars: [] });
      expect(text).not.toContain(sha(OLD));
      expect(text).not.toContain(sha(NEW));
      const r = applySaved(readSavedPlan('plan.json', text).hosts[0]!, d);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(readFileSync(target, 'utf8')).toBe(NEW);
      expect(readFileSync(created, 'utf8')).toBe(NEW);
      expect(r.stdout).not.toContain(sha(NEW));
      expect(planHost(d, probe(d), { removeUndeclared: true }).changes).toEqual([]);
    });

    it('is refused after a hand edit of the secret file on the host, naming it and saying no hash', () => {
      const target = join(root, 'password');
      writeFileSync(target, OLD, { mode: 0o600 });
      const d = desired([file(target, NEW, { secret: true, mode: '0600' })], state);
      const saved = savedPlan(target, d);
      writeFileSync(target, 'pw-by-hand\n');
      const r = applySaved(saved, d);
      expect(r.code).toBe(EXIT_DRIFT);
      expect(r.stdout).toContain(`DRIFT\t${target}\tcontent changed since the plan (a secret: no hash shown)`);
      expect(r.stdout).not.toContain(sha('pw-by-hand\n'));
      expect(r.stdout).not.toContain(sha(NEW));
      expect(readFileSync(target, 'utf8')).toBe('pw-by-hand\n');
      expect(existsSync(join(state, 'generations'))).toBe(false);
    });

    it('a secret as wanted whose mode differs: one digest for both sides, and the saved plan applies', () => {
      const target = join(root, 'password');
      writeFileSync(target, NEW, { mode: 0o644 });
      const d = desired([file(target, NEW, { secret: true, mode: '0600' })], state);
      const facts = probe(d);
      expect(facts.paths[target]?.keyedSha256).toBe(facts.paths[target]?.keyedWantSha256);
      const saved = savedPlan(target, d);
      expect(saved.changes[0]!.attributes.map((a) => a.name)).toEqual(['mode']);
      const r = applySaved(saved, d);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(statSync(target).mode & 0o777).toBe(0o600);
      expect(readFileSync(target, 'utf8')).toBe(NEW);
    });

    it('is refused when the declared secret changed since the plan', () => {
      const target = join(root, 'password');
      writeFileSync(target, OLD, { mode: 0o600 });
      const saved = savedPlan(target, desired([file(target, NEW, { secret: true, mode: '0600' })], state));
      const r = applySaved(saved, desired([file(target, 'pw3\n', { secret: true, mode: '0600' })], state));
      expect(r.code).toBe(EXIT_DRIFT);
      expect(r.stdout).toContain(`DRIFT\t${target}\tthe declared content (a secret) changed since the plan was made; make a new plan`);
      expect(readFileSync(target, 'utf8')).toBe(OLD);
    });

    it('is refused when the host key is gone since the plan', () => {
      const target = join(root, 'password');
      writeFileSync(target, OLD, { mode: 0o600 });
      const d = desired([file(target, NEW, { secret: true, mode: '0600' })], state);
      const saved = savedPlan(target, d);
      rmSync(join(state, 'key'));
      const r = applySaved(saved, d);
      expect(r.code).toBe(EXIT_DRIFT);
      expect(r.stdout).toContain(`DRIFT\t${target}\tcannot be checked: the host's digest key ${state}/key is gone since the plan`);
      expect(readFileSync(target, 'utf8')).toBe(OLD);
    });

    /** Every plain sha256 (whole and as the plan's short form) of these contents is absent from the text. */
    const holdsNoHashOf = (text: string, ...contents: string[]) => {
      for (const c of contents) for (const plain of [sha(c), sha(c).slice(0, 12)]) expect(text).not.toContain(plain);
    };
    const savedText = (host: ReturnType<typeof planHost>) =>
      savedPlanText({ formatVersion: 1, kind: 'apply', hosts: [host] }, '2026-12-06T00:00:00Z', { inventoryPath: '/i', extraVars: [] });

    it('no longer declared: removed, or put back as it was before nodeform, with only keyed digests in the plan; apply finds the backup in the host record', () => {
      const kept = join(root, 'password');
      const made = join(root, 'token');
      const ORIG = 'pw0\n';
      writeFileSync(kept, ORIG, { mode: 0o640 });
      const d = desired([file(kept, NEW, { secret: true, mode: '0600' }), file(made, OLD, { secret: true, mode: '0600' })], state);
      expect(apply(d).code).toBe(0);
      // The managed list flags both as secrets, so the next probe keys their digests though nothing declares them.
      expect(readFileSync(join(state, 'managed'), 'utf8').trim().split('\n').sort()).toEqual([`file\t${kept}\ts`, `file\t${made}\ts`]);
      const none = desired([], state);
      const facts = probe(none);
      expect(facts.record.managed.every((e) => e.secret)).toBe(true);
      expect(facts.paths[kept]?.keyedSha256).toMatch(/^[0-9a-f]{64}$/);
      const host = planHost(none, facts, { removeUndeclared: true });
      expect(host.changes.map((c) => [c.action, c.target, c.secret, c.precondition.keyedSha256 !== undefined, c.precondition.sha256])).toEqual([
        ['update', kept, true, true, undefined],
        ['delete', made, true, true, undefined],
      ]);
      expect(host.changes[0]!.content).toEqual({ from: 'backup', record: 'original' });
      const text = savedText(host);
      holdsNoHashOf(text, ORIG, NEW, OLD);
      const s = buildApplyScript(readSavedPlan('plan.json', text).hosts[0]!, none, opts());
      holdsNoHashOf(s.script + s.command, ORIG, NEW, OLD);
      const r = sh(s.command, s.script);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      holdsNoHashOf(r.stdout, ORIG, NEW, OLD);
      expect(readFileSync(kept, 'utf8')).toBe(ORIG);
      expect(statSync(kept).mode & 0o777).toBe(0o640);
      expect(existsSync(made)).toBe(false);
    });

    it('a hand edit of a secret no longer declared since the plan is refused, naming no hash', () => {
      const target = join(root, 'token');
      const d = desired([file(target, OLD, { secret: true, mode: '0600' })], state);
      expect(apply(d).code).toBe(0);
      const host = planHost(desired([], state), probe(desired([], state)), { removeUndeclared: true });
      writeFileSync(target, 'pw-by-hand\n');
      const s = buildApplyScript(host, desired([], state), opts());
      const r = sh(s.command, s.script);
      expect(r.code).toBe(EXIT_DRIFT);
      expect(r.stdout).toContain(`DRIFT\t${target}\tcontent changed since the plan (a secret: no hash shown)`);
      expect(readFileSync(target, 'utf8')).toBe('pw-by-hand\n');
    });

    it('reset --to previous and --to original: plans with only keyed digests, the backups found from the host record', () => {
      const target = join(root, 'password');
      const ORIG = 'pw0\n';
      writeFileSync(target, ORIG, { mode: 0o600 });
      expect(apply(desired([file(target, OLD, { secret: true, mode: '0600' })], state)).code).toBe(0);
      expect(apply(desired([file(target, NEW, { secret: true, mode: '0600' })], state)).code).toBe(0);
      for (const [to, want] of [['previous', OLD], ['original', ORIG]] as const) {
        const reset = planReset('h1', probe(desired([], state), true), to);
        expect(reset.changes.map((c) => [c.target, c.secret, c.after?.sha256, c.content])).toEqual([
          [target, true, '', to === 'previous' ? { from: 'backup', record: 'generation', generation: 2 } : { from: 'backup', record: 'original' }],
        ]);
        expect(reset.changes[0]!.attributes).toEqual([{ name: 'content', before: '(sensitive)', after: '(sensitive)' }]);
        holdsNoHashOf(JSON.stringify(reset), ORIG, OLD, NEW);
        const s = buildApplyScript(reset, undefined, opts(`reset-${to}`));
        holdsNoHashOf(s.script, ORIG, OLD, NEW);
        const r = sh(s.command, s.script);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(readFileSync(target, 'utf8')).toBe(want);
      }
    });
  });

  describe('many files at once (BULK_THRESHOLD and more): a few processes for them all, the same guarantees', () => {
    const N = BULK_THRESHOLD + 12;
    const at = (i: number) => join(root, `d${i % 3}`, `f${i}.conf`);
    const many = (rev: string, extra: Resource[] = []) =>
      desired([...[0, 1, 2].map((d) => dirRes(join(root, `d${d}`))), ...Array.from({ length: N }, (_, i) => file(at(i), `f${i} ${rev}\n`, { mode: i % 2 ? '0640' : '0644' })), ...extra], state);
    const script = (d: Desired, facts = probe(d)) => buildApplyScript(planHost(d, facts, { removeUndeclared: true }), d, opts());

    it('writes them with one tar, backs them up with one cp, and resets them byte for byte', () => {
      mkdirSync(join(root, 'd0'));
      writeFileSync(at(0), 'there before\n', { mode: 0o600 });
      const first = script(many('a'));
      expect(first.script).toContain('put_many');
      expect(first.script).not.toMatch(/^ {2}put /m);
      const r1 = sh(first.command, first.script);
      expect(r1.code, r1.stdout + r1.stderr).toBe(0);
      for (let i = 0; i < N; i++) expect(readFileSync(at(i), 'utf8')).toBe(`f${i} a\n`);
      expect(statSync(at(1)).mode & 0o777).toBe(0o640);
      expect(statSync(at(2)).mode & 0o777).toBe(0o644);
      expect(r1.stdout.match(/^WROTE\t/gm)).toHaveLength(N);
      expect(planHost(many('a'), probe(many('a')), { removeUndeclared: true }).changes).toEqual([]);

      const second = script(many('b'));
      const r2 = sh(second.command, second.script);
      expect(r2.code, r2.stdout + r2.stderr).toBe(0);
      expect(readFileSync(at(5), 'utf8')).toBe('f5 b\n');
      for (const d of [0, 1, 2]) expect(readdirSync(join(root, `d${d}`)).filter((n) => n.startsWith('.nodeform-tmp'))).toEqual([]);

      const previous = planReset('h1', probe(many('b'), true), 'previous');
      const s3 = buildApplyScript(previous, undefined, opts('reset-previous'));
      expect(s3.script).toContain('restore_many 2 ');
      expect(s3.script).not.toMatch(/^ {2}restore /m);
      const r3 = sh(s3.command, s3.script);
      expect(r3.code, r3.stdout + r3.stderr).toBe(0);
      for (let i = 0; i < N; i++) expect(readFileSync(at(i), 'utf8')).toBe(`f${i} a\n`);

      const original = planReset('h1', probe(many('a'), true), 'original');
      const s4 = buildApplyScript(original, undefined, opts('reset-original'));
      expect(s4.script).toContain('del_many');
      const r4 = sh(s4.command, s4.script);
      expect(r4.code, r4.stdout + r4.stderr).toBe(0);
      expect(readFileSync(at(0), 'utf8')).toBe('there before\n');
      expect(statSync(at(0)).mode & 0o777).toBe(0o600);
      for (let i = 1; i < N; i++) expect(existsSync(at(i))).toBe(false);
    });

    it('files that were there before: their first copies kept in blobs by one flush for all, each content once, and reset --to original puts them back after the generations are pruned', () => {
      for (const d of [0, 1, 2]) mkdirSync(join(root, `d${d}`));
      const before = (i: number) => `before ${i % 4}\n`;
      for (let i = 0; i < N; i += 2) writeFileSync(at(i), before(i), { mode: 0o600 });
      const first = script(many('a'));
      expect(first.script).not.toMatch(/^ {2}bk_file /m);
      const r1 = sh(first.command, first.script);
      expect(r1.code, r1.stdout + r1.stderr).toBe(0);
      // One blob per distinct content from before nodeform (before 0, before 2), none left aside in the generation.
      expect(readdirSync(join(state, 'blobs')).sort()).toEqual([sha('before 0\n'), sha('before 2\n')].sort());
      expect(existsSync(join(state, 'generations', '000001', 'blobs.new'))).toBe(true);
      expect(readdirSync(join(state, 'generations', '000001', 'blobs.new'))).toEqual([]);
      // keepGenerations is 3: four more applies prune the first generation and its backup tree.
      for (const rev of ['b', 'c', 'd', 'e']) expect(sh(script(many(rev)).command, script(many(rev)).script).code).toBe(0);
      expect(readdirSync(join(state, 'generations'))).not.toContain('000001');
      const original = buildApplyScript(planReset('h1', probe(many('e'), true), 'original'), undefined, opts('reset-original'));
      const r2 = sh(original.command, original.script);
      expect(r2.code, r2.stdout + r2.stderr).toBe(0);
      for (let i = 0; i < N; i++) {
        if (i % 2) expect(existsSync(at(i))).toBe(false);
        else expect([readFileSync(at(i), 'utf8'), statSync(at(i)).mode & 0o777]).toEqual([before(i), 0o600]);
      }
    });

    it('hundreds of files: their lists travel gzipped, and apply, change and both resets still hold byte for byte', () => {
      const n = 700;
      const path = (i: number) => join(root, `d${i % 3}`, `file-with-a-longer-name-${i}.conf`);
      const d = (rev: string) => desired([...[0, 1, 2].map((i) => dirRes(join(root, `d${i}`))), ...Array.from({ length: n }, (_, i) => file(path(i), `f${i} ${rev}\n`))], state);
      const run = (s: { command: string; script: string }) => {
        const r = sh(s.command, s.script);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        return r;
      };
      const first = script(d('a'));
      expect(first.script).toMatch(/^ {2}unpack "\$W\/pre\.in" /m);
      // The backups take the preconditions' list: no second list of the same paths and hashes.
      expect(first.script).toMatch(/^ {2}bk_many < "\$W\/pre\.in"$/m);
      expect(first.script).not.toContain('bk.in');
      expect(run(first).stdout.match(/^WROTE\t/gm)).toHaveLength(n);
      run(script(d('b')));
      for (const i of [0, 350, n - 1]) expect(readFileSync(path(i), 'utf8')).toBe(`f${i} b\n`);
      const previous = buildApplyScript(planReset('h1', probe(d('b'), true), 'previous'), undefined, opts('reset-previous'));
      expect(previous.script).toMatch(/^ {2}unpack "\$W\/rs\.in" /m);
      run(previous);
      for (let i = 0; i < n; i++) expect(readFileSync(path(i), 'utf8')).toBe(`f${i} a\n`);
      const original = buildApplyScript(planReset('h1', probe(d('a'), true), 'original'), undefined, opts('reset-original'));
      expect(original.script).toMatch(/^ {2}unpack "\$W\/del\.in" /m);
      expect(run(original).stdout.match(/^REMOVED\t/gm)!.length).toBeGreaterThanOrEqual(n);
      for (let i = 0; i < n; i++) expect(existsSync(path(i))).toBe(false);
    });

    it('names that sh or tar could misread are written as they are', () => {
      const names = ['a b.conf', "it's.conf", '$(touch pwned).conf', '`id`.conf', 'a;b&c|d.conf', '*?[x].conf', '"quoted".conf', '-leading-dash', '~tilde ${IFS}.conf'];
      mkdirSync(join(root, 'odd dir'));
      const d = desired([...names, ...names.map((n) => `x${n}`)].map((n) => file(join(root, 'odd dir', n), `${n}\n`)), state);
      const s = buildApplyScript(planHost(d, probe(d), { removeUndeclared: true }), d, opts());
      expect(s.script).toContain('put_many');
      const r = sh(s.command, s.script);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      for (const n of names) expect(readFileSync(join(root, 'odd dir', n), 'utf8')).toBe(`${n}\n`);
      expect(readdirSync(join(root, 'odd dir')).sort()).toEqual([...names, ...names.map((n) => `x${n}`)].sort());
      expect(existsSync(join(root, 'odd dir', 'pwned'))).toBe(false);
    });

    it('refuses the whole plan when one file drifted since, changing nothing', () => {
      expect(sh(script(many('a')).command, script(many('a')).script).code).toBe(0);
      const s = script(many('b'));
      writeFileSync(at(7), 'by hand\n');
      const r = sh(s.command, s.script);
      expect(r.code).toBe(EXIT_DRIFT);
      expect(r.stdout).toContain(`DRIFT\t${at(7)}\tcontent changed since the plan (sha256 ${sha('by hand\n')}, plan expected ${sha('f7 a\n')})`);
      expect(readFileSync(at(3), 'utf8')).toBe('f3 a\n');
      expect(readdirSync(join(state, 'generations'))).toHaveLength(1);
    });

    it('runs nothing when the script is cut off in transit', () => {
      const s = script(many('a'));
      for (const fraction of [0.3, 0.6, 0.95]) {
        const r = sh(s.command, s.script.slice(0, Math.floor(s.script.length * fraction)));
        expect(r.code).not.toBe(0);
        expect(existsSync(at(0))).toBe(false);
        expect(existsSync(state)).toBe(false);
      }
    });

    it('a file it cannot write fails the apply after its record is sealed, and rollback puts every file back', async () => {
      expect(sh(script(many('a')).command, script(many('a')).script).code).toBe(0);
      writeFileSync(join(root, 'blocker'), 'not a directory\n');
      const d = many('b', [file(join(root, 'blocker', 'x.conf'), 'x\n')]);
      const facts = probe(d);
      const plan = planHost(d, facts, { removeUndeclared: true });
      const result = await applyOne({ desired: d, plan, facts }, openLocal(d.connection, userInfo().username), { ...opts(), forks: 1 });
      expect(result.status).toBe('failed');
      // Checked before any file is written: the host was not changed, and the rollback finds nothing to do.
      expect(result.error, result.error).toMatch(/cannot write .*blocker\/x\.conf: its directory .* is missing or not a directory; .*nothing to roll back/);
      for (let i = 0; i < N; i++) expect(readFileSync(at(i), 'utf8')).toBe(`f${i} a\n`);
      for (const d of [0, 1, 2]) expect(readdirSync(join(root, `d${d}`)).filter((n) => n.startsWith('.nodeform-tmp'))).toEqual([]);
    });

    it('owner, group and mode travel in the archive; an owner the host does not have fails the apply before a file is written, and rollback leaves every file as it was', async () => {
      expect(sh(script(many('a')).command, script(many('a')).script).code).toBe(0);
      const d = desired([...[0, 1, 2].map((i) => dirRes(join(root, `d${i}`))), ...Array.from({ length: N }, (_, i) => file(at(i), `f${i} b\n`, { mode: '2750', group: 'daemon' }))], state);
      const s = script(d);
      expect(s.script).toContain('put_many "$W/put" owned');
      expect(s.script).not.toMatch(/^ {2}own_many /m);
      expect(sh(s.command, s.script).code).toBe(0);
      expect([statSync(at(4)).gid, statSync(at(4)).mode & 0o7777]).toEqual([1, 0o2750]);
      const missing = desired([...[0, 1, 2].map((i) => dirRes(join(root, `d${i}`))), ...Array.from({ length: N }, (_, i) => file(at(i), `f${i} c\n`, { owner: i === 5 ? 'nodeform-no-such-user' : 'root' }))], state);
      const facts = probe(missing);
      const plan = planHost(missing, facts, { removeUndeclared: true });
      const result = await applyOne({ desired: missing, plan, facts }, openLocal(missing.connection, userInfo().username), { ...opts(), forks: 1 });
      expect(result.status).toBe('failed');
      expect(result.error, result.error).toMatch(/there is no user nodeform-no-such-user/);
      for (let i = 0; i < N; i++) expect(readFileSync(at(i), 'utf8')).toBe(`f${i} b\n`);
      for (const i of [0, 1, 2]) expect(readdirSync(join(root, `d${i}`)).filter((n) => n.startsWith('.nodeform-tmp'))).toEqual([]);
    });
    it('new originals go to one pack per generation, moved into place at seal: a run killed before seal leaves none, so a file made by hand since is put back by reset --to original', () => {
      const s = script(many('a'));
      // Killed (no trap runs) after its backups and originals are written, before seal.
      // seal and the managed list it reads (its heredoc, or the file a long list was unpacked to)
      const killed = s.script.replace(/^ {2}seal (?:< "\$W\/managed\.in"|<<'NODEFORM_EOF'\n[\s\S]*?\nNODEFORM_EOF)$/m, () => '  kill -KILL $$');
      expect(killed).not.toBe(s.script);
      expect(sh(s.command, killed).code).not.toBe(0);
      expect(existsSync(at(0))).toBe(false);
      expect(readdirSync(join(state, 'original'))).toEqual([]);
      // Made by hand after the cut-off run: from now on that is what was there before nodeform.
      mkdirSync(join(root, 'd0'), { recursive: true });
      writeFileSync(at(0), 'made by hand\n', { mode: 0o600 });
      const r = sh(script(many('a')).command, script(many('a')).script);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^STALE\t/m);
      // One pack, nothing else; each target once in it.
      const packs = readdirSync(join(state, 'original'));
      expect(packs).toEqual([expect.stringMatching(/^000002\.r1\.pack$/)]);
      const lines = readFileSync(join(state, 'original', packs[0]!), 'utf8').trim().split('\n');
      expect(lines.filter((l) => l.startsWith(`file\t${at(0)}\t`))).toEqual([`file\t${at(0)}\t1\t${sha('made by hand\n')}\t600\troot\troot\t-\t-\t-`]);
      expect(lines.filter((l) => l.startsWith('file\t'))).toHaveLength(N);
      // Not recorded again by the next run: the first record is the original.
      expect(sh(script(many('b')).command, script(many('b')).script).code).toBe(0);
      expect(readdirSync(join(state, 'original'))).toEqual(packs);
      // No longer declared: the plan finds its original in the pack (the probe's gone) and puts it back.
      const without = desired(many('b').resources.filter((r) => r.kind !== 'file' || r.path !== at(0)), state);
      const plan = planHost(without, probe(without), { removeUndeclared: true });
      expect(plan.changes.map((c) => [c.action, c.target])).toEqual([['update', at(0)]]);
      expect(sh(buildApplyScript(plan, without, opts()).command, buildApplyScript(plan, without, opts()).script).code).toBe(0);
      expect(readFileSync(at(0), 'utf8')).toBe('made by hand\n');
      const reset = sh(buildApplyScript(planReset('h1', probe(many('b'), true), 'original'), undefined, opts('reset-original')).command, buildApplyScript(planReset('h1', probe(many('b'), true), 'original'), undefined, opts('reset-original')).script);
      expect(reset.code, reset.stdout + reset.stderr).toBe(0);
      expect([readFileSync(at(0), 'utf8'), statSync(at(0)).mode & 0o777]).toEqual(['made by hand\n', 0o600]);
      for (let i = 1; i < N; i++) expect(existsSync(at(i))).toBe(false);
    });

    it('originals a host recorded one per file (before packs) still count: not recorded again, and read back by reset --to original', () => {
      mkdirSync(join(root, 'd1'));
      writeFileSync(at(1), 'old record\n');
      // As an older nodeform left it: STATE/original/sha256(kind TAB target LF) holding the entry line.
      mkdirSync(join(state, 'original'), { recursive: true });
      writeFileSync(join(state, 'original', sha(`file\t${at(1)}\n`)), `file\t${at(1)}\t0\t-\t-\t-\t-\t-\t-\t-\n`);
      expect(sh(script(many('a')).command, script(many('a')).script).code).toBe(0);
      const pack = readdirSync(join(state, 'original')).find((n) => n.endsWith('.pack'))!;
      expect(readFileSync(join(state, 'original', pack), 'utf8')).not.toContain(`\t${at(1)}\t`);
      const reset = buildApplyScript(planReset('h1', probe(many('a'), true), 'original'), undefined, opts('reset-original'));
      expect(sh(reset.command, reset.script).code).toBe(0);
      // Its original said absent: removed like every other file nodeform made.
      for (let i = 0; i < N; i++) expect(existsSync(at(i))).toBe(false);
    });

    it('many directories are backed up and made together (bk_dirs, mkd_many) and removed by reset --to original; a directory that cannot be made is named', () => {
      const dirs = Array.from({ length: BULK_THRESHOLD + 2 }, (_, i) => join(root, 'tree', `sub${i}`));
      mkdirSync(dirs[3]!, { recursive: true, mode: 0o700 });
      const d = (extra: string[] = []) =>
        desired([dirRes(join(root, 'tree')), ...dirs.map((p, i) => ({ ...dirRes(p), mode: i % 2 ? '0750' : '0755', group: i % 3 ? 'root' : 'daemon' })), ...extra.map(dirRes)], state);
      const s = buildApplyScript(planHost(d(), probe(d()), { removeUndeclared: true }), d(), opts());
      expect(s.script).toContain('bk_dirs <');
      expect(s.script).toContain('mkd_many <');
      expect(s.script).not.toMatch(/^ {2}(mkd|bk_dir) /m);
      const r = sh(s.command, s.script);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // The one there before (and its parent, made with it) only get their mode.
      expect(r.stdout.match(/^DIR\t/gm)).toHaveLength(dirs.length - 1);
      for (const [i, p] of dirs.entries()) expect([statSync(p).mode & 0o777, statSync(p).gid]).toEqual([i % 2 ? 0o750 : 0o755, i % 3 ? 0 : 1]);
      expect(planHost(d(), probe(d()), { removeUndeclared: true }).changes).toEqual([]);

      // A directory below a file cannot be made: the error names it; the ones before it were made.
      writeFileSync(join(root, 'blocker'), 'a file\n');
      const more = Array.from({ length: BULK_THRESHOLD }, (_, i) => join(root, `more${i}`));
      const bad = d([...more.slice(0, 4), join(root, 'blocker', 'sub'), ...more.slice(4)]);
      const b = sh(buildApplyScript(planHost(bad, probe(bad), { removeUndeclared: true }), bad, opts()).command, buildApplyScript(planHost(bad, probe(bad), { removeUndeclared: true }), bad, opts()).script);
      expect(b.code).toBe(1);
      expect(b.stdout).toContain(`ERROR\tcannot create directory ${join(root, 'blocker', 'sub')}; the host was changed in part`);
      expect(b.stdout).not.toContain(`DIR\t${join(root, 'blocker', 'sub')}`);
      rmSync(join(root, 'blocker'));
      for (const p of more) rmSync(p, { recursive: true, force: true });

      const original = buildApplyScript(planReset('h1', probe(d(), true), 'original'), undefined, opts('reset-original'));
      expect(original.script).toContain('bk_dirs <');
      const o = sh(original.command, original.script);
      expect(o.code, o.stdout + o.stderr).toBe(0);
      // The one there before stays, as it was; those nodeform made are gone.
      expect(statSync(dirs[3]!).mode & 0o777).toBe(0o700);
      for (const [i, p] of dirs.entries()) if (i !== 3) expect(existsSync(p)).toBe(false);
    });
  });

  it('names prints the lines stat prints with %U and %G, an id without a name as UNKNOWN, from one lookup per id', () => {
    const paths = ['a', 'b c', 'd'].map((n) => join(root, n));
    for (const p of paths) writeFileSync(p, 'x\n');
    spawnSync('chown', ['54321:54322', paths[1]!]);
    spawnSync('chown', ['daemon:daemon', paths[2]!]);
    const list = `${[...paths, join(root, 'missing')].join('\n')}\n`;
    const named = sh(`TAB=$(printf '\\t')\n${NAMES_SH}\nxargs -d '\\n' stat -c "S$TAB%a$TAB%u$TAB%g$TAB%s$TAB%n" -- 2>/dev/null | names`, list);
    const stat = sh(`TAB=$(printf '\\t'); xargs -d '\\n' stat -c "S$TAB%a$TAB%U$TAB%G$TAB%s$TAB%n" -- 2>/dev/null`, list);
    expect(named.stdout).toBe(stat.stdout);
    expect(named.stdout.split('\n')[1]).toBe(`S\t644\tUNKNOWN\tUNKNOWN\t2\t${paths[1]}`);
  });

  it('rolls back an apply that fails after its first change: every file as it was, and says so', async () => {
    const first = join(root, 'first.conf');
    writeFileSync(first, 'old\n', { mode: 0o600 });
    // The second file's directory is a file: writing it fails once the first file is already written.
    writeFileSync(join(root, 'blocker'), 'not a directory\n');
    const d = desired([file(first, 'new\n'), file(join(root, 'blocker', 'second.conf'), 'second\n')], state);
    const transport = openLocal(d.connection, userInfo().username);
    const facts = probe(d);
    const plan = planHost(d, facts, { removeUndeclared: true });
    const result = await applyOne({ desired: d, plan, facts }, transport, { ...opts(), forks: 1 });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/cannot write .*second\.conf; the host was changed in part .*; rolled back: the host is as it was/);
    expect(readFileSync(first, 'utf8')).toBe('old\n');
    expect(statSync(first).mode & 0o777).toBe(0o600);
    expect(readdirSync(root).filter((n) => n.startsWith('.nodeform-tmp'))).toEqual([]);
    // The record says what happened: the failed apply (incomplete), then the rollback.
    const after = probe(d);
    expect(after.record.generations.map((g) => [g.id, g.action, g.complete])).toEqual([
      [1, 'apply', false],
      [2, 'rollback', true],
    ]);
  });

  it('uploads a large file raw in an exec of its own, then installs it from staging', async () => {
    const big = join(root, 'big.bin');
    const content = Buffer.alloc(STAGE_THRESHOLD + 4096, 7).toString('base64');
    const d = desired([file(big, content, { encoding: 'base64', sha256: sha(Buffer.from(content, 'base64')), mode: '0755' })], state);
    const transport = openLocal(d.connection, userInfo().username);
    const facts = probe(d);
    const plan = planHost(d, facts, { removeUndeclared: true });
    const script = buildApplyScript(plan, d, opts()).script;
    expect(script.length).toBeLessThan(60_000); // the bytes (600 KiB) are not in the script (its helpers are about 33 KB)
    const result = await applyOne({ desired: d, plan, facts }, transport, { ...opts(), forks: 1 });
    expect(result.status, result.error).toBe('applied');
    // What the host has of the upload already, the upload, the apply.
    expect(transport.stats.execs).toBe(3);
    expect(readFileSync(big).equals(Buffer.from(content, 'base64'))).toBe(true);
    expect(statSync(big).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(state, 'staging'))).toEqual([]);
    // The record of what the apply left names the upload's hash as it arrived (not read again), as the host has it now.
    const bigSha = sha(Buffer.from(content, 'base64'));
    expect(readFileSync(join(state, 'applied'), 'utf8').split('\n').filter((l) => l.startsWith('H\t'))).toEqual([`H\t${bigSha}\t${big}`]);
    const p = buildProbe({ ...probeRequestFor(d), applied: true });
    const r = sh(p.command, p.script);
    expect(parseFacts('h1', r.stdout).applied).toMatchObject({ generation: 1, drift: [] });
    writeFileSync(big, 'changed outside nodeform');
    const q = sh(p.command, p.script);
    expect(parseFacts('h1', q.stdout).applied?.drift.map((x) => [x.target, x.field])).toEqual([[big, 'content']]);
  });
});
