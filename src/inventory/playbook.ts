// Playbooks: a YAML list of plays, each giving the hosts of a host pattern a set of users,
// directories, files and systemd units. Parsing checks everything that does not depend on the
// inventory; host patterns, templates and per-host conflicts are checked by buildDesired.

import type { ConfigProblem } from '../errors.js';
import type { Mode } from '../model/types.js';
import { normalizeRemotePath, remotePathProblem } from './checks.js';
import { checkSchema } from './schema-check.js';
import { YamlSource, type PathSegment, type SourceFile } from './source.js';
import { splitTags } from './tags.js';

interface DeclarationBase {
  /** Path of the item in the playbook, e.g. [0, 'files', 2]. */
  at: PathSegment[];
  /** "playbook.yaml:12:7", for messages and Resource.origin. */
  origin: string;
  /** The play's tags and the item's own. */
  tags: string[];
}

/**
 * Inline content (a template itself), a template file reference, or (files only) a local file copied byte for
 * byte, never templated (`source:`): exactly one.
 */
export type ContentSource = { inline: string } | { template: string } | { copy: string };

export interface UserDeclaration extends DeclarationBase {
  kind: 'user';
  name: string;
  system: boolean;
  group?: string;
  groups: string[];
  home?: string;
  shell: string;
}

export interface DirectoryDeclaration extends DeclarationBase {
  kind: 'directory';
  path: string;
  mode: Mode;
  owner: string;
  group: string;
}

export interface FileDeclaration extends DeclarationBase {
  kind: 'file';
  path: string;
  source: ContentSource;
  mode: Mode;
  owner: string;
  group: string;
  secret: boolean;
}

export interface UnitDeclaration extends DeclarationBase {
  kind: 'unit';
  name: string;
  /** Absent: a state-only unit (its file is not nodeform's), which gives enabled, active or both. */
  source?: ContentSource;
  /** Always set for a unit with content; absent in a state-only unit: left as it is. */
  enabled?: boolean;
  active?: boolean;
  restartOn: { path: string; at: PathSegment[] }[];
}

export type Declaration = UserDeclaration | DirectoryDeclaration | FileDeclaration | UnitDeclaration;

export interface Play {
  index: number;
  name?: string;
  /** Host pattern strings (one, or the items of a `hosts:` list) with where each was written. */
  patterns: { text: string; at: PathSegment[] }[];
  tags: string[];
  vars: Record<string, unknown>;
  /** `ethereum_node: true`: each host gets a node built from its variables (src/node/play.ts). */
  ethereumNode: boolean;
  declarations: Declaration[];
}

export interface Playbook {
  file: string;
  source: YamlSource;
  plays: Play[];
}

export interface PlaybookResult {
  playbook: Playbook;
  problems: ConfigProblem[];
}

export const DEFAULT_DIRECTORY_MODE = '0755';
export const DEFAULT_FILE_MODE = '0644';
export const DEFAULT_SECRET_MODE = '0600';

type Item = Record<string, unknown>;

