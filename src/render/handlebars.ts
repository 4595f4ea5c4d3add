// Handlebars for config files: strict (an undefined variable is an error, never an empty string)
// and no HTML escaping. Failures come back as data with the line and column in the template, so
// callers can point at the reference in the user's file.

import Handlebars from 'handlebars';

/** One isolated environment: templates cannot register helpers or partials for each other. */
const environment = Handlebars.create();

// Ansible's `x | default(y)`: {{default demo_port 8080}}. Helper arguments are looked up leniently
// even in strict mode, so this is the one way to make a variable optional inline.
environment.registerHelper('default', function (this: unknown, ...args: unknown[]) {
  if (args.length !== 3) throw new Error('default takes a value and a fallback: {{default name "fallback"}}');
  const [value, fallback] = args;
  return value === undefined || value === null || value === '' ? fallback : value;
});

export const TEMPLATE_OPTIONS = { strict: true, noEscape: true } as const;

export interface CompiledTemplate {
  readonly text: string;
  readonly render: Handlebars.TemplateDelegate;
}

export interface TemplateFailure {
  kind: 'syntax' | 'undefined' | 'error';
  /** Line (from 1) and column (from 1) in the template text. */
  line: number;
  column: number;
  /** For `undefined`: the reference as written, e.g. `node.port`. */
  variable?: string;
  message: string;
}

export type CompileOutcome = { ok: true; template: CompiledTemplate } | { ok: false; failure: TemplateFailure };
export type RenderOutcome = { ok: true; text: string } | { ok: false; failure: TemplateFailure };

/** Parses once up front so a syntax error is reported once, not once per host. */
export function compileTemplate(text: string): CompileOutcome {
  // handlebars compiles lazily, on the first call: a plain template that only ever renders plain values never does.
  const plain = scanPlain(text);
  if (plain) return { ok: true, template: { text, render: plainRender(plain, lazyCompile(text)) } };
  let program: hbs.AST.Program;
  try {
    program = environment.parse(text);
  } catch (error) {
    return { ok: false, failure: syntaxFailure(text, error) };
  }
  const full = environment.compile(text, TEMPLATE_OPTIONS);
  const pieces = plainPieces(program);
  return { ok: true, template: { text, render: pieces ? plainRender(pieces, full) : full } };
}

type Piece = string | { name: string };

/** `{{ name }}` and nothing else between the braces; what handlebars reads as a literal or keyword is left to it. */
const PLAIN_REFERENCE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y;
const NOT_A_NAME = new Set(['true', 'false', 'null', 'undefined', 'this', 'else']);

/**
 * The pieces of a text whose every `{{` opens a plain reference (`{{ name }}`: no helper, block, path, comment,
 * escape or whitespace control), found by one scan; undefined for anything else, which handlebars' parser reads.
 * Its parser cost a 5,000-file playbook (5,000 distinct contents) more than a tenth of its plan.
 */
function scanPlain(text: string): Piece[] | undefined {
  const pieces: Piece[] = [];
  let from = 0;
  for (let open = text.indexOf('{{'); open >= 0; open = text.indexOf('{{', from)) {
    // `\{{` escapes a mustache (and `\\{{` escapes the backslash): handlebars' parser says which.
    if (open > 0 && text.charCodeAt(open - 1) === 92) return undefined;
    PLAIN_REFERENCE.lastIndex = open;
    const match = PLAIN_REFERENCE.exec(text);
    const name = match?.[1];
    if (!match || name === undefined || NOT_A_NAME.has(name) || Object.prototype.hasOwnProperty.call(environment.helpers, name)) return undefined;
    // `{{a}}}` is a syntax error to handlebars (its lexer closes on `}}}`), not a reference and a brace.
    if (text.charCodeAt(open + match[0].length) === 125) return undefined;
    if (open > from) pieces.push(text.slice(from, open));
    pieces.push({ name });
    from = open + match[0].length;
  }
  if (from < text.length) pieces.push(text.slice(from));
  return pieces;
}

