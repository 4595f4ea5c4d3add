// The health gate a host must pass after its batch: its units active and staying so, and for a node host the
// monitoring verdict (monitor/sync.ts assessSync) on its clients. Pure: samples carry the collector's time.

import { assessSync, MONITOR_DEFAULTS, type SyncSample } from '../monitor/sync.js';
import { command } from '../shell/quote.js';
import type { GateMode } from './runner.js';

/** One unit as `systemctl show` gave it. */
export interface UnitSample {
  name: string;
  /** ActiveState: active, activating, failed, inactive, ... */
  active: string;
  /** SubState: running, exited, auto-restart, ... */
  sub: string;
  /** ActiveEnterTimestampMonotonic: changes each time the unit becomes active again (a restart). */
  activeSince: string;
}

export interface GateSample {
  /** Milliseconds since the epoch, the collector's clock. */
  at: number;
  units: UnitSample[];
  /** A node host's clients, sampled by the status collector; absent for a host that is not a node. */
  sync?: SyncSample;
}

export interface GateVerdict {
  passed: boolean;
  why: string;
}

/** How long a unit must stay active, without a restart, to count as up (a client that exits at once is active for a moment). */
export const UNIT_SETTLE_MS = 5_000;

/**
 * The gate's verdict on the samples so far (oldest first). `passed: false` means "not yet": the runner keeps
 * sampling until --gate-timeout and then fails the host with the last `why`.
 *  - every unit the host declares active is active in the newest sample, with the same activation as in a sample
 *    at least UNIT_SETTLE_MS older (it did not restart in between);
 *  - for a node host, the monitoring verdict: `synced`, or with --gate progressing also `syncing` with the head
 *    moving (slots per minute above 0). `el-offline` (the consensus client reports its execution client
 *    offline, or the JSON-RPC does not answer), `down`, `stalled` and `optimistic` do not pass.
 */
export function judgeGate(samples: readonly GateSample[], units: readonly string[], mode: GateMode, secondsPerSlot: number): GateVerdict {
  const latest = samples[samples.length - 1];
  if (!latest) return { passed: false, why: 'not sampled yet' };
  for (const name of units) {
    const now = latest.units.find((u) => u.name === name);
    if (!now) return { passed: false, why: `unit ${name} is not known to systemd` };
    if (now.active !== 'active') return { passed: false, why: `unit ${name} is ${now.active} (${now.sub})` };
    const steady = samples.some((s) => s.at <= latest.at - UNIT_SETTLE_MS && s.units.some((u) => u.name === name && u.active === 'active' && u.activeSince === now.activeSince));
    if (!steady) return { passed: false, why: `unit ${name} is active, not yet for ${UNIT_SETTLE_MS / 1000} s without a restart` };
  }
  const unitsText = units.length ? `${units.length} unit(s) active` : 'no units to watch';
  if (latest.sync === undefined) return { passed: true, why: unitsText };
  const sync = samples.flatMap((s) => (s.sync ? [s.sync] : []));
  const verdict = assessSync(sync, MONITOR_DEFAULTS, latest.at, secondsPerSlot);
  if (verdict.verdict === 'synced') return { passed: true, why: `${unitsText}; synced: ${verdict.reason}` };
  if (mode === 'progressing' && verdict.verdict === 'syncing' && (verdict.slotsPerMinute ?? 0) > 0) {
    return { passed: true, why: `${unitsText}; progressing: ${verdict.reason}` };
  }
  const wanted = mode === 'synced' ? 'synced' : 'synced or progressing';
  return { passed: false, why: `the node is ${verdict.verdict}, not ${wanted}: ${verdict.reason}` };
}

/** `systemctl show` for the gate's units, and its output read back (one block per unit, blank-line separated). */
export function unitShowCommand(units: readonly string[]): string {
  return command(['systemctl', 'show', '-p', 'Id', '-p', 'ActiveState', '-p', 'SubState', '-p', 'ActiveEnterTimestampMonotonic', '--', ...units]);
}

export function parseUnitShow(text: string): UnitSample[] {
  return text
    .split(/\n\s*\n/)
    .map((block) => Object.fromEntries(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])))
    .filter((fields) => fields.Id)
    .map((fields) => ({ name: fields.Id!, active: fields.ActiveState ?? '?', sub: fields.SubState ?? '?', activeSince: fields.ActiveEnterTimestampMonotonic ?? '0' }));
}
