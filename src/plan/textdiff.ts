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

/** Each distinct line as one character (code points from 1, in order of first use), so a line diff is a character diff. */
function linesToChars(a: string[], b: string[]): { a: string; b: string; codes: number } {
  const index = new Map<string, number>();
  const encode = (lines: string[]): string => {
    let out = '';
    for (const line of lines) {
      let code = index.get(line);
      if (code === undefined) {
        code = index.size + 1;
        index.set(line, code);
      }
      out += String.fromCodePoint(code);
    }
    return out;
  };
  return { a: encode(a), b: encode(b), codes: index.size };
}

/** Ops per line, in order: 0 kept, -1 removed (a line of before), 1 added (a line of after). */
interface LineOps {
  ops: Op[];
  lines: string[];
}

function lineOps(before: string, after: string): LineOps {
  const a = splitLines(before);
  const b = splitLines(after);
  const chars = linesToChars(a, b);
  // Below the surrogates every code is one UTF-16 unit: a piece's length is its count of lines.
  const single = chars.codes < 0xd800;
  const ops: Op[] = [];
  const lines: string[] = [];
  let ia = 0;
  let ib = 0;
  for (const [op, text] of fastDiff(chars.a, chars.b)) {
    const count = single ? text.length : [...text].length;
    for (let i = 0; i < count; i += 1) {
      if (op === fastDiff.EQUAL) {
        ops.push(0);
        lines.push(a[ia] ?? '');
        ia += 1;
        ib += 1;
      } else if (op === fastDiff.DELETE) {
        ops.push(-1);
        lines.push(a[ia] ?? '');
        ia += 1;
      } else {
        ops.push(1);
        lines.push(b[ib] ?? '');
        ib += 1;
      }
    }
  }
  return { ops, lines };
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
  const { ops, lines } = lineOps(before, after);
  // Group changed lines into hunks whose context windows touch.
  const hunks: [number, number][] = [];
  for (let i = 0; i < ops.length; i += 1) {
    if (ops[i] === 0) continue;
    const start = Math.max(0, i - context);
    const end = Math.min(ops.length - 1, i + context);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1] + 1) last[1] = end;
    else hunks.push([start, end]);
  }
  if (hunks.length === 0) {
    if (before === after) return '';
    return '\\ only the final newline differs\n';
  }
  let out = '';
  // Lines of before and of after ahead of the current op.
  let oldAt = 0;
  let newAt = 0;
  let i = 0;
  for (const [start, end] of hunks) {
    for (; i < start; i += 1) {
      if (ops[i] !== 1) oldAt += 1;
      if (ops[i] !== -1) newAt += 1;
    }
    let oldCount = 0;
    let newCount = 0;
    let body = '';
    for (let j = start; j <= end; j += 1) {
      const op = ops[j]!;
      if (op !== 1) oldCount += 1;
      if (op !== -1) newCount += 1;
      body += `\n${op === 0 ? ' ' : op === 1 ? '+' : '-'}${lines[j]!}`;
    }
    const oldStart = oldAt + 1;
    const newStart = newAt + 1;
    out += `${out ? '\n' : ''}@@ -${oldCount ? oldStart : oldStart - 1},${oldCount} +${newCount ? newStart : newStart - 1},${newCount} @@${body}`;
  }
  return `${out}\n`;
}

/** True when the bytes look like text worth diffing. */
export function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}
