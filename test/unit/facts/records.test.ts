// The probe's record formats (src/facts/records.ts): the sh printf commands made from them, and reading them back.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RECORDS, STAT_FORMAT, printLine, printMissing, printRecord, printRecordStart, readRecord, recordOf, type RecordName } from '../../../src/facts/records.js';

/** Runs sh text with $1.. set and TAB defined, as the probe does. */
function sh(script: string, ...args: string[]): string {
  const r = spawnSync('sh', ['-c', `TAB=$(printf '\\t'); ${script}`, 'sh', ...args], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout;
}

describe('records', () => {
  it('has one tag per record', () => {
    const tags = Object.values(RECORDS).map((r) => r.tag);
    expect(new Set(tags).size).toBe(tags.length);
  });

  it.each(Object.keys(RECORDS) as RecordName[])('recordOf finds %s by its tag', (name) => {
    expect(recordOf(RECORDS[name].tag)).toBe(name);
  });

  it.each(['', 'p', 'Welcome', 'PP', 'end'])('recordOf(%j) is not a record', (tag) => {
    expect(recordOf(tag)).toBeUndefined();
  });

  it.each([
    ['path', ['"$1"', '"$2"'], ['/a b', 'file'], 'P\t/a b\tfile\n'],
    ['unit', ['"$1"', 'not-found', 'unknown'], ['x.service'], 'U\tx.service\tnot-found\tunknown\n'],
    ['user', ['"$1"', '"$2"', '"$3"', '"$4"'], ['demo', 'demo:x:1:1::/h:/s', 'demo', 'a,b'], 'W\tdemo\tdemo:x:1:1::/h:/s\tdemo\ta,b\n'],
    ['hash', ['"$1"', '"$2"'], ['-', "/it's %s"], "H\t-\t/it's %s\n"],
    ['lastGeneration', ['"$1"'], ['000002'], 'X\t000002\n'],
    ['end', [], [], 'END\n'],
  ] as const)('printRecord(%s) prints the record under real sh', (name, args, values, printed) => {
    expect(sh(printRecord(name, ...args), ...values)).toBe(printed);
  });

  it.each([
    ['path', ['"$1"']],
    ['unit', ['"$1"', '"$2"']],
    ['end', ['"$1"']],
  ] as const)('printRecord(%s) refuses a wrong number of fields', (name, args) => {
    expect(() => printRecord(name, ...args)).toThrow(/fields/);
  });

  it('printRecordStart prints all fields but the last, then a tab for the command that follows', () => {
    expect(sh(`${printRecordStart('keyed', '"$1"', '"$2"')}; printf 'after\\n'`, '/etc/a', 'before')).toBe('K\t/etc/a\tbefore\tafter\n');
    expect(sh(`${printRecordStart('bytes')}; printf 'Ynl0ZXM=\\n'`)).toBe('B\tYnl0ZXM=\n');
    expect(() => printRecordStart('keyed')).toThrow(/all fields but the last/);
  });

  it.each([['user'], ['binary'], ['path']] as const)('printMissing(%s) prints the short form', (name) => {
    expect(sh(printMissing(name, '"$1"'), 'x')).toBe(`${RECORDS[name].tag}\tx\tmissing\n`);
  });

  it('printLine passes a host record line through under its tag', () => {
    expect(sh(printLine('managed', '"$1"'), 'file\t/etc/a')).toBe('M\tfile\t/etc/a\n');
  });

  it('STAT_FORMAT makes stat print an S record', () => {
    const out = sh(`stat -c "${STAT_FORMAT}" -- /`);
    const [tag, ...fields] = out.trimEnd().split('\t');
    expect(tag).toBe('S');
    expect(readRecord('stat', fields)).toMatchObject({ owner: 'root', path: '/' });
    expect(readRecord('stat', fields).mode).toMatch(/^[0-7]{3,4}$/);
  });

  it.each([
    ['path', ['/a', 'file'], { path: '/a', type: 'file' }],
    ['path', ['/a'], { path: '/a', type: undefined }],
    ['binary', ['/bin/x', 'present', 'x 1.0', 'more'], { path: '/bin/x', state: 'present', version: 'x 1.0\tmore' }],
    ['lock', ['r', 'me@c', '1', 'b', 't'], { runId: 'r', controller: 'me@c', pid: '1', bootId: 'b', since: 't' }],
  ] as const)('readRecord(%s, %j)', (name, values, fields) => {
    expect(readRecord(name, values)).toEqual(fields);
  });
});
