// A fast reader for the plain kind of YAML most playbooks and inventories are written in, used before the yaml
// library: block mappings and sequences, plain and simply quoted scalars, `|` and `|-` blocks, comments. It gives
// the same data the library's parse gives (toJS, core schema) and the offset of every node, for `where`; on the
// first thing outside that kind (flow collections, anchors, tags, escapes, multi-line plain or quoted scalars,
// duplicate keys, anything it doubts) it gives up, and the library parses the text as before. The library also
// parses it, later and only then, when a message needs a place this reader does not keep (YamlSource).
// Parsing a 5,000-file playbook this way takes a tenth of the library's time: it is most of a first run's work.

/** A node's place: where the library's node range starts; `empty` for `key:` with nothing after it. */
export interface FastNode {
  start: number;
  empty?: boolean;
  /** A mapping's pairs by key: the key's offset and the value. */
  pairs?: Map<string, { keyOffset: number; node: FastNode }>;
  /** A sequence's items. */
  items?: FastNode[];
}

export interface FastYaml {
  value: unknown;
  root: FastNode;
  /** Offset of the first character of each line. */
  lineStarts: number[];
}

/** Thrown where the text leaves the kind this reader takes; caught in fastYaml, which then gives up. */
class GiveUp extends Error {}
const GIVE_UP = new GiveUp('not of the kind fastYaml reads');

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*/;
const SPECIAL: Record<string, unknown> = {
  null: null, Null: null, NULL: null, '~': null,
  true: true, True: true, TRUE: true, false: false, False: false, FALSE: false,
};
const INDICATOR = new Set([...'-?:,[]{}#&*!|>\'"%@`']);

/** The text's data and node offsets, or undefined when it is not of the kind this reader takes. */
export function fastYaml(text: string): FastYaml | undefined {
  // Tabs, carriage returns and other control characters, line separators, a byte-order mark, a missing last
  // newline: the library's.
  if (text.length === 0 || !text.endsWith('\n') || /[^\n\x20-\x7e\xa0-\u2027\u202a-\ufefe\uff00-\uffff]/.test(text)) return undefined;
  try {
    return new Reader(text).document();
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}

function giveUp(): never {
  throw GIVE_UP;
}

/** The core schema's numbers (yaml's schema/core int.js and float.js): only plain decimals are read here. */
const NUMBER = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/;

/** A plain scalar as the core schema reads it; numbers other than plain decimals are left to the library. */
function plainValue(s: string): unknown {
  if (Object.prototype.hasOwnProperty.call(SPECIAL, s)) return SPECIAL[s];
  if (NUMBER.test(s)) {
    const n = Number(s);
    if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(n)) giveUp();
    return n;
  }
  if (s === '' || INDICATOR.has(s[0]!) || s.includes(': ') || s.endsWith(':') || /[[\]{}]/.test(s)) giveUp();
  return s;
}

class Reader {
  private readonly lineStarts: number[] = [];
  /** The current line. */
  private line = 0;

  constructor(private readonly text: string) {
    for (let at = 0; at < text.length; at = text.indexOf('\n', at) + 1) this.lineStarts.push(at);
  }

  document(): FastYaml {
    this.skip();
    if (this.line < this.lineStarts.length && this.lineText(this.line) === '---') {
      this.line++;
      this.skip();
    }
    if (this.line >= this.lineStarts.length || this.indent(this.line) !== 0) giveUp();
    const { value, node } = this.block(0);
    this.skip();
    if (this.line < this.lineStarts.length) giveUp();
    // The library counts a line after the last newline too.
    return { value, root: node, lineStarts: [...this.lineStarts, this.text.length] };
  }

  private lineText(line: number): string {
    return this.text.slice(this.lineStarts[line], (this.lineStarts[line + 1] ?? this.text.length) - 1);
  }

  private indent(line: number): number {
    const start = this.lineStarts[line]!;
    let at = start;
    while (this.text.charCodeAt(at) === 32) at++;
    return at - start;
  }

  /** Past blank lines and comment lines. */
  private skip(): void {
    while (this.line < this.lineStarts.length) {
      const start = this.lineStarts[this.line]!;
      const at = start + this.indent(this.line);
      const c = this.text[at];
      if (c !== '\n' && c !== '#') return;
      this.line++;
    }
  }

  private isSeqItem(at: number): boolean {
    return this.text[at] === '-' && (this.text[at + 1] === ' ' || this.text[at + 1] === '\n');
  }

  /** A block mapping or sequence whose first line is the current one, at `indent`. */
  private block(indent: number): { value: unknown; node: FastNode } {
    const at = this.lineStarts[this.line]! + indent;
    return this.isSeqItem(at) ? this.sequence(indent) : this.mapping(indent, at);
  }

