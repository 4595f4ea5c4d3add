// What `status` reads of a node host besides its APIs, in one exec: the client units' states (systemctl
// show), the Ephemery iteration nodeform recorded there, and the checkpoint the consensus client was started
// from (its checkpoint environment file, with the on-host fallback's switch note). The command is built
// and its output read here; the collector runs it. Pure.

import type { NodeSpec } from '../clients/types.js';
import { redactUrl } from '../node/checkpoint.js';
import { parseFallbackSwitch } from '../node/checkpoint-fallback.js';
import { ETC_DIR, envFilePath, unitName } from '../node/resources.js';
import { command } from '../shell/quote.js';

export interface UnitState {
  name: string;
  /** systemd's ActiveState: active, activating, failed, inactive, ...; `not-found` when there is no such unit. */
  active: string;
  /** SubState: running, exited, dead, auto-restart, ... */
  sub?: string;
  /** Restarts systemd made since the unit was last started by hand (NRestarts). */
  restarts?: number;
}

/** Which checkpoint the consensus client starts from, as the host's files say. URLs are redacted. */
export interface CheckpointStart {
  source: 'provider' | 'fleet-cache' | 'genesis' | 'unknown';
  /** The provider (redacted: no credentials, no query), or the fleet cache's state file. */
  from?: string;
  /** When the on-host fallback moved the client to another provider. */
  switched?: { at: string; from: string; to: string; why: string };
}

export interface HostState {
  units: UnitState[];
  /** The Ephemery iteration the host runs (nodeform's iteration file), when on Ephemery. */
  iteration?: number;
  checkpoint: CheckpointStart;
}

const MAX_FILE_BYTES = 65_536;

/** The files read: the iteration (Ephemery only) and the consensus client's checkpoint settings. */
function watchedFiles(spec: NodeSpec): { iteration?: string; checkpoint: string[] } {
  const client = spec.consensus.client;
  return {
    ...(spec.network.name === 'ephemery' ? { iteration: `${spec.network.files?.dir ?? '/etc/ethereum/ephemery'}/iteration` } : {}),
    checkpoint: [envFilePath(client, 'checkpoint'), `${ETC_DIR}/${client}.checkpoint.yaml`],
  };
}

export function nodeUnits(spec: NodeSpec): string[] {
  return [unitName(spec.consensus.client), unitName(spec.execution.client)];
}

/** One sh command line printing `@unit NAME` + systemctl show's lines, and `@file PATH` + the file as base64. */
export function hostStateCommand(spec: NodeSpec): string {
  const files = watchedFiles(spec);
  const parts: string[] = [];
  for (const unit of nodeUnits(spec)) {
    parts.push(`printf '@unit %s\\n' ${command([unit])}`);
    parts.push(`${command(['systemctl', 'show', '--property=LoadState,ActiveState,SubState,NRestarts', '--', unit])} 2>/dev/null`);
  }
  for (const path of [...(files.iteration ? [files.iteration] : []), ...files.checkpoint]) {
    parts.push(`if [ -f ${command([path])} ]; then printf '@file %s\\n' ${command([path])}; head -c ${MAX_FILE_BYTES} ${command([path])} | base64 -w0; echo; fi`);
  }
  return `${parts.join('; ')}; exit 0`;
}

/** The exec's output read back; what is missing stays undefined. */
export function parseHostState(spec: NodeSpec, stdout: string): HostState {
  const files = watchedFiles(spec);
  const units = new Map<string, Record<string, string>>();
  const contents = new Map<string, string>();
  let unit: Record<string, string> | undefined;
  let file: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@unit ')) {
      unit = {};
      units.set(line.slice(6), unit);
      file = undefined;
    } else if (line.startsWith('@file ')) {
      file = line.slice(6);
      unit = undefined;
    } else if (file !== undefined) {
      contents.set(file, Buffer.from(line, 'base64').toString('utf8'));
      file = undefined;
    } else if (unit) {
      const eq = line.indexOf('=');
      if (eq > 0) unit[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  const unitStates = nodeUnits(spec).map((name): UnitState => {
    const shown = units.get(name) ?? {};
    const restarts = shown.NRestarts !== undefined && /^\d+$/.test(shown.NRestarts) ? Number(shown.NRestarts) : undefined;
    if (shown.LoadState === 'not-found' || shown.ActiveState === undefined) return { name, active: 'not-found' };
    return { name, active: shown.ActiveState, ...(shown.SubState ? { sub: shown.SubState } : {}), ...(restarts !== undefined ? { restarts } : {}) };
  });
  const iterationText = files.iteration !== undefined ? contents.get(files.iteration)?.trim() : undefined;
  const iteration = iterationText !== undefined && /^\d+$/.test(iterationText) ? Number(iterationText) : undefined;
  const checkpointText = files.checkpoint.map((path) => contents.get(path)).filter((text): text is string => text !== undefined).join('\n');
  return { units: unitStates, ...(iteration !== undefined ? { iteration } : {}), checkpoint: checkpointStart(spec, checkpointText) };
}

/** From the checkpoint files' text: a fleet-cache state file, else the provider URL, else genesis (checkpoint sync off). */
export function checkpointStart(spec: NodeSpec, text: string): CheckpointStart {
  const switchNote = parseFallbackSwitch(text);
  const switched = switchNote ? { switched: { ...switchNote, from: redactUrl(switchNote.from), to: redactUrl(switchNote.to) } } : {};
  const body = text
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  const stateFile = /(\/[^\s'"=]*checkpoint-state\.ssz)/.exec(body)?.[1];
  if (stateFile) return { source: 'fleet-cache', from: stateFile, ...switched };
  const url = /https?:\/\/[^\s'"\\]+/.exec(body)?.[0];
  if (url) return { source: 'provider', from: redactUrl(url), ...switched };
  if (!spec.checkpointSync.enabled) return { source: 'genesis' };
  return { source: 'unknown', ...switched };
}
