// `nodeform import`: an inventory written with the old node variable names (cl_client_name,
// cl_extra_opts, use_checkpoint_sync, ...) rewritten into the new settings (consensus: { client },
// ...), editing the YAML document in place so comments and order stay. Pure.
//
// Variables are replaced as a whole by more specific levels, so a mapping written at one level hides
// the same mapping above it. Each level that gets a mapping therefore holds everything its hosts saw
// there before (inherited old names included); hosts whose groups combine in other ways (a host in
// two sibling groups) are checked afterwards and given their settings in full where needed.

import { isDeepStrictEqual } from 'node:util';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { ConfigError } from '../errors.js';
import { hostVariables, parseInventory } from '../inventory/inventory.js';
import { YamlSource, formatField, type PathSegment } from '../inventory/source.js';
import { OLD_NODE_VARIABLES, newFormValue } from './spec.js';

export interface ImportResult {
  /** The rewritten file; the same text when nothing needed rewriting. */
  text: string;
  /** One line per change, with the file:line:column of what was there before. */
  changes: string[];
}

const TARGETS = ['consensus', 'execution', 'checkpoint_sync'] as const;
type Target = (typeof TARGETS)[number];
type Vars = Record<string, unknown>;

/** What a level's hosts see: the winning old-name values and the winning new mappings. */
interface LevelState {
  old: Vars;
  mappings: Partial<Record<Target, Vars>>;
}

const EMPTY: LevelState = { old: {}, mappings: {} };

