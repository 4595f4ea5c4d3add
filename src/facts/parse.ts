// Parses the probe's output into Facts. Pure.

import { NodeformError } from '../errors.js';
import { driftItems } from './applied.js';
import { sha256Hex } from '../util/sha256.js';
import type {
  BackupEntry,
  Facts,
  GenerationSummary,
  LockInfo,
  ManagedEntry,
  PathFact,
  UserFact,
} from '../model/types.js';

import { ENTRY_FIELDS, ENTRY_FILE_FIELDS, GENERATION_FIELDS, LOCK_FIELDS, MANAGED_FIELDS, MISSING, NONE, PRESENT, RECORDS, SECRET_FLAG, readRecord, recordOf, type RecordFields, type RecordName } from './records.js';

const KINDS = new Set(['file', 'directory', 'user', 'unit']);

function orNull(field: string | undefined): string | undefined {
  return field === undefined || field === NONE || field === '' ? undefined : field;
}

function padMode(mode: string): string {
  return mode.padStart(4, '0');
}

type Fields<T extends readonly string[]> = { [F in T[number]]: string | undefined };
function named<T extends readonly string[]>(names: T, values: readonly string[]): Fields<T> {
  const out: Record<string, string | undefined> = {};
  for (let index = 0; index < names.length; index++) out[names[index]!] = values[index];
  return out as Fields<T>;
}

/** Where a field of a record is among its fields (records.ts names them). */
function fieldAt(name: RecordName, field: string): number {
  const index = (RECORDS[name].fields as readonly string[]).indexOf(field);
  if (index < 0) throw new Error(`record ${name} has no field ${field}`);
  return index;
}
// The records there is one of per noted path (thousands), read by position: no object per line. Each one's last
// field holds the rest of the line, as readRecord gives it (a path may hold a tab).
const P_PATH = fieldAt('path', 'path');
const P_TYPE = fieldAt('path', 'type');
const S_MODE = fieldAt('stat', 'mode');
const S_OWNER = fieldAt('stat', 'owner');
const S_GROUP = fieldAt('stat', 'group');
const S_SIZE = fieldAt('stat', 'size');
const S_PATH = fieldAt('stat', 'path');
const H_SHA = fieldAt('hash', 'sha256');
const H_PATH = fieldAt('hash', 'path');
const Z_SIZE = fieldAt('sized', 'size');
const Z_PATH = fieldAt('sized', 'path');

/** A line's fields after its tag, the last joined with the rest as readRecord joins it. */
function fieldsOf(name: RecordName, values: string[]): string[] {
  const count = RECORDS[name].fields.length;
  if (values.length > count && count > 0) values.splice(count - 1, values.length, values.slice(count - 1).join('\t'));
  return values;
}

/** A line of the managed list (records.ts MANAGED_FIELDS). */
function parseManagedLine(fields: readonly string[]): ManagedEntry | undefined {
  const { kind, target, secret } = named(MANAGED_FIELDS, fields);
  if (!kind || !target || !KINDS.has(kind)) return undefined;
  return { kind: kind as ManagedEntry['kind'], target, ...(kind === 'file' && secret === SECRET_FLAG ? { secret: true } : {}) };
}

/**
 * A line of a generation's entries or of an original (records.ts ENTRY_FIELDS). A user that existed carries
 * its shell, home, primary group and groups (comma-separated); kind `group` is a group nodeform created.
 */
function parseEntryLine(fields: readonly string[]): BackupEntry | undefined {
  const kind = fields[0];
  const target = fields[1];
  if (!kind || !target || (kind !== 'group' && !KINDS.has(kind))) return undefined;
  const { existed, sha256, mode, owner, group, enabled, active, shell, home, primaryGroup, groups } = named(ENTRY_FIELDS, fields);
  const entry: BackupEntry = { kind: kind as BackupEntry['kind'], target, existed: existed === '1' };
  if (kind === 'file' && named(ENTRY_FILE_FIELDS, fields).secret === SECRET_FLAG) entry.secret = true;
  if (kind === 'user' && entry.existed && shell !== undefined && home !== undefined && primaryGroup) {
    entry.user = { shell, home, group: primaryGroup, groups: (groups ?? '').split(',').filter(Boolean) };
  }
  const values = { sha256: orNull(sha256), mode: orNull(mode), owner: orNull(owner), group: orNull(group) };
  if (values.sha256) entry.sha256 = values.sha256;
  if (values.mode) entry.mode = padMode(values.mode);
  if (values.owner) entry.owner = values.owner;
  if (values.group) entry.group = values.group;
  if (orNull(enabled)) entry.enabled = enabled;
  if (orNull(active)) entry.active = active;
  return entry;
}

