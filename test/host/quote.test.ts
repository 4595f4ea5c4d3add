// The quoting function against a real POSIX sh: every word arrives as it was.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { command } from '../../src/shell/quote.js';

describe('command under /bin/sh', () => {
  it('hands each word to sh unchanged', () => {
    const words = ['', 'x y', "'", '"', '\\', '$HOME', '`id`', '*', 'a\nb', '; exit 3', 'é ☃'];
    const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${command(words)}`]);
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(words);
  });
});
