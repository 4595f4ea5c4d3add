// Parses the probe's output into Facts. Pure.

import { NodeformError } from '../errors.js';
import type {
  BackupEntry,
  Facts,
  GenerationSummary,
  LockInfo,
  ManagedEntry,
  PathFact,
  UserFact,
} from '../model/types.js';

const KINDS = new Set(['file', 'directory', 'user', 'unit']);

function orNull(field: string | undefined): string | undefined {
  return field === undefined || field === '-' || field === '' ? undefined : field;
}

export function padMode(mode: string): string {
  return mode.padStart(4, '0');
}

/** `kind TAB target` as in the host's managed file. */
export function parseManagedLine(fields: string[]): ManagedEntry | undefined {
  const [kind, target] = fields;
  if (!kind || !target || !KINDS.has(kind)) return undefined;
  return { kind: kind as ManagedEntry['kind'], target };
}

/**
 * `kind TAB target TAB existed TAB sha TAB mode TAB owner TAB group TAB enabled TAB active`, and for a user
 * that existed `TAB shell TAB home TAB primary group TAB groups` (comma-separated). Kind `group` is a group
 * nodeform created.
 */
export function parseEntryLine(fields: string[]): BackupEntry | undefined {
  const managed = fields[0] === 'group' && fields[1] ? { kind: 'group' as const, target: fields[1] } : parseManagedLine(fields);
  if (!managed) return undefined;
  const [, , existed, sha, mode, owner, group, enabled, active, shell, home, primary, groups] = fields;
  const entry: BackupEntry = { ...managed, existed: existed === '1' };
  if (managed.kind === 'user' && entry.existed && shell !== undefined && home !== undefined && primary) {
    entry.user = { shell, home, group: primary, groups: (groups ?? '').split(',').filter(Boolean) };
  }
  const values = { sha256: orNull(sha), mode: orNull(mode), owner: orNull(owner), group: orNull(group) };
  if (values.sha256) entry.sha256 = values.sha256;
  if (values.mode) entry.mode = padMode(values.mode);
  if (values.owner) entry.owner = values.owner;
  if (values.group) entry.group = values.group;
  if (orNull(enabled)) entry.enabled = enabled;
  if (orNull(active)) entry.active = active;
  return entry;
}

/** `id TAB action TAB started TAB finished TAB complete TAB changes TAB controller`. */
function parseGeneration(fields: string[]): GenerationSummary | undefined {
  const [id, action, startedAt, finishedAt, complete, changes, controller] = fields;
  const n = Number(id);
  if (!Number.isInteger(n) || !action || !startedAt) return undefined;
  const summary: GenerationSummary = {
    id: n,
    action,
    startedAt,
    complete: complete === '1',
    changes: Number(changes ?? 0) || 0,
    controller: controller ?? '',
  };
  const finished = orNull(finishedAt);
  if (finished) summary.finishedAt = finished;
  return summary;
}

/** `runId TAB controller TAB pid TAB bootId TAB since`. */
function parseLock(fields: string[]): LockInfo {
  const [runId, controller, pid, , since] = fields;
  return { holder: `${controller ?? '?'} (run ${runId ?? '?'}, pid ${pid ?? '?'})`, since: since ?? '?' };
}

function parseUser(name: string, fields: string[]): UserFact {
  const [passwd, group, groups] = fields;
  if (!passwd || passwd === 'missing') return { name, exists: false };
  const [, , uid, gid, , home, shell] = passwd.split(':');
  return {
    name,
    exists: true,
    uid: Number(uid),
    gid: Number(gid),
    home: home ?? '',
    shell: shell ?? '',
    group: group ?? '',
    groups: groups ? groups.split(',').filter(Boolean) : [],
  };
}