function isRecord(value: unknown): value is Item {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asTags(value: unknown): string[] {
  if (typeof value === 'string') return splitTags([value]);
  if (Array.isArray(value)) return splitTags(value.filter((tag): tag is string => typeof tag === 'string'));
  return [];
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** "644" -> "0644": one spelling per mode, for plans and duplicate checks. */
export function normalizeMode(mode: string): Mode {
  return mode.length === 3 ? `0${mode}` : mode;
}

/**
 * The playbook of plays an earlier parsePlaybook of the same text found without a problem (the loader's cache):
 * its source is parsed again only if a message needs a place in it.
 */
export function playbookOfPlays(input: SourceFile, plays: Play[]): PlaybookResult {
  return { playbook: { file: input.file, source: YamlSource.deferred(input), plays }, problems: [] };
}

export function parsePlaybook(input: SourceFile): PlaybookResult {
  const parsed = YamlSource.parse(input);
  const source = parsed.source;
  const playbook: Playbook = { file: input.file, source, plays: [] };
  const problems: ConfigProblem[] = [...parsed.problems];
  if (parsed.fatal) return { playbook, problems };

  const schemaProblems = checkSchema('playbook', parsed.value ?? null, source);
  problems.push(...schemaProblems);
  // An item the schema rejected is left out, so one mistake is reported once, not again downstream.
  const rejected = (path: PathSegment[]): boolean => {
    if (schemaProblems.length === 0) return false;
    const field = source.field(path);
    return schemaProblems.some((p) => p.field === field || p.field.startsWith(`${field}.`) || p.field.startsWith(`${field}[`));
  };
  const semantic = (path: PathSegment[], message: string): void => {
    problems.push(source.problem(path, message));
  };
  /** Checks a remote path field; returns it normalised, or undefined after reporting it. */
  const remotePath = (path: PathSegment[], value: unknown): string | undefined => {
    if (typeof value !== 'string') return undefined;
    const message = remotePathProblem(value);
    if (message) {
      semantic(path, message);
      return undefined;
    }
    return normalizeRemotePath(value);
  };
  const contentSource = (item: Item, at: PathSegment[], what: 'file' | 'unit'): ContentSource | undefined => {
    const content = asString(item.content);
    const template = asString(item.template);
    const copy = what === 'file' ? asString(item.source) : undefined;
    const given = [content !== undefined ? 'content' : '', template !== undefined ? 'template' : '', copy !== undefined ? 'source' : ''].filter(Boolean);
    if (given.length > 1) {
      const second = given[1]!;
      const message =
        copy !== undefined
          ? `give one of content, template or source, not ${given.join(' and ')}: source copies a local file byte for byte, content and template are rendered`
          : 'give either content or template, not both';
      problems.push(source.problem([...at, second], message, { key: true }));
      return undefined;
    }
    if (given.length === 0) {
      const needs =
        what === 'file'
          ? 'content (inline), template (a handlebars file) or source (a local file copied as is)'
          : "content (inline) or template (a file); or, to manage only the state of a unit whose file is not nodeform's, enabled and/or active alone";
      problems.push({ ...source.problem(at, `a ${what} needs ${needs}`), field: source.field([...at, 'content']) });
      return undefined;
    }
    return content !== undefined ? { inline: content } : template !== undefined ? { template } : { copy: copy! };
  };

  const plays = Array.isArray(parsed.value) ? parsed.value : [];
  plays.forEach((raw, index) => {
    const playPath: PathSegment[] = [index];
    if (!isRecord(raw)) return;
    const play: Play = {
      index,
      ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
      patterns: [],
      tags: asTags(raw.tags),
      vars: isRecord(raw.vars) ? raw.vars : {},
      ethereumNode: raw.ethereum_node === true,
      declarations: [],
    };
    if (!rejected([...playPath, 'hosts'])) {
      const hosts = raw.hosts;
      const patterns =
        typeof hosts === 'string'
          ? [{ text: hosts, at: [...playPath, 'hosts'] }]
          : Array.isArray(hosts)
            ? hosts.map((text, i) => ({ text: String(text), at: [...playPath, 'hosts', i] }))
            : [];
      for (const pattern of patterns) {
        if (pattern.text.replace(/[:,\s]/g, '') === '') semantic(pattern.at, 'must not be empty: give a host pattern like all');
        else play.patterns.push(pattern);
      }
    }
    const declare = (declaration: Declaration): void => {
      play.declarations.push(declaration);
    };
    const base = (item: Item, at: PathSegment[]): DeclarationBase => ({
      at,
      origin: source.where(at),
      tags: unique([...play.tags, ...asTags(item.tags)]),
    });

    each(raw.users, [...playPath, 'users'], rejected, (item, at) => {
      const home = item.home === undefined ? undefined : remotePath([...at, 'home'], item.home);
      const shell = item.shell === undefined ? undefined : remotePath([...at, 'shell'], item.shell);
      if ((item.home !== undefined && home === undefined) || (item.shell !== undefined && shell === undefined)) return;
      const system = item.system !== false;
      declare({
        kind: 'user',
        ...base(item, at),
        name: String(item.name),
        system,
        ...(typeof item.group === 'string' ? { group: item.group } : {}),
        groups: Array.isArray(item.groups) ? item.groups.map(String) : [],
        ...(home !== undefined ? { home } : {}),
        shell: shell ?? (system ? '/usr/sbin/nologin' : '/bin/bash'),
      });
    });
    each(raw.directories, [...playPath, 'directories'], rejected, (item, at) => {
      const path = remotePath([...at, 'path'], item.path);
      if (path === undefined) return;
      declare({
        kind: 'directory',
        ...base(item, at),
        path,
        mode: normalizeMode(asString(item.mode) ?? DEFAULT_DIRECTORY_MODE),
        owner: asString(item.owner) ?? 'root',
        group: asString(item.group) ?? 'root',
      });
    });
    each(raw.files, [...playPath, 'files'], rejected, (item, at) => {
      const path = remotePath([...at, 'path'], item.path);
      const content = contentSource(item, at, 'file');
      if (path === undefined || content === undefined) return;
      const secret = item.secret === true;
      declare({
        kind: 'file',
        ...base(item, at),
        path,
        source: content,
        mode: normalizeMode(asString(item.mode) ?? (secret ? DEFAULT_SECRET_MODE : DEFAULT_FILE_MODE)),
        owner: asString(item.owner) ?? 'root',
        group: asString(item.group) ?? 'root',
        secret,
      });
    });
    each(raw.units, [...playPath, 'units'], rejected, (item, at) => {
      // Neither content nor template, but enabled or active: only the state of a unit whose file is not nodeform's.
      const stateOnly = item.content === undefined && item.template === undefined && (typeof item.enabled === 'boolean' || typeof item.active === 'boolean');
      if (stateOnly) {
        if (item.restart_on !== undefined) {
          problems.push(source.problem([...at, 'restart_on'], 'a unit without content or template manages only its state (enabled, active): restart_on needs the unit file to be nodeform\'s; give content or template, or remove restart_on', { key: true }));
          return;
        }
        declare({
          kind: 'unit',
          ...base(item, at),
          name: String(item.name),
          ...(typeof item.enabled === 'boolean' ? { enabled: item.enabled } : {}),
          ...(typeof item.active === 'boolean' ? { active: item.active } : {}),
          restartOn: [],
        });
        return;
      }
      const content = contentSource(item, at, 'unit');
      const restartOn: { path: string; at: PathSegment[] }[] = [];
      let pathsOk = true;
      (Array.isArray(item.restart_on) ? item.restart_on : []).forEach((value, i) => {
        const path = remotePath([...at, 'restart_on', i], value);
        if (path === undefined) pathsOk = false;
        else restartOn.push({ path, at: [...at, 'restart_on', i] });
      });
      if (content === undefined || !pathsOk) return;
      declare({
        kind: 'unit',
        ...base(item, at),
        name: String(item.name),
        source: content,
        enabled: item.enabled !== false,
        active: item.active !== false,
        restartOn,
      });
    });
    playbook.plays.push(play);
  });
  return { playbook, problems };
}

function each(
  list: unknown,
  at: PathSegment[],
  rejected: (path: PathSegment[]) => boolean,
  visit: (item: Item, at: PathSegment[]) => void,
): void {
  if (!Array.isArray(list)) return;
  list.forEach((item, index) => {
    const path = [...at, index];
    if (isRecord(item) && !rejected(path)) visit(item, path);
  });
}

/** Local files `source:` copies, as written: the loader finds and hashes them before building. */
export function copyReferences(playbook: Playbook): string[] {
  const references = new Set<string>();
  for (const play of playbook.plays) {
    for (const declaration of play.declarations) {
      if (declaration.kind === 'file' && 'copy' in declaration.source) references.add(declaration.source.copy);
    }
  }
  return [...references];
}

/** Template files a playbook refers to, as written: the loader reads them before building. */
export function templateReferences(playbook: Playbook): string[] {
  const references = new Set<string>();
  for (const play of playbook.plays) {
    for (const declaration of play.declarations) {
      if ((declaration.kind === 'file' || declaration.kind === 'unit') && declaration.source && 'template' in declaration.source) {
        references.add(declaration.source.template);
      }
    }
  }
  return [...references];
}
