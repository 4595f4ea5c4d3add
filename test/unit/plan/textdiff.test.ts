import { describe, expect, it } from 'vitest';
import { isText, unifiedDiff } from '../../../src/plan/textdiff.js';

describe('unifiedDiff', () => {
  const cases: { name: string; before: string; after: string; expected: string }[] = [
    { name: 'equal', before: 'a\nb\n', after: 'a\nb\n', expected: '' },
    { name: 'one line changed', before: 'a\nb\nc\n', after: 'a\nB\nc\n', expected: '@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n' },
    { name: 'added to empty', before: '', after: 'x\ny\n', expected: '@@ -0,0 +1,2 @@\n+x\n+y\n' },
    { name: 'added to empty, no final newline', before: '', after: 'x\n\ny', expected: '@@ -0,0 +1,3 @@\n+x\n+\n+y\n' },
    { name: 'one empty line added to empty', before: '', after: '\n', expected: '@@ -0,0 +1,1 @@\n+\n' },
    { name: 'empty to empty', before: '', after: '', expected: '' },
    { name: 'all removed', before: 'x\n', after: '', expected: '@@ -1,1 +0,0 @@\n-x\n' },
    {
      name: 'two hunks far apart',
      before: '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n',
      after: '1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\nELEVEN\n12\n',
      expected: '@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+ELEVEN\n 12\n',
    },
    { name: 'only final newline', before: 'a', after: 'a\n', expected: '\\ only the final newline differs\n' },
    { name: 'repeated lines', before: 'x\nx\nx\n', after: 'x\nx\n', expected: '@@ -1,3 +1,2 @@\n x\n x\n-x\n' },
  ];
  it.each(cases)('$name', ({ before, after, expected }) => {
    expect(unifiedDiff(before, after)).toBe(expected);
  });
});

describe('isText', () => {
  it.each([
    ['plain', Buffer.from('hello\n'), true],
    ['utf8', Buffer.from('héllo ✓\n'), true],
    ['nul byte', Buffer.from([0x61, 0x00, 0x62]), false],
    ['invalid utf8', Buffer.from([0xff, 0xfe, 0x41]), false],
  ])('%s', (_name, bytes, expected) => {
    expect(isText(bytes)).toBe(expected);
  });
});
