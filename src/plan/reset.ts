// Plans a reset from the host's recorded generations. Pure.

import type { AttributeChange, Change, HostPlan } from '../model/plan.js';
import type { BackupEntry, Facts, ManagedEntry } from '../model/types.js';
import { UNIT_DIR } from '../model/types.js';
import { KEY_FILE } from '../facts/key.js';
import { attr, filePrecondition, isActive, isEnabled, missingKeyWarning, ownershipChanges, shownContent } from './attributes.js';

export type ResetTarget = 'previous' | 'original';


/** Where a reset's backups are: the originals, or the entries of the generation it undoes. */
type Source = { from: 'backup'; record: 'original' } | { from: 'backup'; record: 'generation'; generation: number };

interface Context {
  facts: Facts;
  reason: string;
  source: Source;
  /** Files whose record says they are secrets: their hashes leave the host only keyed (facts/key.ts). */
  secrets: Set<string>;
  warnings: string[];
}

function restoreFile(entry: BackupEntry, path: string, kind: 'file' | 'unit', { facts, reason, source, secrets, warnings }: Context): Change | undefined {
  const fact = facts.paths[path];
  const exists = fact?.exists === true;
  const secret = kind === 'file' && (entry.secret === true || secrets.has(entry.target));
  const precondition = filePrecondition(fact, secret);
  const differs = !exists || fact.sha256 !== entry.sha256;
  if (secret && exists && fact.sha256 !== undefined && !fact.keyedSha256 && (differs || !entry.existed)) warnings.push(missingKeyWarning(path, KEY_FILE));
  if (!entry.existed) {
    if (!exists) return undefined;
    return { kind, action: 'delete', target: entry.target, reason, attributes: [attr('content', shownContent(secret, true, fact.sha256), null)], secret, precondition };
  }
  const attributes: AttributeChange[] = [];
  if (differs) attributes.push(attr('content', shownContent(secret, exists, fact?.sha256), shownContent(secret, true, entry.sha256)));
  attributes.push(...ownershipChanges(fact, entry));
  if (attributes.length === 0) return undefined;
  return {
    kind,
    action: exists ? 'update' : 'create',
    target: entry.target,
    reason,
    attributes,
    secret,
    precondition,
    after: { sha256: secret ? '' : (entry.sha256 ?? ''), mode: entry.mode ?? '0644', owner: entry.owner ?? 'root', group: entry.group ?? 'root' },
    content: source,
  };
}

function restoreUnit(entry: BackupEntry, context: Context): Change[] {
  const { facts, reason } = context;
  const path = `${UNIT_DIR}/${entry.target}`;
  const unitFact = facts.units[entry.target];
  const fileChange = restoreFile(entry, path, 'unit', context);
  // No file in UNIT_DIR then or now, but systemd knew the unit (its file elsewhere: a state-only unit, like the old
  // scripts' checkpoint-monitor.service installed by a package): its state is put back, no file is touched.
  const elsewhere = !entry.existed && !fileChange && entry.enabled !== undefined && entry.enabled !== 'not-found';
  if (elsewhere && unitFact?.enabled === 'not-found' && !isActive(unitFact.active)) return []; // gone from the host since
  if (!entry.existed && !elsewhere) {
    const running = isActive(unitFact?.active) || isEnabled(unitFact?.enabled);
    if (!fileChange && !running) return [];
    const fact = facts.paths[path];
    return [
      {
        kind: 'unit',
        action: 'delete',
        target: entry.target,
        reason,
        attributes: [attr('active', String(isActive(unitFact?.active)), null), attr('enabled', String(isEnabled(unitFact?.enabled)), null)],
        secret: false,
        precondition: fact?.exists ? { exists: true, sha256: fact.sha256 } : { exists: false },
      },
    ];
  }
  const wantEnabled = isEnabled(entry.enabled);
  const wantActive = isActive(entry.active);
  const change: Change = fileChange ?? {
    kind: 'unit',
    action: 'update',
    target: entry.target,
    reason,
    attributes: [],
    secret: false,
    precondition: elsewhere ? { exists: false } : { exists: true, sha256: facts.paths[path]?.sha256 },
  };
  if (isEnabled(unitFact?.enabled) !== wantEnabled) change.attributes.push(attr('enabled', String(isEnabled(unitFact?.enabled)), String(wantEnabled)));
  const activeNow = isActive(unitFact?.active);
  if (activeNow !== wantActive) change.attributes.push(attr('active', String(activeNow), String(wantActive)));
  if (change.attributes.length === 0) return [];
  change.unit = { enabled: wantEnabled, active: wantActive };
  const changes = [change];
  if (wantActive && activeNow && change.attributes.some((a) => a.name === 'content')) {
    changes.push({ kind: 'unit', action: 'restart', target: entry.target, reason: 'unit file restored', attributes: [], secret: false, precondition: { exists: true } });
  }
  return changes;
}

