// Plans saved with `plan --out`: the changes with their preconditions, and the inputs that produced them. Pure:
// the CLI reads the file, this checks what it holds and whether the declared state still matches it.

import { NodeformError } from '../errors.js';
import type { HostPlan, Plan } from '../model/plan.js';
import type { Desired } from '../model/types.js';
import { UNIT_DIR } from '../model/types.js';

/** What a plan is made from: the command line's files, variables and selection. */
export interface Inputs {
  inventoryPath: string;
  playbookPath?: string;
  extraVars: string[];
  limit?: string;
  tags?: string[];
  skipTags?: string[];
}

export interface SavedPlan extends Plan {
  createdAt: string;
  inputs: Inputs;
}

/** The file `plan --out` writes (written 0600). */
export function savedPlanText(plan: Plan, createdAt: string, inputs: Inputs): string {
  const saved: SavedPlan = { ...plan, createdAt, inputs };
  return `${JSON.stringify(saved, null, 2)}\n`;
}

export function readSavedPlan(file: string, text: string): SavedPlan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new NodeformError('CONFIG', `${file}: not a saved plan (${(error as Error).message}); make one with nodeform plan --out FILE`);
  }
  const plan = data as Partial<SavedPlan>;
  if (plan.formatVersion !== 1 || plan.kind !== 'apply' || !Array.isArray(plan.hosts) || !plan.inputs?.inventoryPath) {
    throw new NodeformError('CONFIG', `${file}: not a saved plan of this nodeform version; make one with nodeform plan --out FILE`);
  }
  return plan as SavedPlan;
}

/**
 * A plan to show again (plan --plan FILE): a saved plan, the output of plan --json, or shards' plans merged by
 * report merge; only its hosts are needed.
 */
export function readPlanDocument(file: string, text: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new NodeformError('CONFIG', `${file}: not a plan (${(error as Error).message}); give a file plan --out or plan --json wrote`);
  }
  const plan = data as Partial<Plan>;
  if (plan.formatVersion !== 1 || (plan.kind !== 'apply' && plan.kind !== 'reset') || !Array.isArray(plan.hosts)) {
    throw new NodeformError('CONFIG', `${file}: not a plan of this nodeform version; give a file plan --out or plan --json wrote`);
  }
  return { formatVersion: 1, kind: plan.kind, hosts: plan.hosts };
}

/** Content the saved plan would write that the declared state no longer matches. */
export function savedPlanMismatches(host: HostPlan, desired: Desired): string[] {
  const declared = new Map<string, string>();
  for (const r of desired.resources) {
    if (r.kind === 'file' || r.kind === 'unit') declared.set(r.path, r.sha256);
  }
  const out: string[] = [];
  for (const change of host.changes) {
    if (change.content?.from !== 'desired' || !change.after) continue;
    const path = change.kind === 'unit' ? `${UNIT_DIR}/${change.target}` : change.target;
    // A secret's plan holds only its digest under the host's key: the apply script checks it on the host (want_secret).
    if (change.after.keyedSha256 !== undefined ? !declared.has(path) : declared.get(path) !== change.after.sha256) out.push(`${host.host}: ${path}`);
  }
  return out;
}
