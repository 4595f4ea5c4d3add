// Resources x Facts -> HostPlan. Pure: it reads nothing and knows no clock.

import type {
  AttributeChange,
  Change,
  HostPlan,
} from '../model/plan.js';
import type {
  BackupEntry,
  Desired,
  DirectoryResource,
  Facts,
  FileResource,
  ManagedEntry,
  PathFact,
  Resource,
  UnitFact,
  UnitResource,
  UserResource,
  WipeResource,
  BinaryResource,
} from '../model/types.js';
import { posix } from 'node:path';
import { UNIT_DIR } from '../model/types.js';
import { compareVersions } from '../util/version.js';
import { DIFF_CONTENT_LIMIT, type ProbeRequest } from '../facts/probe.js';
import { KEY_FILE } from '../facts/key.js';
import { isText, unifiedDiff } from './textdiff.js';
import { attr, filePrecondition, isActive, isEnabled, missingKeyWarning, ownershipChanges, short, shownContent } from './attributes.js';

export interface PlanOptions {
  /** Remove what nodeform managed before and is no longer declared. Off when --tags narrows the run. */
  removeUndeclared: boolean;
  /** Directories nodeform made and no longer declared go with their contents (a switched-away client's data). */
  pruneData?: boolean;
  /** Also compare each host with its record of the last generation (HostPlan.drift): one more section of the same probe. */
  checkApplied?: boolean;
  /**
   * The content diffs made so far in this run, by the sha256 after and before: hosts that get the same file over the
   * same content share one (planAll gives every host of a run the same map).
   */
  diffs?: Map<string, string | undefined>;
}

/** The plan options a run's selection implies: with --tags or --skip-tags nothing outside the selection counts as undeclared. */
export function planOptionsFor(selection: { tags?: readonly string[]; skipTags?: readonly string[]; pruneData: boolean }): PlanOptions {
  const narrowed = Boolean(selection.tags?.length || selection.skipTags?.length);
  return { removeUndeclared: !narrowed, pruneData: selection.pruneData };
}

/** What the probe must gather for these resources. */
export function probeRequestFor(desired: Desired): ProbeRequest {
  const request: ProbeRequest = { stateDir: desired.settings.stateDir, paths: [], units: [], users: [] };
  for (const r of desired.resources) {
    if (r.kind === 'file' && r.generate) request.paths.push({ path: r.path, wantContent: false, noHash: true });
    // A secret file's bytes come back only where the plan must read lines of them (volatile lines, notes
    // left on the host); they are compared, never shown.
    else if (r.kind === 'file') {
      // A local file's bytes are never diffed (the controller does not hold them): the host's copy is only hashed.
      const wantContent = r.local ? false : !r.secret || Boolean(r.volatileLines?.length || r.hostNotes?.length);
      request.paths.push({ path: r.path, wantSha: r.sha256, wantContent, ...(r.secret ? { secret: true } : {}) });
    }
    else if (r.kind === 'directory') request.paths.push({ path: r.path, wantContent: false });
    else if (r.kind === 'wipe') continue; // its trigger is a declared file, probed with the files
    else if (r.kind === 'binary') (request.binaries ??= []).push(r.path);
    else if (r.kind === 'unit') {
      // A state-only unit: systemd's answer says whether it exists, wherever its file is (the probe stats UNIT_DIR's anyway).
      if (!r.stateOnly) request.paths.push({ path: r.path, wantSha: r.sha256, wantContent: true });
      request.units.push(r.name);
    } else request.users.push(r.name);
  }
  // Each file's directory that no resource declares: a file whose directory the host lacks is not planned (planFile).
  const probed = new Set(request.paths.map((p) => p.path));
  for (const r of desired.resources) {
    if (r.kind !== 'file') continue;
    const dir = posix.dirname(r.path);
    if (probed.has(dir)) continue;
    probed.add(dir);
    request.paths.push({ path: dir, wantContent: false });
  }
  return request;
}

export function resourceTarget(r: Exclude<Resource, WipeResource | BinaryResource>): ManagedEntry {
  switch (r.kind) {
    case 'file':
      return { kind: r.kind, target: r.path, ...(r.secret ? { secret: true } : {}) };
    case 'directory':
      return { kind: r.kind, target: r.path };
    case 'unit':
    case 'user':
      return { kind: r.kind, target: r.name };
  }
}

