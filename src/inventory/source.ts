// YAML with positions: every problem found in a user's file points at file:line:column of the
// offending value, names its dotted field path and shows the line with a caret under the value.

import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
  type Pair,
  type ScalarTag,
  type YAMLMap,
} from 'yaml';
import { decryptVault, isVaultText, type VaultPassword } from './vault.js';
import { fastLinePos, fastOffset, fastYaml, type FastYaml } from './fast-yaml.js';
import { GENERIC_PROBLEM_CODE, type ConfigProblem, type ProblemCode, type SourcePosition } from '../errors.js';

/** A file's name (as shown in messages) and its text; the pure core never reads files itself. */
export interface SourceFile {
  file: string;
  text: string;
  /**
   * Vault passwords (--vault-password-file, --vault-id) for `!vault` values and whole encrypted files; the loader
   * hands them with each file it read.
   */
  vault?: readonly VaultPassword[];
}

export type PathSegment = string | number;

/** `all.children.beacon.hosts.lab1.ansible_port`; list items as `[2]`, so a play's file is `[0].files[1].mode`. */
export function formatField(prefix: string, path: readonly PathSegment[]): string {
  let out = prefix;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

const EXCERPT_WIDTH = 160;

/** The line at `line` with a caret under `column` (both from 1), indented to set it off the message. */
export function excerptAt(text: string, line: number, column: number, lineStart?: number): string | undefined {
  const start = lineStart ?? lineStartOf(text, line);
  if (start === undefined) return undefined;
  const end = text.indexOf('\n', start);
  let lineText = text.slice(start, end < 0 ? text.length : end);
  lineText = lineText.replace(/\r$/, '');
  let caretColumn = Math.max(1, Math.min(column, lineText.length + 1));
  // Very long lines (inline content) are cut around the caret so the excerpt stays one screen line.
  if (lineText.length > EXCERPT_WIDTH) {
    const start = Math.max(0, caretColumn - 1 - EXCERPT_WIDTH / 2);
    lineText = (start > 0 ? '…' : '') + lineText.slice(start, start + EXCERPT_WIDTH) + '…';
    caretColumn = caretColumn - start + (start > 0 ? 1 : 0);
  }
  // Keep tabs in the padding so the caret lines up however the terminal renders them.
  const pad = lineText.slice(0, caretColumn - 1).replace(/[^\t]/g, ' ');
  return `    ${lineText}\n    ${pad}^`;
}

/** Offset of the first character of `line` (from 1), or undefined past the end; no copy of the text is made. */
function lineStartOf(text: string, line: number): number | undefined {
  if (line < 1) return undefined;
  let offset = 0;
  for (let current = 1; current < line; current++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return undefined;
    offset = next + 1;
  }
  return offset;
}

/** A problem at a known line and column of a text (templates, command-line arguments, YAML files). */
export function problemInText(
  source: SourceFile,
  line: number,
  column: number,
  field: string,
  message: string,
  code: ProblemCode = GENERIC_PROBLEM_CODE,
): ConfigProblem {
  const excerpt = excerptAt(source.text, line, column);
  return { code, position: { file: source.file, line, column }, field, message, ...(excerpt ? { excerpt } : {}) };
}

/** The yaml library's error code as a problem code: BAD_INDENT is `yaml.bad-indent`. */
export function yamlProblemCode(libraryCode: string): ProblemCode {
  return `yaml.${libraryCode.toLowerCase().replaceAll('_', '-')}`;
}

/** Offset of (line, column) in text; both from 1. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let current = 1; current < line; current++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset + column - 1;
}

/** Finds positions for paths in some source: a YAML file, or a command-line argument. */
export interface Locator {
  field(path: readonly PathSegment[]): string;
  problem(path: readonly PathSegment[], message: string, options?: { key?: boolean; column?: number }): ConfigProblem;
  sourceText(path: readonly PathSegment[]): string | undefined;
}

export interface ParsedYaml {
  source: YamlSource;
  /** The document as plain data; undefined when the file could not be parsed. */
  value: unknown;
  problems: ConfigProblem[];
  /** Syntax errors make the data untrustworthy: callers skip further checks of this file. */
  fatal: boolean;
}

/** `!vault |` values: kept as their ciphertext by the parser, then opened by openVaultValues. */
const VAULT_TAG: ScalarTag = { tag: '!vault', resolve: (text: string) => text };
const VAULT_PROBLEM_CODE: ProblemCode = 'config.vault';

const YAML_MESSAGES: Record<string, string> = {
  TAB_AS_INDENT: 'tabs are not allowed for indentation in YAML; indent with spaces',
  MULTIPLE_DOCS: 'the file holds more than one YAML document (a second ---); keep one',
};

/** The one way a YAML text is parsed: with line positions, merge keys, `!vault` values, duplicates left to us. */
function parseYaml(text: string): { doc: Document.Parsed; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // Duplicates are found below, so the message can name both places.
    uniqueKeys: false,
    merge: true,
    customTags: [VAULT_TAG],
  });
  return { doc, lineCounter };
}

