import { formatProblem } from '../../../src/errors.js';
import { describe, expect, it } from 'vitest';
import { globToRegExp, matchPattern, parsePattern } from '../../../src/inventory/patterns.js';
import { build } from './helpers.js';

// lab-1..lab-3 and db-1; beacon = lab-1, lab-2; execution = lab-2, lab-3; eth = beacon + execution.
const INVENTORY = `all:
  hosts:
    db-1:
  children:
    eth:
      children:
        beacon:
          hosts: { lab-1: , lab-2: }
        execution:
          hosts: { lab-2: , lab-3: }
`;
const { inventory } = build({ inventory: INVENTORY });

describe('host patterns', () => {
  it.each([
    ['all', ['db-1', 'lab-1', 'lab-2', 'lab-3']],
    ['*', ['db-1', 'lab-1', 'lab-2', 'lab-3']],
    ['beacon', ['lab-1', 'lab-2']],
    ['eth', ['lab-1', 'lab-2', 'lab-3']],
    ['ungrouped', ['db-1']],
    ['lab-3', ['lab-3']],
    ['lab-*', ['lab-1', 'lab-2', 'lab-3']],
    ['lab-?', ['lab-1', 'lab-2', 'lab-3']],
    ['lab-[12]', ['lab-1', 'lab-2']],
    ['lab-[!12]', ['lab-3']],
    ['exec*', ['lab-2', 'lab-3']],
    ['~^lab-[23]$', ['lab-2', 'lab-3']],
    ['beacon:execution', ['lab-1', 'lab-2', 'lab-3']],
    ['beacon,db-1', ['db-1', 'lab-1', 'lab-2']],
    ['beacon:&execution', ['lab-2']],
    ['eth:!beacon', ['lab-3']],
    ['all:!eth', ['db-1']],
    ['!beacon', ['db-1', 'lab-3']],
    ['&beacon', ['lab-1', 'lab-2']],
    // Order does not matter: unions, then intersections, then exclusions.
    ['!lab-1:beacon', ['lab-2']],
    ['&execution:beacon:db-1', ['lab-2']],
    ['eth:&beacon:!lab-2', ['lab-1']],
    [' beacon : execution ', ['lab-1', 'lab-2', 'lab-3']],
  ])('%s -> %j', (pattern, expected) => {
    const match = matchPattern(inventory, pattern);
    expect(match.unknown).toEqual([]);
    expect(match.hosts).toEqual(expected);
  });

  it('a list of patterns is their union', () => {
    expect(matchPattern(inventory, ['beacon', 'db-1']).hosts).toEqual(['db-1', 'lab-1', 'lab-2']);
  });

  it.each([
    ['validators', ['validators']],
    ['beacon:validators:!nope', ['validators', 'nope']],
    ['lab-9', ['lab-9']],
  ])('%s: unknown names are reported', (pattern, unknown) => {
    expect(matchPattern(inventory, pattern).unknown.map((t) => t.body)).toEqual(unknown);
  });

  it('globs matching nothing are reported apart (a warning, not an error)', () => {
    const match = matchPattern(inventory, 'web-*:beacon');
    expect(match.unknown).toEqual([]);
    expect(match.unmatched.map((t) => t.body)).toEqual(['web-*']);
    expect(match.hosts).toEqual(['lab-1', 'lab-2']);
  });

  it('a bad regex is reported', () => {
    expect(matchPattern(inventory, '~lab-(').invalid).toHaveLength(1);
  });

  it('parsePattern keeps offsets of each term', () => {
    expect(parsePattern('beacon:&eth, !lab-2')).toEqual([
      { text: 'beacon', offset: 0, operator: 'union', body: 'beacon', bodyOffset: 0 },
      { text: '&eth', offset: 7, operator: 'intersection', body: 'eth', bodyOffset: 8 },
      { text: '!lab-2', offset: 13, operator: 'exclusion', body: 'lab-2', bodyOffset: 14 },
    ]);
  });

  it.each([
    ['lab.*', 'lab.x', true],
    ['lab.*', 'labx', false],
    ['a+b', 'a+b', true],
    ['[', '[', true],
  ])('glob %s on %s -> %s', (glob, name, expected) => {
    expect(globToRegExp(glob).test(name)).toBe(expected);
  });
});

describe('--limit', () => {
  const playbook = '- hosts: all\n';
  it.each([
    ['beacon', ['lab-1', 'lab-2']],
    ['lab-*:!lab-2', ['lab-1', 'lab-3']],
    ['db-1', ['db-1']],
  ])('%s selects %j', (limit, hosts) => {
    const result = build({ inventory: INVENTORY, playbook }, { limit });
    expect(result.problems).toEqual([]);
    expect(result.desired.map((d) => d.host)).toEqual(hosts);
  });

  it('an unknown group in --limit is an error pointing into the argument', () => {
    const result = build({ inventory: INVENTORY, playbook }, { limit: 'beacon:validators' });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({
      position: { file: '--limit', line: 1, column: 8 },
      field: 'limit',
      message: "unknown host or group 'validators': it is not in the inventory",
      excerpt: '    beacon:validators\n           ^',
    });
  });

  it('an empty --limit is an error', () => {
    expect(build({ inventory: INVENTORY, playbook }, { limit: '' }).problems[0]?.message).toMatch(/must not be empty/);
  });

  it('--limit narrows what plays select, never widens it', () => {
    const result = build({ inventory: INVENTORY, playbook: '- hosts: beacon\n' }, { limit: 'lab-2:lab-3' });
    expect(result.desired.map((d) => d.host)).toEqual(['lab-2']);
    expect(result.warnings.map(formatProblem)).toEqual(['--limit: no play of playbook.yaml applies to host lab-3']);
  });
});