function restoreDirectory(entry: BackupEntry, facts: Facts, reason: string): Change | undefined {
  const fact = facts.paths[entry.target];
  const exists = fact?.exists === true;
  if (!entry.existed) {
    if (!exists) return undefined;
    return { kind: 'directory', action: 'delete', target: entry.target, reason: `${reason}; removed only if empty`, attributes: [], secret: false, precondition: { exists }, onlyIfEmpty: true };
  }
  const attributes = ownershipChanges(fact, entry);
  if (attributes.length === 0) return undefined;
  return {
    kind: 'directory',
    action: exists ? 'update' : 'create',
    target: entry.target,
    reason,
    attributes,
    secret: false,
    precondition: { exists },
    after: { sha256: '', mode: entry.mode ?? '0755', owner: entry.owner ?? 'root', group: entry.group ?? 'root' },
  };
}

/** A user that existed before: its shell, home and groups as they were, where they differ now. */
function restoreUser(entry: BackupEntry, facts: Facts, reason: string): Change | undefined {
  const was = entry.user;
  const fact = facts.users[entry.target];
  if (!was || !fact?.exists) return undefined;
  const wasGroups = [...new Set(was.groups.filter((g) => g !== was.group))].sort();
  const haveGroups = [...new Set((fact.groups ?? []).filter((g) => g !== fact.group))].sort();
  const attributes: AttributeChange[] = [];
  if (fact.shell !== was.shell) attributes.push(attr('shell', fact.shell ?? null, was.shell));
  if (was.home && fact.home !== was.home) attributes.push(attr('home', fact.home ?? null, was.home));
  if (fact.group !== was.group) attributes.push(attr('group', fact.group ?? null, was.group));
  if (haveGroups.join(',') !== wasGroups.join(',')) attributes.push(attr('groups', haveGroups.join(','), wasGroups.join(',')));
  if (attributes.length === 0) return undefined;
  const user: NonNullable<Change['user']> = { system: false, group: was.group, groups: wasGroups, shell: was.shell };
  if (was.home) user.home = was.home;
  return { kind: 'user', action: 'update', target: entry.target, reason, attributes, secret: false, precondition: { exists: true }, user };
}

/** The plan that puts a host back to its state before the last generation, or before nodeform's first. */
export function planReset(host: string, facts: Facts, to: ResetTarget): HostPlan {
  const record = facts.record;
  let entries: BackupEntry[];
  let managedAfter: ManagedEntry[];
  let label: string;
  if (to === 'previous') {
    if (!record.last) return { host, changes: [], warnings: ['nothing to reset: nodeform has no generation on this host'], managedAfter: record.managed, resetTo: 'previous' };
    entries = record.last.entries;
    managedAfter = record.last.managedBefore;
    label = `generation ${record.last.id - 1} (undo generation ${record.last.id})`;
  } else {
    entries = record.original;
    managedAfter = [];
    label = 'original';
  }
  const reason = to === 'previous' ? `restore state before generation ${record.last?.id}` : 'restore state before nodeform';
  const source: Source = to === 'previous' && record.last ? { from: 'backup', record: 'generation', generation: record.last.id } : { from: 'backup', record: 'original' };
  const secrets = new Set<string>();
  for (const e of [...record.managed, ...(record.last?.managedBefore ?? [])]) if (e.kind === 'file' && e.secret) secrets.add(e.target);
  const warnings: string[] = [];
  const context: Context = { facts, reason, source, secrets, warnings };
  // One entry per target: a generation may list a target once; originals are first-seen.
  const seen = new Set<string>();
  const unique = entries.filter((e) => {
    const key = `${e.kind}\t${e.target}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const depth = (p: string) => p.split('/').length;
  const changes: Change[] = [];
  const dirs = unique.filter((e) => e.kind === 'directory');
  for (const e of dirs.filter((d) => d.existed).sort((a, b) => depth(a.target) - depth(b.target))) {
    const c = restoreDirectory(e, facts, reason);
    if (c) changes.push(c);
  }
  for (const e of unique.filter((x) => x.kind === 'file')) {
    const c = restoreFile(e, e.target, 'file', context);
    if (c) changes.push(c);
  }
  for (const e of unique.filter((x) => x.kind === 'unit')) changes.push(...restoreUnit(e, context));
  for (const e of dirs.filter((d) => !d.existed).sort((a, b) => depth(b.target) - depth(a.target))) {
    const c = restoreDirectory(e, facts, reason);
    if (c) changes.push(c);
  }
  for (const e of unique.filter((x) => x.kind === 'user' && x.existed)) {
    const c = restoreUser(e, facts, reason);
    if (c) changes.push(c);
  }
  for (const e of unique.filter((x) => x.kind === 'user' && !x.existed)) {
    if (facts.users[e.target]?.exists) {
      changes.push({ kind: 'user', action: 'delete', target: e.target, reason, attributes: [], secret: false, precondition: { exists: true } });
    }
  }
  // Groups nodeform created, after the users: a group cannot go while it is a user's primary group.
  for (const e of unique.filter((x) => x.kind === 'group' && !x.existed)) {
    if (facts.groups?.[e.target]) {
      changes.push({ kind: 'group', action: 'delete', target: e.target, reason, attributes: [], secret: false, precondition: { exists: true } });
    }
  }
  return { host, changes, warnings: [...new Set(warnings)], managedAfter, resetTo: label };
}
