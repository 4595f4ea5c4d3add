// The command line, parsed and checked as a whole before any command runs: a bad value is refused before
// anything is printed, read or connected.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeformError } from '../errors.js';
import { parseSerial, parseShard, parseSize } from '../rollout/batches.js';
import type { RolloutOptions } from '../rollout/runner.js';

/** apply and reset: how long a unit the run starts or restarts must stay up unless --up-for says otherwise. */
const DEFAULT_UP_FOR_SECONDS = 3;

const OPTIONS = {
  inventory: { type: 'string', short: 'i' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  limit: { type: 'string', short: 'l' },
  tags: { type: 'string', short: 't' },
  'skip-tags': { type: 'string' },
  forks: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  plan: { type: 'string' },
  'detailed-exitcode': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'lock-timeout': { type: 'string' },
  'up-for': { type: 'string' },
  'accept-new': { type: 'boolean' },
  'known-hosts': { type: 'string', multiple: true },
  'ssh-config': { type: 'string' },
  'dead-link-timeout': { type: 'string' },
  'template-dir': { type: 'string', multiple: true },
  'vault-password-file': { type: 'string', multiple: true },
  'vault-id': { type: 'string', multiple: true },
  to: { type: 'string' },
  'no-color': { type: 'boolean' },
  write: { type: 'boolean' },
  'wipe-data': { type: 'boolean' },
  'prune-data': { type: 'boolean' },
  force: { type: 'boolean' },
  strategies: { type: 'string' },
  'strategies-file': { type: 'string' },
  hosts: { type: 'string' },
  runs: { type: 'string' },
  'time-limit': { type: 'string' },
  parallel: { type: 'boolean' },
  results: { type: 'string' },
  'memory-limit': { type: 'string' },
  'dry-run': { type: 'boolean' },
  note: { type: 'string', multiple: true },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  prometheus: { type: 'boolean' },
  'no-alerts': { type: 'boolean' },
  // apply as a rollout (docs/rollouts.md)
  serial: { type: 'string' },
  canary: { type: 'string' },
  'max-fail': { type: 'string' },
  gate: { type: 'string' },
  'gate-timeout': { type: 'string' },
  'no-rollback': { type: 'boolean' },
  resume: { type: 'boolean' },
  format: { type: 'string' },
  events: { type: 'string' },
  'events-file': { type: 'string' },
  shard: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** Every long option, for the check that --help and README.md list them all. */
export const OPTION_NAMES = Object.keys(OPTIONS) as (keyof typeof OPTIONS)[];

/** In the order the "unknown command" message lists them. */
export const COMMAND_NAMES = ['import', 'providers', 'validate', 'plan', 'apply', 'reset', 'history', 'status', 'drift', 'report', 'bench'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export type ResetTarget = 'previous' | 'original';

/** nodeform bench's own options, checked. */
export interface BenchOptions {
  /** --strategies, in the order given. */
  strategies: string[];
  /** --strategies-file, resolved. */
  strategiesFile?: string;
  /** --hosts: an Ansible host pattern choosing the hosts to measure on. */
  hosts: string;
  runs: number;
  timeLimitSeconds: number;
  /** --interval: seconds between sync samples. */
  intervalSeconds: number;
  parallel: boolean;
  /** --results as given and resolved (default bench-results). */
  results: { given: string; path: string };
  memoryLimitMb?: number;
  dryRun: boolean;
  /** --note: lines recorded in the report as given (the link, the hardware). */
  notes: string[];
}

/** Everything a command may use from the command line, checked; paths resolved against the working directory. */
export interface CommandLine {
  command: CommandName;
  /** Absolute; absent only for apply --plan. */
  inventoryPath?: string;
  playbookPath?: string;
  extraVars: string[];
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  forks: number;
  lockTimeoutSeconds: number;
  /** --up-for: seconds each unit a run starts or restarts must stay up, not restarted on its own (0: checked at once). */
  upForSeconds: number;
  json: boolean;
  /** --out as given (messages show it so) and resolved. */
  out?: { given: string; path: string };
  /** apply --plan FILE, resolved. */
  savedPlan?: string;
  detailedExitcode: boolean;
  /** --yes, or for reset --wipe-data also --force. */
  yes: boolean;
  acceptNew: boolean;
  knownHostsFiles: string[];
  sshConfigPath?: string;
  /** --dead-link-timeout: seconds without an answer before a connection counts as lost. */
  deadLinkTimeoutSeconds?: number;
  /** --template-dir: directories `template:` may read from besides the playbook's and nodeform's own. */
  templateDirs: string[];
  /** --vault-password-file FILE and --vault-id [ID@]FILE, resolved: where Ansible Vault passwords come from. */
  vaultPasswordFiles: { id?: string; path: string }[];
  resetTo: ResetTarget;
  wipeData: boolean;
  pruneData: boolean;
  write: boolean;
  noColor: boolean;
  /** status --watch, every --interval seconds. */
  watch: boolean;
  intervalSeconds: number;
  /** status --prometheus: the text exposition format. */
  prometheus: boolean;
  /** status --no-alerts: send no webhooks. */
  noAlerts: boolean;
  /** apply as a rollout: set when any rollout option is given. `given` holds what the command line said (for --resume's check). */
  rollout?: { options: RolloutOptions; given: Partial<RolloutOptions>; resume: boolean };
  /** --format: plan's markdown for a pull-request comment; --json is --format json. */
  format: 'human' | 'json' | 'markdown';
  /** --events ndjson: progress as JSON lines, on stdout or (--events-file) in a file. */
  events?: { path?: string };
  /** --shard I/N: the share of the selected hosts this run takes (rollout/batches.ts shardHosts). */
  shard?: { index: number; count: number };
  /** report merge FILE...: the shards' JSON results, resolved. */
  reportFiles?: string[];
  /** Only for bench. */
  bench?: BenchOptions;
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'no-command' } | { kind: 'command'; line: CommandLine };

export function usageError(message: string): NodeformError {
  return new NodeformError('USAGE', message);
}

const list = (text: string | undefined) => (text ? text.split(',').map((t) => t.trim()).filter(Boolean) : undefined);

function wholeNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw usageError(`--${name} takes a whole number, not "${value}"`);
  return n;
}

/** Parses and checks argv; throws a USAGE NodeformError naming the first thing wrong. */
export function parseCommandLine(argv: readonly string[], cwd: string): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(`${(error as Error).message}\nSee nodeform --help.`);
  }
  const { values, positionals } = parsed;
  if (values.version) return { kind: 'version' };
  const command = positionals[0];
  if (values.help) return { kind: 'help' };
  if (command === undefined) return { kind: 'no-command' };
  if (!(COMMAND_NAMES as readonly string[]).includes(command)) {
    throw usageError(`unknown command "${command}". Commands: ${COMMAND_NAMES.join(', ')}. See nodeform --help.`);
  }
  const name = command as CommandName;
  const savedPlan = (name === 'apply' || name === 'plan') && values.plan ? resolve(cwd, values.plan) : undefined;
  const reportFiles = name === 'report' ? positionals.slice(2).map((f) => resolve(cwd, f)) : undefined;
  if (name === 'report' && (positionals[1] !== 'merge' || !reportFiles?.length)) throw usageError('report takes merge and the JSON results to merge: nodeform report merge FILE...');
  if (!values.inventory && savedPlan === undefined && name !== 'report') throw usageError(`${name} needs an inventory: -i INVENTORY (see nodeform --help)`);
  const format = values.format ?? (values.json ? 'json' : 'human');
  if (format !== 'human' && format !== 'json' && format !== 'markdown') throw usageError(`--format takes human, json or markdown, not "${format}"`);
  if ((format === 'markdown' && (name !== 'plan' || values.json)) || (values.json && format !== 'json')) throw usageError('--format markdown is for plan, without --json');
  if (values.events !== undefined && values.events !== 'ndjson') throw usageError(`--events takes ndjson, not "${values.events}"`);
  if (values['events-file'] !== undefined && values.events === undefined) throw usageError('--events-file FILE goes with --events ndjson');
  if (values.events !== undefined && !['plan', 'apply', 'reset', 'drift'].includes(name)) throw usageError('--events is for plan, apply, reset and drift');
  if (values.events !== undefined && values['events-file'] === undefined && (values.json || format !== 'human')) {
    throw usageError('--events ndjson takes stdout: with --json or --format, send the events to a file (--events-file FILE)');
  }
  if (values.events !== undefined && values['events-file'] === undefined && (name === 'apply' || name === 'reset') && !values.yes && !values.force) {
    throw usageError(`${name} --events ndjson needs --yes (or --events-file FILE): a question would land in the events on stdout`);
  }
  const shard = values.shard !== undefined ? parseShard(values.shard) : undefined;
  if (shard && 'problem' in shard) throw usageError(shard.problem);
  const to = values.to ?? 'previous';
  if (to !== 'previous' && to !== 'original') throw usageError(`--to takes previous or original, not "${to}"`);
  const wipeData = name === 'reset' && values['wipe-data'] === true;
  if (wipeData && values.to) throw usageError('--wipe-data resets chain data only; it does not take --to');
  // --force is the old scripts' word for not asking (reset --wipe-data); --yes works too.
  const yes = values.yes === true || (wipeData && values.force === true);
  const json = values.json === true || values.format === 'json';
  if (json && (name === 'apply' || name === 'reset' || (name === 'bench' && values['dry-run'] !== true)) && !yes) {
    throw usageError(`${name} --json needs --yes${wipeData ? ' (or --force)' : ''}: a JSON run cannot ask for confirmation`);
  }
  if (values.prometheus && json) throw usageError('--prometheus and --json are two formats: choose one');
  if (values.prometheus && values.watch) throw usageError('--prometheus prints one look at the hosts: use it without --watch (a scrape or a timer repeats it)');
  if (values.interval !== undefined && !values.watch && name !== 'bench') throw usageError('--interval is for status --watch and bench');
  const intervalSeconds = wholeNumber(values.interval, 'interval', 5);
  if (intervalSeconds < 1) throw usageError('--interval takes at least 1 second');
  const playbook = name === 'report' ? undefined : positionals[1];
  if (name === 'drift' && playbook !== undefined) {
    throw usageError(`drift reads no playbook (${playbook}): it compares each host with its own record of what the last apply left; plan compares with the playbook`);
  }
  const forks = wholeNumber(values.forks, 'forks', 100);
  if (forks < 1) throw usageError('--forks takes at least 1 (the hosts handled at once)');
  const line: CommandLine = {
    command: name,
    extraVars: values['extra-vars'] ?? [],
    forks,
    lockTimeoutSeconds: wholeNumber(values['lock-timeout'], 'lock-timeout', 60),
    upForSeconds: wholeNumber(values['up-for'], 'up-for', DEFAULT_UP_FOR_SECONDS),
    json,
    detailedExitcode: values['detailed-exitcode'] === true,
    yes,
    acceptNew: values['accept-new'] === true,
    knownHostsFiles: (values['known-hosts'] ?? []).map((f) => resolve(cwd, f)),
    templateDirs: (values['template-dir'] ?? []).map((dir) => resolve(cwd, dir)),
    vaultPasswordFiles: [
      ...(values['vault-password-file'] ?? []).map((file) => ({ path: resolve(cwd, file) })),
      // Ansible's form: `prod@file` names the vault id; a bare file is a password with no id.
      ...(values['vault-id'] ?? []).map((spec) => {
        const at = spec.indexOf('@');
        return at > 0 ? { id: spec.slice(0, at), path: resolve(cwd, spec.slice(at + 1)) } : { path: resolve(cwd, spec) };
      }),
    ],
    resetTo: to,
    wipeData,
    pruneData: values['prune-data'] === true,
    write: values.write === true,
    noColor: values['no-color'] === true,
    watch: values.watch === true,
    intervalSeconds,
    prometheus: values.prometheus === true,
    noAlerts: values['no-alerts'] === true,
    format,
  };
  if (values.events !== undefined) line.events = values['events-file'] !== undefined ? { path: resolve(cwd, values['events-file']) } : {};
  if (shard) line.shard = shard;
  if (reportFiles) line.reportFiles = reportFiles;
  if (values.inventory) line.inventoryPath = resolve(cwd, values.inventory);
  if (playbook) line.playbookPath = resolve(cwd, playbook);
  if (values.limit !== undefined) line.limit = values.limit;
  const tags = list(values.tags);
  if (tags) line.tags = tags;
  const skipTags = list(values['skip-tags']);
  if (skipTags) line.skipTags = skipTags;
  if (values.out) line.out = { given: values.out, path: resolve(cwd, values.out) };
  if (savedPlan !== undefined) line.savedPlan = savedPlan;
  if (values['ssh-config']) line.sshConfigPath = resolve(cwd, values['ssh-config']);
  const benchOnly = (['strategies', 'strategies-file', 'hosts', 'runs', 'time-limit', 'parallel', 'results', 'memory-limit', 'dry-run', 'note'] as const).find((o) => values[o] !== undefined);
  if (name === 'bench') {
    line.bench = benchOptions(values, cwd);
    line.limit = line.bench.hosts;
  }
  else if (benchOnly) throw usageError(`--${benchOnly} is an option of nodeform bench only`);
  if (values['dead-link-timeout'] !== undefined) {
    const seconds = wholeNumber(values['dead-link-timeout'], 'dead-link-timeout', 15);
    if (seconds < 1) throw usageError('--dead-link-timeout takes at least 1 second');
    line.deadLinkTimeoutSeconds = seconds;
  }
  const rollout = rolloutOf(values, name, savedPlan !== undefined);
  if (rollout) line.rollout = rollout;
  return { kind: 'command', line };
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** The rollout options of apply, checked; undefined when none is given (apply then goes to every host at once). */
function rolloutOf(values: Values, name: CommandName, saved: boolean): CommandLine['rollout'] {
  const names = ['serial', 'canary', 'max-fail', 'gate', 'gate-timeout', 'no-rollback', 'resume'] as const;
  const used = names.filter((n) => values[n] !== undefined);
  if (used.length === 0) return undefined;
  if (name !== 'apply') throw usageError(`--${used[0]} is an apply option (a rollout); ${name} does not take it`);
  if (saved) throw usageError(`--${used[0]}: a rollout plans from the inventory as it goes; it does not take --plan (apply a saved plan at once, or roll out without it)`);
  const size = (option: 'canary' | 'max-fail', allowZero: boolean) => {
    const text = values[option];
    if (text === undefined) return undefined;
    const parsed = parseSize(text, `--${option}`, allowZero);
    if ('problem' in parsed) throw usageError(parsed.problem);
    return parsed;
  };
  const given: Partial<RolloutOptions> = {};
  if (values.serial !== undefined) {
    const serial = parseSerial(values.serial);
    if ('problem' in serial) throw usageError(serial.problem);
    given.serial = serial;
  }
  const canary = size('canary', false);
  if (canary) given.canary = canary;
  const maxFail = size('max-fail', true);
  if (maxFail) given.maxFail = maxFail;
  if (values.gate !== undefined) {
    if (values.gate !== 'progressing' && values.gate !== 'synced') throw usageError(`--gate takes progressing or synced, not "${values.gate}"`);
    given.gate = values.gate;
  }
  if (values['gate-timeout'] !== undefined) given.gateTimeoutSeconds = wholeNumber(values['gate-timeout'], 'gate-timeout', 300);
  if (values['no-rollback']) given.rollback = false;
  const options: RolloutOptions = { gate: 'progressing', gateTimeoutSeconds: 300, rollback: true, ...given };
  return { options, given, resume: values.resume === true };
}

function benchOptions(values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : (typeof OPTIONS)[K] extends { multiple: true } ? string[] : string }, cwd: string): BenchOptions {
  const strategies = list(values.strategies);
  if (!strategies?.length) throw usageError('bench needs --strategies A,B,... (built in: baseline, checkpoint-provider, checkpoint-fleet-cache, cache-tuned, network-tuned, combined)');
  if (!values.hosts) throw usageError('bench needs --hosts PATTERN: the hosts to measure on (their chain data is wiped)');
  if (values.limit !== undefined) throw usageError('bench chooses its hosts with --hosts, not --limit');
  const runs = wholeNumber(values.runs, 'runs', 1);
  if (runs < 1) throw usageError('--runs takes at least 1');
  const timeLimitSeconds = wholeNumber(values['time-limit'], 'time-limit', 1800);
  if (timeLimitSeconds < 1) throw usageError('--time-limit takes at least 1 second');
  const intervalSeconds = wholeNumber(values.interval, 'interval', 5);
  const results = values.results ?? 'bench-results';
  const options: BenchOptions = {
    strategies,
    hosts: values.hosts,
    runs,
    timeLimitSeconds,
    intervalSeconds,
    parallel: values.parallel === true,
    results: { given: results, path: resolve(cwd, results) },
    dryRun: values['dry-run'] === true,
    notes: values.note ?? [],
  };
  if (values['strategies-file']) options.strategiesFile = resolve(cwd, values['strategies-file']);
  if (values['memory-limit'] !== undefined) {
    const mb = wholeNumber(values['memory-limit'], 'memory-limit', 0);
    if (mb < 1) throw usageError('--memory-limit takes a whole number of MiB, at least 1');
    options.memoryLimitMb = mb;
  }
  return options;
}
