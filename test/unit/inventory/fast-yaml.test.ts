// fastYaml against the yaml library: for every text it takes, the same data and the same places (where, position)
// as the library's parse; everything outside its kind is left to the library (undefined).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { fastLinePos, fastYaml, type FastNode } from '../../../src/inventory/fast-yaml.js';
import { YamlSource, type PathSegment } from '../../../src/inventory/source.js';
import { parsePlaybook } from '../../../src/inventory/playbook.js';

const root = join(import.meta.dirname, '..', '..', '..');

function libraryValue(text: string): { errors: number; value: unknown } {
  const doc = parseDocument(text, { uniqueKeys: false, merge: true, prettyErrors: false });
  return { errors: doc.errors.length, value: doc.toJS({ maxAliasCount: 1000 }) };
}

/** Every path of the tree, each with its node. */
function paths(node: FastNode, at: PathSegment[] = []): PathSegment[][] {
  const out: PathSegment[][] = [at];
  if (node.pairs) for (const [key, pair] of node.pairs) out.push(...paths(pair.node, [...at, key]));
  if (node.items) node.items.forEach((item, index) => out.push(...paths(item, [...at, index])));
  return out;
}

/** The same data as the library, and for every path (and a few that are not there) the same places. */
function expectSame(text: string, file = 'x.yaml'): void {
  const fast = fastYaml(text);
  expect(fast, file).toBeDefined();
  const library = libraryValue(text);
  expect({ errors: 0, value: fast!.value }, file).toEqual(library);
  const quick = YamlSource.parse({ file, text });
  expect(quick.value, file).toEqual(library.value);
  // A deferred source finds places through the library's parse only.
  const slow = YamlSource.deferred({ file, text });
  const all = paths(fast!.root);
  for (const path of [...all, ...all.slice(0, 50).map((p) => [...p, 'missing']), [7, 'x'], ['nope']]) {
    for (const key of [false, true]) expect([path, key, quick.source.offsetOf(path, key)], file).toEqual([path, key, slow.offsetOf(path, key)]);
    expect(quick.source.where(path), file).toBe(slow.where(path));
  }
  const counter = new LineCounter();
  parseDocument(text, { lineCounter: counter });
  for (const offset of [0, 1, text.length - 1, text.length, Math.floor(text.length / 2), text.indexOf('\n') + 1]) {
    expect(fastLinePos(fast!.lineStarts, offset), `${file} @${offset}`).toEqual(counter.linePos(offset));
  }
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

describe('fastYaml', () => {
  it('reads the plain kind of YAML as the library does: data, key and value places, lines and columns', () => {
    expectSame(`---
# a comment
- name: many files   # trailing comment
  hosts: all
  vars:
    port: 0644
    n: 12
    empty:
    nothing: ~
    yes_no: yes
    flag: true
    off: False
    nul: null
    quoted: "0755"
    single: 'it''s # not a comment'
    dotted.key-name: a:b#c
    url: http://x/y?z=1,2
    ip: 127.0.0.21
    text: café 😀 ✓
    rel: ../../x.yaml
    hidden: .hidden
    dur: 2m
    list: [a, "b c", 'd''e', 12, ~/.ssh/x]   # a comment
    none: []
    map: { host: 127.0.0.1, port: 22, quoted: "x, y" }
    nomap: {}
  directories:
  - path: /srv/many
    mode: "0755"
  -   path: /srv/b
      mode: '0700'
  files:
    - path: /srv/many/f.conf
      content: |
        # file 0, written by the bench
        rev = {{ many_rev }}

          indented more

      mode: "0644"
    - path: /srv/many/g.conf
      content: |-
        no newline at the end
      tags:
        - a
        - [b, c]
        - { d: 1 }
  # a comment between keys, less indented
  handlers:
- hosts: other
  users:
    - name: eth
`);
  });

  it('reads the repository\'s YAML files it takes exactly as the library does', () => {
    let taken = 0;
    const files = yamlFiles(root).filter((f) => !f.includes(`${join('test', 'fixtures', 'invalid')}`));
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (!fastYaml(text)) continue;
      // A text the library reports a problem in is never taken.
      const parsed = parseDocument(text, { uniqueKeys: false, merge: true });
      expect(parsed.errors, relative(root, file)).toEqual([]);
      expectSame(text, relative(root, file));
      taken++;
    }
    expect(taken).toBeGreaterThan(10);
  });

  it('takes the bench\'s playbook of 5,000 files, and its plays name the same places as the library\'s parse', () => {
    const files = Array.from({ length: 300 }, (_, i) => `    - path: /srv/many/d${i % 10}/f${i}.conf\n      content: |\n        # file ${i}\n        rev = {{ many_rev }}\n      mode: "0644"\n`).join('');
    const text = `- name: many files\n  hosts: all\n  directories:\n    - path: /srv/many\n      mode: "0755"\n  files:\n${files}`;
    expectSame(text);
    const quick = parsePlaybook({ file: 'pb.yaml', text });
    expect(quick.problems).toEqual([]);
    // The same plays, origins included, as the library's parse gives them.
    const slowText = `${text}# a tab:\t\n`;
    expect(fastYaml(slowText)).toBeUndefined();
    const slow = parsePlaybook({ file: 'pb.yaml', text: slowText });
    expect(JSON.stringify(quick.playbook.plays)).toBe(JSON.stringify(slow.playbook.plays));
  });

  it.each([
    ['a nested flow sequence', 'a: [1, [2]]\n'],
    ['a flow sequence over lines', 'a: [1,\n  2]\n'],
    ['a flow trailing comma', 'a: [1, ]\n'],
    ['a flow pair in a sequence', 'a: [b: 1]\n'],
    ['a flow mapping without a space', 'a: {b:1}\n'],
    ['a flow mapping with a duplicate', 'a: { b: 1, b: 2 }\n'],
    ['a flow mapping, no value', 'a: { b: }\n'],
    ['an anchor and alias', 'a: &x 1\nb: *x\n'],
    ['a merge key', 'a:\n  <<: {b: 1}\n'],
    ['a tag', 'a: !vault |\n  x\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a multi-line quoted scalar', 'a: "one\n  two"\n'],
    ['an escape', 'a: "x\\ty"\n'],
    ['a float', 'a: 1.5\n'],
    ['a negative number', 'a: -1\n'],
    ['a hex number', 'a: 0x1f\n'],
    ['a huge number', 'a: 123456789012345678901234567890\n'],
    ['a folded block', 'a: >\n  x\n'],
    ['a kept block', 'a: |+\n  x\n\n'],
    ['an indentation indicator', 'a: |2\n   x\n'],
    ['a tab', 'a:\tb\n'],
    ['CRLF', 'a: b\r\n'],
    ['a control character', 'a: b\u0001c\n'],
    ['a next-line character', 'a: b\u0085c\n'],
    ['a line separator', 'a: b\u2028c\n'],
    ['a byte-order mark', '\ufeffa: b\n'],
    ['no last newline', 'a: b'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['a directive', '%YAML 1.1\n---\na: 1\n'],
    ['a bad indentation', 'a:\n  b: 1\n   c: 2\n'],
    ['an item on its own lines', '-\n  a: 1\n'],
    ['a nested sequence on one line', '- - a\n'],
    ['a plain scalar with ": "', 'a: b: c\n'],
    ['a quoted key', '"a": 1\n'],
    ['a numeric key', '1: a\n'],
    ['a key true', 'true: a\n'],
    ['__proto__', '__proto__: a\n'],
    ['a top-level scalar', 'hello\n'],
    ['an empty text', ''],
    ['only a comment', '# nothing\n'],
    ['an empty block', 'a: |\nb: 1\n'],
    ['a block whose blank line has more spaces', 'a: |\n  x\n     \n  y\n'],
    ['text after a quote', 'a: "x" y\n'],
    ['a dash-led plain scalar', 'a: -x\n'],
    ['a dot-led number', 'a: .5\n'],
  ])('leaves %s to the library', (_what, text) => {
    expect(fastYaml(text)).toBeUndefined();
    // And YamlSource still reads it, through the library.
    const parsed = YamlSource.parse({ file: 'x.yaml', text });
    const library = libraryValue(text);
    if (!parsed.fatal && parsed.problems.length === 0) expect(parsed.value).toEqual(library.value);
  });
});
