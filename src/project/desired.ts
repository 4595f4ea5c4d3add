// Inventory × playbook -> Desired[]: one entry per selected host with its connection, settings,
// variables and resources (templates rendered, sha256 computed), in a stable order. Pure.

import { NodeformError, type ConfigProblem } from '../errors.js';
import type { CopySource, Desired, DirectoryResource, HostConnection, HostSettings, FileResource, LocalFile, Resource, UnitResource, UserResource } from '../model/types.js';
import { compileTemplate, renderTemplate, type CompileOutcome, type TemplateFailure } from '../render/handlebars.js';
import { copyNotFoundMessage, templateNotFoundMessage } from '../render/templates.js';
import { HostProblems, HostWarnings } from '../inventory/host-problems.js';
import { assignVars, hostConnection, hostSettings, hostVariableOrigins, hostVariables, type Inventory, type VarOrigin } from '../inventory/inventory.js';
import type { NodeInputs } from '../node/inputs.js';
import type { NodeHost } from '../node/needs.js';
import { stateOnlyUnit } from '../node/builders.js';
import { nodePlayResources, nodePlaySelected, type NodePlayContext } from '../node/play.js';
import { groupMembers, matchTerms, parsePattern, type PatternMatch, type PatternTerm } from '../inventory/patterns.js';
import type { ContentSource, Declaration, Play, Playbook } from '../inventory/playbook.js';
import { problemInText, type PathSegment, type SourceFile } from '../inventory/source.js';
import { tagSelector } from '../inventory/tags.js';
import { asWarning, wholeFileWarning } from '../inventory/warnings.js';
import { LOCAL_INLINE_LIMIT, UNIT_DIR } from '../model/types.js';
import { sameFileState } from '../util/file-state.js';
import { sha256Hex } from '../util/sha256.js';

export interface BuildInput {
  inventory: Inventory;
  playbook: Playbook;
  /** Parsed -e variables (highest precedence). */
  extraVars?: Record<string, unknown>;
  /** Where each -e variable was given, to place problems in node settings. */
  extraVarOrigins?: Map<string, VarOrigin>;
  /** What plays with ethereum_node need besides the variables. */
  node?: NodeInputs;
  /** Template files by the reference written in the playbook; a missing entry means not found. */
  templates?: Record<string, SourceFile | { refused: string }>;
  /** `source:` files by the reference written in the playbook; a missing entry means not found. */
  copies?: Record<string, CopySource>;
  /** --limit pattern. */
  limit?: string;
  tags?: string[];
  skipTags?: string[];
}

export interface BuildResult {
  desired: Desired[];
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}


/** A resource for one host, with the place in the playbook a conflict is reported at. */
interface Entry {
  resource: Resource;
  at: PathSegment[];
  /** Point at the key at `at` (a play's ethereum_node) rather than its value. */
  key?: boolean;
  /** Absent for resources of an ethereum_node play. */
  declaration?: Declaration;
}

const KIND_ORDER: Record<Resource['kind'], number> = { user: 0, directory: 1, file: 2, unit: 3, wipe: 4, binary: 5 };

/** Runs a step-wise build to its end, without a pause between steps. */
export function finish<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Declarations built between two pauses of buildDesiredSteps. */
const STEP_DECLARATIONS = 500;

/**
 * buildDesired: each selected host's Desired, built in steps. It pauses (yields) after each host and every few
 * hundred declarations, so a caller that may wait can let I/O run between them (the SSH handshakes a plan starts
 * before the build); `finish` runs it straight through.
 */
