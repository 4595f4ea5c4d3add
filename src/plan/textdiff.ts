// Unified line diffs built on fast-diff: lines are mapped to single characters first
// (the diff-match-patch line mode), so fast-diff's character diff becomes a line diff.

import fastDiff from 'fast-diff';

type Op = -1 | 0 | 1;

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function linesToChars(a: string[], b: string[]): { a: string; b: string } {
  const index = new Map<string, number>();
  const encode = (lines: string[]) =>
    lines
      .map((line) => {
        let code = index.get(line);
        if (code === undefined) {
          code = index.size + 1;
          index.set(line, code);
        }
        return String.fromCodePoint(code);
      })
      .join('');
  return { a: encode(a), b: encode(b) };
}

interface LineOp {
  op: Op;
  line: string;
}

function lineOps(before: string, after: string): LineOp[] {
  const a = splitLines(before);
  const b = splitLines(after);
  const chars = linesToChars(a, b);
  const ops: LineOp[] = [];
  let ia = 0;
  let ib = 0;
  for (const [op, text] of fastDiff(chars.a, chars.b)) {
    const count = [...text].length;
    for (let i = 0; i < count; i += 1) {
      if (op === fastDiff.EQUAL) {
        ops.push({ op: 0, line: a[ia] ?? '' });
        ia += 1;
        ib += 1;
      } else if (op === fastDiff.DELETE) {
        ops.push({ op: -1, line: a[ia] ?? '' });
        ia += 1;
      } else {
        ops.push({ op: 1, line: b[ib] ?? '' });
        ib += 1;
      }
    }
  }
  return ops;
}

/**
 * A unified diff (without file headers) with `context` lines around each change;
 * empty when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, context = 3): string {
  // A new file (most of a first apply's diffs): every line added, one hunk, no line diff to run.
  if (before === '') {
    const lines = splitLines(after);
    if (lines.length === 0) return '';
    return `@@ -0,0 +1,${lines.length} @@\n+${lines.join('\n+')}\n`;
  }
  const ops = lineOps(before, after);
  const changed = ops.map((o, i) => (o.op !== 0 ? i : -1)).filter((i) => i >= 0);
  if (changed.length === 0) {
    if (before === after) return '';
    return '\\ only the final newline differs\n';
  }
  // Group changed lines into hunks whose context windows touch.
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
      const op = ops[i]!.op;
      if (op !== 1) oldStart += 1;
      if (op !== -1) newStart += 1;
    }
    const slice = ops.slice(start, end + 1);
    const oldCount = slice.filter((o) => o.op !== 1).length;
    const newCount = slice.filter((o) => o.op !== -1).length;
    out.push(`@@ -${oldCount ? oldStart : oldStart - 1},${oldCount} +${newCount ? newStart : newStart - 1},${newCount} @@`);
    for (const o of slice) out.push(`${o.op === 0 ? ' ' : o.op === 1 ? '+' : '-'}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}

/** True when the bytes look like text worth diffing. */
export function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}
