// Small comparisons shared by the apply planner and the reset planner.

import type { AttributeChange, Precondition } from '../model/plan.js';
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

/** What a plan says of a file's content: a short sha256, or only `(sensitive)` for a secret; null when there is none. */
export function shownContent(secret: boolean, present: boolean, sha: string | undefined): string | null {
  if (!present) return null;
  return secret ? '(sensitive)' : short(sha);
}

/**
 * The precondition of a change to a file or unit file as the probe found it. A secret's carries only its digest
 * under the host's key (facts/key.ts), never its plain sha256.
 */
export function filePrecondition(fact: PathFact | undefined, secret: boolean): Precondition {
  if (!fact?.exists) return { exists: false };
  if (!secret) return { exists: true, sha256: fact.sha256 };
  return { exists: true, ...(fact.keyedSha256 ? { keyedSha256: fact.keyedSha256 } : {}) };
}

/** The warning for a secret whose digest the probe could not make (no key on the host). */
export function missingKeyWarning(path: string, keyFile: string): string {
  return `${path} is a secret and the host's digest key (${keyFile} in the state directory) could not be read or made: apply will refuse to change it; make the state directory writable (become), or remove a damaged key file`;
}
