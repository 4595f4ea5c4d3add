// Which alerts a new verdict calls for: once per change of state (stalled, down, el-offline, optimistic, and
// the recovery from them), never again while the state holds, and at most one per host within the
// rate limit (a flapping node sends its first change and then the state it settles in). Pure: the state
// is data the caller keeps (on the controller or, as JSON, on the host).

import type { Verdict } from './sync.js';

/** Verdicts that page someone; the others (synced, syncing) are healthy. */
export const ALERTING: ReadonlySet<Verdict> = new Set<Verdict>(['stalled', 'down', 'el-offline', 'optimistic']);

export interface AlertState {
  /** The last verdict an alert was sent for (or that was healthy when none was due). */
  verdict: Verdict;
  /** When the last alert for this host went out (ms since the epoch); undefined before the first. */
  sentAt?: number;
  /** A change seen inside the rate limit, still to be told once the limit has passed. */
  pending?: Verdict;
}

export interface AlertEvent {
  host: string;
  kind: 'firing' | 'resolved';
  /** The verdict that fires, or the one that resolved. */
  verdict: Verdict;
  /** Why, in one sentence (the assessment's reason: no secrets, no URLs with credentials). */
  reason: string;
  at: number;
}

/**
 * The alerts to send for host's new verdict and the state to keep. `minIntervalMs` is the rate limit: changes
 * inside it are held back and the latest one is told when it ends (if it still differs from what was told).
 */
export function nextAlerts(
  host: string,
  state: AlertState | undefined,
  verdict: Verdict,
  reason: string,
  now: number,
  minIntervalMs: number,
): { events: AlertEvent[]; state: AlertState } {
  // A host first seen healthy needs no alert; first seen failing, it does.
  const told = state?.verdict ?? (ALERTING.has(verdict) ? 'synced' : verdict);
  if (verdict === told) return { events: [], state: { ...(state ?? { verdict }), verdict: told, pending: undefined } };
  if (ALERTING.has(verdict) === ALERTING.has(told) && !ALERTING.has(verdict)) {
    // synced <-> syncing: both healthy, nothing to tell.
    return { events: [], state: { ...(state ?? {}), verdict, pending: undefined } };
  }
  if (state?.sentAt !== undefined && now - state.sentAt < minIntervalMs) {
    return { events: [], state: { ...state, pending: verdict } };
  }
  const events: AlertEvent[] = [];
  if (ALERTING.has(told)) events.push({ host, kind: 'resolved', verdict: told, reason, at: now });
  if (ALERTING.has(verdict)) events.push({ host, kind: 'firing', verdict, reason, at: now });
  return { events, state: { verdict, sentAt: now } };
}