const entryKey = (e: { kind: string; target: string }) => `${e.kind}\t${e.target}`;

function decode(resource: FileResource | UnitResource): Buffer {
  return resource.kind === 'file' && resource.encoding === 'base64'
    ? Buffer.from(resource.content, 'base64')
    : Buffer.from(resource.content, 'utf8');
}

/** The size of the declared bytes, without decoding them. */
function declaredSize(resource: FileResource | UnitResource): number {
  if (resource.kind === 'file' && resource.local) return resource.local.size;
  return Buffer.byteLength(resource.content, resource.kind === 'file' && resource.encoding === 'base64' ? 'base64' : 'utf8');
}

/** A file too large for a text diff (or a local file, whose bytes the plan never holds) shows its size by its hash. */
const noTextDiff = (resource: FileResource | UnitResource): boolean => (resource.kind === 'file' && resource.local !== undefined) || declaredSize(resource) > DIFF_CONTENT_LIMIT;
const sized = (sha: string | undefined, size: number | undefined): string | null => {
  const hash = short(sha);
  return hash !== null && size !== undefined ? `${hash} (${size} bytes)` : hash;
};

/** The diff of a file's content, when both sides are known, small, text and not secret. */
function contentDiff(fact: PathFact | undefined, resource: FileResource | UnitResource, diffs?: Map<string, string | undefined>): string | undefined {
  if (resource.kind === 'file' && (resource.secret || resource.local)) return undefined;
  if (fact?.exists && fact.content === undefined) return undefined;
  // The bytes before are known by their sha256 (parse.ts keeps only bytes that hash to it), those after by theirs.
  const key = `${resource.sha256}\u0000${fact?.exists ? fact.sha256 : '-'}`;
  if (diffs?.has(key)) return diffs.get(key);
  const diff = makeDiff(fact, resource);
  diffs?.set(key, diff);
  return diff;
}

function makeDiff(fact: PathFact | undefined, resource: FileResource | UnitResource): string | undefined {
  const after = decode(resource);
  if (after.length > DIFF_CONTENT_LIMIT || !isText(after)) return undefined;
  let before = Buffer.alloc(0);
  if (fact?.exists) {
    if (fact.content === undefined) return undefined;
    before = Buffer.from(fact.content, 'base64');
    if (!isText(before)) return undefined;
  }
  return unifiedDiff(before.toString('utf8'), after.toString('utf8')) || undefined;
}

function fileAttributes(fact: PathFact | undefined, r: FileResource | UnitResource, secret: boolean): AttributeChange[] {
  const mode = r.kind === 'file' ? r.mode : '0644';
  const owner = r.kind === 'file' ? r.owner : 'root';
  const group = r.kind === 'file' ? r.group : 'root';
  const exists = fact?.exists === true;
  const out: AttributeChange[] = [];
  if (!exists || fact.sha256 !== r.sha256) {
    if (secret) out.push(attr('content', exists ? '(sensitive)' : null, '(sensitive)'));
    else if (noTextDiff(r)) out.push(attr('content', exists ? sized(fact.sha256, fact.size) : null, sized(r.sha256, declaredSize(r))));
    else out.push(attr('content', exists ? short(fact.sha256) : null, short(r.sha256)));
  }
  out.push(...ownershipChanges(fact, { mode, owner, group }));
  return out;
}

