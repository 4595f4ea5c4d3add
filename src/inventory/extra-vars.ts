// -e / --extra-vars, as in Ansible: `key=value [key=value ...]`, inline YAML or JSON (`{...}`),
// or `@file.yaml`. They have the highest precedence. Problems point into the argument itself:
// `-e #2:1:7` is the second -e argument, column 7.

import type { ConfigProblem } from '../errors.js';
import { assignVars, checkVariables, type VarOrigin } from './inventory.js';
import { KNOWN_VARIABLES } from './schema.js';
import { checkSchema } from './schema-check.js';
import { YamlSource, formatField, problemInText, type Locator, type PathSegment, type SourceFile } from './source.js';

export interface ExtraVarsResult {
  vars: Record<string, unknown>;
  /** Where each variable was given (the later -e, when given twice). */
  origins: Map<string, VarOrigin>;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
  /** An argument or file could not be read or parsed: variables may be missing. */
  fatal: boolean;
}

export const EXTRA_VARS_FIELD = 'extra_vars';

/** `@file` references in the arguments, as written (without the @): the loader reads these. */
export function extraVarFileReferences(args: readonly string[]): string[] {
  return args.filter((arg) => arg.startsWith('@')).map((arg) => arg.slice(1));
}

/**
 * @param files contents of `@file` arguments by the name written after '@'; a string is the
 *   reason the file could not be read.
 */
export function parseExtraVars(args: readonly string[], files: Record<string, SourceFile | string> = {}): ExtraVarsResult {
  const vars: Record<string, unknown> = {};
  const origins = new Map<string, VarOrigin>();
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const collected = { vars, origins };
  args.forEach((arg, index) => {
    const label = `-e #${index + 1}`;
    const argument: SourceFile = { file: label, text: arg };
    if (arg.startsWith('@')) {
      const name = arg.slice(1);
      const file = files[name];
      if (file === undefined || typeof file === 'string') {
        problems.push(problemInText(argument, 1, 2, EXTRA_VARS_FIELD, `cannot read extra vars file '${name}'${file ? `: ${file}` : ''}`));
        return;
      }
      collectYaml(file, collected, problems, warnings);
    } else if (/^\s*[{[]/.test(arg)) {
      collectYaml(argument, collected, problems, warnings);
    } else {
      collectKeyValues(argument, collected, problems, warnings);
    }
  });
  return { vars, origins, problems, warnings, fatal: problems.length > 0 };
}

interface Collected {
  vars: Record<string, unknown>;
  origins: Map<string, VarOrigin>;
}

function collectYaml(file: SourceFile, { vars, origins }: Collected, problems: ConfigProblem[], warnings: ConfigProblem[]): void {
  const parsed = YamlSource.parse(file, EXTRA_VARS_FIELD);
  problems.push(...parsed.problems);
  if (parsed.fatal) return;
  const value = parsed.value ?? {};
  const schemaProblems = checkSchema('inventoryVars', value, parsed.source);
  const checked = checkVariables(value, parsed.source, []);
  problems.push(...schemaProblems, ...checked.problems);
  warnings.push(...checked.warnings);
  if (schemaProblems.length === 0 && value && typeof value === 'object' && !Array.isArray(value)) {
    assignVars(vars, value as Record<string, unknown>);
    for (const key of Object.keys(value)) origins.set(key, { source: parsed.source, path: [key] });
  }
}

interface Token {
  text: string;
  offset: number;
}

/** Splits on unquoted whitespace; quotes group and are removed, as a shell would. */
export function splitWords(text: string): Token[] | { error: string; offset: number } {
  const tokens: Token[] = [];
  let current = '';
  let start = -1;
  let quote: '"' | "'" | undefined;
  let quoteStart = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (quote) {
      if (character === quote) quote = undefined;
      else if (character === '\\' && quote === '"' && index + 1 < text.length) current += text[++index];
      else current += character;
    } else if (character === '"' || character === "'") {
      if (start < 0) start = index;
      quote = character;
      quoteStart = index;
    } else if (/\s/.test(character)) {
      if (start >= 0) tokens.push({ text: current, offset: start });
      current = '';
      start = -1;
    } else {
      if (start < 0) start = index;
      current += character;
    }
  }
  if (quote) return { error: `unterminated ${quote} quote`, offset: quoteStart };
  if (start >= 0) tokens.push({ text: current, offset: start });
  return tokens;
}

const INTEGER_VARIABLES = new Set(
  Object.entries(KNOWN_VARIABLES)
    .filter(([, known]) => known.schema.type === 'integer')
    .map(([name]) => name),
);

function collectKeyValues(argument: SourceFile, { vars, origins }: Collected, problems: ConfigProblem[], warnings: ConfigProblem[]): void {
  const words = splitWords(argument.text);
  if (!Array.isArray(words)) {
    problems.push(problemInText(argument, 1, words.offset + 1, EXTRA_VARS_FIELD, words.error));
    return;
  }
  const found: Record<string, unknown> = {};
  const offsets = new Map<string, { key: number; value: number }>();
  for (const word of words) {
    const match = /^([^=]+)=(.*)$/s.exec(word.text);
    if (!match) {
      problems.push(
        problemInText(argument, 1, word.offset + 1, EXTRA_VARS_FIELD, `expected key=value, a YAML/JSON mapping or @file (got "${word.text}")`),
      );
      continue;
    }
    const key = match[1]!;
    const raw = match[2]!;
    // Ansible passes key=value as strings; numbers for known integer settings are converted so
    // `-e ansible_port=2222` works as it does there.
    found[key] = INTEGER_VARIABLES.has(key) && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    offsets.set(key, { key: word.offset, value: argument.text.indexOf('=', word.offset) + 1 });
  }
  const locator = keyValueLocator(argument, offsets);
  const schemaProblems = checkSchema('inventoryVars', found, locator);
  problems.push(...schemaProblems);
  const checked = checkVariables(found, locator, []);
  problems.push(...checked.problems);
  warnings.push(...checked.warnings);
  if (schemaProblems.length === 0) {
    assignVars(vars, found);
    for (const key of Object.keys(found)) origins.set(key, { source: locator, path: [key] });
  }
}

function keyValueLocator(argument: SourceFile, offsets: Map<string, { key: number; value: number }>): Locator {
  return {
    field: (path: readonly PathSegment[]) => formatField(EXTRA_VARS_FIELD, path),
    sourceText: (path: readonly PathSegment[]) => {
      const at = offsets.get(String(path[0]));
      if (!at) return undefined;
      const end = argument.text.slice(at.value).search(/\s|$/);
      return argument.text.slice(at.value, at.value + end);
    },
    problem: (path, message, options = {}) => {
      const at = offsets.get(String(path[0]));
      const offset = at ? (options.key || path.length === 0 ? at.key : at.value) : 0;
      return problemInText(argument, 1, offset + 1 + (options.column ?? 0), formatField(EXTRA_VARS_FIELD, path), message);
    },
  };
}
