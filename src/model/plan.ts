// The plan: what differs on each host, with the preconditions each change was computed from.
// JSON-safe and free of file content (content is taken from Desired, or from backups, at apply).

import type { AppliedCheck, CheckpointDecision, ManagedEntry, Mode } from './types.js';

export type ChangeKind = 'file' | 'directory' | 'user' | 'unit' | 'wipe' | 'group';
export type ChangeAction = 'create' | 'update' | 'delete' | 'restart';

export interface AttributeChange {
  name: 'content' | 'mode' | 'owner' | 'group' | 'enabled' | 'active' | 'shell' | 'home' | 'groups' | 'system';
  before: string | null;
  after: string | null;
}

/** The state a change was computed from; apply refuses to act when the host no longer matches it. */
export interface Precondition {
  exists: boolean;
  /** sha256 of the file's bytes when it is a file or unit file that exists (not for a secret). */
  sha256?: string;
  /** For a secret file that exists: its digest under the host's key (facts/key.ts), never its plain sha256. */
  keyedSha256?: string;
}

/**
 * Where a change's bytes come from: the declared resource, a backup on the host (reset, a file put back as it was
 * before nodeform), or made on the host. A backup is named by the record that holds it, the target's original or
 * its entry in a generation; the apply script finds the bytes from that record on the host, so a plan carries no
 * hash of them (a secret's would be guessable).
 */
export type ContentSource =
  | { from: 'desired' }
  | { from: 'backup'; record: 'original' }
  | { from: 'backup'; record: 'generation'; generation: number }
  | { from: 'generate'; kind: 'hex32' };

export interface FileState {
  /** sha256 of the bytes after the change; empty for a secret (and a secret made on the host). */
  sha256: string;
  /** For a secret file: the digest of its bytes after the change under the host's key (facts/key.ts). */
  keyedSha256?: string;
  mode: Mode;
  owner: string;
  group: string;
}

export interface Change {
  kind: ChangeKind;
  action: ChangeAction;
  /** Path for files and directories, name for users and units. */
  target: string;
  /** Why, when it is not plain "declared differently": "no longer declared", "input /x changed", ... */
  reason?: string;
  attributes: AttributeChange[];
  /** Unified diff of the content, when both sides are known text and the file is not secret. */
  diff?: string;
  secret: boolean;
  precondition: Precondition;
  /** Target state of a file or unit file after the change; absent for deletes. */
  after?: FileState;
  content?: ContentSource;
  /** For units: the wanted enablement and activity after the change. */
  unit?: { enabled: boolean; active: boolean };
  /** For users. */
  user?: { system: boolean; group?: string; groups: string[]; home?: string; shell: string };
  /** For directories being removed: only when empty. */
  onlyIfEmpty?: boolean;
  /** For directories being removed with --prune-data: with everything in them (not backed up). */
  recursive?: boolean;
  /** For wipes: the units stopped (and started again) and the paths removed. */
  wipe?: { stopUnits: string[]; paths: string[] };
}

export interface HostPlan {
  host: string;
  /** create/update/delete of resources and restarts, in the order apply performs them. */
  changes: Change[];
  warnings: string[];
  /** Set when the host could not be planned (unreachable, bad facts); the other hosts still are. */
  error?: string;
  /** For reset plans: the generation being restored. */
  resetTo?: string;
  /** What nodeform will manage on the host once these changes are applied (its record). */
  managedAfter: ManagedEntry[];
  /** What the plan says about the host beyond its changes (the checkpoint provider choice, and why). */
  notes?: string[];
  /** Resources left as they are in this run, and why (no checkpoint quorum). */
  held?: { target: string; reason: string }[];
  /** The checkpoint provider decision, for machines (nodeform plan --json). */
  checkpoint?: CheckpointDecision;
  /**
   * When asked for (plan --format markdown, nodeform drift): what changed on the host outside nodeform since its
   * last generation, as the host's own record says.
   */
  drift?: AppliedCheck;
}

export interface Plan {
  formatVersion: 1;
  kind: 'apply' | 'reset';
  hosts: HostPlan[];
}

export interface PlanCounts {
  create: number;
  update: number;
  delete: number;
  restart: number;
}

export function countChanges(plan: Plan): PlanCounts {
  const counts: PlanCounts = { create: 0, update: 0, delete: 0, restart: 0 };
  for (const host of plan.hosts) for (const change of host.changes) counts[change.action] += 1;
  return counts;
}

export function hasChanges(plan: Plan): boolean {
  return plan.hosts.some((h) => h.changes.length > 0);
}

/** The plan's one-line count: "Plan: N to create, ... on H of T host(s)." or "No changes on N host(s).". */
export function countsLine(plan: Plan): string {
  const counts = countChanges(plan);
  const changed = plan.hosts.filter((h) => h.changes.length > 0).length;
  const failed = plan.hosts.filter((h) => h.error).length;
  const total = counts.create + counts.update + counts.delete + counts.restart;
  return total === 0
    ? `No changes on ${plan.hosts.length - failed} host(s).`
    : `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to remove, ${counts.restart} to restart, on ${changed} of ${plan.hosts.length} host(s).`;
}