export class YamlSource implements SourceFile, Locator {
  private parsed: { doc: Document.Parsed; lineCounter: LineCounter } | undefined;

  private constructor(
    readonly file: string,
    readonly text: string,
    parsed: { doc: Document.Parsed; lineCounter: LineCounter } | undefined,
    /** Prepended to field paths, e.g. `group_vars.beacon` for group_vars/beacon.yaml. */
    readonly fieldPrefix: string,
    /** The text was decrypted from an Ansible Vault file: no line of it is ever shown. */
    private readonly secretText = false,
    /** The text's data read by fastYaml: the offsets of its nodes, for `where`, without the library's parse. */
    private readonly fast?: FastYaml,
  ) {
    this.parsed = parsed;
  }

  /**
   * The source of a text whose data was taken from an earlier parse of the same text (the loader's playbook
   * cache): parsed again, the same way, only when a position or a node is first asked for (a message needs it).
   */
  static deferred(input: SourceFile, fieldPrefix = ''): YamlSource {
    return new YamlSource(input.file, input.text, undefined, fieldPrefix);
  }

  /** Whether the text has been parsed, by fastYaml or the library (a deferred source is parsed on its first use). */
  get isParsed(): boolean {
    return this.parsed !== undefined || this.fast !== undefined;
  }

  get doc(): Document.Parsed {
    return (this.parsed ??= parseYaml(this.text)).doc;
  }

  private get lineCounter(): LineCounter {
    return (this.parsed ??= parseYaml(this.text)).lineCounter;
  }