/** The pieces of a parsed template of text and `{{ name }}` references only; undefined for anything else. */
function plainPieces(program: hbs.AST.Program): Piece[] | undefined {
  const pieces: Piece[] = [];
  for (const statement of program.body) {
    if (statement.type === 'ContentStatement') {
      pieces.push((statement as hbs.AST.ContentStatement).value);
      continue;
    }
    if (statement.type !== 'MustacheStatement') return undefined;
    const m = statement as hbs.AST.MustacheStatement;
    const path = m.path as hbs.AST.PathExpression;
    if (path.type !== 'PathExpression' || path.data || path.depth !== 0 || path.parts.length !== 1 || path.original !== path.parts[0]) return undefined;
    if (m.params.length > 0 || m.hash || m.strip.open || m.strip.close) return undefined;
    const name = path.parts[0];
    if (Object.prototype.hasOwnProperty.call(environment.helpers, name) || name === 'this') return undefined;
    pieces.push({ name });
  }
  return pieces;
}

/** handlebars' function for a text, made on its first call (most plain templates never need it). */
function lazyCompile(text: string): Handlebars.TemplateDelegate {
  let compiled: Handlebars.TemplateDelegate | undefined;
  return (context: unknown, options?: Handlebars.RuntimeOptions) => (compiled ??= environment.compile(text, TEMPLATE_OPTIONS))(context, options);
}

/**
 * Text with only `{{ name }}` references (no helpers, blocks, paths, whitespace control) is rendered by joining
 * its pieces: handlebars compiles every template to a function first, which cost a 5,000-file playbook most of
 * its plan. A reference to anything but a string, number, boolean or null of the context's own (a list, an
 * object, a helper, a missing variable) goes to handlebars itself, for its result or its error.
 *
 * The text of the last render is kept with the values it read: a template rendered for the next host with the
 * same values (the usual case: most files read only group-wide variables) is that same text, not built again,
 * and hosts share one string (their hashes, plans and scripts look it up by content).
 */
function plainRender(pieces: readonly Piece[], full: Handlebars.TemplateDelegate): Handlebars.TemplateDelegate {
  let lastValues: (string | number | boolean | null)[] | undefined;
  let lastText = '';
  const render = (context: unknown, options?: Handlebars.RuntimeOptions): string => {
    const values: (string | number | boolean | null)[] = [];
    let same = lastValues !== undefined;
    for (const piece of pieces) {
      if (typeof piece === 'string') continue;
      const value: unknown = context !== null && typeof context === 'object' && Object.prototype.hasOwnProperty.call(context, piece.name) ? (context as Record<string, unknown>)[piece.name] : missing;
      if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return full(context, options);
      // Strict equality: NaN never matches (rendered again), and 0 and -0 both print as 0.
      if (same && lastValues![values.length] !== value) same = false;
      values.push(value);
    }
    if (same) return lastText;
    let out = '';
    let index = 0;
    for (const piece of pieces) {
      if (typeof piece === 'string') {
        out += piece;
        continue;
      }
      const value = values[index++];
      if (value !== null) out += String(value);
    }
    lastValues = values;
    lastText = out;
    return out;
  };
  return render;
}

const missing = Symbol('missing');

export function renderTemplate(template: CompiledTemplate, context: Record<string, unknown>): RenderOutcome {
  try {
    return { ok: true, text: template.render(context) };
  } catch (error) {
    return { ok: false, failure: runtimeFailure(template.text, error) };
  }
}

/** Compiles and renders in one go (tests, one-off strings). */
export function renderString(text: string, context: Record<string, unknown>): RenderOutcome {
  const compiled = compileTemplate(text);
  return compiled.ok ? renderTemplate(compiled.template, context) : compiled;
}

interface HandlebarsException {
  message: string;
  lineNumber?: number;
  column?: number;
  endLineNumber?: number;
  endColumn?: number;
}

