// fastYaml against the yaml library on generated texts: block mappings and sequences nested a few deep, literal
// blocks of every chomping, flow collections, comments, blank lines and scalars of every kind the core schema
// tells apart (and some it refuses). Whatever fastYaml takes must give the library's data; the rest it leaves to the
// library. Seeded: the same texts every run.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { fastYaml } from '../../../src/inventory/fast-yaml.js';

/** A small deterministic generator (an LCG): the same seed gives the same texts. */
function generator(seed: number): { pick<T>(xs: readonly T[]): T; below(n: number): number } {
  let state = seed;
  const below = (n: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  return { below, pick: (xs) => xs[below(xs.length)]! };
}

// Scalars the core schema reads as strings, numbers, booleans and null, quoted ones, flow collections, and things
// outside fastYaml's kind (anchors, tags, escapes, odd numbers) that it must leave alone.
const WIDE = ['a', 'yes', 'no', 'on', 'null', '~', 'Null', 'true', 'False', '0', '012', '0644', '-1', '+1', '1.5', '.5', '1e3', '0x1F', '0o17', '.inf', '-.inf', '.nan',
  'a b', 'a#b', 'a #b', 'a: b', 'a:b', "'q'", "'it''s'", '"dq"', '"e\\n"', '[a, b]', '{k: v}', '[]', '{}', 'x  ', 'http://x/y?z=1', '- x', '*a', '&a b', '!t x', '@x',
  '`x', '%x', '? x', '| x', '> x', 'a,b', '1_000', '2001-12-14', '12:30', '1:2', 'é', '"unterminated', "'a'b'", '[a', 'a]', '{a: [b]}', '[a, [b]]', '["a", \'b\']',
  '[a,]', '[, a]', '{a: 1, a: 2}', '#c', ' ', '', '0.', '00', '-0', '+.5', '1e', '1E+3', 'TRUE', 'tRue', '<<', '=', '-', '--', '---', '...', '"a" # c', "'a' x",
  '{ a: 1 }', '[ a ]', '{a: "x, y"}', "['a, b']", '"a\'b"', "'a\"b'", '[a b]', '{a}', '{a: }', '[a: b]', 'a  # c', 'a   b'];
// Mostly of fastYaml's kind, so that it takes more of the texts.
const PLAIN = ['a', 'yes', 'no', 'null', '~', 'true', 'False', '0', '012', '0644', '7', 'a b', 'a#b', 'a #b', 'a:b', "'q'", "'it''s'", '"dq"', '[a, b]', '{k: v}',
  '[]', '{}', 'x  ', 'http://x/y?z=1', 'a,b', '1_000', '2001-12-14', '12:30', 'é', '00', 'TRUE', 'tRue', '=', '"a" # c', '{ a: 1 }', '[ a ]', '{a: "x, y"}',
  "['a, b']", 'a  # c', 'a   b', '-x', 'x-', 'a.b', '..', '/p/q', '$x', '{{ v }}x', 'x {{ v }}', '9999999999999999999', '1.0', 'NaN', 'Infinity'];
const KEYS_WIDE = ['a', 'b', 'name', 'key_1', 'k.x', 'k-y', 'true', 'null', '1', 'web-1', '"q"', "'s'", 'a b', '?', '-', '__proto__', 'A', 'x_', '_y', 'a.b.c'];
const KEYS_PLAIN = ['a', 'b', 'name', 'key_1', 'k.x', 'k-y', 'A', 'x_', '_y', 'a.b.c', 'content', 'path', 'mode'];

function text(g: ReturnType<typeof generator>, scalars: readonly string[], keys: readonly string[]): string {
  const block = (depth: number, indent: number): string => {
    const pad = ' '.repeat(indent);
    const seq = g.below(3) === 0;
    let out = '';
    for (let i = 1 + g.below(3); i > 0; i--) {
      out += g.below(8) === 0 ? `${pad}# comment\n` : g.below(10) === 0 ? '\n' : g.below(20) === 0 ? `${' '.repeat(g.below(6))}\n` : '';
      const head = seq ? `${pad}-${g.pick([' ', ' ', ' ', '  '])}` : `${pad}${g.pick(keys)}:`;
      const kind = g.below(10);
      if (depth < 3 && kind < 3) {
        if (seq && g.below(2) === 0) out += head + block(depth + 1, head.length).slice(head.length);
        else out += `${seq ? head.trimEnd() : head}${g.below(6) === 0 ? ' # c' : ''}\n${block(depth + 1, indent + g.pick([0, 2, 2, 4, 1, 3]))}`;
      } else if (kind < 5) {
        const at = indent + g.pick([2, 2, 1, 3, 4]);
        let body = '';
        for (let j = 1 + g.below(3); j > 0; j--) {
          body += g.below(4) === 0 ? `${' '.repeat(g.below(2) ? 0 : g.below(8))}\n` : `${' '.repeat(at + (g.below(5) === 0 ? g.below(3) : 0))}${g.pick(scalars)}${g.below(5) === 0 ? ' ' : ''}\n`;
        }
        out += `${seq ? head : `${head} `}${g.pick(['|', '|', '|-', '|+', '>', '|2', '>-'])}${g.below(6) === 0 ? ' # c' : ''}\n${body}`;
      } else {
        out += `${seq ? head : head + g.pick([' ', ' ', '  '])}${g.pick(scalars)}${g.below(6) === 0 ? ' # trailing' : ''}\n`;
      }
    }
    return out;
  };
  return (g.below(5) === 0 ? '---\n' : '') + block(0, 0) + (g.below(15) === 0 ? '# end' : '');
}

describe('fastYaml against the yaml library on generated texts', () => {
  for (const [name, scalars, keys, seed] of [
    ['every kind of scalar and key', WIDE, KEYS_WIDE, 1],
    ['mostly the plain kind', PLAIN, KEYS_PLAIN, 2],
  ] as const) {
    it(`${name}: what it takes, it reads as the library does`, () => {
      const g = generator(seed);
      const wrong: string[] = [];
      let taken = 0;
      for (let i = 0; i < 6000; i++) {
        const source = text(g, scalars, keys);
        const fast = fastYaml(source);
        if (!fast) continue;
        const doc = parseDocument(source, { uniqueKeys: false, merge: true, prettyErrors: false });
        if (doc.errors.length > 0) wrong.push(`the library refuses it, fastYaml took it:\n${source}`);
        else if (!isDeepStrictEqual(doc.toJS({ maxAliasCount: 1000 }), fast.value)) wrong.push(`other data:\n${source}`);
        else taken++;
      }
      expect(wrong.slice(0, 3)).toEqual([]);
      // It took enough of them for this to say something.
      expect(taken).toBeGreaterThan(200);
    });
  }
});
