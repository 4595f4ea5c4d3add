// `nodeform import`: an inventory written for the old node scripts (el, cl, cl_client_name, ports, data
// directories, cl_extra_opts, use_checkpoint_sync, ...) rewritten into the new settings (consensus: { client },
// ...), editing the YAML document in place so comments and order stay. Every other variable gets a warning
// saying what to do with it (old-scripts.ts), and `{{ name }}` references are resolved or reported. Pure.
//
// Variables are replaced as a whole by more specific levels, so a mapping written at one level hides
// the same mapping above it. Each level that gets a mapping therefore holds everything its hosts saw
// there before (inherited old names included); hosts whose groups combine in other ways (a host in
// two sibling groups) are checked afterwards and given their settings in full where needed.

import { isDeepStrictEqual } from 'node:util';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { ConfigError } from '../errors.js';
import { hostVariables, parseInventory, type Inventory, type InventorySources } from '../inventory/inventory.js';
import { YamlSource, formatField, type PathSegment } from '../inventory/source.js';
import { IMPORT_MAPPINGS, IMPORT_TARGETS, IMPORT_WARNINGS, resolveJinja, unknownVariable, type ImportTarget } from './old-scripts.js';

export interface ImportResult {
  /** The rewritten file; the same text when nothing needed rewriting. */
  text: string;
  /** One line per change, with the file:line:column of what was there before. */
  changes: string[];
  /** One line per variable left as it was or reference left unresolved, saying what to do, with its file:line:column. */
  warnings: string[];
}

/** The hosts of the whole inventory (group_vars and host_vars included), for resolving `{{ name }}`. */
export interface ImportContext {
  inventory: Inventory;
}

const TARGETS = IMPORT_TARGETS;
type Target = ImportTarget;
type Vars = Record<string, unknown>;

/** The old variable's value in its new form, or undefined when it has no mapping or the value cannot be converted. */
function mapped(name: string, value: unknown): unknown {
  const mapping = IMPORT_MAPPINGS[name];
  if (!mapping || value === undefined || value === null) return undefined;
  const converted = mapping.convert(value);
  return 'value' in converted ? converted.value : undefined;
}

function settingName(name: string): string {
  const mapping = IMPORT_MAPPINGS[name]!;
  return `${mapping.variable}.${mapping.key}${mapping.sub !== undefined ? `.${mapping.sub}` : ''}`;
}

function jsValue(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (isMap(node) || isSeq(node)) return node.toJSON();
  return node ?? null;
}

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
  for (const [name, to] of Object.entries(IMPORT_MAPPINGS)) {
    const value = to.variable === target ? mapped(name, vars[name]) : undefined;
    if (value === undefined) continue;
    if (to.sub === undefined) {
      if (!(to.key in fromOld)) fromOld[to.key] = value;
    } else {
      const inner = isRecord(fromOld[to.key]) ? (fromOld[to.key] as Vars) : {};
      if (!(to.sub in inner)) fromOld[to.key] = { ...inner, [to.sub]: value };
    }
  }
  const mapping = isRecord(vars[target]) ? vars[target] : undefined;
  if (!mapping && Object.keys(fromOld).length === 0) return undefined;
  const merged: Vars = { ...fromOld };
  for (const [key, value] of Object.entries(mapping ?? {})) {
    if (value === null || value === undefined) continue;
    // A mapping set here (ports) takes the old names' keys it does not set itself.
    merged[key] = isRecord(value) && isRecord(merged[key]) ? { ...merged[key], ...value } : value;
  }
  return merged;
}

function stateVars(state: LevelState): Vars {
  return { ...state.old, ...state.mappings };
}

function applyLevel(state: LevelState, vars: Vars): LevelState {
  const next: LevelState = { old: { ...state.old }, mappings: { ...state.mappings } };
  for (const name of Object.keys(IMPORT_MAPPINGS)) if (mapped(name, vars[name]) !== undefined) next.old[name] = vars[name];
  for (const target of TARGETS) if (vars[target] !== undefined) next.mappings[target] = isRecord(vars[target]) ? vars[target] : {};
  return next;
}