function planFile(r: FileResource, facts: Facts, warnings: string[], declaredDirs: ReadonlySet<string>, diffs?: Map<string, string | undefined>): Change | undefined {
  const fact = facts.paths[r.path];
  if (fact?.exists && fact.type !== 'file') {
    warnings.push(`${r.path} is a ${fact.type} on the host, not a file: nodeform will not replace it; remove it by hand or change the path`);
    return undefined;
  }
  const exists = fact?.exists === true;
  // A file in a directory the host lacks would fail the apply halfway (a path mistyped, a directory not declared):
  // caught here and left out, so nothing is half-written.
  const dir = posix.dirname(r.path);
  if (!exists && !declaredDirs.has(dir) && facts.paths[dir]?.exists === false) {
    warnings.push(`${r.path} is not written: its directory ${dir} does not exist on the host and no directories: entry makes it; declare ${dir} under directories: (nodeform then creates it) or change the path`);
    return undefined;
  }
  if (r.generate) return planGenerated(r, fact);
  const attributes = fileAttributes(fact, r, r.secret).filter((a) => a.name !== 'content' || !onlyVolatileDiffers(fact, r));
  if (attributes.length === 0) return undefined;
  const change: Change = {
    kind: 'file',
    action: exists ? 'update' : 'create',
    target: r.path,
    attributes,
    secret: r.secret,
    precondition: exists ? { exists, sha256: fact.sha256 } : { exists: false },
    after: { sha256: r.sha256, mode: r.mode, owner: r.owner, group: r.group },
    content: { from: 'desired' },
  };
  if (r.secret) keyedSecret(change, r, fact, warnings);
  if (attributes.some((a) => a.name === 'content')) {
    const diff = contentDiff(fact, r, diffs);
    if (diff) change.diff = diff;
    const note = hostNote(fact, r);
    if (note) change.reason = note;
  }
  return change;
}

/**
 * A secret's plan carries no plain sha256 of its content, before or after (a short password is guessable from
 * it): only digests under the host's key (facts/key.ts), which the apply script checks on the host.
 */
function keyedSecret(change: Change, r: FileResource, fact: PathFact | undefined, warnings: string[]): void {
  const exists = fact?.exists === true;
  const before = fact?.keyedSha256;
  const after = fact?.keyedWantSha256;
  if (!after || (exists && fact.sha256 !== undefined && !before)) warnings.push(missingKeyWarning(r.path, KEY_FILE));
  change.precondition = exists ? { exists, ...(before ? { keyedSha256: before } : {}) } : { exists: false };
  change.after = { ...change.after!, sha256: '', ...(after ? { keyedSha256: after } : {}) };
}

const hostLines = (fact: PathFact | undefined): string[] | undefined =>
  fact?.exists && fact.content !== undefined ? Buffer.from(fact.content, 'base64').toString('utf8').split('\n') : undefined;

/** The host's copy differs from the declared one only in lines the resource calls volatile. */
function onlyVolatileDiffers(fact: PathFact | undefined, r: FileResource): boolean {
  const volatile = r.volatileLines;
  // The host's bytes decoded only for a resource that has volatile lines (most have none).
  if (!volatile?.length || r.encoding !== 'utf8') return false;
  const before = hostLines(fact);
  if (before === undefined) return false;
  // Each volatile line stands for its prefix: the value may differ, the line must be there.
  const stable = (lines: string[]) => lines.map((line) => volatile.find((prefix) => line.startsWith(prefix)) ?? line).join('\n');
  return stable(before) === stable(r.content.split('\n'));
}

/** A note someone else left in the host's copy (the on-host checkpoint fallback), to explain the drift. */
function hostNote(fact: PathFact | undefined, r: FileResource): string | undefined {
  if (!r.hostNotes?.length) return undefined;
  const line = hostLines(fact)?.find((l) => r.hostNotes?.some((prefix) => l.startsWith(prefix)));
  return line === undefined ? undefined : `changed on the host: ${line.replace(/^#\s*/, '')}`;
}

/** A secret made on the host: created when missing, then only its owner and mode are managed. */
function planGenerated(r: FileResource, fact: PathFact | undefined): Change | undefined {
  const exists = fact?.exists === true;
  const attributes = [...(exists ? [] : [attr('content', null, '(generated on the host)')]), ...ownershipChanges(fact, r)];
  if (attributes.length === 0) return undefined;
  return {
    kind: 'file',
    action: exists ? 'update' : 'create',
    target: r.path,
    attributes,
    secret: true,
    precondition: { exists },
    after: { sha256: '', mode: r.mode, owner: r.owner, group: r.group },
    content: { from: 'generate', kind: 'hex32' },
  };
}

function planDirectory(r: DirectoryResource, facts: Facts, warnings: string[]): Change | undefined {
  const fact = facts.paths[r.path];
  if (fact?.exists && fact.type !== 'directory') {
    warnings.push(`${r.path} is a ${fact.type} on the host, not a directory: nodeform will not replace it`);
    return undefined;
  }
  const exists = fact?.exists === true;
  const attributes = ownershipChanges(fact, r);
  if (attributes.length === 0) return undefined;
  return {
    kind: 'directory',
    action: exists ? 'update' : 'create',
    target: r.path,
    attributes,
    secret: false,
    precondition: { exists },
    after: { sha256: '', mode: r.mode, owner: r.owner, group: r.group },
  };
}

