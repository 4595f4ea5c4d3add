import { describe, expect, it } from 'vitest';
import { excerptAt, formatField, offsetOf, YamlSource } from '../../../src/inventory/source.js';

const parse = (text: string) => YamlSource.parse({ file: 'f.yaml', text });

describe('formatField', () => {
  it.each([
    ['', ['all', 'hosts', 'lab1'], 'all.hosts.lab1'],
    ['', [0, 'files', 2, 'mode'], '[0].files[2].mode'],
    ['group_vars.beacon', ['ansible_port'], 'group_vars.beacon.ansible_port'],
    ['extra_vars', [], 'extra_vars'],
    ['', [], ''],
  ] as const)('%j + %j -> %s', (prefix, path, expected) => {
    expect(formatField(prefix, path)).toBe(expected);
  });
});

describe('excerptAt', () => {
  it.each([
    ['a: 1\nbb: 22\n', 2, 5, '    bb: 22\n        ^'],
    ['x', 1, 1, '    x\n    ^'],
    ['\tkey: v', 1, 7, '    \tkey: v\n    \t     ^'],
    ['a\r\nb', 1, 1, '    a\n    ^'],
  ])('%j at %i:%i', (text, line, column, expected) => {
    expect(excerptAt(text, line, column)).toBe(expected);
  });

  it('returns undefined past the end', () => {
    expect(excerptAt('a', 3, 1)).toBeUndefined();
  });

  it('cuts long lines around the caret, keeping it under the column', () => {
    const line = `${'a'.repeat(300)}X${'b'.repeat(300)}`;
    const [shown, caret] = excerptAt(line, 1, 301)!.split('\n');
    expect(shown!.length).toBeLessThan(200);
    expect(shown![caret!.indexOf('^')]).toBe('X');
  });
});

describe('offsetOf', () => {
  it.each([
    ['ab\ncd', 1, 1, 0],
    ['ab\ncd', 2, 2, 4],
    ['ab', 5, 1, 2],
  ])('%j %i:%i -> %i', (text, line, column, expected) => {
    expect(offsetOf(text, line, column)).toBe(expected);
  });
});

