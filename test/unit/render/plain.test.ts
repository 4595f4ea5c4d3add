// Templates of text and `{{ name }}` references only are rendered without handlebars' compiled function
// (src/render/handlebars.ts plainRender): for every template and context here the result, or the error, is
// handlebars' own.
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { compileTemplate, renderTemplate, TEMPLATE_OPTIONS } from '../../../src/render/handlebars.js';

const context = { a: 'A', _a: 'U', n: 3, z: 0, neg: -0, f: false, t: true, nul: null, u: undefined, o: { x: 1 }, l: [1, 2], s: 'x{{y}}', fn: () => 'called', log: 'shadowed by the helper' };
const texts = [
  'plain text, no reference',
  'a={{a}}',
  '{{ a }} {{n}} {{z}} {{neg}} {{f}} {{t}} {{nul}}',
  '\\{{a}} {{a}}',
  '\\\\{{a}}',
  'x\n  {{a}}\n',
  'a\r\n{{a}}\r\n',
  '{{u}}',
  '{{o}}',
  '{{l}}',
  '{{fn}}',
  '{{s}}',
  '{{{a}}}',
  '{{&a}}',
  '{{!comment}}{{a}}',
  '{{a~}}  x',
  '  {{~a}}',
  '{{missing}}',
  'ok {{a}} then {{missing}}',
  '{{#if t}}y{{/if}}',
  '{{this.a}}',
  '{{o.x}}',
  '{{lookup o "x"}}',
  '{{log}}',
  '{{  a  }}',
  '{{toString}}',
  '{{constructor}}',
  'x }} {{a}}',
  '{{true}}',
  '{{ a}}{{n }}',
  '{{_a}}',
  '{{a\n}}',
  '{{\ta\t}}',
  '{{a}}{{{n}}}',
  '{ {a}}',
  '{{undefined}}',
  '{{null}}',
  '{{a b}}',
  'x {{a}} \\{{',
  '\\{{a}} \\\\{{a}}',
];

// Syntax errors for handlebars, whichever way the text is read.
const broken = ['{{a}}}', '{{a}}}}', '{{else}}', 'a {{', 'a {{ a', '{{a}} {{'];

function handlebars(text: string): { ok: boolean; value: string } {
  try {
    return { ok: true, value: Handlebars.create().compile(text, TEMPLATE_OPTIONS)(context) };
  } catch {
    return { ok: false, value: '' };
  }
}

describe('plain templates', () => {
  it.each(texts)('%j renders as handlebars renders it', (text) => {
    const compiled = compileTemplate(text);
    if (!compiled.ok) throw new Error(compiled.failure.message);
    const mine = renderTemplate(compiled.template, context);
    const theirs = handlebars(text);
    expect({ ok: mine.ok, value: mine.ok ? mine.text : '' }).toEqual(theirs);
  });

  it.each(broken)('%j is a syntax error, as for handlebars', (text) => {
    expect(handlebars(text).ok).toBe(false);
    expect(compileTemplate(text).ok).toBe(false);
  });

  // The last render's text is kept with the values it read (one template, rendered for each host in turn).
  const other = { ...context, a: 'B', _a: 'V', n: 4, z: false, neg: 0, f: 0, t: 'true', nul: '', s: 'y' };
  const lacking: Record<string, unknown> = { ...context };
  delete lacking.a;
  it.each(texts)('%j rendered in turn with other values gives each its own text', (text) => {
    const compiled = compileTemplate(text);
    if (!compiled.ok) throw new Error(compiled.failure.message);
    for (const values of [context, other, { ...other }, context, lacking, context, lacking, other]) {
      const mine = renderTemplate(compiled.template, values);
      let theirs: { ok: boolean; value: string };
      try {
        theirs = { ok: true, value: Handlebars.create().compile(text, TEMPLATE_OPTIONS)(values) };
      } catch {
        theirs = { ok: false, value: '' };
      }
      expect({ ok: mine.ok, value: mine.ok ? mine.text : '' }).toEqual(theirs);
    }
  });

  it('renders a value that changed since the last render, not the text kept from it', () => {
    const compiled = compileTemplate('rev = {{ rev }}, name = {{ name }}\n');
    if (!compiled.ok) throw new Error('no syntax error expected');
    const render = (values: Record<string, unknown>) => {
      const out = renderTemplate(compiled.template, values);
      return out.ok ? out.text : `error: ${out.failure.message}`;
    };
    expect(render({ rev: 1, name: 'a' })).toBe('rev = 1, name = a\n');
    expect(render({ rev: 1, name: 'a', unread: 'x' })).toBe('rev = 1, name = a\n');
    expect(render({ rev: 2, name: 'a' })).toBe('rev = 2, name = a\n');
    expect(render({ rev: 2, name: 'b' })).toBe('rev = 2, name = b\n');
    expect(render({ rev: '2', name: 'b' })).toBe('rev = 2, name = b\n');
    expect(render({ rev: 0, name: 'b' })).toBe('rev = 0, name = b\n');
    expect(render({ rev: false, name: 'b' })).toBe('rev = false, name = b\n');
    expect(render({ rev: null, name: 'b' })).toBe('rev = , name = b\n');
    expect(render({ rev: [1], name: 'b' })).toBe('rev = 1, name = b\n');
    expect(render({ rev: null, name: 'b' })).toBe('rev = , name = b\n');
    expect(render({ name: 'b' })).toBe("error: variable 'rev' is not defined");
    expect(render({ rev: Number.NaN, name: 'b' })).toBe('rev = NaN, name = b\n');
    expect(render({ rev: 3, name: 'b' })).toBe('rev = 3, name = b\n');
  });

  it('fails on a missing variable with its position, as before', () => {
    const compiled = compileTemplate('line one\nport = {{ port }}\n');
    if (!compiled.ok) throw new Error('no syntax error expected');
    expect(renderTemplate(compiled.template, {})).toMatchObject({ ok: false, failure: { kind: 'undefined', line: 2, variable: 'port' } });
  });
});
