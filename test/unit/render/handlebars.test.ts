import { describe, expect, it } from 'vitest';
import { compileTemplate, renderString, renderTemplate } from '../../../src/render/handlebars.js';
import { templateCandidates, templateNotFoundMessage } from '../../../src/render/templates.js';

const context = { name: 'lab1', port: 8080, nested: { a: { b: 'deep' } }, list: ['x', 'y'], empty: '', html: '<a href="x">&</a>', zero: 0 };

describe('rendering', () => {
  it.each([
    ['plain text', 'plain text'],
    ['{{name}}:{{port}}', 'lab1:8080'],
    ['{{nested.a.b}}', 'deep'],
    ['{{#each list}}{{this}},{{/each}}', 'x,y,'],
    ['{{#each list}}{{@index}}{{/each}}', '01'],
    ['{{#if missing}}yes{{else}}no{{/if}}', 'no'],
    ['{{#unless missing}}none{{/unless}}', 'none'],
    ['{{html}}', '<a href="x">&</a>'],
    ['{{{html}}}', '<a href="x">&</a>'],
    ['{{default missing 5}}', '5'],
    ['{{default nested.nope "fb"}}', 'fb'],
    ['{{default empty "fb"}}', 'fb'],
    ['{{default port 1}}', '8080'],
    ['{{default zero 1}}', '0'],
    ['{{!-- a comment --}}x', 'x'],
    ['a\n  {{name}}\n', 'a\n  lab1\n'],
  ])('%j', (template, expected) => {
    expect(renderString(template, context)).toEqual({ ok: true, text: expected });
  });

  it.each([
    ['{{missing}}', 1, 3, 'missing'],
    ['line one\n  and {{ missing }} here', 2, 10, 'missing'],
    ['{{nested.a.missing}}', 1, 3, 'nested.a.missing'],
    ['{{nested.nope.b}}', 1, 3, 'nested.nope.b'],
    ['{{#if port}}\n{{missing}}{{/if}}', 2, 3, 'missing'],
    // Looking up a name in a string or number fails inside Handlebars without a position.
    ['a\n{{#each list}}{{this.missing}}{{/each}}', 2, 17, 'this.missing'],
    ['{{port.missing}}', 1, 3, 'port.missing'],
    ['{{#each list}}{{missing}}{{/each}}', 1, 17, 'missing'],
  ])('%j: undefined variable at %i:%i', (template, line, column, variable) => {
    const result = renderString(template, context);
    expect(result).toEqual({ ok: false, failure: { kind: 'undefined', line, column, variable, message: `variable '${variable}' is not defined` } });
  });

  it('an unknown helper is reported like an undefined name', () => {
    const result = renderString('{{shout name}}', context);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.failure).toMatchObject({ kind: 'undefined', variable: 'shout', line: 1, column: 3 });
  });

  it('default with a wrong number of arguments says how to call it', () => {
    const result = renderString('{{default name}}', context);
    expect(!result.ok && result.failure).toMatchObject({ kind: 'error', message: expect.stringContaining('default takes a value and a fallback') });
  });

  it.each([
    ['{{#if port}}no end', 1],
    ['ok\n{{name', 2],
    ['ok\nok\n  x {{/if}}', 3],
    ['{{#each list}}{{/if}}', 1],
  ])('%j: syntax error on line %i, found at compile time', (template, line) => {
    const compiled = compileTemplate(template);
    expect(compiled.ok).toBe(false);
    expect(!compiled.ok && compiled.failure).toMatchObject({ kind: 'syntax', line, message: expect.stringMatching(/^handlebars syntax error/) });
  });

  it('places the column of a syntax error on its line', () => {
    const compiled = compileTemplate('first\n  x = {{name');
    // The parser stops at the unterminated mustache's name.
    expect(!compiled.ok && [compiled.failure.line, compiled.failure.column]).toEqual([2, 9]);
  });

  it('one compiled template renders for many contexts', () => {
    const compiled = compileTemplate('{{name}}');
    if (!compiled.ok) throw new Error('compile');
    expect(renderTemplate(compiled.template, { name: 'a' })).toEqual({ ok: true, text: 'a' });
    expect(renderTemplate(compiled.template, { name: 'b' })).toEqual({ ok: true, text: 'b' });
  });

  it('templates cannot reach prototype properties', () => {
    expect(renderString('{{name.constructor}}', context).ok).toBe(false);
  });
});

describe('template lookup', () => {
  const inside = (...pairs: [string, string][]) => ({ candidates: pairs.map(([path, root]) => ({ path, root })) });
  it.each([
    ['demo/demo.conf.hbs', '/p/playbooks/demo.yaml', [], inside(['/p/playbooks/demo/demo.conf.hbs', '/p/playbooks'], ['/nf/templates/demo/demo.conf.hbs', '/nf/templates'])],
    ['systemd/x.service.hbs', '/p/demo.yaml', [], inside(['/p/systemd/x.service.hbs', '/p'], ['/nf/templates/systemd/x.service.hbs', '/nf/templates'])],
    ['/p/playbooks/t/x.hbs', '/p/playbooks/demo.yaml', [], inside(['/p/playbooks/t/x.hbs', '/p/playbooks'])],
    // Out of the project: an absolute path elsewhere, a climb with `..`, a climb out of the built-ins.
    ['/root/.ssh/id_ed25519', '/p/playbooks/demo.yaml', [], { refused: expect.stringMatching(/^template '\/root\/.ssh\/id_ed25519' is outside the playbook's directory.*--template-dir DIR$/) }],
    ['../t/x.hbs', '/p/playbooks/demo.yaml', [], { refused: expect.stringMatching(/is outside the playbook's directory/) }],
    ['../../etc/shadow', '/p/demo.yaml', [], { refused: expect.stringMatching(/is outside/) }],
    ['a/../../x.hbs', '/p/demo.yaml', [], { refused: expect.stringMatching(/is outside/) }],
    // Allowed explicitly.
    ['../t/x.hbs', '/p/playbooks/demo.yaml', ['/p/t'], inside(['/p/t/x.hbs', '/p/t'])],
    ['/srv/shared/x.hbs', '/p/playbooks/demo.yaml', ['/srv/shared'], inside(['/srv/shared/x.hbs', '/srv/shared'])],
    ['/srv/sharedx/x.hbs', '/p/playbooks/demo.yaml', ['/srv/shared'], { refused: expect.stringMatching(/is outside/) }],
  ])('%s from %s (allowed: %j)', (reference, playbook, allowed, expected) => {
    expect(templateCandidates(reference, playbook, '/nf/templates', allowed)).toEqual(expected);
  });

  it('says where it looked', () => {
    expect(templateNotFoundMessage('x.hbs')).toBe("template 'x.hbs' not found next to the playbook or in nodeform's templates/ directory");
  });
});