class Rewriter {
  private readonly notes: { offset: number; text: string }[] = [];
  private readonly cautions: { offset: number; text: string }[] = [];
  /** Where the first old variable of each setting was (what a later note about that setting points at). */
  private readonly firstOld = new Map<Target, unknown>();
  private readonly lines = new LineCounter();
  readonly doc: Document.Parsed;
  /** The text with its references resolved and nothing else changed: what its hosts saw before the rewrite. */
  resolvedText = '';

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines });
  }

  /** A change, said at the place of the node it concerns. */
  private note(node: unknown, text: string): void {
    const offset = (node as YamlNode | null)?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    this.notes.push({ offset, text: `${this.file}:${line}:${col}: ${text}` });
  }

  /** A variable or reference left as it was, and what to do with it, said at its place. */
  private caution(node: unknown, text: string): void {
    const offset = (node as YamlNode | null)?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    this.cautions.push({ offset, text: `${this.file}:${line}:${col}: ${text}` });
  }

  /** The changes in file order. */
  get changes(): string[] {
    return [...this.notes].sort((a, b) => a.offset - b.offset).map((note) => note.text);
  }

  /** The warnings in file order. */
  get warnings(): string[] {
    return [...this.cautions].sort((a, b) => a.offset - b.offset).map((note) => note.text);
  }

  /**
   * Resolves the `{{ name }}` references in one vars mapping's values (nested ones too) for the hosts that see
   * it; a reference that cannot be resolved is left as it is, with a warning saying why and what to do.
   */
  resolve(map: YAMLMap, path: PathSegment[], hosts: readonly { name: string; vars: Vars }[]): void {
    const visit = (node: unknown, at: PathSegment[]): void => {
      if (isMap(node)) for (const pair of node.items) visit(pair.value, [...at, keyText(pair.key)]);
      else if (isSeq(node)) node.items.forEach((item, index) => visit(item, [...at, index]));
      else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('{{')) {
        const before = node.value;
        const result = resolveJinja(before, hosts);
        const field = formatField('', at);
        if ('value' in result) {
          node.value = result.value;
          this.note(node, `${field}: ${before} resolved to ${String(result.value)}`);
        } else {
          this.caution(node, `${field}: ${before} left as it is: ${result.unresolved}`);
        }
      }
    };
    for (const pair of map.items) visit(pair.value, [...path, keyText(pair.key)]);
  }

  /** Warnings for the variables of one vars mapping that no setting takes: what to do with each. */
  review(map: YAMLMap, path: PathSegment[]): void {
    for (const pair of map.items) {
      const name = keyText(pair.key);
      const field = formatField('', [...path, name]);
      const mapping = IMPORT_MAPPINGS[name];
      if (mapping) {
        const value = jsValue(pair.value);
        const converted = value === null ? { refused: 'it has no value' } : mapping.convert(value);
        if ('refused' in converted) this.caution(pair.key, `${field}: left as it is, not made ${settingName(name)}: ${converted.refused}`);
        continue;
      }
      const advice = IMPORT_WARNINGS[name] ?? unknownVariable(name);
      if (advice !== undefined) this.caution(pair.key, `${field}: ${advice}`);
    }
  }

  /** Rewrites one vars mapping; `after` is what its hosts see once this level applies. */
  level(map: YAMLMap, path: PathSegment[], after: LevelState): void {
    for (const target of TARGETS) {
      const oldPairs = map.items.filter((pair) => IMPORT_MAPPINGS[keyText(pair.key)]?.variable === target && mapped(keyText(pair.key), jsValue(pair.value)) !== undefined);
      const existing = map.items.find((pair) => keyText(pair.key) === target);
      const wanted = effectiveSetting(stateVars(after), target) ?? {};
      const field = (name: string) => formatField('', [...path, name]);
      const mapping = after.mappings[target];
      if (oldPairs.length === 0) {
        // A mapping here hides old names set above, which it did not before: it takes their values.
        if (!existing || !isMap(existing.value)) continue;
        const missing = this.fill(existing.value, wanted);
        if (missing.length > 0) this.note(existing.key, `${field(target)} now holds ${missing.join(', ')}, which its hosts inherited from old names above`);
        continue;
      }
      for (const pair of oldPairs) {
        const name = keyText(pair.key);
        const { key, sub, note } = IMPORT_MAPPINGS[name]!;
        const set = mapping?.[key];
        const shadowed = sub === undefined ? set !== undefined && set !== null : isRecord(set) && set[sub] !== undefined && set[sub] !== null;
        const said = shadowed ? ` (it had no effect: ${settingName(name)} is set)` : note !== undefined ? ` (${note})` : '';
        this.note(pair.key, `${field(name)} -> ${settingName(name)}${said}`);
      }
      const first = oldPairs[0]!;
      if (!this.firstOld.has(target)) this.firstOld.set(target, first.key);
      let settings: YAMLMap;
      let created: Pair | undefined;
      if (existing && isMap(existing.value)) {
        settings = existing.value;
        this.fill(settings, wanted);
      } else {
        created = this.doc.createPair(target, this.node(wanted));
        settings = created.value as YAMLMap;
        map.items.splice(map.items.indexOf(first), 0, created);
        if (existing) map.items.splice(map.items.indexOf(existing), 1);
      }
      // Comments travel with the setting they described; the first one's lines above it stay above
      // the mapping that takes its place.
      for (const pair of oldPairs) {
        const moved = settings.items.find((item) => keyText(item.key) === IMPORT_MAPPINGS[keyText(pair.key)]!.key);
        const before = (pair.key as YamlNode | null)?.commentBefore;
        const after = (pair.value as YamlNode | null)?.comment;
        const above = pair === first && created ? created.key : moved?.key;
        if (above && before) (above as YamlNode).commentBefore = before;
        if (moved && after && moved.value) (moved.value as YamlNode).comment = after;
      }
      const own = new Set(oldPairs.map((pair) => IMPORT_MAPPINGS[keyText(pair.key)]!.key));
      const inherited = Object.keys(wanted).filter((key) => !own.has(key) && !(mapping && key in mapping));
      if (inherited.length > 0 && !existing) {
        this.note(first.key, `${field(target)} also holds ${inherited.join(', ')}, which its hosts inherit (a mapping here replaces the one above)`);
      }
      for (const pair of oldPairs) map.items.splice(map.items.indexOf(pair), 1);
    }
  }

  /** Adds to a settings mapping the keys (and the keys of its nested mappings) it lacks; returns the keys added. */
  private fill(settings: YAMLMap, wanted: Vars): string[] {
    const added: string[] = [];
    for (const [key, value] of Object.entries(wanted)) {
      const present = settings.get(key, true);
      if (present === undefined) {
        settings.add(this.pair(key, value));
        added.push(key);
      } else if (isMap(present) && isRecord(value)) {
        for (const [sub, inner] of Object.entries(value)) {
          if (present.has(sub)) continue;
          present.add(this.pair(sub, inner));
          added.push(`${key}.${sub}`);
        }
      }
    }
    return added;
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

  /** Sets `target` in a vars file (a host_vars file whose mapping hides what the host had from other files). */
  setFileSetting(target: Target, value: Vars, host: string): void {
    const root = this.doc.contents;
    if (!isMap(root)) return;
    (root as YAMLMap).set(target, this.node(value));
    this.note(this.firstOld.get(target) ?? root, `${target} written out in full: host ${host} combined it from several files, and a mapping here replaces the others`);
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

/** Each host that sees a level (all, a group, a host) with its variables, for resolving references there. */
function hostsSeeing(context: ImportContext, level: { group: string } | { host: string }): { name: string; vars: Vars }[] {
  const inventory = context.inventory;
  const names =
    'host' in level
      ? inventory.hostNames.filter((name) => name === level.host)
      : inventory.hostNames.filter((name) => level.group === 'all' || (inventory.hosts[name]?.groups ?? []).includes(level.group));
  return names.map((name) => ({ name, vars: hostVariables(inventory, name) }));
}

/** The inventory text alone parsed, for callers that give no context. */
function contextOf(text: string, file: string): ImportContext {
  return { inventory: parseInventory({ inventory: { file, text } }, { baseDir: '/' }).inventory };
}

/**
 * An inventory (Ansible YAML shape) with the old node variables rewritten into the new settings.
 * `context` holds the whole inventory (group_vars, host_vars) for resolving references; without it, this
 * file alone. Throws ConfigError when the text is not valid YAML.
 */
export function importInventory(text: string, file: string, context: ImportContext = contextOf(text, file)): ImportResult {
  return finish(rewriteInventory(text, file, context));
}

function rewriteInventory(text: string, file: string, context: ImportContext): Rewriter {
  checked(text, file);
  const rewriter = new Rewriter(file, text);
  const root = rewriter.doc.contents;
  rewriter.resolvedText = text;
  if (!isMap(root)) return rewriter;

  // First every reference resolved, in every vars mapping, so that what is mapped below is the value itself.
  const eachLevel = (visit: (map: YAMLMap, path: PathSegment[], level: { group: string } | { host: string }) => void): void => {
    const walk = (group: unknown, path: PathSegment[], name: string): void => {
      if (!isMap(group)) return;
      const vars = group.get('vars', true);
      if (isMap(vars)) visit(vars, [...path, 'vars'], { group: name });
      const hosts = group.get('hosts', true);
      if (isMap(hosts)) for (const pair of hosts.items) if (isMap(pair.value)) visit(pair.value, [...path, 'hosts', keyText(pair.key)], { host: keyText(pair.key) });
      const children = group.get('children', true);
      if (isMap(children)) for (const child of children.items) walk(child.value, [...path, 'children', keyText(child.key)], keyText(child.key));
    };
    for (const pair of root.items) walk(pair.value, [keyText(pair.key)], keyText(pair.key));
  };
  eachLevel((map, path, level) => rewriter.resolve(map, path, hostsSeeing(context, level)));
  eachLevel((map, path) => rewriter.review(map, path));
  const resolvedText = rewriter.doc.toString();
  rewriter.resolvedText = resolvedText;

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
  const before = parseInventory({ inventory: { file, text: resolvedText } }, { baseDir: '/' }).inventory;
  const after = parseInventory({ inventory: { file, text: rewriter.doc.toString() } }, { baseDir: '/' }).inventory;
  for (const host of before.hostNames) {
    for (const target of TARGETS) {
      const wanted = effectiveSetting(hostVariables(before, host), target);
      const got = effectiveSetting(hostVariables(after, host), target);
      if (!isDeepStrictEqual(wanted, got)) rewriter.setHostSetting(host, target, wanted ?? {});
    }
  }
  return rewriter;
}

/**
 * A group_vars/ or host_vars/ file (a mapping of variables) with the old names rewritten. `level` is the group
 * or host it belongs to, for resolving references with `context`; without them, with this file's own variables.
 */
export function importVars(text: string, file: string, context?: ImportContext, level?: { group: string } | { host: string }): ImportResult {
  return finish(rewriteVars(text, file, context, level));
}

function rewriteVars(text: string, file: string, context?: ImportContext, level?: { group: string } | { host: string }): Rewriter {
  checked(text, file);
  const rewriter = new Rewriter(file, text);
  const root = rewriter.doc.contents;
  rewriter.resolvedText = text;
  if (isMap(root)) {
    const hosts = context && level ? hostsSeeing(context, level) : [{ name: file, vars: toJs(root) }];
    rewriter.resolve(root, [], hosts);
    rewriter.resolvedText = rewriter.doc.toString();
    rewriter.review(root, []);
    rewriter.level(root, [], applyLevel(EMPTY, toJs(root)));
  }
  return rewriter;
}

/**
 * The inventory and its group_vars/ and host_vars/ files rewritten together: references resolved with every
 * host's variables, and a host whose settings came from several files (a host_vars mapping hiding the
 * inventory's) given its settings in full where needed, so each host keeps what it had.
 */
export function importSources(sources: InventorySources, baseDir: string): { file: string; result: ImportResult }[] {
  const context = { inventory: parseInventory(sources, { baseDir }).inventory };
  const inventory = rewriteInventory(sources.inventory.text, sources.inventory.file, context);
  const groupVars = (sources.groupVars ?? []).map((v) => ({ ...v, rewriter: rewriteVars(v.text, v.file, context, { group: v.name }) }));
  const hostVars = (sources.hostVars ?? []).map((v) => ({ ...v, rewriter: rewriteVars(v.text, v.file, context, { host: v.name }) }));
  const texts = (which: 'resolvedText' | 'rewritten'): InventorySources => {
    const text = (r: Rewriter) => (which === 'resolvedText' ? r.resolvedText : r.doc.toString());
    return {
      inventory: { file: sources.inventory.file, text: text(inventory) },
      groupVars: groupVars.map((v) => ({ file: v.file, name: v.name, text: text(v.rewriter) })),
      hostVars: hostVars.map((v) => ({ file: v.file, name: v.name, text: text(v.rewriter) })),
    };
  };
  const before = parseInventory(texts('resolvedText'), { baseDir }).inventory;
  const after = parseInventory(texts('rewritten'), { baseDir }).inventory;
  for (const host of before.hostNames) {
    for (const target of TARGETS) {
      const wanted = effectiveSetting(hostVariables(before, host), target);
      if (isDeepStrictEqual(wanted, effectiveSetting(hostVariables(after, host), target))) continue;
      // The host's own file is read last: its settings go there, else into its entry in the inventory.
      const own = hostVars.filter((v) => v.name === host).at(-1);
      if (own) own.rewriter.setFileSetting(target, wanted ?? {}, host);
      else inventory.setHostSetting(host, target, wanted ?? {});
    }
  }
  return [inventory, ...groupVars.map((v) => v.rewriter), ...hostVars.map((v) => v.rewriter)].map((r) => ({ file: r.file, result: finish(r) }));
}

function finish(rewriter: Rewriter): ImportResult {
  const changes = rewriter.changes;
  return { text: changes.length === 0 ? rewriter.text : rewriter.doc.toString(), changes, warnings: rewriter.warnings };
}