  /** The key at `at` (its end after the colon), or undefined when what is there is no simple key. */
  private keyAt(at: number): { key: string; after: number } | undefined {
    const m = KEY.exec(this.text.slice(at, at + 1025));
    if (!m) return undefined;
    const key = m[0];
    const colon = at + key.length;
    if (this.text[colon] !== ':' || (this.text[colon + 1] !== ' ' && this.text[colon + 1] !== '\n')) return undefined;
    if (key.length > 1024 || key in SPECIAL || key === '__proto__') giveUp();
    return { key, after: colon + 1 };
  }

  /** A mapping whose first key is at `first` (on the current line), its keys at column `indent`. */
  private mapping(indent: number, first: number): { value: unknown; node: FastNode } {
    const value: Record<string, unknown> = {};
    const pairs = new Map<string, { keyOffset: number; node: FastNode }>();
    let at = first;
    for (;;) {
      const found = this.keyAt(at);
      if (!found) giveUp();
      if (pairs.has(found.key)) giveUp(); // the library reports duplicates with both places
      const item = this.valueAfter(found.after, indent);
      value[found.key] = item.value;
      pairs.set(found.key, { keyOffset: at, node: item.node });
      this.skip();
      if (this.line >= this.lineStarts.length) break;
      const next = this.indent(this.line);
      if (next < indent) break;
      if (next > indent) giveUp();
      at = this.lineStarts[this.line]! + next;
      if (this.isSeqItem(at)) {
        // A sequence at a compact mapping's own column ends it only when it is its parent sequence's next item.
        break;
      }
    }
    return { value, node: { start: first, pairs } };
  }

  /** A sequence of items at column `indent`, the first on the current line. */
  private sequence(indent: number): { value: unknown; node: FastNode } {
    const value: unknown[] = [];
    const items: FastNode[] = [];
    const start = this.lineStarts[this.line]! + indent;
    for (;;) {
      const dash = this.lineStarts[this.line]! + indent;
      let at = dash + 1;
      while (this.text[at] === ' ') at++;
      const c = this.text[at];
      if (c === '\n' || c === '#' || at === dash + 1) giveUp(); // an item on lines of its own, or `-` then a comment
      let item: { value: unknown; node: FastNode };
      if (this.keyAt(at)) {
        item = this.mapping(at - this.lineStarts[this.line]!, at);
      } else {
        if (c === '|' || c === '>') giveUp();
        item = c === '[' || c === '{' ? this.flow(at) : this.scalar(at);
        this.line++;
      }
      value.push(item.value);
      items.push(item.node);
      this.skip();
      if (this.line >= this.lineStarts.length) break;
      const next = this.indent(this.line);
      if (next < indent) break;
      if (next > indent) giveUp();
      // A key at the sequence's column: the sequence was a key's value written at that key's own column.
      if (!this.isSeqItem(this.lineStarts[this.line]! + next)) break;
    }
    return { value, node: { start, items } };
  }

  /**
   * The value after a key's colon at `after` (the current line); `indent`: the key's column. Leaves the current line
   * on the first line after the value.
   */
  private valueAfter(after: number, indent: number): { value: unknown; node: FastNode } {
    let at = after;
    while (this.text[at] === ' ') at++;
    const c = this.text[at];
    if (c === '\n' || c === '#') {
      // Nothing on the line: a nested block below, or an empty value.
      this.line++;
      this.skip();
      if (this.line < this.lineStarts.length) {
        const next = this.indent(this.line);
        const nextAt = this.lineStarts[this.line]! + next;
        if (next > indent) return this.block(next);
        if (next === indent && this.isSeqItem(nextAt)) return this.sequence(next);
      }
      return { value: null, node: { start: at, empty: true } };
    }
    if (c === '|') return this.literal(at, indent);
    const scalar = c === '[' || c === '{' ? this.flow(at) : this.scalar(at);
    this.line++;
    return scalar;
  }

