// One host's status as `nodeform status` shows it: the latest sample, the verdict over the host's history,
// what the host's files and units say, and the alerts sent for it. Pure: the CLI collects and stores, this
// assembles.

import type { AlertEvent } from './alerts.js';
import type { CheckpointStart, UnitState } from './host-state.js';
import { assessSync, type StallPolicy, type SyncAssessment, type SyncSample } from './sync.js';

export interface HostStatus {
  host: string;
  clients: { consensus: string; execution: string };
  network: { name: string; iteration?: number };
  sample: SyncSample;
  assessment: SyncAssessment;
  versions: { consensus?: string; execution?: string };
  units?: UnitState[];
  checkpoint?: CheckpointStart;
  /** What could not be read (the connection, the units), besides the APIs' own errors in the sample. */
  errors: string[];
  /** Alerts this run sent for the host, and the webhooks that did not take them (by label, never URL). */
  alerts: { event: AlertEvent; failed: string[] }[];
}

/** The chain's slot time when the node does not say (/eth/v1/config/spec): every network nodeform names uses 12. */
export const DEFAULT_SECONDS_PER_SLOT = 12;

/** The verdict on a host from its history (oldest first, the latest sample last). */
export function assessHost(history: readonly SyncSample[], policy: StallPolicy, now: number, secondsPerSlot: number | undefined): SyncAssessment {
  return assessSync(history, policy, now, secondsPerSlot ?? DEFAULT_SECONDS_PER_SLOT);
}

/** Samples worth keeping in memory between --watch rounds: what the window (and the optimistic spell) can still use. */
export function keepForWindow(history: readonly SyncSample[], policy: StallPolicy, now: number): SyncSample[] {
  const horizon = now - 2 * Math.max(policy.windowSeconds, policy.optimisticSeconds) * 1000;
  const kept = history.filter((sample) => sample.at >= horizon);
  return kept.length > 0 ? kept : history.slice(-1);
}
