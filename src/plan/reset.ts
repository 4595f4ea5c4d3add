// Plans a reset from the host's recorded generations. Pure.

import type { AttributeChange, Change, HostPlan } from '../model/plan.js';
import type { BackupEntry, Facts, ManagedEntry } from '../model/types.js';
import { UNIT_DIR } from '../model/types.js';
import { attr, isActive, isEnabled, ownershipChanges, short } from './attributes.js';

export type ResetTarget = 'previous' | 'original';


function restoreFile(entry: BackupEntry, facts: Facts, path: string, kind: 'file' | 'unit', reason: string): Change | undefined {
  const fact = facts.paths[path];
  const exists = fact?.exists === true;
  const precondition = exists ? { exists, sha256: fact.sha256 } : { exists: false };
  if (!entry.existed) {
    if (!exists) return undefined;
    return { kind, action: 'delete', target: entry.target, reason, attributes: [attr('content', short(fact.sha256), null)], secret: false, precondition };
  }
  const attributes: AttributeChange[] = [];
  if (!exists || fact.sha256 !== entry.sha256) attributes.push(attr('content', exists ? short(fact.sha256) : null, short(entry.sha256)));
  attributes.push(...ownershipChanges(fact, entry));
  if (attributes.length === 0) return undefined;
  return {
    kind,
    action: exists ? 'update' : 'create',
    target: entry.target,
    reason,
    attributes,
    secret: false,
    precondition,
    after: { sha256: entry.sha256 ?? '', mode: entry.mode ?? '0644', owner: entry.owner ?? 'root', group: entry.group ?? 'root' },
    content: { from: 'backup', sha256: entry.sha256 ?? '' },
  };
}

function restoreUnit(entry: BackupEntry, facts: Facts, reason: string): Change[] {
  const path = `${UNIT_DIR}/${entry.target}`;
  const unitFact = facts.units[entry.target];
  const fileChange = restoreFile(entry, facts, path, 'unit', reason);
  if (!entry.existed) {
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
    precondition: { exists: true, sha256: facts.paths[path]?.sha256 },
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
    const c = restoreFile(e, facts, e.target, 'file', reason);
    if (c) changes.push(c);
  }
  for (const e of unique.filter((x) => x.kind === 'unit')) changes.push(...restoreUnit(e, facts, reason));
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
  return { host, changes, warnings: [], managedAfter, resetTo: label };
}
