// A rollout's run record: what the controller keeps so `apply --resume` can continue an interrupted rollout
// without redoing finished batches, and refuse when what it would roll out is no longer what it started with.
// Pure: the CLI reads and writes the file (cli/rollout-state.ts).

import type { Desired, Resource } from '../model/types.js';
import { sha256Hex } from '../util/sha256.js';
import type { HostOutcome, RolloutOptions } from './runner.js';
import type { Inputs } from '../plan/saved-plan.js';

export const RECORD_VERSION = 1;

/** The inputs a rollout was planned from (as plan --out saves them). */
export type RecordInputs = Inputs;

export interface RunRecord {
  format_version: number;
  runId: string;
  controller: string;
  /** The controller process running it; a live one is never resumed from another. */
  pid: number;
  startedAt: string;
  updatedAt: string;
  inputs: RecordInputs;
  options: RolloutOptions;
  batches: string[][];
  /** Per host, per resource id: a digest of what the rollout declared (see resourceDigests). */
  declared: Record<string, Record<string, string>>;
  /** Hosts whose apply or gate was running when the record was written last. */
  inFlight: string[];
  /** The generation each host's apply sealed, recorded before its gate (a resumed rollout can still roll it back). */
  applied?: Record<string, number>;
  /** Each host's latest generation when the rollout was planned: a newer one found on --resume is the rollout's. */
  baseline?: Record<string, number>;
  outcomes: HostOutcome[];
  /** Set when the rollout ran to its end or stopped on its own (--max-fail): nothing to resume. */
  finished: boolean;
  stopped?: string;
}

/**
 * A digest of each resource as declared, for comparing a resumed rollout with the one that started. Lines a file
 * marks volatile (values recorded at apply time, such as the checkpoint quorum) are left out, and so is a
 * secret's content: the record never holds a hash an attacker could test passwords against.
 */
export function resourceDigests(desired: Desired): Record<string, string> {
  return Object.fromEntries(desired.resources.map((resource) => [resource.id, sha256Hex(JSON.stringify(comparable(resource))).slice(0, 16)]));
}

function comparable(resource: Resource): unknown {
  const { origin: _origin, ...rest } = resource;
  if (rest.kind !== 'file') return rest;
  if (rest.secret) return { ...rest, content: '', sha256: '' };
  const volatile = rest.volatileLines ?? [];
  if (volatile.length === 0 || rest.encoding !== 'utf8') return rest;
  const content = rest.content
    .split('\n')
    .filter((line) => !volatile.some((prefix) => line.startsWith(prefix)))
    .join('\n');
  return { ...rest, content, sha256: '' };
}

/**
 * Why a rollout cannot be resumed as recorded: the hosts selected changed, a host's declared state changed (the
 * rest of the fleet would get something else than the hosts already done), or the command line asks for other
 * inputs or batches. Empty when it can.
 */
export function resumeProblems(
  record: RunRecord,
  now: { inputs: Partial<RecordInputs>; options: Partial<RolloutOptions>; declared: Record<string, Record<string, string>> },
): string[] {
  const problems: string[] = [];
  const recorded = record.batches.flat();
  const selected = Object.keys(now.declared);
  const added = selected.filter((host) => !recorded.includes(host));
  const removed = recorded.filter((host) => !selected.includes(host));
  if (added.length) problems.push(`host(s) ${added.join(', ')} are selected now but were not in the rollout`);
  if (removed.length) problems.push(`host(s) ${removed.join(', ')} were in the rollout but are not selected now`);
  for (const host of selected.filter((h) => recorded.includes(h))) {
    const before = record.declared[host] ?? {};
    const after = now.declared[host]!;
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((id) => before[id] !== after[id]).sort();
    if (changed.length) problems.push(`${host}: the declared state changed since the rollout started (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? `, and ${changed.length - 5} more` : ''})`);
  }
  for (const [key, value] of Object.entries(now.inputs) as [keyof RecordInputs, unknown][]) {
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(record.inputs[key])) problems.push(`${INPUT_NAMES[key]} differs from the rollout's (${JSON.stringify(record.inputs[key] ?? null)})`);
  }
  for (const [key, value] of Object.entries(now.options) as [keyof RolloutOptions, unknown][]) {
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(record.options[key])) problems.push(`${OPTION_NAMES[key]} differs from the rollout's`);
  }
  return problems;
}

const INPUT_NAMES: Record<keyof RecordInputs, string> = {
  inventoryPath: 'the inventory',
  playbookPath: 'the playbook',
  extraVars: '--extra-vars',
  limit: '--limit',
  tags: '--tags',
  skipTags: '--skip-tags',
};

const OPTION_NAMES: Record<keyof RolloutOptions, string> = {
  serial: '--serial',
  canary: '--canary',
  maxFail: '--max-fail',
  gate: '--gate',
  gateTimeoutSeconds: '--gate-timeout',
  rollback: '--no-rollback',
};

/**
 * What --resume takes as applied by the rollout: the recorded generations, and for a host without an outcome whose
 * latest generation is newer than when the rollout began, that one (its apply ended after the controller died,
 * or before the controller could record it).
 */
export function appliedOnResume(record: RunRecord, latest: Record<string, number | undefined>): Record<string, number> {
  const applied = { ...record.applied };
  const finished = new Set(record.outcomes.map((o) => o.host));
  for (const [host, generation] of Object.entries(latest)) {
    if (finished.has(host) || applied[host] !== undefined || generation === undefined) continue;
    if (generation > (record.baseline?.[host] ?? 0)) applied[host] = generation;
  }
  return applied;
}

/** Reads a record back; undefined for anything that is not one (then there is nothing to resume). */
export function parseRecord(text: string): RunRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<RunRecord>;
    if (value.format_version !== RECORD_VERSION || !Array.isArray(value.batches) || !Array.isArray(value.outcomes) || typeof value.runId !== 'string') return undefined;
    return value as RunRecord;
  } catch {
    return undefined;
  }
}
