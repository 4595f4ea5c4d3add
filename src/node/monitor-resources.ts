// The on-host sync monitor as node resources: the script (templates/scripts/nodeform-monitor.sh.hbs), its
// settings (sourced by sh; root only, since webhook URLs are secrets), a systemd service and a timer that runs it
// every monitoring.interval_seconds, and node_exporter's textfile collector directory it writes nodeform.prom
// into. It replaces the old scripts' checkpoint-monitor.service (docs/node.md): that one is stopped and disabled
// where the host has it (its file left as it is; reset starts it again). Pure.

import type { AlertKind, NodeSpec } from '../clients/types.js';
import type { Resource } from '../model/types.js';
import { quote } from '../shell/quote.js';
import { directory, render, stateOnlyUnit, textFile, unit } from './builders.js';
import { FALLBACK_CONFIG_DIR, FALLBACK_SCRIPT_DIR } from './checkpoint-fallback.js';
import { unitName } from './resources.js';
import { execStart } from './systemd.js';

/** Template texts (the loader reads them from templates/). */
export interface MonitorTemplates {
  /** templates/scripts/nodeform-monitor.sh.hbs */
  script: string;
  /** templates/systemd/nodeform-monitor.service.hbs */
  service: string;
  /** templates/systemd/nodeform-monitor.timer.hbs */
  timer: string;
}

export const MONITOR_TEMPLATE_FILES: Record<keyof MonitorTemplates, string> = {
  script: 'scripts/nodeform-monitor.sh.hbs',
  service: 'systemd/nodeform-monitor.service.hbs',
  timer: 'systemd/nodeform-monitor.timer.hbs',
};

export const MONITOR_SCRIPT = `${FALLBACK_SCRIPT_DIR}/monitor`;
export const MONITOR_CONFIG = `${FALLBACK_CONFIG_DIR}/monitor.conf`;
/** The history (history.jsonl, JSON lines) and the alert state; made by systemd (StateDirectory=). */
export const MONITOR_STATE_DIR = '/var/lib/nodeform/monitor';
export const MONITOR_SERVICE = 'nodeform-monitor.service';
export const MONITOR_TIMER = 'nodeform-monitor.timer';
/**
 * The old node scripts' monitor (a long-running service running their checkpoint_sync_monitor.sh; they installed no timer), which
 * scraped metric names no client exports: stopped and disabled where the on-host monitor runs.
 */
export const OLD_MONITOR_SERVICE = 'checkpoint-monitor.service';
/** The file the monitor writes in the textfile collector directory. */
export const MONITOR_TEXTFILE_NAME = 'nodeform.prom';
/** Each request of a run (the node's own APIs, and each webhook) gives up after this long. */
const REQUEST_TIMEOUT_SECONDS = 10;

/** The config's name for each kind of webhook: a list of URLs, one word each. */
const KIND_VARIABLE: Record<AlertKind, string> = { json: 'WEBHOOKS', slack: 'SLACK_WEBHOOKS', alertmanager: 'ALERTMANAGERS' };

/** Where the monitor reads a client: the listen address, or the loopback when the client listens on every address. */
function localUrl(address: string, port: number): string {
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

/**
 * The monitor's settings as sh assignments, every value quoted by the one quoting function (the file is
 * sourced, so nothing in a value can run). The webhook URLs are in it: the file is a secret when there are any.
 */
export function monitorConfig(spec: NodeSpec, host: string): string {
  const m = spec.monitoring;
  const urls = (kind: AlertKind) =>
    m.alerts
      .filter((a) => a.kind === kind)
      .map((a) => a.url)
      .join(' ');
  const values: [string, string | number][] = [
    ['NODE_NAME', host],
    ['BEACON_API', localUrl(spec.consensus.listenAddress, spec.consensus.ports.http)],
    ['EXECUTION_RPC', localUrl(spec.execution.listenAddress, spec.execution.ports.http)],
    ['STATE_DIR', MONITOR_STATE_DIR],
    ['TEXTFILE', `${m.textfileDirectory}/${MONITOR_TEXTFILE_NAME}`],
    ...(Object.keys(KIND_VARIABLE) as AlertKind[]).map((kind): [string, string] => [KIND_VARIABLE[kind], urls(kind)]),
    ['WINDOW_SECONDS', m.stall.windowSeconds],
    ['MIN_SLOTS_PER_WINDOW', m.stall.minSlotsPerWindow],
    ['SYNCED_DISTANCE', m.stall.syncedDistance],
    ['OPTIMISTIC_SECONDS', m.stall.optimisticSeconds],
    ['RATE_LIMIT_SECONDS', m.alertIntervalSeconds],
    ['HISTORY_MAX_BYTES', m.historyMaxBytes],
    ['REQUEST_TIMEOUT', REQUEST_TIMEOUT_SECONDS],
  ];
  const header = [
    `# Written by nodeform: settings of the on-host sync monitor of ${host} (${MONITOR_SCRIPT}, run by ${MONITOR_TIMER}).`,
    '# Sourced by sh. Root only: webhook URLs are secrets.',
  ];
  return `${[...header, ...values.map(([k, v]) => `${k}=${quote(String(v))}`)].join('\n')}\n`;
}

/** The monitor's resources for a node whose monitoring.monitor is on (none otherwise). */
export function monitorResources(spec: NodeSpec, host: string, templates: MonitorTemplates, tags: string[]): Resource[] {
  const m = spec.monitoring;
  if (!m.monitor) return [];
  const script = render(templates.script, { configPath: quote(MONITOR_CONFIG) }, MONITOR_SCRIPT);
  // At most: the Beacon API three times, the JSON-RPC once, and two alerts (a recovery and a new state) per webhook.
  const timeoutSec = REQUEST_TIMEOUT_SECONDS * (4 + 2 * m.alerts.length) + 30;
  const context = {
    // systemd expands % specifiers in Description= and comments do not matter: a literal % is %%.
    host: host.replaceAll('%', '%%'),
    consensusUnit: unitName(spec.consensus.client),
    executionUnit: unitName(spec.execution.client),
    execStart: execStart([MONITOR_SCRIPT, MONITOR_CONFIG]),
    timeoutSec,
    stateDirectory: MONITOR_STATE_DIR.replace(/^\/var\/lib\//, ''),
    textfileDirectory: m.textfileDirectory,
    intervalSeconds: m.intervalSeconds,
    accuracySeconds: Math.max(1, Math.floor(m.intervalSeconds / 6)),
  };
  const config = textFile(MONITOR_CONFIG, monitorConfig(spec, host), '0600', tags);
  if (m.alerts.length > 0) config.secret = true;
  return [
    directory(FALLBACK_SCRIPT_DIR, 'root', '0755', tags),
    directory(FALLBACK_CONFIG_DIR, 'root', '0755', tags),
    // node_exporter (its own user) reads the textfile; the monitor writes it as root.
    directory(m.textfileDirectory, 'root', '0755', tags),
    textFile(MONITOR_SCRIPT, script, '0755', tags),
    config,
    // Static and oneshot: never enabled, inactive between runs; the timer starts it.
    unit(MONITOR_SERVICE, render(templates.service, context, MONITOR_SERVICE), { enabled: false, active: false, restartOn: [], tags }),
    unit(MONITOR_TIMER, render(templates.timer, context, MONITOR_TIMER), { enabled: true, active: true, restartOn: [], tags }),
    // Replaced: stopped and disabled where the host has it; its file is not nodeform's and stays.
    stateOnlyUnit(OLD_MONITOR_SERVICE, { enabled: false, active: false }, tags),
  ];
}
