// The on-host checkpoint fallback: a POSIX sh script run by a systemd timer on each node. While the
// consensus client has not synced, it checks the checkpoint provider the client's environment file names and,
// when that one fails or no longer agrees with the quorum nodeform recorded at apply time, switches the file
// to the next configured provider that agrees, keeps a backup, logs why and restarts the client. A synced node
// is never touched. This module is pure: it turns the node's settings and the template texts into resources,
// and reads back the note the script leaves in the environment file (for the plan to explain the drift).
// What the script checks, and why: templates/scripts/checkpoint-fallback.sh.hbs.

import { NodeformError } from '../errors.js';
import { normaliseRoot } from './quorum.js';
import type { Resource } from '../model/types.js';
import { quote } from '../shell/quote.js';
import { directory, render, textFile, unit } from './builders.js';
import { execStart } from './systemd.js';

export interface FallbackInput {
  /** 'lighthouse' */
  consensusClient: string;
  /** 'lighthouse.service' */
  consensusUnit: string;
  /** The local consensus client's REST API, e.g. 'http://127.0.0.1:5052'. */
  beaconApiUrl: string;
  /** '/etc/ethereum/lighthouse.checkpoint.env' */
  envFile: string;
  /** Ordered: the chosen one first, then the agreeing alternatives (never the rejected ones). */
  providers: string[];
  /** The trusted finalized checkpoint recorded at apply time. */
  quorum: { epoch: number; root: string };
  /** When known, a provider on another genesis is refused. */
  genesisValidatorsRoot?: string;
  requestTimeoutSeconds: number;
  /** How often the timer runs the check. Default 60. */
  intervalSeconds?: number;
}

/** Template texts (the loader reads them from templates/). */
export interface FallbackTemplates {
  /** templates/scripts/checkpoint-fallback.sh.hbs */
  script: string;
  /** templates/systemd/nodeform-checkpoint-fallback.service.hbs */
  service: string;
  /** templates/systemd/nodeform-checkpoint-fallback.timer.hbs */
  timer: string;
}

export const FALLBACK_TEMPLATE_FILES: Record<keyof FallbackTemplates, string> = {
  script: 'scripts/checkpoint-fallback.sh.hbs',
  service: 'systemd/nodeform-checkpoint-fallback.service.hbs',
  timer: 'systemd/nodeform-checkpoint-fallback.timer.hbs',
};

export const FALLBACK_SCRIPT_DIR = '/usr/local/lib/nodeform';
export const FALLBACK_SCRIPT = `${FALLBACK_SCRIPT_DIR}/checkpoint-fallback`;
export const FALLBACK_CONFIG_DIR = '/etc/nodeform';
export const FALLBACK_CONFIG = `${FALLBACK_CONFIG_DIR}/checkpoint-fallback.conf`;
/** Backups of the environment file (`<file name>.<UTC stamp>`) and switches.log; made by systemd (StateDirectory=). */
export const FALLBACK_STATE_DIR = '/var/lib/nodeform/checkpoint-fallback';
export const FALLBACK_SERVICE = 'nodeform-checkpoint-fallback.service';
/**
 * The old node scripts' fallback (a long-running service that sed-edited the client's checkpoint URL), replaced by
 * FALLBACK_SERVICE: stopped and disabled on every node host that has it.
 */
export const OLD_FALLBACK_SERVICE = 'checkpoint-fallback.service';
export const FALLBACK_TIMER = 'nodeform-checkpoint-fallback.timer';
export const DEFAULT_FALLBACK_INTERVAL_SECONDS = 60;
/** The first words of the note the script writes into the environment file when it switched. */
export const SWITCH_NOTE_PREFIX = '# Switched by nodeform-checkpoint-fallback at ';

/** Paths that go into unit files unquoted: no whitespace, quotes, `%` specifiers or `$` variables. */
const UNIT_SAFE_PATH = /^\/[A-Za-z0-9_@+=:,./-]+$/;
const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.service$/;
const ROOT = /^(0x)?[0-9a-f]{64}$/i;
/** A provider must be one word in the client's environment file (systemd splits it on whitespace). */
const PROVIDER = /^https?:\/\/[^\s'"\\]+$/;

function invalid(what: string, value: unknown, expected: string): never {
  throw new NodeformError('CONFIG', `checkpoint fallback: ${what} ${JSON.stringify(value)} is not ${expected}`);
}


function checked(input: FallbackInput) {
  if (!/^[A-Za-z0-9_-]+$/.test(input.consensusClient)) invalid('consensusClient', input.consensusClient, 'a client name');
  if (!UNIT_NAME.test(input.consensusUnit)) invalid('consensusUnit', input.consensusUnit, 'a systemd service name');
  if (!UNIT_SAFE_PATH.test(input.envFile)) invalid('envFile', input.envFile, 'an absolute path without spaces, quotes, % or $');
  if (!/^https?:\/\/[^\s]+$/.test(input.beaconApiUrl)) invalid('beaconApiUrl', input.beaconApiUrl, 'an http(s) URL');
  if (input.providers.length === 0) invalid('providers', input.providers, 'a non-empty list');
  for (const p of input.providers) if (!PROVIDER.test(p)) invalid('provider', p, 'an http(s) URL without spaces, quotes or backslashes');
  if (new Set(input.providers).size !== input.providers.length) invalid('providers', input.providers, 'a list without duplicates');
  if (!Number.isSafeInteger(input.quorum.epoch) || input.quorum.epoch < 0) invalid('quorum epoch', input.quorum.epoch, 'a non-negative integer');
  if (!ROOT.test(input.quorum.root)) invalid('quorum root', input.quorum.root, 'a 32-byte hex root');
  const gvr = input.genesisValidatorsRoot;
  if (gvr !== undefined && !ROOT.test(gvr)) invalid('genesisValidatorsRoot', gvr, 'a 32-byte hex root');
  const timeout = input.requestTimeoutSeconds;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600) invalid('requestTimeoutSeconds', timeout, 'a whole number of seconds from 1 to 600');
  const interval = input.intervalSeconds ?? DEFAULT_FALLBACK_INTERVAL_SECONDS;
  if (!Number.isInteger(interval) || interval < 1) invalid('intervalSeconds', interval, 'a whole number of seconds, at least 1');
  return { interval, timeout, root: normaliseRoot(input.quorum.root), gvr: gvr === undefined ? '' : normaliseRoot(gvr) };
}

