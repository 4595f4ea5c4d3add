import { describe, expect, it } from 'vitest';
import { command, quote } from '../../../src/shell/quote.js';

describe('quote', () => {
  it.each([
    ['', "''"],
    ['plain', 'plain'],
    ['/etc/a-b_c.conf', '/etc/a-b_c.conf'],
    ['k=v,w:x@y%z+1', 'k=v,w:x@y%z+1'],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$(reboot)', "'$(reboot)'"],
    ['`id`;rm -rf /', "'`id`;rm -rf /'"],
    ['*', "'*'"],
    ['~', "'~'"],
    ['a\nb', "'a\nb'"],
    ['-', '-'],
  ])('%j -> %s', (word, quoted) => {
    expect(quote(word)).toBe(quoted);
  });
});

describe('command', () => {
  it('quotes every word and joins them with spaces', () => {
    expect(command(['sudo', '-n', '-u', 'root', '--', 'sh', '-c', "echo 'hi' $HOME"])).toBe(
      "sudo -n -u root -- sh -c 'echo '\\''hi'\\'' $HOME'",
    );
    expect(command([])).toBe('');
  });
});