function planUser(r: UserResource, facts: Facts): Change | undefined {
  const fact = facts.users[r.name];
  const exists = fact?.exists === true;
  const attributes: AttributeChange[] = [];
  const primary = r.group ?? r.name;
  const wantGroups = [...new Set(r.groups.filter((g) => g !== primary))].sort();
  if (!exists) {
    attributes.push(attr('system', null, String(r.system)), attr('shell', null, r.shell), attr('group', null, primary));
    if (r.home) attributes.push(attr('home', null, r.home));
    if (wantGroups.length) attributes.push(attr('groups', null, wantGroups.join(',')));
  } else {
    if (fact.shell !== r.shell) attributes.push(attr('shell', fact.shell, r.shell));
    if (r.home && fact.home !== r.home) attributes.push(attr('home', fact.home, r.home));
    if (fact.group !== primary) attributes.push(attr('group', fact.group, primary));
    const haveGroups = [...new Set((fact.groups ?? []).filter((g) => g !== fact.group))].sort();
    if (haveGroups.join(',') !== wantGroups.join(',')) attributes.push(attr('groups', haveGroups.join(','), wantGroups.join(',')));
  }
  if (attributes.length === 0) return undefined;
  const user: NonNullable<Change['user']> = { system: r.system, groups: wantGroups, shell: r.shell, group: primary };
  if (r.home) user.home = r.home;
  return {
    kind: 'user',
    action: exists ? 'update' : 'create',
    target: r.name,
    attributes,
    secret: false,
    precondition: { exists },
    user,
  };
}

/** Units without an [Install] section can be neither enabled nor disabled. */
const enablementFixed = (state: string | undefined) => state === 'static' || state === 'indirect' || state === 'generated';

/** systemd knows the unit (its file anywhere systemd looks, or it runs): not-found and inactive is no unit. */
const unitExists = (fact: UnitFact | undefined): fact is UnitFact => fact !== undefined && (fact.enabled !== 'not-found' || isActive(fact.active));

/**
 * A state-only unit (its file is not nodeform's): only the enablement and activity it declares, and nothing when the
 * host has no such unit. Its file is never written; the apply backs up its state (bk_unit), so a reset puts it back.
 */
function planUnitState(r: UnitResource, facts: Facts): Change | undefined {
  const unitFact = facts.units[r.name];
  if (!unitExists(unitFact)) return undefined;
  const enabledNow = isEnabled(unitFact.enabled);
  const activeNow = isActive(unitFact.active);
  const attributes: AttributeChange[] = [];
  if (r.enabled !== undefined && !enablementFixed(unitFact.enabled) && enabledNow !== r.enabled) attributes.push(attr('enabled', String(enabledNow), String(r.enabled)));
  if (r.active !== undefined && activeNow !== r.active) attributes.push(attr('active', String(activeNow), String(r.active)));
  if (attributes.length === 0) return undefined;
  const fileFact = facts.paths[r.path];
  const verbs = [...(r.active !== undefined && activeNow !== r.active ? [r.active ? 'start' : 'stop'] : []), ...(attributes.some((a) => a.name === 'enabled') ? [r.enabled ? 'enable' : 'disable'] : [])];
  return {
    kind: 'unit',
    action: 'update',
    target: r.name,
    reason: `${verbs.join(', ')}; its unit file is not nodeform's and stays as it is`,
    attributes,
    secret: false,
    precondition: fileFact?.exists ? { exists: true, sha256: fileFact.sha256 } : { exists: false },
    unit: { enabled: r.enabled ?? enabledNow, active: r.active ?? activeNow },
  };
}

