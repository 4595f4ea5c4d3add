import { describe, expect, it } from 'vitest';
import type { Desired, FileResource } from '../../../src/model/types.js';
import { appliedOnResume, parseRecord, RECORD_VERSION, resourceDigests, resumeProblems, type RunRecord } from '../../../src/rollout/record.js';

const file = (path: string, content: string, extra: Partial<FileResource> = {}): FileResource => ({
  kind: 'file', id: `file:${path}`, tags: [], path, content, encoding: 'utf8', sha256: content.length.toString(16), mode: '0644', owner: 'root', group: 'root', secret: false, ...extra,
});
const desired = (host: string, ...resources: FileResource[]) => ({ host, resources }) as unknown as Desired;

const record = (declared: RunRecord['declared']): RunRecord => ({
  format_version: RECORD_VERSION,
  runId: 'r1',
  controller: 'me@here',
  pid: 1,
  startedAt: '',
  updatedAt: '',
  inputs: { inventoryPath: '/inv.yaml', playbookPath: '/play.yaml', extraVars: [] },
  options: { serial: [{ count: 2 }], gate: 'progressing', gateTimeoutSeconds: 300, rollback: true },
  batches: [['a'], ['b', 'c']],
  declared,
  inFlight: [],
  outcomes: [],
  finished: false,
});

describe('the run record and --resume', () => {
  const a = desired('a', file('/etc/x', 'one\n'));
  const declared = { a: resourceDigests(a), b: resourceDigests(desired('b')), c: resourceDigests(desired('c')) };

  it('resumes when nothing that matters changed; volatile lines and a secret\'s content do not count', () => {
    expect(resumeProblems(record(declared), { inputs: {}, options: {}, declared })).toEqual([]);
    const volatile = (line: string) => desired('a', file('/etc/x', `one\nquorum=${line}\n`, { volatileLines: ['quorum='] }));
    expect(resourceDigests(volatile('1'))).toEqual(resourceDigests(volatile('2')));
    const secret = (value: string) => desired('a', file('/etc/s', value, { secret: true, sha256: value }));
    expect(resourceDigests(secret('hunter2'))).toEqual(resourceDigests(secret('hunter3')));
    expect(JSON.stringify(resourceDigests(secret('hunter2')))).not.toContain('hunter2');
  });

  it('refuses, saying what: a changed host, hosts added or removed, other inputs or batches', () => {
    const changed = { ...declared, a: resourceDigests(desired('a', file('/etc/x', 'two\n'))) };
    expect(resumeProblems(record(declared), { inputs: {}, options: {}, declared: changed })).toEqual(['a: the declared state changed since the rollout started (file:/etc/x)']);
    const { c: _c, ...withoutC } = declared;
    expect(resumeProblems(record(declared), { inputs: {}, options: {}, declared: { ...withoutC, d: {} } })).toEqual([
      'host(s) d are selected now but were not in the rollout',
      'host(s) c were in the rollout but are not selected now',
    ]);
    expect(resumeProblems(record(declared), { inputs: { playbookPath: '/other.yaml', limit: undefined }, options: { serial: [{ count: 3 }], gate: 'progressing' }, declared })).toEqual([
      'the playbook differs from the rollout\'s ("/play.yaml")',
      '--serial differs from the rollout\'s',
    ]);
  });

  it('reads back only a record it wrote', () => {
    expect(parseRecord(JSON.stringify(record(declared)))).toEqual(record(declared));
    expect(parseRecord('{"format_version": 2}')).toBeUndefined();
    expect(parseRecord('not json')).toBeUndefined();
  });

  it('--resume takes a generation newer than the rollout\'s start on a host without an outcome as the rollout\'s', () => {
    const r = { ...record(declared), baseline: { a: 3, b: 5, c: 0 }, applied: { b: 6 }, outcomes: [{ host: 'a', batch: 1, state: 'done' as const, why: '' }] };
    // a is finished; b's generation was recorded; c has a generation the rollout made but could not record.
    expect(appliedOnResume(r, { a: 4, b: 6, c: 1 })).toEqual({ b: 6, c: 1 });
    expect(appliedOnResume({ ...r, applied: {} }, { a: 4, b: 5, c: undefined })).toEqual({});
  });
});