function isRecord(value: unknown): value is Vars {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** The settings of `target` a host sees with these variables: old names fill what the mapping leaves open. */
function effectiveSetting(vars: Vars, target: Target): Vars | undefined {
  const fromOld: Vars = {};
  for (const [name, to] of Object.entries(OLD_NODE_VARIABLES)) {
    if (to.variable !== target || vars[name] === undefined || vars[name] === null || to.key in fromOld) continue;
    fromOld[to.key] = newFormValue(name, vars[name]);
  }
  const mapping = isRecord(vars[target]) ? vars[target] : undefined;
  if (!mapping && Object.keys(fromOld).length === 0) return undefined;
  const merged: Vars = { ...fromOld };
  for (const [key, value] of Object.entries(mapping ?? {})) if (value !== null && value !== undefined) merged[key] = value;
  return merged;
}

function stateVars(state: LevelState): Vars {
  return { ...state.old, ...state.mappings };
}

function applyLevel(state: LevelState, vars: Vars): LevelState {
  const next: LevelState = { old: { ...state.old }, mappings: { ...state.mappings } };
  for (const name of Object.keys(OLD_NODE_VARIABLES)) if (vars[name] !== undefined) next.old[name] = vars[name];
  for (const target of TARGETS) if (vars[target] !== undefined) next.mappings[target] = isRecord(vars[target]) ? vars[target] : {};
  return next;
}

class Rewriter {
  private readonly notes: { offset: number; text: string }[] = [];
  private readonly lines = new LineCounter();
  readonly doc: Document.Parsed;

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines });
  }

  /** A change, said at the place of the node it concerns. */
  private note(node: unknown, text: string): void {
    const offset = (node as YamlNode | null)?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    this.notes.push({ offset, text: `${this.file}:${line}:${col}: ${text}` });
  }

  /** The changes in file order. */
  get changes(): string[] {
    return [...this.notes].sort((a, b) => a.offset - b.offset).map((note) => note.text);
  }

  /** Rewrites one vars mapping; `after` is what its hosts see once this level applies. */
  level(map: YAMLMap, path: PathSegment[], after: LevelState): void {
    for (const target of TARGETS) {
      const oldPairs = map.items.filter((pair) => OLD_NODE_VARIABLES[keyText(pair.key)]?.variable === target);
      const existing = map.items.find((pair) => keyText(pair.key) === target);
      const wanted = effectiveSetting(stateVars(after), target) ?? {};
      const field = (name: string) => formatField('', [...path, name]);
      const mapping = after.mappings[target];
      if (oldPairs.length === 0) {
        // A mapping here hides old names set above, which it did not before: it takes their values.
        if (!existing || !isMap(existing.value)) continue;
        const missing = Object.keys(wanted).filter((key) => !(existing.value as YAMLMap).has(key));
        for (const key of missing) existing.value.add(this.pair(key, wanted[key]));
        if (missing.length > 0) this.note(existing.key, `${field(target)} now holds ${missing.join(', ')}, which its hosts inherited from old names above`);
        continue;
      }
      for (const pair of oldPairs) {
        const name = keyText(pair.key);
        const key = OLD_NODE_VARIABLES[name]!.key;
        const shadowed = mapping?.[key] !== undefined && mapping[key] !== null;
        this.note(pair.key, `${field(name)} -> ${target}.${key}${shadowed ? ` (it had no effect: ${target}.${key} is set)` : ''}`);
      }
      const first = oldPairs[0]!;
      let settings: YAMLMap;
      let created: Pair | undefined;
      if (existing && isMap(existing.value)) {
        settings = existing.value;
        for (const [key, value] of Object.entries(wanted)) {
          if (!settings.has(key)) settings.add(this.pair(key, value));
        }
      } else {
        created = this.doc.createPair(target, this.node(wanted));
        settings = created.value as YAMLMap;
        map.items.splice(map.items.indexOf(first), 0, created);
        if (existing) map.items.splice(map.items.indexOf(existing), 1);
      }
      // Comments travel with the setting they described; the first one's lines above it stay above
      // the mapping that takes its place.
      for (const pair of oldPairs) {
        const moved = settings.items.find((item) => keyText(item.key) === OLD_NODE_VARIABLES[keyText(pair.key)]!.key);
        const before = (pair.key as YamlNode | null)?.commentBefore;
        const after = (pair.value as YamlNode | null)?.comment;
        const above = pair === first && created ? created.key : moved?.key;
        if (above && before) (above as YamlNode).commentBefore = before;
        if (moved && after && moved.value) (moved.value as YamlNode).comment = after;
      }
      const own = new Set(oldPairs.map((pair) => OLD_NODE_VARIABLES[keyText(pair.key)]!.key));
      const inherited = Object.keys(wanted).filter((key) => !own.has(key) && !(mapping && key in mapping));
      if (inherited.length > 0 && !existing) {
        this.note(first.key, `${field(target)} also holds ${inherited.join(', ')}, which its hosts inherit (a mapping here replaces the one above)`);
      }
      for (const pair of oldPairs) map.items.splice(map.items.indexOf(pair), 1);
    }
  }

  private node(value: unknown): YamlNode {
    const node = this.doc.createNode(value) as YamlNode;
    // Argument lists read best on one line.
    if (isMap(node)) for (const pair of node.items) if (isSeq(pair.value)) pair.value.flow = true;
    return node;
  }

  private pair(key: string, value: unknown): Pair {
    return this.doc.createPair(key, this.node(value));
  }

  /** Sets `target` of the host's vars at its first listing (the mapping is created when the host has none). */
  setHostSetting(host: string, target: Target, value: Vars): void {
    const root = this.doc.contents;
    const found = isMap(root) ? root.items.map((group) => this.findHost(group.value, host, [keyText(group.key)])).find((f) => f !== undefined) : undefined;
    if (!found) return;
    if (!isMap(found.pair.value)) found.pair.value = this.doc.createNode({});
    const vars = found.pair.value as YAMLMap;
    vars.set(target, this.node(value));
    this.note(found.pair.key, `${formatField('', [...found.path, target])} written out in full: host ${host}'s groups combine it differently in the new form`);
  }

  /** The host's first listing in a group (searched before the group's children). */
  private findHost(node: unknown, host: string, path: PathSegment[]): { pair: Pair; path: PathSegment[] } | undefined {
    if (!isMap(node)) return undefined;
    for (const pair of node.items) {
      const name = keyText(pair.key);
      if (name === 'hosts' && isMap(pair.value)) {
        const hostPair = pair.value.items.find((item) => keyText(item.key) === host);
        if (hostPair) return { pair: hostPair, path: [...path, 'hosts', host] };
      }
    }
    for (const pair of node.items) {
      const name = keyText(pair.key);
      if (name !== 'children' || !isMap(pair.value)) continue;
      for (const child of pair.value.items) {
        const found = this.findHost(child.value, host, [...path, 'children', keyText(child.key)]);
        if (found) return found;
      }
    }
    return undefined;
  }
}