function planUnit(r: UnitResource, facts: Facts, diffs?: Map<string, string | undefined>): Change | undefined {
  if (r.stateOnly) return planUnitState(r, facts);
  const enabled = r.enabled ?? true;
  const active = r.active ?? true;
  const fileFact = facts.paths[r.path];
  const unitFact = facts.units[r.name];
  const exists = fileFact?.exists === true;
  const attributes = fileAttributes(fileFact, r, false);
  const enabledNow = isEnabled(unitFact?.enabled);
  if (!enablementFixed(unitFact?.enabled) && enabledNow !== enabled) {
    attributes.push(attr('enabled', exists ? String(enabledNow) : null, String(enabled)));
  }
  const activeNow = isActive(unitFact?.active);
  // A static oneshot caught while its timer runs it is not drift: it goes back to inactive by itself.
  const runningOneshot = !active && !enabled && unitFact?.active === 'activating';
  if (activeNow !== active && !runningOneshot) attributes.push(attr('active', exists ? String(activeNow) : null, String(active)));
  if (attributes.length === 0) return undefined;
  const change: Change = {
    kind: 'unit',
    action: exists ? 'update' : 'create',
    target: r.name,
    attributes,
    secret: false,
    precondition: exists ? { exists, sha256: fileFact.sha256 } : { exists: false },
    after: { sha256: r.sha256, mode: '0644', owner: 'root', group: 'root' },
    content: { from: 'desired' },
    unit: { enabled, active },
  };
  if (attributes.some((a) => a.name === 'content')) {
    const diff = contentDiff(fileFact, r, diffs);
    if (diff) change.diff = diff;
  }
  return change;
}

/** Restart an active unit whose file or declared inputs change in this plan. */
function planRestarts(units: UnitResource[], changes: Change[], facts: Facts): Change[] {
  const contentChanged = new Set(
    changes.filter((c) => c.attributes.some((a) => a.name === 'content')).map((c) => (c.kind === 'unit' ? `unit:${c.target}` : c.target)),
  );
  const restarts: Change[] = [];
  for (const unit of units) {
    if (!unit.active || !isActive(facts.units[unit.name]?.active)) continue; // a start loads the new config anyway
    const causes = [
      ...(contentChanged.has(`unit:${unit.name}`) ? [`unit file ${unit.path} changed`] : []),
      ...unit.restartOn.filter((p) => contentChanged.has(p)).map((p) => `input ${p} changed`),
    ];
    if (causes.length === 0) continue;
    restarts.push({
      kind: 'unit',
      action: 'restart',
      target: unit.name,
      reason: causes.join(', '),
      attributes: [],
      secret: false,
      precondition: { exists: true },
    });
  }
  return restarts;
}

/**
 * A wipe runs when its trigger file exists on the host with other content than declared (a new Ephemery
 * iteration); a first install has nothing to wipe.
 */
function planWipe(w: WipeResource, resources: Resource[], facts: Facts): Change | undefined {
  if (w.trigger === undefined) return undefined;
  const trigger = resources.find((r): r is FileResource => r.kind === 'file' && r.path === w.trigger);
  const fact = facts.paths[w.trigger];
  if (!trigger || !fact?.exists || fact.sha256 === trigger.sha256) return undefined;
  const text = (bytes: Buffer) => (bytes.length <= 64 && isText(bytes) ? bytes.toString('utf8').trim() : undefined);
  const before = fact.content !== undefined ? text(Buffer.from(fact.content, 'base64')) : undefined;
  const after = trigger.local ? undefined : text(Buffer.from(trigger.content, trigger.encoding === 'base64' ? 'base64' : 'utf8'));
  return {
    kind: 'wipe',
    action: 'update',
    target: w.name,
    reason: `${w.triggerLabel} ${before ?? '?'} -> ${after ?? '?'}: ${w.summary}`,
    attributes: [],
    secret: false,
    precondition: { exists: true, sha256: fact.sha256 },
    wipe: { stopUnits: w.stopUnits, paths: w.paths },
  };
}

