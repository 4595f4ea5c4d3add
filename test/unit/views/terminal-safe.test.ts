// Nothing from a host or a file reaches the operator's terminal as a control sequence: human views show them
// escaped (their own colours kept); JSON carries the bytes as JSON escapes.
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/model/plan.js';
import { chooseViews } from '../../../src/views/index.js';
import { painter, terminalSafe } from '../../../src/views/paint.js';

describe('terminalSafe', () => {
  it.each([
    ['clear screen', 'a\x1b[2Jb', 'a\\x1b[2Jb'],
    ['cursor up, overwrite', 'x\x1b[1A\x1b[2Kfake', 'x\\x1b[1A\\x1b[2Kfake'],
    ['carriage return over a line', 'real\rfake', 'real\\x0dfake'],
    ['a window title (OSC) and a bell', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
    ['conceal (SGR 8) hides text', '\x1b[8mhidden\x1b[0m', '\\x1b[8mhidden\x1b[0m'],
    ['a C1 control (CSI in one byte) and DEL', '\u009b2J\u007f', '\\x9b2J\\x7f'],
    ['newlines and tabs stay', 'a\tb\nc\n', 'a\tb\nc\n'],
    ['text without controls is unchanged', 'héllo wörld', 'héllo wörld'],
  ])('%s', (_name, text, shown) => {
    expect(terminalSafe(text)).toBe(shown);
  });

  it("keeps painter()'s own colours", () => {
    const paint = painter(true);
    const text = `${paint('green', '+ file')} ${paint('red', '- old')} ${paint('bold', 'lab1')} ${paint('dim', 'note')} ${paint('yellow', 'w')} ${paint('cyan', 'c')}`;
    expect(terminalSafe(text)).toBe(text);
  });
});

describe('views', () => {
  const hostile = '@@ -1 +1 @@\n-port = 1\n+port = 2\x1b[2J\x1b[1A\x1b[2K\rall good\n';
  const plan: Plan = {
    formatVersion: 1,
    kind: 'apply',
    hosts: [
      {
        host: 'lab1',
        changes: [
          {
            kind: 'file',
            action: 'update',
            target: '/etc/demo.conf',
            attributes: [{ name: 'content', before: 'a'.repeat(64), after: 'b'.repeat(64) }],
            diff: hostile,
            secret: false,
            precondition: { exists: true, sha256: 'a'.repeat(64) },
          },
        ],
        warnings: [],
        managedAfter: [],
        error: 'host said \x1b]0;owned\x07',
      },
    ],
  };
  const render = (format: 'human' | 'json', color: boolean) => {
    const out = { stdout: '', stderr: '' };
    const views = chooseViews(format, { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t) }, { color });
    views.plan().plan(plan);
    views.diagnostics.error(new Error('stderr: \x1b[2J'));
    return out;
  };

  it.each([false, true])('a human plan shows a diff and an error with escapes escaped (colour %s)', (color) => {
    const out = render('human', color);
    expect(out.stdout).toContain('+port = 2\\x1b[2J\\x1b[1A\\x1b[2K\\x0dall good');
    expect(out.stdout).toContain('host said \\x1b]0;owned\\x07');
    expect(out.stderr).toContain('stderr: \\x1b[2J');
    // The only ESC left is the start of painter()'s own colours.
    const all = out.stdout + out.stderr;
    const escapes = all.split('\x1b').slice(1);
    expect(escapes.every((after) => /^\[\d+m/.test(after))).toBe(true);
    if (!color) expect(out.stdout).not.toContain('\x1b');
  });

  it('JSON keeps the exact bytes, as JSON escapes', () => {
    const out = render('json', false);
    expect(JSON.parse(out.stdout).hosts[0].changes[0].diff).toBe(hostile);
    expect(out.stdout).not.toContain('\x1b');
  });
});

describe('progress lines', () => {
  it('go to stderr as text, or as one JSON line each with --json (stdout keeps only the result)', () => {
    const line = 'downloading the Ephemery release https://example.org/ephemery-161/testnet-all.tar.gz';
    for (const format of ['human', 'json'] as const) {
      const out = { stdout: '', stderr: '' };
      chooseViews(format, { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t) }, { color: false }).diagnostics.progress(line);
      expect(out.stdout).toBe('');
      expect(out.stderr).toBe(format === 'human' ? `${line}\n` : `${JSON.stringify({ format_version: 1, progress: line })}\n`);
    }
  });

  it('drive nothing on the terminal: a controller path with control characters in an upload\'s line is shown escaped', () => {
    const out = { stdout: '', stderr: '' };
    const line = 'web-1: uploading /srv/\x1b[2Jbig\x07.bin: 1.0 of 2.0 MiB (50%), 9.0 MiB/s';
    chooseViews('human', { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t) }, { color: false }).diagnostics.progress(line);
    expect([...out.stderr.slice(0, -1)].filter((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toEqual([]);
    expect(out.stderr).toContain('web-1: uploading /srv/');
  });
});