describe('YamlSource', () => {
  const text = 'all:\n  hosts:\n    lab1: { ansible_port: 22 }\n    lab2:\n  list:\n    - a\n    - "b"\n';

  it.each([
    [['all', 'hosts', 'lab1', 'ansible_port'], false, 3, 27],
    [['all', 'hosts', 'lab1', 'ansible_port'], true, 3, 13],
    [['all', 'hosts', 'lab1'], false, 3, 11],
    [['all', 'hosts', 'lab1'], true, 3, 5],
    // An empty value points at its key.
    [['all', 'hosts', 'lab2'], false, 4, 5],
    [['all', 'list', 1], false, 7, 7],
    // A missing key points at the nearest node that exists.
    [['all', 'hosts', 'lab1', 'nope'], false, 3, 11],
    [['nothing', 'here'], false, 1, 1],
  ] as const)('position of %j (key: %s) is %i:%i', (path, key, line, column) => {
    const { source } = parse(text);
    expect(source.position(source.offsetOf(path, key))).toEqual({ file: 'f.yaml', line, column });
  });

  it('problem() carries position, field and excerpt', () => {
    const { source } = parse(text);
    expect(source.problem(['all', 'hosts', 'lab1', 'ansible_port'], 'bad')).toEqual({
      code: 'config.invalid',
      position: { file: 'f.yaml', line: 3, column: 27 },
      field: 'all.hosts.lab1.ansible_port',
      message: 'bad',
      excerpt: '        lab1: { ansible_port: 22 }\n                              ^',
    });
  });

  it('sourceText shows how a value was written', () => {
    const { source } = parse('mode: 0644\nq: "x"\n');
    expect(source.sourceText(['mode'])).toBe('0644');
    expect(source.sourceText(['q'])).toBe('"x"');
  });

  it.each([
    ['duplicate keys name both places', 'a: 1\nb:\n  c: 1\n  c: 2\n', ["f.yaml:4:3: b.c: duplicate key 'c' (first at line 3); a mapping holds each key once: merge the two"]],
    ['duplicate keys in a list item', '- x: 1\n  x: 1\n', ["f.yaml:2:3: [0].x: duplicate key 'x' (first at line 1); a mapping holds each key once: merge the two"]],
    [
      'duplicates in nested lists and flow collections, in document order',
      '- - a: 1\n    a: 2\n  - b: [ {c: 1, c: 2} ]\n- q: 1\n  q: 2\n  q: 3\n',
      [
        "f.yaml:2:5: [0][0].a: duplicate key 'a' (first at line 1); a mapping holds each key once: merge the two",
        "f.yaml:3:17: [0][1].b[0].c: duplicate key 'c' (first at line 3); a mapping holds each key once: merge the two",
        "f.yaml:5:3: [1].q: duplicate key 'q' (first at line 4); a mapping holds each key once: merge the two",
        "f.yaml:6:3: [1].q: duplicate key 'q' (first at line 4); a mapping holds each key once: merge the two",
      ],
    ],
    [
      'an outer duplicate before an inner one',
      'a:\n  b:\n    - c: 1\n      d: {e: 1, e: 2}\n      c: 3\n',
      [
        "f.yaml:5:7: a.b[0].c: duplicate key 'c' (first at line 3); a mapping holds each key once: merge the two",
        "f.yaml:4:17: a.b[0].d.e: duplicate key 'e' (first at line 4); a mapping holds each key once: merge the two",
      ],
    ],
    ['tabs', 'a:\n\tb: 1\n', ['f.yaml:2:1: a: YAML syntax: tabs are not allowed for indentation in YAML; indent with spaces']],
    ['two documents', 'a: 1\n---\nb: 2\n', [expect.stringMatching(/^f\.yaml:2:1: .*YAML syntax: the file holds more than one YAML document/)]],
    ['unresolved alias', 'a: *nope\n', ["f.yaml:1:4: a: unresolved alias *nope: define the anchor &nope before using it"]],
    ['unterminated quote', 'a: "x\n', ['f.yaml:2:1: a: YAML syntax: Missing closing "quote']],
  ])('%s', (_name, input, expected) => {
    const parsed = parse(input);
    expect(parsed.problems.map((p) => `${p.position.file}:${p.position.line}:${p.position.column}: ${p.field ? `${p.field}: ` : ''}${p.message}`)).toEqual(expected);
  });

  it('syntax errors are fatal; duplicates are not', () => {
    expect(parse('a: [1\nb: 2\n').fatal).toBe(true);
    const duplicates = parse('a: 1\na: 2\n');
    expect(duplicates.fatal).toBe(false);
    expect(duplicates.value).toEqual({ a: 2 });
  });

  it('anchors, aliases and merge keys resolve', () => {
    const parsed = parse('base: &base { a: 1, b: 2 }\nhost:\n  <<: *base\n  b: 3\n');
    expect(parsed.problems).toEqual([]);
    expect(parsed.value).toEqual({ base: { a: 1, b: 2 }, host: { a: 1, b: 3 } });
  });

  it('scalarLayout maps block, plain and quoted scalars', () => {
    const { source } = parse('a: |\n    line1\n    line2\nb: plain\nc: "quoted"\n');
    expect(source.scalarLayout(['a'])).toEqual({ line: 2, column: 5, block: true, indent: 4 });
    expect(source.scalarLayout(['b'])).toEqual({ line: 4, column: 4, block: false, indent: 0 });
    expect(source.scalarLayout(['c'])).toEqual({ line: 5, column: 5, block: false, indent: 0 });
  });
});

describe('keys and documents that name no field', () => {
  it('places a problem under a null key at its own line, not at the map\'s first key', () => {
    const text = 'lab1:\n  ansible_host: 127.0.0.11\n  ? \n  : 5\nlab2: {}\n';
    const { source, value } = YamlSource.parse({ file: 'inv.yaml', text });
    expect(value).toEqual({ lab1: { ansible_host: '127.0.0.11', '': 5 }, lab2: {} });
    expect(source.problem(['lab1', ''], 'bad', { key: true }).position.line).toBe(3);
    const tilde = YamlSource.parse({ file: 'inv.yaml', text: 'a: 1\n~: 2\n' });
    expect(tilde.source.problem([''], 'bad', { key: true }).position.line).toBe(2);
  });

  it('names no field for a second document', () => {
    const { problems } = YamlSource.parse({ file: 'inv.yaml', text: 'all:\n  hosts:\n    lab1: {}\n---\nall: {}\n' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ position: { line: 4, column: 1 }, field: '' });
    expect(problems[0]!.message).toMatch(/more than one YAML document/);
  });
});