export function* buildDesiredSteps(input: BuildInput): Generator<void, BuildResult, void> {
  const { inventory, playbook } = input;
  const source = playbook.source;
  const extraVars = input.extraVars ?? {};
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const hostProblems = new HostProblems();

  const { playHosts, selected } = playTargets(inventory, playbook, input.limit, problems, warnings);

  const templates = new TemplateCache(input.templates ?? {}, playbook, problems);
  // Hosts rendered to the same content share its sha256: one hash per distinct content, not per file and host.
  const hashes = new Map<string, string>();
  const copies = new CopyLookup(input.copies ?? {}, playbook, problems);
  const magic = magicVariables(inventory, extraVars);
  const nodes: NodePlayContext = {
    inventory,
    playbook,
    inputs: input.node ?? {},
    hostProblems,
    warnings,
    notApplicable: new HostWarnings(),
    checkpoints: new Map(),
    networkNotes: new Map(),
  };
  const tagFilter = { tags: input.tags, skipTags: input.skipTags };
  const chosenByTags = tagSelector(tagFilter);
  const desired: Desired[] = [];
  for (const host of selected) {
    const vars = hostVariables(inventory, host, extraVars);
    const resources: Entry[] = [];
    const declaredFiles = new Set<string>();
    for (const play of playbook.plays) {
      if (!playHosts.get(play)?.has(host)) continue;
      // A node play --tags deselects entirely is not built: nothing was fetched for it.
      if (play.ethereumNode && nodePlaySelected(play, tagFilter)) {
        const nodeVars = nodePlayVariables(inventory, host, play, extraVars);
        const origins = hostVariableOrigins(inventory, host);
        for (const name of Object.keys(play.vars)) origins.set(name, { source, path: [play.index, 'vars', name] });
        input.extraVarOrigins?.forEach((origin, name) => origins.set(name, origin));
        for (const resource of nodePlayResources(nodes, host, play, nodeVars, origins)) {
          if (resource.kind === 'file') declaredFiles.add(resource.path);
          resources.push({ resource, at: [play.index, 'ethereum_node'], key: true });
        }
      }
      const context = assignVars(assignVars(assignVars(hostVariables(inventory, host), play.vars), extraVars), {
        inventory_hostname: host,
        inventory_hostname_short: host.split('.')[0] ?? host,
        group_names: (inventory.hosts[host]?.groups ?? []).filter((g) => g !== 'all' && g !== 'ungrouped').sort(),
        groups: magic.groups,
        hostvars: magic.hostvars,
      });
      let sincePause = 0;
      for (const declaration of play.declarations) {
        if (declaration.kind === 'file') declaredFiles.add(declaration.path);
        const resource = toResource(declaration, context, templates, copies, host, hostProblems, hashes);
        const keyField = declaration.kind === 'user' || declaration.kind === 'unit' ? 'name' : 'path';
        if (resource) resources.push({ resource, declaration, at: [...declaration.at, keyField] });
        if (++sincePause === STEP_DECLARATIONS) {
          sincePause = 0;
          yield;
        }
      }
    }
    const merged = mergeDeclarations(resources, host, source, hostProblems);
    checkRestartOn(merged, declaredFiles, host, source, hostProblems);
    const checkpoint = nodes.checkpoints.get(host);
    const notes = [...(nodes.networkNotes.get(host) ?? []), ...(checkpoint?.notes ?? [])];
    desired.push({
      host,
      connection: hostConnection(host, vars, inventory),
      settings: hostSettings(vars),
      vars,
      ...(checkpoint ? { checkpoint: checkpoint.decision } : {}),
      ...(notes.length > 0 ? { notes } : {}),
      resources: merged
        .map((entry) => entry.resource)
        .filter((resource) => chosenByTags(resource.tags))
        .sort(compareResources),
    });
    yield;
  }
  problems.push(...hostProblems.list());
  warnings.push(...nodes.notApplicable.list());
  return { desired, problems, warnings };
}

/** A node play's variables for a host: the host's, the play's, then -e. */
function nodePlayVariables(inventory: Inventory, host: string, play: Play, extraVars: Record<string, unknown>): Record<string, unknown> {
  return assignVars(assignVars(hostVariables(inventory, host), play.vars), extraVars);
}

