// Small comparisons shared by the apply planner and the reset planner.

import type { AttributeChange } from '../model/plan.js';
import type { Mode, PathFact } from '../model/types.js';

export const isEnabled = (state: string | undefined) => state === 'enabled' || state === 'enabled-runtime';
export const isActive = (state: string | undefined) => state === 'active' || state === 'activating' || state === 'reloading';

export function attr(name: AttributeChange['name'], before: string | null | undefined, after: string | null | undefined): AttributeChange {
  return { name, before: before ?? null, after: after ?? null };
}

export const short = (sha: string | undefined) => (sha ? `sha256:${sha.slice(0, 12)}` : null);

/** mode, owner and group that differ between a path as it is and as it should be (all of them when it is missing). */
export function ownershipChanges(fact: PathFact | undefined, want: { mode?: Mode; owner?: string; group?: string }): AttributeChange[] {
  const exists = fact?.exists === true;
  const out: AttributeChange[] = [];
  if (!exists || fact.mode !== want.mode) out.push(attr('mode', exists ? fact.mode : null, want.mode));
  if (!exists || fact.owner !== want.owner) out.push(attr('owner', exists ? fact.owner : null, want.owner));
  if (!exists || fact.group !== want.group) out.push(attr('group', exists ? fact.group : null, want.group));
  return out;
}
