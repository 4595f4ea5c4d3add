// Ansible-style YAML inventory: groups, hosts and their variables, resolved with Ansible's precedence.
//
// Variable precedence, lowest first (later levels override earlier ones, key by key; values are
// replaced, never deep-merged, as with Ansible's default hash_behaviour=replace):
//   1. group `all`
//   2. other groups, parents before children: ordered by depth (longest distance from `all`), then
//      ansible_group_priority (default 1), then name, so siblings at equal depth merge alphabetically
//   3. the host's own variables
//   4. play `vars` (only while rendering that play's resources)
//   5. extra vars: -e key=value, -e '{json}' and -e @file.yaml, in command-line order
// At each inventory level the group_vars/host_vars files merge after the inline vars of the same
// group or host. See docs/variables.md.

import { isAbsolute, join } from 'node:path';
import type { ConfigProblem, SourcePosition } from '../errors.js';
import type { HostConnection, HostSettings } from '../model/types.js';
import { normalizeRemotePath, remotePathProblem } from './checks.js';
import { KNOWN_VARIABLES } from './schema.js';
import { checkSchema } from './schema-check.js';
import { YamlSource, type Locator, type PathSegment, type SourceFile } from './source.js';
import { asWarning, wholeFileWarning } from './warnings.js';

export interface InventoryGroup {
  name: string;
  parents: string[];
  children: string[];
  /** Hosts listed directly in this group. */
  hosts: string[];
  /** Longest distance from `all` (Ansible's group depth); `all` is 0. */
  depth: number;
  /** ansible_group_priority, default 1: orders groups of equal depth. */
  priority: number;
  /** Inline vars, then group_vars file vars. */
  vars: Record<string, unknown>;
  /** Where each of vars was set (the later place, when set twice). */
  varOrigins: Map<string, VarOrigin>;
}

/** Where a variable was written: its file (or -e argument) and its path there. */
export interface VarOrigin {
  source: Locator;
  path: PathSegment[];
}

export interface InventoryHost {
  name: string;
  /** Every group the host is in, ancestors and `all` included, lowest precedence first. */
  groups: string[];
  /** Inline host vars (all places the host is listed, in file order), then host_vars file vars. */
  vars: Record<string, unknown>;
  varOrigins: Map<string, VarOrigin>;
}

export interface Inventory {
  file: string;
  /** Absolute directory of the inventory file: relative paths in variables are resolved against it. */
  baseDir: string;
  /** The controller user's home, for `~/` in key and known_hosts paths. */
  homeDir?: string;
  /** Host names in inventory order (first appearance in the file). */
  hostNames: string[];
  hosts: Record<string, InventoryHost>;
  groups: Record<string, InventoryGroup>;
  /** nodeform_playbook from all's vars: the playbook to use when none is given. */
  playbook?: { path: string; resolved: string; position: SourcePosition; field: string };
}

/** A group_vars or host_vars file; `name` is the group or host it belongs to. */
export interface VarsFile extends SourceFile {
  name: string;
}

export interface InventorySources {
  inventory: SourceFile;
  /** group_vars files, in the order they merge (a directory's files sorted by name). */
  groupVars?: VarsFile[];
  hostVars?: VarsFile[];
}

export interface InventoryOptions {
  /** Absolute directory of the inventory file. */
  baseDir: string;
  homeDir?: string;
}

export interface InventoryResult {
  inventory: Inventory;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
  /** A file had YAML syntax errors: its hosts or variables are missing, so checks that need them would mislead. */
  fatal: boolean;
}

type Vars = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Assigns key by key without ever touching a prototype (a YAML key may be `__proto__`). */
export function assignVars(target: Vars, source: Vars): Vars {
  for (const [key, value] of Object.entries(source)) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return target;
}