function runtimeFailure(text: string, error: unknown): TemplateFailure {
  const e = error as HandlebarsException;
  const message = String(e?.message ?? error);
  const line = e.lineNumber ?? 1;
  // Handlebars counts columns from 0.
  const column = (e.column ?? 0) + 1;
  const undefinedName = /^"([^"]+)" not defined in /.exec(message)?.[1];
  if (undefinedName !== undefined) {
    const written = referenceText(text, e) ?? undefinedName;
    return { kind: 'undefined', line, column, variable: written, message: `variable '${written}' is not defined` };
  }
  // Strict lookups into a string or number (`{{this.x}}` over a list of strings) fail inside
  // Handlebars with a TypeError and no position: find the reference in the text instead.
  const primitiveLookup = /^Cannot use 'in' operator to search for '([^']+)' in /.exec(message)?.[1];
  if (primitiveLookup !== undefined) {
    const found = findReference(text, primitiveLookup);
    return {
      kind: 'undefined',
      line: found?.line ?? 1,
      column: found?.column ?? 1,
      variable: found?.written ?? primitiveLookup,
      message: `variable '${found?.written ?? primitiveLookup}' is not defined`,
    };
  }
  return { kind: 'error', line, column, message: message.replace(/ - \d+:\d+$/, '') };
}

/** The first mustache path ending in `name` (e.g. `this.port` or `port`), with its position. */
function findReference(text: string, name: string): { line: number; column: number; written: string } | undefined {
  const lines = text.split('\n');
  const mustache = /\{\{[{~#^&]?\s*([^}]*)\}\}/g;
  for (let index = 0; index < lines.length; index++) {
    const lineText = lines[index]!;
    for (let match = mustache.exec(lineText); match; match = mustache.exec(lineText)) {
      const inner = match[1] ?? '';
      const path = /[@A-Za-z0-9_./[\]-]+/g;
      for (let token = path.exec(inner); token; token = path.exec(inner)) {
        const segments = token[0].split(/[./]/);
        if (segments.includes(name)) {
          const column = match.index + match[0].indexOf(inner) + token.index + 1;
          return { line: index + 1, column, written: token[0] };
        }
      }
    }
    mustache.lastIndex = 0;
  }
  return undefined;
}

/** The reference as written between the exception's start and end, e.g. `a.b` for `{{a.b}}`. */
function referenceText(text: string, e: HandlebarsException): string | undefined {
  if (e.lineNumber === undefined || e.column === undefined || e.endLineNumber !== e.lineNumber || e.endColumn === undefined) {
    return undefined;
  }
  const lineText = text.split('\n')[e.lineNumber - 1];
  const written = lineText?.slice(e.column, e.endColumn).trim();
  return written && /^[@A-Za-z0-9_.[\]/-]+$/.test(written) ? written : undefined;
}

function syntaxFailure(text: string, error: unknown): TemplateFailure {
  const message = String((error as Error)?.message ?? error);
  const lines = message.split('\n');
  const lineMatch = /line (\d+)/.exec(lines[0] ?? '');
  const line = lineMatch ? Number(lineMatch[1]) : 1;
  // The parser shows the consumed input (newlines dropped, maybe cut with "...") with a caret after
  // it; the part on the failing line is a prefix of that line, which gives the column.
  let column = 1;
  const context = lines[1];
  const caret = lines[2];
  const lineText = text.split('\n')[line - 1] ?? '';
  if (context !== undefined && caret !== undefined && caret.endsWith('^')) {
    const consumed = context.slice(0, caret.length - 1).replace(/^\.\.\./, '');
    for (let length = Math.min(consumed.length, lineText.length); length > 0; length--) {
      if (lineText.startsWith(consumed.slice(-length))) {
        column = length + 1;
        break;
      }
    }
  }
  const expecting = lines.find((l) => l.startsWith('Expecting'));
  const detail = expecting ? `: ${expecting.length > 140 ? `${expecting.slice(0, 137)}...` : expecting}` : lines.length === 1 ? `: ${message}` : '';
  return { kind: 'syntax', line, column, message: `handlebars syntax error${detail}` };
}
