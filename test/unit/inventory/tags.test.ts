import { describe, expect, it } from 'vitest';
import { isSelectedByTags, splitTags } from '../../../src/inventory/tags.js';

// [resource tags, --tags, --skip-tags, selected]
const cases: [string[], string[], string[], boolean][] = [
  [[], [], [], true],
  [['config'], [], [], true],
  [['config'], ['config'], [], true],
  [['config'], ['service'], [], false],
  [[], ['config'], [], false],
  [['config', 'service'], ['service'], [], true],
  [['config'], [], ['config'], false],
  [['config', 'service'], [], ['service'], false],
  [['config'], ['config'], ['config'], false],
  // always runs unless skipped by name
  [['always'], ['config'], [], true],
  [['always'], [], ['config'], true],
  [['always'], [], ['always'], false],
  [['always', 'debug'], [], ['debug'], false],
  // never runs only when asked for, by itself or one of its other tags
  [['never'], [], [], false],
  [['never', 'debug'], [], [], false],
  [['never', 'debug'], ['debug'], [], true],
  [['never'], ['never'], [], true],
  [['never', 'debug'], ['all'], [], false],
  // special tags
  [['config'], ['all'], [], true],
  [['config'], ['tagged'], [], true],
  [[], ['tagged'], [], false],
  [[], ['untagged'], [], true],
  [['config'], ['untagged'], [], false],
  [['never', 'x'], ['tagged'], [], false],
  [['config'], [], ['tagged'], false],
  [[], [], ['tagged'], true],
  [[], [], ['untagged'], false],
  [['config'], [], ['untagged'], true],
  [['config'], [], ['all'], false],
  [['always'], [], ['all'], true],
  [['always'], [], ['all', 'always'], false],
  // comma-separated values, as --tags a,b
  [['b'], ['a,b'], [], true],
  [['b'], [], ['a, b'], false],
];

describe('tags', () => {
  it.each(cases)('tags %j with --tags %j --skip-tags %j -> %s', (resourceTags, tags, skipTags, expected) => {
    expect(isSelectedByTags(resourceTags, { tags, skipTags })).toBe(expected);
  });

  it('splitTags splits commas and drops blanks', () => {
    expect(splitTags(['a,b', ' c ', '', 'd,,'])).toEqual(['a', 'b', 'c', 'd']);
    expect(splitTags(undefined)).toEqual([]);
  });
});