/** The first x.y.z in a program's --version text. */
export function versionIn(output: string): string | undefined {
  return /(\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** Warnings for programs missing on the host or older than nodeform's flags need. */
function binaryWarnings(binaries: BinaryResource[], facts: Facts): string[] {
  const warnings: string[] = [];
  for (const b of binaries) {
    const fact = facts.binaries?.[b.path];
    if (!fact) continue;
    if (!fact.present) {
      warnings.push(`${b.name} is not installed at ${b.path}: install ${b.name} ${b.targetVersion} (${b.minVersion} or newer) there, or point the node's binary setting at it`);
      continue;
    }
    const version = versionIn(fact.versionOutput ?? '');
    if (!version) warnings.push(`${b.name} at ${b.path} did not say its version (--version printed "${fact.versionOutput ?? ''}")`);
    else if ((compareVersions(version, b.minVersion) ?? 0) < 0) {
      warnings.push(`${b.name} at ${b.path} is ${version}, older than ${b.minVersion}, the oldest release nodeform's flags work with: upgrade it to ${b.targetVersion}`);
    }
  }
  return warnings;
}

/** `reset --wipe-data`: every node's chain data wiped (identity kept) and its clients started again; nothing else. */
export function planWipeData(desired: Desired, facts: Facts): HostPlan {
  const changes: Change[] = desired.resources
    .filter((r): r is WipeResource => r.kind === 'wipe')
    .map((w) => ({
      kind: 'wipe',
      action: 'update',
      target: w.name,
      reason: `reset --wipe-data: stop ${w.stopUnits.join(', ')}, wipe chain data keeping node identity, start`,
      attributes: [],
      secret: false,
      precondition: { exists: true },
      wipe: { stopUnits: w.stopUnits, paths: w.paths },
    }));
  const warnings = changes.length === 0 ? ['no Ethereum node is declared for this host: nothing to wipe'] : [];
  return { host: desired.host, changes, warnings, managedAfter: facts.record.managed };
}

/** Deletes for what the host's record says nodeform manages and nothing declares any more. */
function planRemovals(declared: Set<string>, facts: Facts, warnings: string[], pruneData: boolean): { changes: Change[]; forgotten: ManagedEntry[] } {
  const changes: Change[] = [];
  const forgotten: ManagedEntry[] = [];
  const originals = new Map<string, BackupEntry>();
  for (const o of facts.record.original) if (!originals.has(entryKey(o))) originals.set(entryKey(o), o);
  const createdByNodeform = (e: ManagedEntry) => originals.get(entryKey(e))?.existed === false;
  const kindOrder = { unit: 0, file: 1, directory: 2, user: 3 } as const;
  const depth = (e: ManagedEntry) => e.target.split('/').length;
  const ordered = facts.record.managed
    .filter((e) => !declared.has(entryKey(e)))
    .map((e) => ({ e, order: kindOrder[e.kind], depth: depth(e) }))
    .sort((a, b) => a.order - b.order || b.depth - a.depth)
    .map((x) => x.e);
  for (const entry of ordered) {
    const base = { kind: entry.kind, action: 'delete' as const, target: entry.target, reason: 'no longer declared', secret: false };
    if (entry.kind === 'file') {
      const fact = facts.paths[entry.target];
      const original = originals.get(entryKey(entry));
      // A secret (flagged in the record, now or when first seen): its hashes leave the host only keyed.
      const secret = entry.secret === true || original?.secret === true;
      if (secret && fact?.exists && fact.type === 'file' && fact.sha256 !== undefined && !fact.keyedSha256) warnings.push(missingKeyWarning(entry.target, KEY_FILE));
      if (original?.existed && original.sha256 && fact?.exists && fact.type === 'file') {
        // It was there before nodeform took it over: put back what was there, rather than delete it.
        const want = { mode: original.mode ?? '0644', owner: original.owner ?? 'root', group: original.group ?? 'root' };
        const attributes = [
          ...(fact.sha256 !== original.sha256 ? [attr('content', shownContent(secret, true, fact.sha256), shownContent(secret, true, original.sha256))] : []),
          ...ownershipChanges(fact, want),
        ];
        if (attributes.length === 0) forgotten.push(entry);
        else {
          changes.push({
            ...base,
            action: 'update',
            reason: 'no longer declared; restored as it was before nodeform',
            attributes,
            secret,
            precondition: filePrecondition(fact, secret),
            after: { sha256: secret ? '' : original.sha256, ...want },
            content: { from: 'backup', record: 'original' },
          });
        }
      } else if (fact?.exists && fact.type === 'file') {
        changes.push({ ...base, secret, attributes: [attr('content', shownContent(secret, true, fact.sha256), null)], precondition: filePrecondition(fact, secret) });
      } else forgotten.push(entry);
    } else if (entry.kind === 'unit') {
      const fileFact = facts.paths[`${UNIT_DIR}/${entry.target}`];
      const unitFact = facts.units[entry.target];
      if (fileFact?.exists || isActive(unitFact?.active) || isEnabled(unitFact?.enabled)) {
        changes.push({
          ...base,
          attributes: [attr('active', String(isActive(unitFact?.active)), null), attr('enabled', String(isEnabled(unitFact?.enabled)), null)],
          precondition: fileFact?.exists ? { exists: true, sha256: fileFact.sha256 } : { exists: false },
        });
      } else forgotten.push(entry);
    } else if (entry.kind === 'directory') {
      const fact = facts.paths[entry.target];
      if (fact?.exists && createdByNodeform(entry) && pruneData) {
        changes.push({ ...base, reason: 'no longer declared; removed with its contents (--prune-data)', attributes: [], precondition: { exists: true }, recursive: true });
      } else if (fact?.exists && createdByNodeform(entry)) {
        changes.push({ ...base, reason: 'no longer declared; removed only if empty (--prune-data removes it with its contents)', attributes: [], precondition: { exists: true }, onlyIfEmpty: true });
      } else forgotten.push(entry);
    } else {
      const fact = facts.users[entry.target];
      if (fact?.exists && createdByNodeform(entry)) {
        changes.push({ ...base, attributes: [], precondition: { exists: true } });
      } else {
        if (fact?.exists) warnings.push(`user ${entry.target} is no longer declared; it existed before nodeform, so it is left in place`);
        forgotten.push(entry);
      }
    }
  }
  return { changes, forgotten };
}

/** The plan for one host: every difference between its declared resources and its facts. */
export function planHost(desired: Desired, facts: Facts, options: PlanOptions): HostPlan {
  const warnings: string[] = [];
  // Held resources are declared (so never removed) but neither created nor changed in this run.
  const acting = desired.resources.filter((r) => r.held === undefined);
  const of = <K extends Resource['kind']>(kind: K) => acting.filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);
  const depth = (p: string) => p.split('/').length;
  const users = of('user').map((r) => planUser(r, facts));
  const directories = of('directory');
  const dirs = [...directories].sort((a, b) => depth(a.path) - depth(b.path)).map((r) => planDirectory(r, facts, warnings));
  const declaredDirs = new Set(directories.map((r) => r.path));
  const files = of('file').map((r) => planFile(r, facts, warnings, declaredDirs, options.diffs));
  const units = of('unit').map((r) => planUnit(r, facts, options.diffs));
  const wipes = of('wipe').map((w) => planWipe(w, desired.resources, facts));
  const changes = [...wipes, ...users, ...dirs, ...files, ...units].filter((c): c is Change => c !== undefined);
  changes.push(...planRestarts(of('unit'), changes, facts));

  warnings.push(...binaryWarnings(of('binary'), facts));
  // A state-only unit is not nodeform's to remove: never in its record (its state before is, in the generation).
  const managed = desired.resources
    .filter((r): r is Exclude<Resource, WipeResource | BinaryResource> => r.kind !== 'wipe' && r.kind !== 'binary' && !(r.kind === 'unit' && r.stateOnly))
    .map(resourceTarget);
  const declared = new Set(managed.map(entryKey));
  let managedAfter: ManagedEntry[];
  if (options.removeUndeclared) {
    const removals = planRemovals(declared, facts, warnings, options.pruneData ?? false);
    changes.push(...removals.changes);
    managedAfter = managed;
  } else {
    const undeclared = facts.record.managed.filter((e) => !declared.has(entryKey(e)));
    if (undeclared.length > 0) {
      warnings.push(`${undeclared.length} managed item(s) not in this run's selection are kept (--tags/--skip-tags narrow the run)`);
    }
    managedAfter = [...undeclared, ...managed];
  }
  const held = desired.resources
    .filter((r): r is Exclude<Resource, WipeResource | BinaryResource> => r.held !== undefined && r.kind !== 'wipe' && r.kind !== 'binary')
    .map((r) => ({ target: `${r.kind} ${resourceTarget(r).target}`, reason: r.held! }));
  return {
    host: desired.host,
    changes,
    warnings,
    managedAfter,
    ...(desired.notes?.length ? { notes: [...desired.notes] } : {}),
    ...(held.length ? { held } : {}),
    ...(desired.checkpoint ? { checkpoint: desired.checkpoint } : {}),
    ...(facts.applied ? { drift: facts.applied } : {}),
  };
}