export function parseFacts(host: string, output: string): Facts {
  const facts: Facts = {
    host,
    paths: {},
    units: {},
    users: {},
    record: { managed: [], generations: [], original: [] },
  };
  const contents = new Map<string, string>();
  const typed = new Map<string, PathFact['type']>();
  const stats = new Map<string, { mode: string; owner: string; group: string; size: number }>();
  const hashes = new Map<string, string>();
  let lastId: number | undefined;
  const lastEntries: BackupEntry[] = [];
  const managedBefore: ManagedEntry[] = [];
  let complete = false;

  for (const line of output.split('\n')) {
    if (line === '') continue;
    const [tag, ...fields] = line.split('\t');
    switch (tag) {
      case 'P': {
        // `P path missing`, `P path type` (stat and hash follow in S and H records) or, whole,
        // `P path type mode owner group size sha`.
        const [path, type, mode, owner, group, size, sha] = fields;
        if (!path || facts.paths[path] || typed.has(path)) break; // the first record of a path is the one asked with wantContent
        if (type === 'missing' || type === undefined) {
          facts.paths[path] = { path, exists: false };
          break;
        }
        if (mode === undefined) {
          typed.set(path, type as PathFact['type']);
          break;
        }
        const fact: PathFact = {
          path,
          exists: true,
          type: type as PathFact['type'],
          mode: padMode(mode),
          owner: owner ?? '',
          group: group ?? '',
          size: Number(size ?? 0),
        };
        const digest = orNull(sha);
        if (digest) fact.sha256 = digest;
        facts.paths[path] = fact;
        break;
      }
      case 'S': {
        const [mode, owner, group, size, path] = fields;
        if (path !== undefined && mode !== undefined && !stats.has(path)) stats.set(path, { mode, owner: owner ?? '', group: group ?? '', size: Number(size ?? 0) });
        break;
      }
      case 'H': {
        const [sha, path] = fields;
        if (path !== undefined && !hashes.has(path)) hashes.set(path, sha ?? '-');
        break;
      }
      case 'C': {
        const [path, data] = fields;
        if (path && !contents.has(path)) contents.set(path, data ?? '');
        break;
      }
      case 'U': {
        const [name, enabled, active] = fields;
        if (name && !facts.units[name]) facts.units[name] = { name, enabled: enabled ?? 'unknown', active: active ?? 'unknown' };
        break;
      }
      case 'W': {
        const [name, ...rest] = fields;
        if (name && !facts.users[name]) facts.users[name] = parseUser(name, rest);
        break;
      }
      case 'R': {
        const [name, state] = fields;
        if (name) (facts.groups ??= {})[name] = state === 'present';
        break;
      }
      case 'M': {
        const entry = parseManagedLine(fields);
        if (entry) facts.record.managed.push(entry);
        break;
      }
      case 'O': {
        const entry = parseEntryLine(fields);
        if (entry) facts.record.original.push(entry);
        break;
      }
      case 'G': {
        const generation = parseGeneration(fields);
        if (generation) facts.record.generations.push(generation);
        break;
      }
      case 'X':
        lastId = Number(fields[0]);
        break;
      case 'E': {
        const entry = parseEntryLine(fields);
        if (entry) lastEntries.push(entry);
        break;
      }
      case 'Q': {
        const entry = parseManagedLine(fields);
        if (entry) managedBefore.push(entry);
        break;
      }
      case 'L':
        facts.record.lock = parseLock(fields);
        break;
      case 'V': {
        const [path, state, output] = fields;
        if (!path) break;
        facts.binaries ??= {};
        facts.binaries[path] = state === 'present' ? { path, present: true, versionOutput: (output ?? '').trim() } : { path, present: false };
        break;
      }
      case 'END':
        complete = true;
        break;
      default:
        break; // stray output (a login banner, a shell warning) is not ours
    }
  }
  if (!complete) {
    throw new NodeformError('TRANSPORT', `${host}: the facts probe ended early (no END marker); output was cut or the host's shell failed`);
  }
  for (const [path, type] of typed) {
    const stat = stats.get(path);
    if (!stat) continue; // gone between the look and the stat: as if never asked
    const fact: PathFact = { path, exists: true, type, ...stat, mode: padMode(stat.mode) };
    const digest = orNull(hashes.get(path));
    if (digest) fact.sha256 = digest;
    facts.paths[path] = fact;
  }
  for (const [path, data] of contents) {
    const fact = facts.paths[path];
    if (fact) fact.content = data;
  }
  facts.record.generations.sort((a, b) => a.id - b.id);
  if (lastId !== undefined && Number.isInteger(lastId)) {
    facts.record.last = { id: lastId, entries: lastEntries, managedBefore };
  }
  return facts;
}
