// What `nodeform import` does with each variable of an inventory written for the old node scripts: the
// setting it becomes (its value converted, or refused with a reason), or what the operator should do with
// it instead. Jinja references (`{{ name }}`) in values are resolved against the hosts' variables. Pure.

import { CONSENSUS_CLIENTS, EXECUTION_CLIENTS } from './defaults.js';
import { NODE_VARIABLES } from './schema.js';
import { OLD_NODE_VARIABLES, newFormValue } from './spec.js';

export type ImportTarget = 'consensus' | 'execution' | 'checkpoint_sync' | 'monitoring';
export const IMPORT_TARGETS: readonly ImportTarget[] = ['consensus', 'execution', 'checkpoint_sync', 'monitoring'];

/** A value in the new form, or why it cannot be one. */
type Converted = { value: unknown } | { refused: string };

export interface ImportMapping {
  variable: ImportTarget;
  key: string;
  /** A key inside `key` (ports.http). */
  sub?: string;
  convert(value: unknown): Converted;
  /** Said with the change: what the new setting does not do that the old one did. */
  note?: string;
}

const same = (value: unknown): Converted => ({ value });

function clientName(kind: 'consensus' | 'execution'): (value: unknown) => Converted {
  const names: readonly string[] = kind === 'consensus' ? CONSENSUS_CLIENTS : EXECUTION_CLIENTS;
  return (value) =>
    typeof value === 'string' && names.includes(value.toLowerCase())
      ? { value: value.toLowerCase() }
      : { refused: `nodeform runs ${names.join(', ')} as the ${kind} client, not ${JSON.stringify(value)}: choose one and write ${kind}: { client: NAME }, then remove this` };
}

function portNumber(value: unknown): Converted {
  const port = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? { value: port } : { refused: `${JSON.stringify(value)} is not a port (1-65535): write the port as a number` };
}

function hostDirectory(value: unknown): Converted {
  if (typeof value === 'string' && value.includes('{{')) return { refused: 'its Jinja reference could not be resolved (see above): write the directory on the host' };
  if (typeof value !== 'string' || !value.startsWith('/')) return { refused: `${JSON.stringify(value)} is not an absolute path: write the directory on the host` };
  return { value };
}

function flag(value: unknown): Converted {
  if (typeof value === 'boolean') return { value };
  const lower = typeof value === 'string' ? value.toLowerCase() : '';
  if (['yes', 'true', 'on'].includes(lower)) return { value: true };
  if (['no', 'false', 'off'].includes(lower)) return { value: false };
  return { refused: `${JSON.stringify(value)} is not true or false` };
}

const port = (variable: 'consensus' | 'execution', sub: string): ImportMapping => ({ variable, key: 'ports', sub, convert: portNumber });

/** Old variables and the setting each becomes. */
export const IMPORT_MAPPINGS: Record<string, ImportMapping> = {
  ...Object.fromEntries(Object.entries(OLD_NODE_VARIABLES).map(([name, to]) => [name, { ...to, convert: (value: unknown) => same(newFormValue(name, value)) }])),
  el: { variable: 'execution', key: 'client', convert: clientName('execution') },
  cl: { variable: 'consensus', key: 'client', convert: clientName('consensus') },
  cl_client_port: port('consensus', 'http'),
  cl_p2p_port: port('consensus', 'p2p'),
  cl_metrics_port: port('consensus', 'metrics'),
  el_client_port: port('execution', 'http'),
  el_p2p_port: port('execution', 'p2p'),
  el_engine_port: port('execution', 'engine'),
  el_metrics_port: port('execution', 'metrics'),
  cl_data_dir: { variable: 'consensus', key: 'data_dir', convert: hostDirectory },
  el_data_dir: { variable: 'execution', key: 'data_dir', convert: hostDirectory },
  monitoring_enabled: {
    variable: 'monitoring',
    key: 'metrics',
    convert: flag,
    note:
      "the clients serve Prometheus metrics on their metrics ports; nodeform installs no Prometheus or Grafana: keep running those as you do now. The old scripts' checkpoint-monitor.service is replaced by nodeform's on-host monitor, nodeform-monitor.timer (monitoring.monitor, on by default: it records each node's sync history, tells monitoring.alerts of stalls and writes node_exporter's textfile); the first apply stops and disables checkpoint-monitor.service where a host has it (its file stays; nodeform reset starts it again)",

  },
};