/** Rules on variables the schema cannot express, for any vars mapping (inline, file or -e). */
export function checkVariables(vars: unknown, source: Locator, path: PathSegment[]): { problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  if (!isRecord(vars)) return { problems, warnings };
  const stateDir = vars.nodeform_state_dir;
  if (typeof stateDir === 'string') {
    const message = remotePathProblem(stateDir);
    if (message) problems.push(source.problem([...path, 'nodeform_state_dir'], message));
  }
  for (const name of Object.keys(vars)) {
    const ignored = KNOWN_VARIABLES[name]?.ignored;
    if (ignored) warnings.push(asWarning(source.problem([...path, name], `ignored: ${ignored}`, { key: true })));
  }
  return { problems, warnings };
}

interface Origin {
  source: YamlSource;
  path: PathSegment[];
}

export function parseInventory(sources: InventorySources, options: InventoryOptions): InventoryResult {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const inventory: Inventory = {
    file: sources.inventory.file,
    baseDir: options.baseDir,
    ...(options.homeDir !== undefined ? { homeDir: options.homeDir } : {}),
    hostNames: [],
    hosts: {},
    groups: {},
  };
  const groupOrigins = new Map<string, Origin>();
  const hostOrigins = new Map<string, Origin>();
  /** Where each inline host var was set, to warn when two places disagree. */
  const hostVarOrigins = new Map<string, { source: YamlSource; path: PathSegment[] }>();

  const parsed = YamlSource.parse(sources.inventory);
  problems.push(...parsed.problems);
  const source = parsed.source;

  const ensureGroup = (name: string, path: PathSegment[]): InventoryGroup => {
    let group = inventory.groups[name];
    if (!group) {
      group = { name, parents: [], children: [], hosts: [], depth: 0, priority: 1, vars: {}, varOrigins: new Map() };
      Object.defineProperty(inventory.groups, name, { value: group, enumerable: true, writable: true, configurable: true });
      groupOrigins.set(name, { source, path });
    }
    return group;
  };
  const link = (parent: string, child: string): void => {
    const p = inventory.groups[parent];
    const c = inventory.groups[child];
    if (!p || !c) return;
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  };
  // Each host's direct groups, kept beside group.hosts so membership checks stay constant-time (N hosts, not N²).
  const directGroups = new Map<string, Set<string>>();
  const addMember = (group: InventoryGroup, host: string): void => {
    const groups = directGroups.get(host) ?? new Set<string>();
    directGroups.set(host, groups);
    if (groups.has(group.name)) return;
    groups.add(group.name);
    group.hosts.push(host);
  };
  const addHost = (name: string, hostVars: unknown, group: InventoryGroup, path: PathSegment[]): void => {
    let host = inventory.hosts[name];
    if (!host) {
      host = { name, groups: [], vars: {}, varOrigins: new Map() };
      Object.defineProperty(inventory.hosts, name, { value: host, enumerable: true, writable: true, configurable: true });
      inventory.hostNames.push(name);
      hostOrigins.set(name, { source, path });
    }
    addMember(group, name);
    if (!isRecord(hostVars)) return;
    for (const [key, value] of Object.entries(hostVars)) {
      const earlier = hostVarOrigins.get(`${name}\u0000${key}`);
      if (earlier !== undefined && key in host.vars && JSON.stringify(host.vars[key]) !== JSON.stringify(value)) {
        const again = asWarning(source.problem([...path, key], `host ${name} sets ${key} again with a different value (first at ${earlier.source.where(earlier.path)}); the later one wins`));
        warnings.push({ ...again, field: '' });
      }
      hostVarOrigins.set(`${name}\u0000${key}`, { source, path: [...path, key] });
    }
    assignVars(host.vars, hostVars);
    for (const key of Object.keys(hostVars)) host.varOrigins.set(key, { source, path: [...path, key] });
    const checked = checkVariables(hostVars, source, path);
    problems.push(...checked.problems);
    warnings.push(...checked.warnings);
  };

  const walkGroup = (name: string, value: unknown, path: PathSegment[], parent: string | undefined, ancestors: string[]): void => {
    if (ancestors.includes(name)) {
      problems.push(
        source.problem(path, `group '${name}' contains itself (through ${[...ancestors.slice(ancestors.indexOf(name)), name].join(' -> ')})`, {
          key: true,
        }),
      );
      return;
    }
    const group = ensureGroup(name, path);
    if (parent !== undefined) link(parent, name);
    if (!isRecord(value)) return;
    if (isRecord(value.hosts)) {
      for (const [hostName, hostVars] of Object.entries(value.hosts)) {
        addHost(hostName, hostVars, group, [...path, 'hosts', hostName]);
      }
    }
    if (isRecord(value.vars)) {
      assignVars(group.vars, value.vars);
      for (const key of Object.keys(value.vars)) group.varOrigins.set(key, { source, path: [...path, 'vars', key] });
      const checked = checkVariables(value.vars, source, [...path, 'vars']);
      problems.push(...checked.problems);
      warnings.push(...checked.warnings);
    }
    if (isRecord(value.children)) {
      for (const [childName, childValue] of Object.entries(value.children)) {
        walkGroup(childName, childValue, [...path, 'children', childName], name, [...ancestors, name]);
      }
    }
  };

  ensureGroup('all', []);
  if (!parsed.fatal) {
    problems.push(...checkSchema('inventory', parsed.value ?? null, source));
    if (isRecord(parsed.value)) {
      for (const [name, value] of Object.entries(parsed.value)) {
        // Top-level groups other than `all` are children of `all`, as in Ansible.
        if (name === 'all') walkGroup('all', value, ['all'], undefined, []);
        else walkGroup(name, value, [name], 'all', ['all']);
      }
    }
  }

  // A name that is both a host and a group makes host patterns ambiguous.
  for (const name of inventory.hostNames) {
    if (!inventory.groups[name]) continue;
    const groupOrigin = groupOrigins.get(name);
    const hostOrigin = hostOrigins.get(name);
    const origin = groupOrigin && groupOrigin.path.length > 0 ? groupOrigin : hostOrigin;
    if (!origin) continue;
    const other = origin === groupOrigin ? hostOrigin : groupOrigin;
    const otherWhere = other && other.path.length > 0 ? ` (the ${origin === groupOrigin ? 'host' : 'group'} is at ${other.source.where(other.path)})` : '';
    problems.push(
      origin.source.problem(origin.path, `'${name}' is both a host and a group name${otherWhere}; rename one of them`, { key: true }),
    );
  }

  // Hosts in no group but `all` form the implicit `ungrouped` group.
  const ungrouped = inventory.hostNames.filter((name) =>
    [...(directGroups.get(name) ?? [])].every((group) => group === 'all' || group === 'ungrouped'),
  );
  if (ungrouped.length > 0 || inventory.groups.ungrouped) {
    const group = ensureGroup('ungrouped', []);
    link('all', 'ungrouped');
    for (const name of ungrouped) addMember(group, name);
  }

  const groupVarsSources = applyVarsFiles(sources.groupVars ?? [], 'group_vars', (name) => inventory.groups[name], problems, warnings);
  const hostVarsSources = applyVarsFiles(sources.hostVars ?? [], 'host_vars', (name) => inventory.hosts[name], problems, warnings);
  const fatal =
    parsed.fatal || groupVarsSources.length < (sources.groupVars ?? []).length || hostVarsSources.length < (sources.hostVars ?? []).length;

  for (const group of Object.values(inventory.groups)) {
    const priority = group.vars.ansible_group_priority;
    if (typeof priority === 'number' && Number.isInteger(priority)) group.priority = priority;
  }
  computeDepths(inventory);
  for (const name of inventory.hostNames) {
    const host = inventory.hosts[name];
    if (host) host.groups = groupsOfHost(inventory, directGroups.get(name) ?? new Set());
  }

  const playbook = inventory.groups.all?.vars.nodeform_playbook;
  if (typeof playbook === 'string' && playbook !== '') {
    // The value that won: a group_vars/all file beats inline all.vars, a later file an earlier one.
    const candidates: { source: YamlSource; path: PathSegment[] }[] = [
      { source, path: ['all', 'vars', 'nodeform_playbook'] },
      ...groupVarsSources.filter((entry) => entry.name === 'all').map((entry) => ({ source: entry.source, path: ['nodeform_playbook'] })),
    ];
    const origin = candidates.reverse().find((candidate) => candidate.source.node(candidate.path) !== undefined);
    const position = origin ? origin.source.position(origin.source.offsetOf(origin.path, false)) : { file: source.file, line: 1, column: 1 };
    inventory.playbook = {
      path: playbook,
      resolved: resolveLocalPath(playbook, options.baseDir, options.homeDir),
      position,
      field: origin ? origin.source.field(origin.path) : 'all.vars.nodeform_playbook',
    };
  }
  return { inventory, problems, warnings, fatal };
}