/**
 * The node plays buildDesired will build, one entry per host and play: the hosts --limit selects, the plays
 * --tags selects. What they need from outside is computed from these (src/node/needs.ts), nothing else.
 */
export function selectedNodeHosts(input: Pick<BuildInput, 'inventory' | 'playbook' | 'extraVars' | 'limit' | 'tags' | 'skipTags'>): NodeHost[] {
  const { inventory, playbook } = input;
  const { playHosts, selected } = playTargets(inventory, playbook, input.limit, [], []);
  const filter = { tags: input.tags, skipTags: input.skipTags };
  const plays = playbook.plays.filter((play) => play.ethereumNode && nodePlaySelected(play, filter));
  return selected.flatMap((host) =>
    plays.filter((play) => playHosts.get(play)?.has(host)).map((play) => ({ host, vars: nodePlayVariables(inventory, host, play, input.extraVars ?? {}) })),
  );
}

/** Hosts matching --limit; unknown names are problems pointing into the argument. */
function limitHosts(inventory: Inventory, limit: string, problems: ConfigProblem[], warnings: ConfigProblem[]): Set<string> {
  const argument: SourceFile = { file: '--limit', text: limit };
  const terms = parsePattern(limit);
  if (terms.length === 0) problems.push(problemInText(argument, 1, 1, 'limit', 'must not be empty: give a host pattern'));
  const match = matchTerms(inventory, terms);
  reportPattern(match, (term, message) => problemInText(argument, 1, term.bodyOffset + 1, 'limit', message), problems, warnings);
  return new Set(match.hosts);
}

/** One inventory host, ready to connect to (for commands that need no playbook, like reset). */
export interface InventoryHostEntry {
  name: string;
  connection: HostConnection;
  settings: HostSettings;
  vars: Record<string, unknown>;
}

