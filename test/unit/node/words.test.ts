import { describe, expect, it } from 'vitest';
import { splitShellWords } from '../../../src/node/words.js';

// [string, words] or [string, { error fragment, offset }]
const cases: [string, string[] | { message: string; offset: number }][] = [
  ['', []],
  ['   ', []],
  ['--a', ['--a']],
  ['--a --b', ['--a', '--b']],
  ['  --a \t --b\n--c  ', ['--a', '--b', '--c']],
  ['--graffiti "hello world"', ['--graffiti', 'hello world']],
  ["--graffiti 'hello world'", ['--graffiti', 'hello world']],
  ['--x="a b"', ['--x=a b']],
  ["--x='a'\"b\"c", ['--x=abc']],
  ['a\\ b', ['a b']],
  ['"a\\"b"', ['a"b']],
  ['"a\\nb"', ['a\\nb']],
  ["'a\\b'", ['a\\b']],
  ["'$HOME'", ['$HOME']],
  ["''", ['']],
  ['--a=1,2 --b=x:y', ['--a=1,2', '--b=x:y']],
  ['a#b', ['a#b']],
  ['"a;b"', ['a;b']],
  ['a\\;b', ['a;b']],
  ['--a ; rm -rf /', { message: "';' is a shell operator", offset: 4 }],
  ['--a;b', { message: "';' is a shell operator", offset: 3 }],
  ['--a && --b', { message: "'&&' is a shell operator", offset: 4 }],
  ['--a || --b', { message: "'||' is a shell operator", offset: 4 }],
  ['--a | tee x', { message: "'|' is a shell operator", offset: 4 }],
  ['--a > /tmp/x', { message: "'>' is a shell operator", offset: 4 }],
  ['--a < x', { message: "'<' is a shell operator", offset: 4 }],
  ['--a &', { message: "'&' is a shell operator", offset: 4 }],
  ['(--a)', { message: "'(' is a shell operator", offset: 0 }],
  ['--dir $HOME', { message: "'$' would be a shell expansion", offset: 6 }],
  ['--x `id`', { message: "'`' would be a shell expansion", offset: 4 }],
  ['--x "$(id)"', { message: "'$' inside double quotes", offset: 5 }],
  ['--a # note', { message: "'#' would start a shell comment", offset: 4 }],
  ['--a "b', { message: 'unterminated " quote', offset: 4 }],
  ["--a 'b", { message: "unterminated ' quote", offset: 4 }],
  ['--a \\', { message: 'a trailing backslash', offset: 4 }],
];

describe('splitShellWords', () => {
  it.each(cases)('%j', (text, expected) => {
    const result = splitShellWords(text);
    if (Array.isArray(expected)) {
      expect(Array.isArray(result) ? result.map((w) => w.text) : result).toEqual(expected);
    } else {
      expect(result).toMatchObject({ offset: expected.offset, message: expect.stringContaining(expected.message) });
    }
  });

  it('gives each word the offset of its first character, quotes included', () => {
    expect(splitShellWords(`--a  "b c" 'd'e`)).toEqual([
      { text: '--a', offset: 0 },
      { text: 'b c', offset: 5 },
      { text: 'de', offset: 11 },
    ]);
  });
});
