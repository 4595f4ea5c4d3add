// Runs ajv over parsed YAML and turns its errors into ConfigProblems that point at the offending
// value (or key) in the file: one problem per place, with the clearest message ajv's errors allow.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, Options, ValidateFunction } from 'ajv';
import type { ConfigProblem, ProblemCode } from '../errors.js';
import { KNOWN_VARIABLES, MODE_SCHEMA, inventorySchema, playbookSchema } from './schema.js';
import type { Locator, PathSegment } from './source.js';
import { didYouMean, describeValue } from './text.js';

export type SchemaName = 'inventory' | 'inventoryVars' | 'playbook';

export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, allowUnionTypes: true, strict: true };
export const SCHEMA_REFS: Record<SchemaName, string> = {
  inventory: 'urn:nodeform:inventory',
  inventoryVars: 'urn:nodeform:inventory#/definitions/vars',
  playbook: 'urn:nodeform:playbook',
};
/** The build's precompiled validators (validators-build.ts), next to this module in dist/; absent in src/. */
export const PRECOMPILED_FILE = 'validators.generated.cjs';

/** An Ajv with both schemas added, for compiling now or generating the precompiled module. */
export function schemaAjv(Ajv: typeof AjvClass, options: Options = {}): AjvClass {
  const ajv = new Ajv({ ...AJV_OPTIONS, ...options });
  ajv.addVocabulary(['errorMessage']);
  ajv.addSchema(inventorySchema);
  ajv.addSchema(playbookSchema);
  return ajv;
}

/** Identifies the schemas the precompiled validators were made from. */
export function schemaHash(): string {
  return createHash('sha256').update(JSON.stringify([inventorySchema, playbookSchema])).digest('hex');
}

const require = createRequire(import.meta.url);
let validators: Record<SchemaName, ValidateFunction> | undefined;
let builtIn: unknown;

/**
 * The single-file build (dist/nodeform.cjs) carries the generated validators inside it and hands them over
 * here: there is no file beside it to require.
 */
export function useBuiltValidators(generated: unknown): void {
  builtIn = generated;
  validators = undefined;
}

function compiled(): Record<SchemaName, ValidateFunction> {
  return (validators ??= precompiled() ?? compileNow());
}

/**
 * The validators `npm run build` generated with ajv's standalone code: loading them takes milliseconds where
 * compiling the schemas takes about half a second. Used only when made from exactly these schemas.
 */