/** A generation's meta line (records.ts GENERATION_FIELDS). */
function parseGeneration(fields: readonly string[]): GenerationSummary | undefined {
  const { id, action, startedAt, finishedAt, complete, changes, controller } = named(GENERATION_FIELDS, fields);
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

/** The lock holder's line (records.ts LOCK_FIELDS), as the probe or the apply script's LOCKED line gives it. */
export function parseLock(fields: readonly string[]): LockInfo {
  const { runId, controller, pid, since } = named(LOCK_FIELDS, fields);
  return { runId: runId ?? '?', controller: controller ?? '?', pid: pid ?? '?', since: since ?? '?' };
}

/** Who holds a host's lock, and since when. */
export function lockHolder(lock: LockInfo): string {
  return `another nodeform run (run ${lock.runId} from ${lock.controller}, pid ${lock.pid}) since ${lock.since}`;
}

/** Why a host is left alone while another run holds its lock. */
export function lockedMessage(lock: LockInfo): string {
  return `locked by ${lockHolder(lock)}; it is still alive: wait for it, or raise --lock-timeout`;
}

function parseUser({ name, passwd, group, groups }: RecordFields<'user'>): UserFact | undefined {
  if (!name) return undefined;
  if (!passwd || passwd === MISSING) return { name, exists: false };
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

/**
 * The B record's bytes cut by the Z sizes into each file's, base64. A file whose piece does not hash to its H record
 * changed or went between the hash and the cat: from there on the pieces cannot be trusted, and no more are kept.
 */
function cutBytes(base64: string, sized: { path: string; size: number }[], hashes: Map<string, string>, contents: Map<string, string>): void {
  if (sized.length === 0) return;
  const all = Buffer.from(base64, 'base64');
  let offset = 0;
  for (const { path, size } of sized) {
    if (!Number.isInteger(size) || size < 0 || offset + size > all.length) return;
    const piece = all.subarray(offset, offset + size);
    offset += size;
    if (sha256Hex(piece) !== hashes.get(path)) return;
    if (!contents.has(path)) contents.set(path, piece.toString('base64'));
  }
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
  const sized: { path: string; size: number }[] = [];
  let bytes = '';
  const typed = new Map<string, PathFact['type']>();
  const stats = new Map<string, { mode: string; owner: string; group: string; size: number }>();
  const hashes = new Map<string, string>();
  const keyed = new Map<string, { before?: string; after?: string }>();
  let lastId: number | undefined;
  const lastEntries: BackupEntry[] = [];
  const managedBefore: ManagedEntry[] = [];
  let complete = false;
  const appliedLines: { side: string; line: string }[] = [];

  for (const line of output.split('\n')) {
    if (line === '') continue;
    const fields = line.split('\t');
    const name = recordOf(fields.shift()!);
    switch (name) {
      case 'path': {
        // `P path missing`, or `P path type` (stat and hash follow in S and H records). The first record of a
        // path is the one asked with wantContent.
        const f = fieldsOf(name, fields);
        const path = f[P_PATH];
        const type = f[P_TYPE];
        if (!path || facts.paths[path] || typed.has(path)) break;
        if (type === MISSING || type === undefined) facts.paths[path] = { path, exists: false };
        else typed.set(path, type as PathFact['type']);
        break;
      }
      case 'stat': {
        const f = fieldsOf(name, fields);
        const path = f[S_PATH];
        const mode = f[S_MODE];
        if (path !== undefined && mode !== undefined && !stats.has(path)) stats.set(path, { mode, owner: f[S_OWNER] ?? '', group: f[S_GROUP] ?? '', size: Number(f[S_SIZE] ?? 0) });
        break;
      }
      case 'hash': {
        const f = fieldsOf(name, fields);
        const path = f[H_PATH];
        if (path !== undefined && !hashes.has(path)) hashes.set(path, f[H_SHA] ?? NONE);
        break;
      }
      case 'keyed': {
        const { path, before, after } = readRecord(name, fields);
        if (path !== undefined && !keyed.has(path)) keyed.set(path, { before: orNull(before), after: orNull(after) });
        break;
      }
      case 'sized': {
        const f = fieldsOf(name, fields);
        const path = f[Z_PATH];
        if (path) sized.push({ path, size: Number(f[Z_SIZE]) });
        break;
      }
      case 'bytes':
        bytes = readRecord(name, fields).base64 ?? '';
        break;
      case 'unit': {
        const { name: unit, enabled, active } = readRecord(name, fields);
        if (unit && !facts.units[unit]) facts.units[unit] = { name: unit, enabled: enabled ?? 'unknown', active: active ?? 'unknown' };
        break;
      }
      case 'user': {
        const record = readRecord(name, fields);
        const user = record.name && !facts.users[record.name] ? parseUser(record) : undefined;
        if (user) facts.users[user.name] = user;
        break;
      }
      case 'group': {
        const { name: group, state } = readRecord(name, fields);
        if (group) (facts.groups ??= {})[group] = state === PRESENT;
        break;
      }
      case 'managed': {
        const entry = parseManagedLine(fields);
        if (entry) facts.record.managed.push(entry);
        break;
      }
      case 'original': {
        const entry = parseEntryLine(fields);
        if (entry) facts.record.original.push(entry);
        break;
      }
      case 'generation': {
        const generation = parseGeneration(fields);
        if (generation) facts.record.generations.push(generation);
        break;
      }
      case 'lastGeneration':
        lastId = Number(readRecord(name, fields).id);
        break;
      case 'lastEntry': {
        const entry = parseEntryLine(fields);
        if (entry) lastEntries.push(entry);
        break;
      }
      case 'managedBefore': {
        const entry = parseManagedLine(fields);
        if (entry) managedBefore.push(entry);
        break;
      }
      case 'lock':
        facts.record.lock = parseLock(fields);
        break;
      case 'lockWait': // told while the probe ran (gather.ts); the facts are read after the wait
        break;
      case 'binary': {
        const { path, state, version } = readRecord(name, fields);
        if (!path) break;
        facts.binaries ??= {};
        facts.binaries[path] = state === PRESENT ? { path, present: true, versionOutput: (version ?? '').trim() } : { path, present: false };
        break;
      }
      case 'appliedGeneration': {
        const { id, finishedAt } = readRecord(name, fields);
        const generation = Number(orNull(id));
        facts.applied = { drift: facts.applied?.drift ?? [], ...(Number.isInteger(generation) ? { generation } : {}), ...(orNull(finishedAt) ? { finishedAt: finishedAt! } : {}) };
        break;
      }
      case 'applied': {
        const { side, line: text } = readRecord(name, fields);
        if (side && text) appliedLines.push({ side, line: text });
        break;
      }
      case 'end':
        complete = true;
        break;
      case undefined:
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
  cutBytes(bytes, sized, hashes, contents);
  for (const [path, data] of contents) {
    const fact = facts.paths[path];
    if (fact) fact.content = data;
  }
  for (const [path, { before, after }] of keyed) {
    const fact = facts.paths[path];
    if (!fact) continue;
    if (before && fact.exists) fact.keyedSha256 = before;
    if (after) fact.keyedWantSha256 = after;
  }
  facts.record.generations.sort((a, b) => a.id - b.id);
  if (facts.applied) facts.applied.drift = driftItems(appliedLines, facts.record.managed);
  if (lastId !== undefined && Number.isInteger(lastId)) {
    facts.record.last = { id: lastId, entries: lastEntries, managedBefore };
  }
  return facts;
}
