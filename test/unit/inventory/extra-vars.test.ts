import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/errors.js';
import { extraVarFileReferences, parseExtraVars, splitWords } from '../../../src/inventory/extra-vars.js';

describe('-e parsing', () => {
  it.each([
    [['a=1'], { a: '1' }],
    [['a=1 b=two'], { a: '1', b: 'two' }],
    [['a="with space" b=\'x y\''], { a: 'with space', b: 'x y' }],
    [['a=x=y'], { a: 'x=y' }],
    [['a='], { a: '' }],
    [['a=1', 'a=2'], { a: '2' }],
    // Known integer settings become numbers, as Ansible converts them.
    [['ansible_port=2222 nodeform_keep_generations=3'], { ansible_port: 2222, nodeform_keep_generations: 3 }],
    [['ansible_become=yes'], { ansible_become: 'yes' }],
    [['{"a": 1, "b": [true]}'], { a: 1, b: [true] }],
    [['{a: 1}'], { a: 1 }],
    [[], {}],
  ])('%j -> %j', (args, expected) => {
    const result = parseExtraVars(args);
    expect(result.problems).toEqual([]);
    expect(result.vars).toEqual(expected);
  });

  it('@file reads YAML with types', () => {
    const result = parseExtraVars(['@vars.yaml', 'b=2'], { 'vars.yaml': { file: 'vars.yaml', text: 'a: 1\nb: 1\n' } });
    expect(result.vars).toEqual({ a: 1, b: '2' });
  });

  it.each([
    [['novalue'], [], '-e #1:1:1: extra_vars: expected key=value, a YAML/JSON mapping or @file (got "novalue")'],
    [['a=1 "open'], [], '-e #1:5:1: extra_vars: unterminated " quote'.replace('-e #1:5:1', '-e #1:1:5')],
    [['a=1', 'ansible_port=http'], [], '-e #2:1:14: extra_vars.ansible_port: must be an integer port from 1 to 65535 (got "http")'],
    [['ansible_hots=x'], [], "-e #1:1:1: extra_vars.ansible_hots: unknown variable 'ansible_hots' (did you mean 'ansible_host'?)"],
    [['nodeform_state_dir=relative'], [], '-e #1:1:20: extra_vars.nodeform_state_dir: must be an absolute path: start it with / (got "relative")'],
    [['@missing.yaml'], [], "-e #1:1:2: extra_vars: cannot read extra vars file 'missing.yaml'"],
    [['{"ansible_port": "x"}'], [], '-e #1:1:18: extra_vars.ansible_port: must be an integer port from 1 to 65535 (got "x")'],
    [['[1, 2]'], [], '-e #1:1:1: extra_vars: must be a mapping of variable names to values (got a list)'],
  ])('%j is refused: %s', (args, _files, expected) => {
    const result = parseExtraVars(args);
    expect(result.problems.map((p) => formatProblem(p).split('\n')[0])).toEqual([expected]);
  });

  it('a file that cannot be read says why', () => {
    const result = parseExtraVars(['@vars.yaml'], { 'vars.yaml': 'permission denied' });
    expect(result.problems[0]?.message).toBe("cannot read extra vars file 'vars.yaml': permission denied");
  });

  it('problems in an @file point into the file', () => {
    const result = parseExtraVars(['@vars.yaml'], { 'vars.yaml': { file: 'vars.yaml', text: 'a: 1\nansible_port: 0\n' } });
    expect(formatProblem(result.problems[0]!)).toBe(
      'vars.yaml:2:15: extra_vars.ansible_port: must be an integer port from 1 to 65535 (got 0)\n    ansible_port: 0\n                  ^',
    );
  });

  it('the excerpt of a key=value problem is the argument itself', () => {
    const [problem] = parseExtraVars(['x=1 ansible_port=abc']).problems;
    expect(problem?.excerpt).toBe('    x=1 ansible_port=abc\n                     ^');
  });

  it('lists @file references', () => {
    expect(extraVarFileReferences(['a=1', '@x.yaml', '@/abs/y.yml'])).toEqual(['x.yaml', '/abs/y.yml']);
  });

  it('splitWords keeps offsets and honours quotes', () => {
    expect(splitWords(`  a=1   b="x \\" y" c='z'`)).toEqual([
      { text: 'a=1', offset: 2 },
      { text: 'b=x " y', offset: 8 },
      { text: 'c=z', offset: 19 },
    ]);
  });
});

describe('ansible_host is a host name or address', () => {
  it.each(['127.0.0.11', 'lab1', 'node-1.example.com', '::1', 'fe80::1%eth0', '2001:db8::2', 'my_alias'])('accepts %s', (address) => {
    expect(parseExtraVars([JSON.stringify({ ansible_host: address })]).problems).toEqual([]);
  });
  // Each would reach ssh as its address: an option, a second line, a command substitution.
  it.each(['-oProxyCommand=touch /tmp/x', 'a\nb', '$(id)', 'a;b', 'host name', ''])('refuses %j', (address) => {
    const problems = parseExtraVars([JSON.stringify({ ansible_host: address, nodeform_host: address })]).problems;
    expect(problems.map((p) => p.field).sort()).toEqual(['extra_vars.ansible_host', 'extra_vars.nodeform_host']);
    expect(problems[0]!.message).toMatch(/must be a host name, an ~\/.ssh\/config alias, or an IPv4 or IPv6 address/);
  });
});