  static parse(input: SourceFile, fieldPrefix = ''): ParsedYaml {
    // A whole file encrypted with ansible-vault (group_vars holding secrets) is read as the text it opens to.
    let text = input.text;
    const whole = isVaultText(text);
    if (whole) {
      const opened = decryptVault(text, input.vault ?? []);
      if (!opened.ok) {
        const source = new YamlSource(input.file, '', { doc: parseDocument(''), lineCounter: new LineCounter() }, fieldPrefix, true);
        const problem: ConfigProblem = { code: VAULT_PROBLEM_CODE, position: { file: input.file, line: 1, column: 1 }, field: '', message: `the file is encrypted with Ansible Vault and was not opened: ${opened.reason}` };
        return { source, value: undefined, problems: [problem], fatal: true };
      }
      text = opened.text;
    } else {
      // Most files are of the plain kind fastYaml reads (it checks what the library would report: nothing to say);
      // the library parses such a text only when a message needs a place in it.
      const fast = fastYaml(text);
      if (fast) return { source: new YamlSource(input.file, text, undefined, fieldPrefix, false, fast), value: fast.value, problems: [], fatal: false };
    }
    const parsed = parseYaml(text);
    const doc = parsed.doc;
    const source = new YamlSource(input.file, text, parsed, fieldPrefix, whole);
    const problems: ConfigProblem[] = [];
    const seenLines = new Set<number>();
    for (const error of doc.errors) {
      const offset = error.pos[0];
      const position = source.position(offset);
      // One syntax slip often yields several parser errors on the same line; the first says it best.
      if (seenLines.has(position.line)) continue;
      seenLines.add(position.line);
      const message = `YAML syntax: ${YAML_MESSAGES[error.code] ?? firstLine(error.message)}`;
      // A second document belongs to no field of the first: name none rather than the last one before it.
      const field = error.code === 'MULTIPLE_DOCS' ? '' : source.field(source.pathAtOffset(offset));
      problems.push(source.problemAtOffset(offset, field, message, yamlProblemCode(error.code)));
    }
    if (problems.length > 0) return { source, value: undefined, problems, fatal: true };

    // An alias is written `*name`: a text without a `*` has none to resolve.
    problems.push(...source.duplicateKeyProblems(), ...(text.includes('*') ? source.aliasProblems() : []), ...(text.includes(VAULT_TAG.tag) ? source.openVaultValues(input.vault ?? []) : []));
    if (problems.some((p) => p.message.startsWith('unresolved alias'))) {
      return { source, value: undefined, problems, fatal: true };
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      problems.push(source.problemAtOffset(0, '', `YAML: ${(error as Error).message}`, 'yaml.invalid'));
      return { source, value: undefined, problems, fatal: true };
    }
    return { source, value, problems, fatal: false };
  }

  field(path: readonly PathSegment[]): string {
    return formatField(this.fieldPrefix, path);
  }