function checked(text: string, file: string): void {
  const parsed = YamlSource.parse({ file, text });
  if (parsed.fatal) throw new ConfigError(parsed.problems);
}

function toJs(map: YAMLMap): Vars {
  const value: unknown = map.toJSON();
  return isRecord(value) ? value : {};
}

/**
 * An inventory (Ansible YAML shape) with the old node variable names rewritten into the new
 * settings. Throws ConfigError when the text is not valid YAML.
 */
export function importInventory(text: string, file: string): ImportResult {
  checked(text, file);
  const rewriter = new Rewriter(file, text);
  const root = rewriter.doc.contents;
  if (!isMap(root)) return { text, changes: [] };

  const walk = (group: unknown, path: PathSegment[], inherited: LevelState): void => {
    if (!isMap(group)) return;
    const vars = group.get('vars', true);
    const state = isMap(vars) ? applyLevel(inherited, toJs(vars)) : inherited;
    const hosts = group.get('hosts', true);
    if (isMap(hosts)) {
      for (const pair of hosts.items) {
        if (isMap(pair.value)) rewriter.level(pair.value, [...path, 'hosts', keyText(pair.key)], applyLevel(state, toJs(pair.value)));
      }
    }
    if (isMap(vars)) rewriter.level(vars, [...path, 'vars'], state);
    const children = group.get('children', true);
    if (isMap(children)) for (const child of children.items) walk(child.value, [...path, 'children', keyText(child.key)], state);
  };
  const all = root.get('all', true);
  const allVars = isMap(all) ? all.get('vars', true) : undefined;
  const topState = isMap(allVars) ? applyLevel(EMPTY, toJs(allVars)) : EMPTY;
  for (const pair of root.items) {
    const name = keyText(pair.key);
    walk(pair.value, [name], name === 'all' ? EMPTY : topState);
  }

  // Hosts in several sibling groups see a combination no single level holds: give them theirs.
  const before = parseInventory({ inventory: { file, text } }, { baseDir: '/' }).inventory;
  const after = parseInventory({ inventory: { file, text: rewriter.doc.toString() } }, { baseDir: '/' }).inventory;
  for (const host of before.hostNames) {
    for (const target of TARGETS) {
      const wanted = effectiveSetting(hostVariables(before, host), target);
      const got = effectiveSetting(hostVariables(after, host), target);
      if (!isDeepStrictEqual(wanted, got)) rewriter.setHostSetting(host, target, wanted ?? {});
    }
  }
  return finish(text, rewriter);
}

/** A group_vars/ or host_vars/ file (a mapping of variables) with the old names rewritten. */
export function importVars(text: string, file: string): ImportResult {
  checked(text, file);
  const rewriter = new Rewriter(file, text);
  const root = rewriter.doc.contents;
  if (isMap(root)) rewriter.level(root, [], applyLevel(EMPTY, toJs(root)));
  return finish(text, rewriter);
}

function finish(text: string, rewriter: Rewriter): ImportResult {
  const changes = rewriter.changes;
  return changes.length === 0 ? { text, changes } : { text: rewriter.doc.toString(), changes };
}