function applyVarsFiles(
  files: VarsFile[],
  kind: 'group_vars' | 'host_vars',
  target: (name: string) => Pick<InventoryHost, 'vars' | 'varOrigins'> | undefined,
  problems: ConfigProblem[],
  warnings: ConfigProblem[],
): { name: string; source: YamlSource }[] {
  const parsedFiles: { name: string; source: YamlSource }[] = [];
  for (const file of files) {
    const parsed = YamlSource.parse(file, `${kind}.${file.name}`);
    problems.push(...parsed.problems);
    if (parsed.fatal) continue;
    parsedFiles.push({ name: file.name, source: parsed.source });
    const value = parsed.value ?? {};
    const schemaProblems = checkSchema('inventoryVars', value, parsed.source);
    problems.push(...schemaProblems);
    const checked = checkVariables(value, parsed.source, []);
    problems.push(...checked.problems);
    warnings.push(...checked.warnings);
    const entity = target(file.name);
    if (!entity) {
      const what = kind === 'group_vars' ? 'group' : 'host';
      warnings.push(wholeFileWarning(file.file, `no ${what} '${file.name}' in the inventory, so these variables are not used`));
      continue;
    }
    if (isRecord(value)) {
      assignVars(entity.vars, value);
      for (const key of Object.keys(value)) entity.varOrigins.set(key, { source: parsed.source, path: [key] });
    }
  }
  return parsedFiles;
}