/**
 * The script's settings as sh assignments, one a line, every value quoted by the one quoting function:
 * the file is sourced by the script (`. FILE`), so nothing in a value can run.
 */
export function fallbackConfig(input: FallbackInput): string {
  const c = checked(input);
  const values: [string, string | number][] = [
    ['CONSENSUS_CLIENT', input.consensusClient],
    ['CONSENSUS_UNIT', input.consensusUnit],
    ['BEACON_API', input.beaconApiUrl],
    ['ENV_FILE', input.envFile],
    ['STATE_DIR', FALLBACK_STATE_DIR],
    ['QUORUM_EPOCH', input.quorum.epoch],
    ['QUORUM_ROOT', c.root],
    ['GENESIS_VALIDATORS_ROOT', c.gvr],
    ['REQUEST_TIMEOUT', c.timeout],
    ['PROVIDER_COUNT', input.providers.length],
    ...input.providers.map((p, i): [string, string] => [`PROVIDER_${i + 1}`, p]),
  ];
  const header = [
    `# Written by nodeform: settings of the on-host checkpoint fallback for ${input.consensusClient} (${FALLBACK_SCRIPT}).`,
    `# Sourced by sh. The quorum (epoch ${input.quorum.epoch} root ${c.root}) and the providers agreeing with it were recorded at apply time.`,
  ];
  return `${[...header, ...values.map(([k, v]) => `${k}=${quote(String(v))}`)].join('\n')}\n`;
}

export function checkpointFallbackResources(input: FallbackInput, templates: FallbackTemplates, tags: string[]): Resource[] {
  const c = checked(input);
  const config = fallbackConfig(input);
  const script = render(templates.script, { configPath: quote(FALLBACK_CONFIG) }, FALLBACK_SCRIPT);
  // Per provider at most 3 requests (genesis, finality, header); the current one twice; the sync status 3 times.
  const timeoutSec = c.timeout * (3 * input.providers.length + 6) + 60;
  const envDir = input.envFile.slice(0, input.envFile.lastIndexOf('/')) || '/';
  const context = {
    client: input.consensusClient,
    unit: input.consensusUnit,
    envFile: input.envFile,
    // `-`: a missing directory does not fail the unit (the script then finds no file and says so).
    envDir: `-${envDir}`,
    execStart: execStart([FALLBACK_SCRIPT, FALLBACK_CONFIG]),
    timeoutSec,
    stateDirectory: FALLBACK_STATE_DIR.replace(/^\/var\/lib\//, ''),
    intervalSeconds: c.interval,
    accuracySeconds: Math.max(1, Math.floor(c.interval / 6)),
  };
  const service = render(templates.service, context, FALLBACK_SERVICE);
  const timer = render(templates.timer, context, FALLBACK_TIMER);
  return [
    directory(FALLBACK_SCRIPT_DIR, 'root', '0755', tags),
    directory(FALLBACK_CONFIG_DIR, 'root', '0755', tags),
    textFile(FALLBACK_SCRIPT, script, '0755', tags),
    // Root only: a provider URL may carry a token.
    textFile(FALLBACK_CONFIG, config, '0600', tags),
    // Static and oneshot: never enabled, inactive between runs; the timer starts it.
    unit(FALLBACK_SERVICE, service, { enabled: false, active: false, restartOn: [], tags }),
    unit(FALLBACK_TIMER, timer, { enabled: true, active: true, restartOn: [], tags }),
  ];
}

export interface FallbackSwitch {
  /** UTC ISO time of the switch. */
  at: string;
  /** The provider before and after, as the script shows URLs (no user:password@, no query). */
  from: string;
  to: string;
  why: string;
}

/** The switch the on-host fallback recorded in a checkpoint environment file, if it switched. */
export function parseFallbackSwitch(envFileText: string): FallbackSwitch | undefined {
  const line = envFileText.split(/\r?\n/).find((l) => l.startsWith(SWITCH_NOTE_PREFIX));
  if (line === undefined) return undefined;
  const m = /^(\S+): (\S+) -> (\S+): (.*)$/.exec(line.slice(SWITCH_NOTE_PREFIX.length));
  if (!m) return undefined;
  return { at: m[1]!, from: m[2]!, to: m[3]!, why: m[4]!.trim() };
}

/**
 * One line for the plan explaining why the environment file differs from what nodeform wrote:
 * "the on-host checkpoint fallback switched from A to B at T: WHY". Undefined when it never switched.
 */
export function fallbackSwitchNote(envFileText: string): string | undefined {
  const s = parseFallbackSwitch(envFileText);
  if (s !== undefined) return `the on-host checkpoint fallback switched from ${s.from} to ${s.to} at ${s.at}: ${s.why}`;
  const line = envFileText.split(/\r?\n/).find((l) => l.startsWith(SWITCH_NOTE_PREFIX));
  return line === undefined ? undefined : `the on-host checkpoint fallback switched providers: ${line.slice(2)}`;
}