  position(offset: number): SourcePosition {
    const { line, col } = this.fast && !this.parsed ? fastLinePos(this.fast.lineStarts, offset) : this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col };
  }

  problemAtOffset(offset: number, field: string, message: string, code: ProblemCode = GENERIC_PROBLEM_CODE): ConfigProblem {
    const position = this.position(offset);
    // The line counter knows where each line starts: no scan of the text per problem.
    const excerpt = this.secretText ? undefined : excerptAt(this.text, position.line, position.column, this.lineCounter.lineStarts[position.line - 1]);
    return { code, position, field, message, ...(excerpt ? { excerpt } : {}) };
  }

  /**
   * A problem at the value found by `path` (or its key, with `key: true`). When the path does not
   * lead to a node (a missing key), the nearest enclosing node is used.
   */
  problem(path: readonly PathSegment[], message: string, options: { key?: boolean; column?: number } = {}): ConfigProblem {
    let offset = this.offsetOf(path, options.key ?? false);
    if (options.column !== undefined) offset += options.column;
    return this.problemAtOffset(offset, this.field(path), message);
  }

  /** "file:line:column" of a node, for resource origins and "first declared at" messages. */
  where(path: readonly PathSegment[]): string {
    const p = this.position(this.offsetOf(path, false));
    return `${p.file}:${p.line}:${p.column}`;
  }

  /** The node at path (aliases followed), or undefined. */
  node(path: readonly PathSegment[]): YamlNode | undefined {
    return this.walk(path).node;
  }

  /** Offset of the value at path, or of its key; falls back to the deepest node found. */
  offsetOf(path: readonly PathSegment[], key: boolean): number {
    // The fast reader's places until the library has parsed the text (then the library's nodes, as before).
    if (this.fast && !this.parsed) {
      const offset = fastOffset(this.fast.root, path, key);
      if (offset !== undefined) return offset;
    }
    const found = this.walk(path);
    if (found.complete) {
      if (key && found.keyOffset !== undefined) return found.keyOffset;
      if (found.node && !isEmptyScalar(found.node) && found.node.range) return found.node.range[0];
      if (found.keyOffset !== undefined) return found.keyOffset;
    }
    return found.fallbackOffset;
  }

  /** How the value at path was written in the file (for a bare 0644 that YAML read as 644). */
  sourceText(path: readonly PathSegment[]): string | undefined {
    const node = this.node(path);
    if (!node?.range) return undefined;
    return this.text.slice(node.range[0], node.range[1]);
  }

  /**
   * Where the first character of a scalar's value is, and how lines inside it map to the file:
   * used to place template errors inside inline `content`.
   */
  scalarLayout(path: readonly PathSegment[]): { line: number; column: number; block: boolean; indent: number } | undefined {
    const node = this.node(path);
    if (!node || !isScalar(node) || !node.range) return undefined;
    const start = this.position(node.range[0]);
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
      // Content starts on the line after the `|` header, at the block's indentation.
      const lines = this.text.split('\n');
      let indent = 0;
      for (let index = start.line; index < lines.length; index++) {
        const lineText = lines[index] ?? '';
        if (lineText.trim() === '') continue;
        indent = lineText.length - lineText.trimStart().length;
        break;
      }
      return { line: start.line + 1, column: indent + 1, block: true, indent };
    }
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    return { line: start.line, column: start.column + (quoted ? 1 : 0), block: false, indent: 0 };
  }

  /**
   * The path of the innermost key or item at or before offset (for parser errors, which may sit
   * between nodes): the last key or item starting before it, descending while possible.
   */
  pathAtOffset(offset: number): PathSegment[] {
    const path: PathSegment[] = [];
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isMap(node)) {
        const pair = node.items.filter((item) => ((item.key as YamlNode | null)?.range?.[0] ?? Infinity) <= offset).pop();
        if (!pair) return path;
        path.push(keyText(pair.key));
        node = pair.value;
      } else if (isSeq(node)) {
        const items = node.items.map((item, index) => ({ item, index }));
        const found = items.filter(({ item }) => ((item as YamlNode | null)?.range?.[0] ?? Infinity) <= offset).pop();
        if (!found) return path;
        path.push(found.index);
        node = found.item;
      } else {
        return path;
      }
    }
  }

  private walk(path: readonly PathSegment[]): {
    node: YamlNode | undefined;
    keyOffset?: number;
    complete: boolean;
    fallbackOffset: number;
  } {
    let node: unknown = this.doc.contents;
    let keyOffset: number | undefined;
    let fallbackOffset = (node as YamlNode | null)?.range?.[0] ?? 0;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = this.pairsByKey(node).get(String(segment));
        if (!pair) return { node: undefined, complete: false, fallbackOffset };
        keyOffset = (pair.key as YamlNode | null)?.range?.[0];
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) return { node: undefined, complete: false, fallbackOffset };
        keyOffset = undefined;
        node = item;
      } else {
        return { node: undefined, complete: false, fallbackOffset };
      }
      if (isAlias(node)) node = node.resolve(this.doc);
      const range = (node as YamlNode | null)?.range;
      if (range && !isEmptyScalar(node as YamlNode)) fallbackOffset = range[0];
      else if (keyOffset !== undefined) fallbackOffset = keyOffset;
    }
    return { node: (node ?? undefined) as YamlNode | undefined, keyOffset, complete: true, fallbackOffset };
  }

  /** A map's pairs by key text, built once per map: looking up each of N hosts stays linear, not N². */
  private pairsByKey(map: YAMLMap): Map<string, Pair> {
    let index = this.keyIndexes.get(map);
    if (!index) {
      index = new Map();
      // The first of duplicate keys, as Array.find gave (duplicates are reported on their own).
      for (const pair of map.items) if (!index.has(keyText(pair.key))) index.set(keyText(pair.key), pair);
      this.keyIndexes.set(map, index);
    }
    return index;
  }

  private readonly keyIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

  /**
   * Each `!vault` value decrypted in place, so the data holds the plain text; one that cannot be opened is a
   * problem at its place (which needs a password, or that the password given does not open it).
   */
  private openVaultValues(passwords: readonly VaultPassword[]): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    visit(this.doc, {
      Scalar: (_key, node, ancestors) => {
        if (node.tag !== VAULT_TAG.tag) return;
        const opened = decryptVault(String(node.value), passwords);
        if (opened.ok) {
          node.value = opened.text;
          return;
        }
        const offset = node.range?.[0] ?? 0;
        problems.push(this.problemAtOffset(offset, this.field(this.pathOf([...ancestors, node])), `this value is encrypted with Ansible Vault and was not opened: ${opened.reason}`, VAULT_PROBLEM_CODE));
      },
    });
    return problems;
  }

  private duplicateKeyProblems(): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    // Depth first, in document order, as yaml's visit goes (keys before values), without its frozen ancestor
    // list per node: the ancestors are one stack, copied only for a duplicate's path.
    const ancestors: unknown[] = [this.doc];
    const walk = (node: unknown): void => {
      if (isMap(node)) {
        this.duplicatesIn(node, ancestors, problems);
        ancestors.push(node);
        for (const pair of node.items) {
          ancestors.push(pair);
          walk(pair.key);
          walk(pair.value);
          ancestors.pop();
        }
        ancestors.pop();
      } else if (isSeq(node)) {
        ancestors.push(node);
        for (const item of node.items) walk(item);
        ancestors.pop();
      } else if (isPair(node)) {
        ancestors.push(node);
        walk(node.key);
        walk(node.value);
        ancestors.pop();
      }
    };
    walk(this.doc.contents);
    return problems;
  }

  private duplicatesIn(map: YAMLMap, ancestors: readonly unknown[], problems: ConfigProblem[]): void {
    const first = new Map<string, number>();
    for (const pair of map.items) {
      const name = keyText(pair.key);
      const offset = (pair.key as YamlNode | null)?.range?.[0] ?? 0;
      const earlier = first.get(name);
      if (earlier === undefined) {
        first.set(name, offset);
        continue;
      }
      const path = [...this.pathOf([...ancestors, map]), name];
      const firstLine = this.position(earlier).line;
      problems.push(
        this.problemAtOffset(
          offset,
          this.field(path),
          `duplicate key '${name}' (first at line ${firstLine}); a mapping holds each key once: merge the two`,
          'yaml.duplicate-key',
        ),
      );
    }
  }

  private aliasProblems(): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    visit(this.doc, {
      Alias: (_key, alias) => {
        if (alias.resolve(this.doc) === undefined) {
          const offset = alias.range?.[0] ?? 0;
          problems.push(
            this.problemAtOffset(
              offset,
              this.field(this.pathAtOffset(offset)),
              `unresolved alias *${alias.source}: define the anchor &${alias.source} before using it`,
              'yaml.unresolved-alias',
            ),
          );
        }
      },
    });
    return problems;
  }

  /** The path to the node reached through `ancestors` (from visit). */
  private pathOf(ancestors: readonly unknown[]): PathSegment[] {
    const path: PathSegment[] = [];
    for (let index = 0; index < ancestors.length; index++) {
      const ancestor = ancestors[index];
      const child = ancestors[index + 1];
      if (isPair(ancestor)) path.push(keyText(ancestor.key));
      else if (isSeq(ancestor) && child !== undefined) path.push(ancestor.items.indexOf(child));
    }
    return path;
  }
}

/** A key as it names its value in the parsed data: a null key (`? `, `~:`) is '', as yaml's toJS makes it. */
function keyText(key: unknown): string {
  const value = isScalar(key) ? key.value : key;
  if (value === null || value === undefined) return '';
  // A complex key (a mapping as a key) prints as its YAML text, through the node's own toString.
  if (typeof value === 'object') return (value as { toString(): string }).toString();
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : '';
}

/** `key:` with nothing after it parses as an empty null scalar placed after the colon. */
function isEmptyScalar(node: YamlNode): boolean {
  return isScalar(node) && node.value === null && (node.source === '' || node.source === undefined);
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}