/** Ansible's group depth: the longest chain of parents up to `all`. */
function computeDepths(inventory: Inventory): void {
  const memo = new Map<string, number>();
  const depthOf = (name: string, visiting: Set<string>): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (name === 'all' || visiting.has(name)) return 0;
    visiting.add(name);
    const parents = inventory.groups[name]?.parents ?? [];
    const depth = parents.length === 0 ? 1 : Math.max(...parents.map((parent) => depthOf(parent, visiting) + 1));
    visiting.delete(name);
    memo.set(name, depth);
    return depth;
  };
  for (const group of Object.values(inventory.groups)) group.depth = depthOf(group.name, new Set());
}

/** All groups a host is in (direct groups, their ancestors and `all`), lowest precedence first. */
function groupsOfHost(inventory: Inventory, direct: ReadonlySet<string>): string[] {
  const found = new Set<string>(['all']);
  const pending = [...direct];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (found.has(name)) continue;
    found.add(name);
    pending.push(...(inventory.groups[name]?.parents ?? []));
  }
  return sortGroups(inventory, [...found]);
}

/** Ansible's order for merging group vars: (depth, priority, name). */
export function sortGroups(inventory: Inventory, names: string[]): string[] {
  return [...names].sort((a, b) => {
    const ga = inventory.groups[a];
    const gb = inventory.groups[b];
    const byDepth = (ga?.depth ?? 0) - (gb?.depth ?? 0);
    if (byDepth !== 0) return byDepth;
    const byPriority = (ga?.priority ?? 1) - (gb?.priority ?? 1);
    if (byPriority !== 0) return byPriority;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** A host's inventory variables after precedence (levels 1-3), with extra vars (level 5) on top. */
export function hostVariables(inventory: Inventory, host: string, extraVars: Vars = {}): Vars {
  const merged: Vars = {};
  const entry = inventory.hosts[host];
  for (const group of entry?.groups ?? ['all']) assignVars(merged, inventory.groups[group]?.vars ?? {});
  if (entry) assignVars(merged, entry.vars);
  return assignVars(merged, extraVars);
}

/** Where each of a host's variables (hostVariables) was set; extra vars' origins on top. */
export function hostVariableOrigins(inventory: Inventory, host: string, extraOrigins: Map<string, VarOrigin> = new Map()): Map<string, VarOrigin> {
  const merged = new Map<string, VarOrigin>();
  const entry = inventory.hosts[host];
  const add = (origins: Map<string, VarOrigin> | undefined): void => origins?.forEach((origin, key) => merged.set(key, origin));
  for (const group of entry?.groups ?? ['all']) add(inventory.groups[group]?.varOrigins);
  add(entry?.varOrigins);
  add(extraOrigins);
  return merged;
}

/** Resolves a controller-side path from the inventory: `~/` against home, relative against the inventory's directory. */
export function resolveLocalPath(path: string, baseDir: string, homeDir?: string): string {
  if ((path === '~' || path.startsWith('~/')) && homeDir !== undefined) return join(homeDir, path.slice(1));
  if (isAbsolute(path)) return path;
  return join(baseDir, path);
}

function firstDefined(vars: Vars, names: string[]): unknown {
  for (const name of names) if (vars[name] !== undefined && vars[name] !== null) return vars[name];
  return undefined;
}

function asPathList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** Ansible's truthy strings; anything else (already rejected by the schema) is false. */
export function asBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return ['yes', 'true', 'on'].includes(value.toLowerCase());
  return false;
}

/** How to reach a host, from its resolved variables: nodeform_* names win over ansible_* ones. */
export function hostConnection(name: string, vars: Vars, inventory: Pick<Inventory, 'baseDir' | 'homeDir'>): HostConnection {
  const text = (names: string[]): string | undefined => {
    const value = firstDefined(vars, names);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const port = firstDefined(vars, ['nodeform_port', 'ansible_port', 'ansible_ssh_port']);
  const user = text(['nodeform_user', 'ansible_user', 'ansible_ssh_user']);
  const become = firstDefined(vars, ['nodeform_become', 'ansible_become']);
  const proxyJump = text(['nodeform_proxy_jump']);
  const resolve = (path: string): string => resolveLocalPath(path, inventory.baseDir, inventory.homeDir);
  return {
    name,
    address: text(['nodeform_host', 'ansible_host', 'ansible_ssh_host']) ?? name,
    ...(typeof port === 'number' && Number.isInteger(port) ? { port } : {}),
    ...(user !== undefined ? { user } : {}),
    identityFiles: asPathList(firstDefined(vars, ['nodeform_identity_file', 'ansible_ssh_private_key_file', 'ansible_private_key_file'])).map(resolve),
    become: asBoolean(become),
    becomeUser: text(['ansible_become_user']) ?? 'root',
    ...(proxyJump !== undefined ? { proxyJump } : {}),
    knownHostsFiles: asPathList(vars.nodeform_known_hosts_file).map(resolve),
    connection: vars.ansible_connection === 'local' ? 'local' : 'ssh',
  };
}

export const DEFAULT_STATE_DIR = '/var/lib/nodeform';
export const DEFAULT_KEEP_GENERATIONS = 5;

export function hostSettings(vars: Vars): HostSettings {
  const stateDir = vars.nodeform_state_dir;
  const keep = vars.nodeform_keep_generations;
  return {
    stateDir: typeof stateDir === 'string' && !remotePathProblem(stateDir) ? normalizeRemotePath(stateDir) : DEFAULT_STATE_DIR,
    keepGenerations: typeof keep === 'number' && Number.isInteger(keep) && keep >= 1 ? keep : DEFAULT_KEEP_GENERATIONS,
  };
}