function precompiled(): Record<SchemaName, ValidateFunction> | undefined {
  if (builtIn !== undefined) return usableValidators(builtIn);
  try {
    return usableValidators(require(`./${PRECOMPILED_FILE}`));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** A generated validators module's functions, when it was made from these schemas; undefined otherwise. */
export function usableValidators(generated: unknown): Record<SchemaName, ValidateFunction> | undefined {
  const { inventory, inventoryVars, playbook, schemaHash: madeFrom } = (generated ?? {}) as Partial<Record<SchemaName, ValidateFunction>> & {
    schemaHash?: string;
  };
  if (madeFrom !== schemaHash() || !inventory || !inventoryVars || !playbook) return undefined;
  return { inventory, inventoryVars, playbook };
}

/** Compiles the schemas now (from src/, or when the build's validators are missing or stale). */
export function compileNow(): Record<SchemaName, ValidateFunction> {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = schemaAjv(Ajv);
  const get = (name: SchemaName): ValidateFunction => {
    const validate = ajv.getSchema(SCHEMA_REFS[name]);
    if (!validate) throw new Error(`schema ${SCHEMA_REFS[name]} missing`);
    return validate;
  };
  return { inventory: get('inventory'), inventoryVars: get('inventoryVars'), playbook: get('playbook') };
}

/** Checks a document (or, for vars files and -e, a vars mapping) against its schema. */
export function checkSchema(schema: SchemaName, value: unknown, source: Locator): ConfigProblem[] {
  const validate = compiled()[schema];
  if (validate(value)) return [];
  return errorsToProblems(schema, validate.errors ?? [], value, source);
}

/** Whether a value passes a schema, for callers that only need to know (the problems are reported elsewhere). */
export function matchesSchema(schema: SchemaName, value: unknown): boolean {
  return compiled()[schema](value) === true;
}

const REQUIRED_HINTS: Record<string, string> = {
  hosts: 'a play needs hosts: the host pattern it applies to (e.g. hosts: all)',
  path: 'missing path',
  name: 'missing name',
};

function errorsToProblems(schema: SchemaName, errors: ErrorObject[], root: unknown, source: Locator): ConfigProblem[] {
  // Several ajv errors can describe one place (a type and a pattern, a propertyNames pair):
  // group them by instance and key, then say one thing per place.
  const groups = new Map<string, ErrorObject[]>();
  for (const error of errors) {
    // "must match then/else" only echoes the branch's own error, reported at the same place.
    if (error.keyword === 'if') continue;
    const key = `${error.instancePath}\u0000${keyOf(error) ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(error);
    else groups.set(key, [error]);
  }
  // `pth:` instead of `path:` is one mistake: say "unknown key 'pth' (did you mean 'path'?)" only.
  const typoed = new Set<string>();
  for (const error of errors) {
    if (error.keyword !== 'additionalProperties') continue;
    const known = Object.keys((error.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
    const meant = didYouMean(keyOf(error) ?? '', known);
    if (meant !== undefined) typoed.add(`${error.instancePath}\u0000${meant}`);
  }
  for (const key of typoed) groups.delete(key);
  const problems: { problem: ConfigProblem; order: number }[] = [];
  for (const group of groups.values()) {
    const chosen =
      group.find((e) => typeof e.parentSchema?.errorMessage === 'string' && e.keyword !== 'propertyNames') ??
      group.find((e) => e.keyword !== 'propertyNames') ??
      group[0];
    if (!chosen) continue;
    const problem: ConfigProblem = { ...toProblem(schema, chosen, root, source), code: schemaProblemCode(chosen.keyword) };
    problems.push({ problem, order: problem.position.line * 100_000 + problem.position.column });
  }
  return problems.sort((a, b) => a.order - b.order).map((entry) => entry.problem);
}

/** Names differing from the keyword's kebab-case form: a problem is about one property, one name. */
const SCHEMA_CODES: Record<string, ProblemCode> = {
  additionalProperties: 'schema.additional-property',
  propertyNames: 'schema.property-name',
  'false schema': 'schema.not-allowed',
};

/** The schema keyword that failed as a problem code: `schema.required`, `schema.type`, `schema.min-length`. */
export function schemaProblemCode(keyword: string): ProblemCode {
  return SCHEMA_CODES[keyword] ?? `schema.${keyword.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The property an error is about, when it is about a key rather than a value. */
function keyOf(error: ErrorObject): string | undefined {
  if (error.propertyName !== undefined) return error.propertyName;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'propertyNames') return String(params.propertyName);
  if (error.keyword === 'additionalProperties') return String(params.additionalProperty);
  if (error.keyword === 'required') return String(params.missingProperty);
  return undefined;
}

function toProblem(schema: SchemaName, error: ErrorObject, root: unknown, source: Locator): ConfigProblem {
  const path = instancePath(error.instancePath, root);
  const value = valueAt(root, path);
  const custom = typeof error.parentSchema?.errorMessage === 'string' ? error.parentSchema.errorMessage : undefined;
  const key = keyOf(error);

  if (error.propertyName !== undefined || error.keyword === 'propertyNames') {
    return source.problem([...path, key ?? ''], `${custom ?? 'invalid name'} (got ${JSON.stringify(key)})`, { key: true });
  }
  if (error.keyword === 'additionalProperties') {
    const known = Object.keys((error.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
    const suggestion = didYouMean(key ?? '', known);
    const hint = suggestion ? ` (did you mean '${suggestion}'?)` : known.length ? `; expected one of: ${known.join(', ')}` : '';
    return source.problem([...path, key ?? ''], `unknown key '${key}'${hint}`, { key: true });
  }
  if (error.keyword === 'required') {
    const problem = source.problem(path, REQUIRED_HINTS[key ?? ''] ?? `missing required key '${key}'`);
    return { ...problem, field: source.field([...path, key ?? '']) };
  }
  if (error.keyword === 'false schema') {
    const name = String(path[path.length - 1] ?? '');
    const parent = path.slice(0, -1);
    // In playbooks the only false schema is play vars' ban on connection settings.
    if (schema === 'playbook') {
      return source.problem(
        [...parent, name],
        `'${name}' is a connection setting: set it in the inventory (host, group or group_vars), not in play vars`,
        { key: true },
      );
    }
    const suggestion = didYouMean(name, Object.keys(KNOWN_VARIABLES));
    const hint = suggestion
      ? ` (did you mean '${suggestion}'?)`
      : '; names starting with ansible_ or nodeform_ are connection settings, see docs/variables.md';
    return source.problem([...parent, name], `unknown variable '${name}'${hint}`, { key: true });
  }
  if (error.keyword === 'not' && custom) {
    return source.problem(path, custom, { key: true });
  }
  if (error.keyword === 'type' && custom === MODE_SCHEMA.errorMessage && typeof value === 'number') {
    const written = source.sourceText(path) ?? String(value);
    const why = written === String(value) ? `a bare ${written} is a YAML number` : `YAML reads a bare ${written} as the number ${value}`;
    return source.problem(path, `must be a quoted string: write "${written}" (${why})`);
  }
  // writeOnly marks a secret (a webhook URL): the problem names the place, never the value.
  if (error.parentSchema?.writeOnly === true) return source.problem(path, custom ?? ajvMessage(error));
  let got = ` (got ${describeValue(value)})`;
  if (error.keyword === 'enum' && typeof value === 'string') {
    const meant = didYouMean(value, ((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).map(String));
    if (meant !== undefined) got += ` (did you mean '${meant}'?)`;
  }
  if (custom) return source.problem(path, `${custom}${got}`);
  return source.problem(path, `${ajvMessage(error)}${got}`);
}

function ajvMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type': {
      const types = ([] as unknown[]).concat(params.type).map(String);
      return `must be ${types.map(article).join(' or ')}`;
    }
    case 'enum':
      return `must be one of: ${((params.allowedValues as unknown[]) ?? []).map(String).join(', ')}`;
    case 'minLength':
    case 'minItems':
      return 'must not be empty';
    default:
      return error.message ?? 'is not valid';
  }
}

function article(type: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    object: 'a mapping',
    array: 'a list',
    null: 'empty',
  };
  return names[type] ?? type;
}

/** JSON pointer to path segments, with list indexes as numbers (so fields read `files[1]`). */
function instancePath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(segment);
      path.push(index);
      current = current[index];
    } else {
      path.push(segment);
      current = current && typeof current === 'object' ? (current as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
