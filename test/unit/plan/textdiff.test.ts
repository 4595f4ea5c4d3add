import fastDiff from 'fast-diff';
import { describe, expect, it } from 'vitest';
import { isText, unifiedDiff } from '../../../src/plan/textdiff.js';

/** The diff as first written (objects per line, filters per hunk): the faster one must give the same text. */
function reference(before: string, after: string, context = 3): string {
  const split = (text: string) => {
    if (text === '') return [];
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  };
  if (before === '') {
    const lines = split(after);
    return lines.length === 0 ? '' : `@@ -0,0 +1,${lines.length} @@\n+${lines.join('\n+')}\n`;
  }
  const a = split(before);
  const b = split(after);
  const index = new Map<string, number>();
  const encode = (lines: string[]) => lines.map((line) => String.fromCodePoint(index.get(line) ?? (index.set(line, index.size + 1), index.size))).join('');
  const ops: { op: number; line: string }[] = [];
  let ia = 0;
  let ib = 0;
  for (const [op, text] of fastDiff(encode(a), encode(b))) {
    const count = [...text].length;
    for (let i = 0; i < count; i += 1) {
      if (op === 0) {
        ops.push({ op: 0, line: a[ia++]! });
        ib++;
      } else if (op === -1) ops.push({ op: -1, line: a[ia++]! });
      else ops.push({ op: 1, line: b[ib++]! });
    }
  }
  const changed = ops.map((o, i) => (o.op !== 0 ? i : -1)).filter((i) => i >= 0);
  if (changed.length === 0) return before === after ? '' : '\\ only the final newline differs\n';
  const hunks: [number, number][] = [];
  for (const i of changed) {
    const start = Math.max(0, i - context);
    const end = Math.min(ops.length - 1, i + context);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1] + 1) last[1] = end;
    else hunks.push([start, end]);
  }
  const out: string[] = [];
  for (const [start, end] of hunks) {
    let oldStart = 1;
    let newStart = 1;
    for (let i = 0; i < start; i += 1) {
      if (ops[i]!.op !== 1) oldStart += 1;
      if (ops[i]!.op !== -1) newStart += 1;
    }
    const slice = ops.slice(start, end + 1);
    const oldCount = slice.filter((o) => o.op !== 1).length;
    const newCount = slice.filter((o) => o.op !== -1).length;
    out.push(`@@ -${oldCount ? oldStart : oldStart - 1},${oldCount} +${newCount ? newStart : newStart - 1},${newCount} @@`);
    for (const o of slice) out.push(`${o.op === 0 ? ' ' : o.op === 1 ? '+' : '-'}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}

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

  it('gives the same text as the first, plainer way of writing it, over many random edits of texts with repeated lines', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const text = (n: number) => Array.from({ length: n }, () => ['a', 'b', 'c', '', 'x y', 'é'][random(6)]).join('\n') + (random(4) ? '\n' : '');
    for (let round = 0; round < 2000; round++) {
      const before = text(random(25));
      const lines = before.split('\n');
      for (let edits = random(5); edits > 0; edits--) {
        const at = random(lines.length + 1);
        const what = random(3);
        if (what === 0) lines.splice(at, 1);
        else if (what === 1) lines.splice(at, 0, ['a', 'n', ''][random(3)]!);
        else lines[at] = 'changed';
      }
      const after = lines.join('\n');
      for (const context of [0, 1, 3]) expect(unifiedDiff(before, after, context), JSON.stringify([before, after, context])).toBe(reference(before, after, context));
    }
    // More distinct lines than one UTF-16 unit can name (their characters take two).
    const many = Array.from({ length: 0xd800 + 10 }, (_, i) => `line ${i}`);
    const wide = [...many.slice(0, 100), 'new', ...many.slice(100, -5)].join('\n');
    expect(unifiedDiff(many.join('\n'), wide)).toBe(reference(many.join('\n'), wide));
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