/** Old variables nodeform has no setting for, and what to do with each. They are left where they are. */
export const IMPORT_WARNINGS: Record<string, string> = {
  validator_enabled: 'nodeform does not run validators; remove it, or keep running your validator client as you do now',
  mev_boost_enabled: 'nodeform does not run MEV-Boost; remove it, or keep running MEV-Boost and its flags as you do now (extra flags go in consensus.extra_args)',
  jwt_secret_path: 'nodeform keeps the Engine API JWT at /etc/ethereum/jwt.hex, made on the host, and points both clients at it; remove jwt_secret_path',
  prometheus_port:
    'nodeform runs no Prometheus server: with monitoring: { metrics: true } the clients serve metrics on consensus.ports.metrics and execution.ports.metrics; point your Prometheus at those, then remove prometheus_port',
  grafana_port: 'nodeform runs no Grafana; keep running it as you do now, and remove grafana_port',
  clear_database: 'nodeform never clears chain data on apply; to start a node from empty databases run nodeform reset --wipe-data; remove clear_database',
  ephemery_base_dir: 'the old scripts built their paths from it; nodeform does not read it (import resolved the references to it): remove it',
  ephemery_data_dir:
    'nodeform keeps each client\'s chain data in consensus.data_dir and execution.data_dir (default /var/lib/<client>): set those to the directories your data is in, or the clients start with empty ones; then remove ephemery_data_dir',
  ephemery_config_dir: 'nodeform writes the network\'s files under /etc/ethereum/<network>/ itself and points the clients there; remove ephemery_config_dir',
  firewall_enabled: 'nodeform manages no firewall; keep your rules as they are, and remove firewall_enabled',
};

/** What import says about a variable it neither maps nor knows, or undefined for nodeform's own variables. */
export function unknownVariable(name: string): string | undefined {
  if (name.startsWith('ansible_') || name.startsWith('nodeform_') || name in NODE_VARIABLES || name in IMPORT_MAPPINGS || name in IMPORT_WARNINGS) return undefined;
  return 'not a nodeform setting: left as your own variable (templates may use it; the node play does not read it); remove it if only the old scripts used it';
}

type Vars = Record<string, unknown>;

export type Resolution = { value: unknown } | { unresolved: string };

const REFERENCE = /\{\{(.*?)\}\}/g;
const NAME = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/;

/** A string's `{{ name }}` references resolved with one host's variables (recursively), or why not. */
function resolveFor(text: string, vars: Vars, depth = 0): Resolution {
  if (depth > 20) return { unresolved: 'its references go round in a circle: write the value' };
  const whole = text.match(/^\{\{(.*?)\}\}$/);
  const parts: string[] = [];
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    const name = match[1]!.match(NAME)?.[1];
    if (name === undefined) return { unresolved: `{{${match[1]}}} is a Jinja expression, which nodeform does not evaluate: write the value it had` };
    const value = vars[name];
    if (value === undefined || value === null || typeof value === 'object') {
      return { unresolved: `{{${match[1]}}} names no variable of this inventory (an Ansible fact or a role default?), and nodeform does not evaluate Jinja: write the value it had` };
    }
    const inner = typeof value === 'string' && value.includes('{{') ? resolveFor(value, vars, depth + 1) : { value };
    if ('unresolved' in inner) return inner;
    if (whole && whole[0] === text) return inner;
    parts.push(text.slice(last, match.index), String(inner.value));
    last = match.index + match[0].length;
  }
  return { value: parts.join('') + text.slice(last) };
}

/**
 * A value's Jinja references resolved for every host that sees it: the result when they all agree, else why not.
 * `hosts` holds each such host's name and variables.
 */
export function resolveJinja(text: string, hosts: readonly { name: string; vars: Vars }[]): Resolution {
  const results = hosts.map((host) => ({ host: host.name, result: resolveFor(text, host.vars) }));
  const resolved = results.filter((r): r is { host: string; result: { value: unknown } } => 'value' in r.result);
  if (resolved.length === 0) return results[0]?.result ?? { unresolved: 'no host sees it, so it cannot be resolved: write the value' };
  const values = new Map(resolved.map((r) => [JSON.stringify(r.result.value), r]));
  if (values.size > 1) {
    const each = [...values.values()].map((r) => `${r.host}: ${String(r.result.value)}`).join(', ');
    return { unresolved: `it means different things for the hosts that see it (${each}): write the value at each host` };
  }
  return resolved[0]!.result;
}