/** Which plays apply to which hosts, and the hosts a run handles (--limit and at least one play). */
function playTargets(
  inventory: Inventory,
  playbook: Playbook,
  limit: string | undefined,
  problems: ConfigProblem[],
  warnings: ConfigProblem[],
): { playHosts: Map<Play, Set<string>>; selected: string[] } {
  const source = playbook.source;
  const limited = limit !== undefined ? limitHosts(inventory, limit, problems, warnings) : undefined;

  // Which plays apply to which hosts.
  const playHosts = new Map<Play, Set<string>>();
  for (const play of playbook.plays) {
    const hosts = new Set<string>();
    for (const pattern of play.patterns) {
      const match = matchTerms(inventory, parsePattern(pattern.text));
      // How the pattern was written is read only for a message: a playbook from the loader's cache is not parsed.
      const quoted = (): number => (/^["']/.test(source.sourceText(pattern.at) ?? '') ? 1 : 0);
      reportPattern(match, (term, message) => source.problem(pattern.at, message, { column: term.bodyOffset + quoted() }), problems, warnings);
      match.hosts.forEach((host) => hosts.add(host));
    }
    if (play.patterns.length > 0 && hosts.size === 0) {
      warnings.push(asWarning(source.problem([play.index, 'hosts'], `play ${play.name ? `'${play.name}' ` : ''}matches no hosts`)));
    }
    playHosts.set(play, hosts);
  }

  const selected = inventory.hostNames.filter(
    (host) => (!limited || limited.has(host)) && playbook.plays.some((play) => playHosts.get(play)?.has(host)),
  );
  if (limited) {
    for (const host of limited) {
      if (!selected.includes(host)) warnings.push(wholeFileWarning('--limit', `no play of ${playbook.file} applies to host ${host}`));
    }
  }

  return { playHosts, selected };
}

/**
 * The connections of the hosts buildDesired will build, from the parsed inventory and playbook alone: a plan
 * starts connecting to them while templates render. Problems are buildDesired's to report.
 */
export function targetConnections(
  inventory: Inventory,
  playbook: Playbook,
  options: { extraVars?: Record<string, unknown>; limit?: string } = {},
): HostConnection[] {
  const { selected } = playTargets(inventory, playbook, options.limit, [], []);
  return selected.map((host) => hostConnection(host, hostVariables(inventory, host, options.extraVars ?? {}), inventory));
}

/** The inventory's hosts (all, or those --limit selects) with connections and settings; -e applies. */
export function selectInventoryHosts(
  inventory: Inventory,
  options: { extraVars?: Record<string, unknown>; limit?: string } = {},
): { hosts: InventoryHostEntry[]; problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const limited = options.limit !== undefined ? limitHosts(inventory, options.limit, problems, warnings) : undefined;
  const hosts = inventory.hostNames
    .filter((name) => !limited || limited.has(name))
    .map((name) => {
      const vars = hostVariables(inventory, name, options.extraVars ?? {});
      return { name, connection: hostConnection(name, vars, inventory), settings: hostSettings(vars), vars };
    });
  return { hosts, problems, warnings };
}

function reportPattern(
  match: PatternMatch,
  at: (term: PatternTerm, message: string) => ConfigProblem,
  problems: ConfigProblem[],
  warnings: ConfigProblem[],
): void {
  for (const term of match.unknown) {
    problems.push(at(term, `unknown host or group '${term.body}': it is not in the inventory`));
  }
  for (const { term, message } of match.invalid) problems.push(at(term, message));
  for (const term of match.unmatched) warnings.push(asWarning(at(term, `'${term.body}' matches no host or group`)));
}

/** `groups` and `hostvars` are the same for every host: built once. */
function magicVariables(inventory: Inventory, extraVars: Record<string, unknown>): { groups: Record<string, string[]>; hostvars: Record<string, unknown> } {
  const hostvars: Record<string, unknown> = {};
  for (const host of inventory.hostNames) {
    Object.defineProperty(hostvars, host, { value: hostVariables(inventory, host, extraVars), enumerable: true });
  }
  return { groups: groupMembers(inventory), hostvars };
}

function compareResources(a: Resource, b: Resource): number {
  const byKind = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (byKind !== 0) return byKind;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The `source:` files, each problem reported once at the first declaration naming it (not once per host). */
class CopyLookup {
  private readonly reported = new Set<string>();

  constructor(
    private readonly files: Record<string, CopySource>,
    private readonly playbook: Playbook,
    private readonly problems: ConfigProblem[],
  ) {}

  get(reference: string, at: PathSegment[]): Extract<CopySource, { file: unknown }> | undefined {
    const found = Object.prototype.hasOwnProperty.call(this.files, reference) ? this.files[reference] : undefined;
    if (found && 'file' in found) return found;
    const field = this.playbook.source.field(at);
    if (!this.reported.has(field)) {
      this.reported.add(field);
      this.problems.push(this.playbook.source.problem([...at, 'source'], found ? found.refused : copyNotFoundMessage(reference)));
    }
    return undefined;
  }

  /** A problem with a declaration's source:, once per declaration. */
  refuse(at: PathSegment[], message: string): void {
    const field = this.playbook.source.field(at);
    if (this.reported.has(field)) return;
    this.reported.add(field);
    this.problems.push(this.playbook.source.problem([...at, 'source'], message));
  }
}

/** Compiles each template (file or inline content) once, and reports a missing file once. */
class TemplateCache {
  private readonly compiled = new Map<string, CompileOutcome | undefined>();
  /** Inline content by its declaration's object, the same for every host: no field path is formatted per host. */
  private readonly inline = new Map<object, CompileOutcome>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly files: Record<string, SourceFile | { refused: string }>,
    private readonly playbook: Playbook,
    private readonly problems: ConfigProblem[],
  ) {}

  /** The template and a way to place failures, or undefined when it cannot be used (already reported). */
  get(content: Exclude<ContentSource, { copy: string }>, at: PathSegment[]): { outcome: CompileOutcome; place: (failure: TemplateFailure) => Omit<ConfigProblem, 'message'> } | undefined {
    const source = this.playbook.source;
    if ('template' in content) {
      const file = Object.prototype.hasOwnProperty.call(this.files, content.template) ? this.files[content.template] : undefined;
      const field = source.field([...at, 'template']);
      if (!file || 'refused' in file) {
        const message = file ? file.refused : templateNotFoundMessage(content.template);
        this.once(`missing\u0000${source.field(at)}`, () => source.problem([...at, 'template'], message));
        return undefined;
      }
      const key = `file\u0000${file.file}`;
      if (!this.compiled.has(key)) this.compiled.set(key, compileTemplate(file.text));
      const place = (failure: TemplateFailure): Omit<ConfigProblem, 'message'> => {
        const problem = problemInText(file, failure.line, failure.column, field, '');
        return { position: problem.position, field, ...(problem.excerpt ? { excerpt: problem.excerpt } : {}) };
      };
      return this.checked(key, place);
    }
    let outcome = this.inline.get(content);
    if (!outcome) {
      outcome = compileTemplate(content.inline);
      this.inline.set(content, outcome);
    }
    if (outcome.ok) return { outcome, place: (failure) => this.placeInline(at, failure) };
    const key = `inline\u0000${source.field(at)}`;
    if (!this.compiled.has(key)) this.compiled.set(key, outcome);
    return this.checked(key, (failure) => this.placeInline(at, failure));
  }

  /** Where a failure inside inline content is in the playbook. */
  private placeInline(at: PathSegment[], failure: TemplateFailure): Omit<ConfigProblem, 'message'> {
    const source = this.playbook.source;
    const { line, column } = inlinePosition(source, [...at, 'content'], failure);
    const problem = problemInText(source, line, column, source.field([...at, 'content']), '');
    return { position: problem.position, field: problem.field, ...(problem.excerpt ? { excerpt: problem.excerpt } : {}) };
  }

  private checked(
    key: string,
    place: (failure: TemplateFailure) => Omit<ConfigProblem, 'message'>,
  ): { outcome: CompileOutcome; place: (failure: TemplateFailure) => Omit<ConfigProblem, 'message'> } | undefined {
    const outcome = this.compiled.get(key)!;
    if (!outcome.ok) {
      this.once(key, () => ({ ...place(outcome.failure), message: outcome.failure.message }));
      return undefined;
    }
    return { outcome, place };
  }

  private once(key: string, make: () => ConfigProblem): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.problems.push(make());
  }
}

/** Where line/column of inline content lie in the playbook file. */
function inlinePosition(source: Playbook['source'], at: PathSegment[], failure: TemplateFailure): { line: number; column: number } {
  const layout = source.scalarLayout(at);
  if (!layout) return { line: 1, column: 1 };
  if (layout.block) return { line: layout.line + failure.line - 1, column: layout.indent + failure.column };
  if (failure.line === 1) return { line: layout.line, column: layout.column + failure.column - 1 };
  // Multi-line flow scalars fold lines; the line is a close approximation.
  return { line: layout.line + failure.line - 1, column: failure.column };
}

function render(
  content: Exclude<ContentSource, { copy: string }>,
  at: PathSegment[],
  context: Record<string, unknown>,
  templates: TemplateCache,
  host: string,
  hostProblems: HostProblems,
): string | undefined {
  const template = templates.get(content, at);
  if (!template || !template.outcome.ok) return undefined;
  const rendered = renderTemplate(template.outcome.template, context);
  if (rendered.ok) return rendered.text;
  const failure = rendered.failure;
  const message =
    failure.kind === 'undefined'
      ? (hosts: string) =>
          `${failure.message} for ${hosts}: define it in the inventory, group_vars, host_vars, play vars or -e (or use {{#if ${failure.variable}}} for optional values)`
      : (hosts: string) => `${failure.message} (${hosts})`;
  hostProblems.add(host, template.place(failure), message);
  return undefined;
}

function hashOf(content: string, hashes: Map<string, string>): string {
  let hash = hashes.get(content);
  if (hash === undefined) {
    hash = sha256Hex(content);
    hashes.set(content, hash);
  }
  return hash;
}

function toResource(
  declaration: Declaration,
  context: Record<string, unknown>,
  templates: TemplateCache,
  copies: CopyLookup,
  host: string,
  hostProblems: HostProblems,
  hashes: Map<string, string>,
): Resource | undefined {
  const common = { tags: declaration.tags, origin: declaration.origin };
  switch (declaration.kind) {
    case 'user': {
      const user: UserResource = {
        kind: 'user',
        id: `user:${declaration.name}`,
        ...common,
        name: declaration.name,
        system: declaration.system,
        ...(declaration.group !== undefined ? { group: declaration.group } : {}),
        groups: declaration.groups,
        ...(declaration.home !== undefined ? { home: declaration.home } : {}),
        shell: declaration.shell,
      };
      return user;
    }
    case 'directory': {
      const directory: DirectoryResource = {
        kind: 'directory',
        id: `dir:${declaration.path}`,
        ...common,
        path: declaration.path,
        mode: declaration.mode,
        owner: declaration.owner,
        group: declaration.group,
      };
      return directory;
    }
    case 'file': {
      const attributes = { mode: declaration.mode, owner: declaration.owner, group: declaration.group, secret: declaration.secret };
      if ('copy' in declaration.source) {
        // Copied byte for byte, never templated: small files as bytes (a plan can diff them), large ones streamed.
        const copy = copies.get(declaration.source.copy, declaration.at);
        if (!copy) return undefined;
        if (declaration.secret && copy.base64 === undefined) {
          // A secret travels inside the apply script (its hash never on a command line): it must be small enough to hold.
          copies.refuse(declaration.at, `a secret copied from source '${declaration.source.copy}' may be at most ${LOCAL_INLINE_LIMIT} bytes (it is ${copy.file.size}): secrets travel inside the apply script, never as an upload named by its hash`);
          return undefined;
        }
        const bytes = copy.base64 !== undefined ? { content: copy.base64 } : { content: '', local: copy.file };
        return { kind: 'file', id: `file:${declaration.path}`, ...common, path: declaration.path, ...bytes, encoding: 'base64', sha256: copy.file.sha256, ...attributes };
      }
      const content = render(declaration.source, declaration.at, context, templates, host, hostProblems);
      if (content === undefined) return undefined;
      const file: FileResource = {
        kind: 'file',
        id: `file:${declaration.path}`,
        ...common,
        path: declaration.path,
        content,
        encoding: 'utf8',
        sha256: hashOf(content, hashes),
        mode: declaration.mode,
        owner: declaration.owner,
        group: declaration.group,
        secret: declaration.secret,
      };
      return file;
    }
    case 'unit': {
      if (!declaration.source) return stateOnlyUnit(declaration.name, { enabled: declaration.enabled, active: declaration.active }, common.tags, common.origin);
      if ('copy' in declaration.source) return undefined; // the playbook's parse gives units no source:
      const content = render(declaration.source, declaration.at, context, templates, host, hostProblems);
      if (content === undefined) return undefined;
      const unit: UnitResource = {
        kind: 'unit',
        id: `unit:${declaration.name}`,
        ...common,
        name: declaration.name,
        path: `${UNIT_DIR}/${declaration.name}`,
        content,
        sha256: hashOf(content, hashes),
        enabled: declaration.enabled,
        active: declaration.active,
        restartOn: declaration.restartOn.map((entry) => entry.path),
      };
      return unit;
    }
  }
}

/** What must agree when one thing is declared twice for a host. */
function differences(a: Resource, b: Resource): string[] {
  const ignore = new Set(['tags', 'origin', 'id']);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const differing: string[] = [];
  for (const key of keys) {
    if (ignore.has(key)) continue;
    const left = JSON.stringify((a as unknown as Record<string, unknown>)[key]);
    const right = JSON.stringify((b as unknown as Record<string, unknown>)[key]);
    if (left !== right) differing.push(key === 'sha256' ? '' : key);
  }
  return differing.filter((key) => key !== '');
}

function pathOf(resource: Resource): string | undefined {
  return resource.kind === 'user' || resource.kind === 'wipe' || resource.kind === 'binary' ? undefined : resource.path;
}

/**
 * Identical declarations of one thing (in several plays) merge, their tags joined; differing ones
 * are an error naming both places. One path cannot be two kinds of thing either.
 */
function mergeDeclarations(entries: Entry[], host: string, source: Playbook['source'], hostProblems: HostProblems): Entry[] {
  const byId = new Map<string, Entry>();
  const byPath = new Map<string, Entry>();
  const kept: Entry[] = [];
  for (const entry of entries) {
    const { resource, at } = entry;
    // Placed only when there is something to say: locating every declaration of every host costs.
    const place = () => source.problem(at, '', { key: entry.key ?? false });
    const earlier = byId.get(resource.id);
    if (earlier) {
      const differing = differences(earlier.resource, resource);
      if (differing.length === 0) {
        earlier.resource.tags = [...new Set([...earlier.resource.tags, ...resource.tags])];
        continue;
      }
      const what = resource.kind === 'user' || resource.kind === 'unit' || resource.kind === 'wipe' ? `${resource.kind} ${resource.name}` : resource.path;
      hostProblems.add(
        host,
        place(),
        (hosts) => `${what} is declared twice for ${hosts} with different ${differing.join(', ')} (first at ${earlier.resource.origin})`,
      );
      continue;
    }
    const path = pathOf(resource);
    const samePath = path !== undefined ? byPath.get(path) : undefined;
    if (path !== undefined && samePath) {
      hostProblems.add(
        host,
        place(),
        (hosts) => `${path} is declared as a ${resource.kind} and as a ${samePath.resource.kind} (at ${samePath.resource.origin}) for ${hosts}`,
      );
      continue;
    }
    byId.set(resource.id, entry);
    if (path !== undefined) byPath.set(path, entry);
    kept.push(entry);
  }
  return kept;
}

/** restart_on names a unit's inputs: each must be a file this playbook gives the host. */
function checkRestartOn(
  entries: Entry[],
  declaredFiles: Set<string>,
  host: string,
  source: Playbook['source'],
  hostProblems: HostProblems,
): void {
  for (const { declaration } of entries) {
    if (declaration?.kind !== 'unit') continue;
    for (const input of declaration.restartOn) {
      if (declaredFiles.has(input.path)) continue;
      hostProblems.add(
        host,
        source.problem(input.at, ''),
        (hosts) => `${input.path} is not a file this playbook declares for ${hosts}; declare it under files or remove it from restart_on`,
      );
    }
  }
}

/**
 * A host's desired state with the real sha256 of each pending local file (apply --yes hashed it while the hosts
 * were probed; files/digest.ts fileDigestOrLater). Refused when the digest is of other bytes than the file declared:
 * it changed between its stat and its hash.
 */
export function withDigests(desired: Desired, digests: ReadonlyMap<string, LocalFile>): Desired {
  if (!desired.resources.some((r) => r.kind === 'file' && r.local?.pending)) return desired;
  const resources = desired.resources.map((r): Resource => {
    if (r.kind !== 'file' || !r.local?.pending) return r;
    const real = digests.get(r.sha256);
    if (real === undefined) throw new NodeformError('INTERNAL', `${r.path}: the digest of ${r.local.path} was never made`);
    if (!sameFileState(real, r.local)) {
      throw new NodeformError('CONFIG', `${r.path}: its source ${r.local.path} changed while it was hashed: apply again once it is complete`);
    }
    return { ...r, sha256: real.sha256, local: real };
  });
  return { ...desired, resources };
}