  /** A scalar on one line from `at` to its end (or a comment). */
  private scalar(at: number): { value: unknown; node: FastNode } {
    const end = this.text.indexOf('\n', at);
    const c = this.text[at];
    if (c === '"' || c === "'") {
      const quoted = this.quoted(at, end);
      const rest = this.text.slice(quoted.after, end);
      if (rest.trim() !== '' && !/^ +#/.test(rest)) giveUp();
      return { value: quoted.value, node: { start: at } };
    }
    let text = this.text.slice(at, end);
    const comment = text.indexOf(' #');
    if (comment >= 0) text = text.slice(0, comment);
    text = text.trimEnd();
    return { value: plainValue(text), node: { start: at } };
  }

  /**
   * A flow sequence or mapping on one line (`[a, b]`, `{ k: v }`) of plain or quoted scalars, keys simple; nothing
   * nested, no empty item, no trailing comma.
   */
  private flow(at: number): { value: unknown; node: FastNode } {
    const end = this.text.indexOf('\n', at);
    const seq = this.text[at] === '[';
    const close = seq ? ']' : '}';
    const items: FastNode[] = [];
    const list: unknown[] = [];
    const pairs = new Map<string, { keyOffset: number; node: FastNode }>();
    const map: Record<string, unknown> = {};
    let p = at + 1;
    const spaces = (): void => {
      while (this.text[p] === ' ') p++;
    };
    spaces();
    if (this.text[p] === close) p++;
    else {
      for (;;) {
        spaces();
        let keyOffset = -1;
        let key = '';
        if (!seq) {
          const found = this.keyAt(p);
          if (!found || this.text[found.after] !== ' ') giveUp();
          if (pairs.has(found.key)) giveUp();
          keyOffset = p;
          key = found.key;
          p = found.after;
          spaces();
        }
        const start = p;
        let value: unknown;
        const c = this.text[p];
        if (c === '"' || c === "'") {
          const quoted = this.quoted(p, end);
          value = quoted.value;
          p = quoted.after;
        } else {
          while (p < end && !',]}'.includes(this.text[p]!)) p++;
          const text = this.text.slice(start, p).trimEnd();
          if (text.includes(':') || text.includes('#')) giveUp();
          value = plainValue(text);
        }
        spaces();
        if (seq) {
          list.push(value);
          items.push({ start });
        } else {
          map[key] = value;
          pairs.set(key, { keyOffset, node: { start } });
        }
        const next = this.text[p];
        p++;
        if (next === close) break;
        if (next !== ',') giveUp();
        spaces();
        if (this.text[p] === close) giveUp(); // a trailing comma
      }
    }
    const rest = this.text.slice(p, end);
    if (rest.trim() !== '' && !/^ +#/.test(rest)) giveUp();
    return seq ? { value: list, node: { start: at, items } } : { value: map, node: { start: at, pairs } };
  }

  /** A quoted scalar from `at` that closes before `end` (its line's end): its value and the offset after it. */
  private quoted(at: number, end: number): { value: string; after: number } {
    const c = this.text[at]!;
    let close = at + 1;
    let out = '';
    for (;;) {
      const q = this.text.indexOf(c, close);
      if (q < 0 || q > end) giveUp(); // runs onto the next line
      const part = this.text.slice(close, q);
      if (c === '"' && part.includes('\\')) giveUp();
      out += part;
      if (c === "'" && this.text[q + 1] === "'") {
        out += "'";
        close = q + 2;
        continue;
      }
      return { value: out, after: q + 1 };
    }
  }

  /** A `|` or `|-` block under a key at column `indent`. */
  private literal(at: number, indent: number): { value: unknown; node: FastNode } {
    const end = this.text.indexOf('\n', at);
    const header = this.text.slice(at, end);
    if (header !== '|' && header !== '|-') giveUp();
    const lines: string[] = [];
    let line = this.line + 1;
    let content = -1;
    for (; line < this.lineStarts.length; line++) {
      const text = this.lineText(line);
      const spaces = this.indent(line);
      if (spaces === text.length) {
        // A blank line: inside the block, unless it is past its end (trailing blank lines are clipped below).
        if (content >= 0 && spaces > content) giveUp();
        if (content < 0 && spaces > indent) giveUp();
        lines.push('');
        continue;
      }
      if (content < 0) {
        if (spaces <= indent) break;
        content = spaces;
      }
      if (spaces < content) break;
      lines.push(text.slice(content));
    }
    if (content < 0) giveUp();
    // Trailing blank lines belong to no content (clip and strip): the lines after the block start where it ends.
    let kept = lines.length;
    while (kept > 0 && lines[kept - 1] === '') kept--;
    line -= lines.length - kept;
    this.line = line;
    const body = lines.slice(0, kept).join('\n');
    return { value: header === '|' ? `${body}\n` : body, node: { start: at } };
  }
}

/**
 * The offset `where` gives for a path, as the library's walk gives it for a path that is there (its key's with
 * `key`, else its value's, or its key's for an empty value); undefined when the path is not there.
 */
export function fastOffset(root: FastNode, path: readonly (string | number)[], key: boolean): number | undefined {
  let node: FastNode = root;
  let keyOffset: number | undefined;
  for (const segment of path) {
    if (node.pairs) {
      const pair = node.pairs.get(String(segment));
      if (!pair) return undefined;
      keyOffset = pair.keyOffset;
      node = pair.node;
    } else if (node.items && typeof segment === 'number') {
      const item = node.items[segment];
      if (!item) return undefined;
      keyOffset = undefined;
      node = item;
    } else {
      return undefined;
    }
  }
  if (key && keyOffset !== undefined) return keyOffset;
  if (!node.empty) return node.start;
  return keyOffset;
}

/** Line and column (from 1) of an offset, as the library's LineCounter gives them. */
export function fastLinePos(lineStarts: readonly number[], offset: number): { line: number; col: number } {
  let low = 0;
  let high = lineStarts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (offset < lineStarts[mid]!) high = mid;
    else low = mid + 1;
  }
  if (low === 0) return { line: 0, col: offset };
  return { line: low, col: offset - lineStarts[low - 1]! + 1 };
}
