// A host's variables -> its NodeSpec, every default filled in. Pure: problems and warnings come
// back as paths into the variables (the variable's name first), which the caller turns into
// file:line:column through the variable's origin. The variables are expected to have passed the
// inventory schema: a value of the wrong type is ignored here (the schema reports it).

import { stringify } from 'yaml';
import type {
  AlertKind,
  AlertWebhook,
  CacheSpec,
  CheckpointSyncSpec,
  ConsensusClient,
  ConsensusSpec,
  ExecutionClient,
  ExecutionSpec,
  MonitoringSpec,
  NetworkName,
  NetworkSpec,
  NetworkTuningSpec,
  NodeSpec,
} from '../clients/types.js';
import { normalizeRemotePath, remotePathProblem } from '../inventory/checks.js';
import type { PathSegment } from '../inventory/source.js';
import {
  ALERT_KINDS,
  CACHE_CLIENTS,
  CACHE_DEFAULTS,
  CHAIN_IDS,
  CLIENT_CACHE_DEFAULTS,
  CHECKPOINT_PROVIDERS,
  CHECKPOINT_QUORUM,
  GENESIS_VALIDATORS_ROOTS,
  CONSENSUS_CLIENTS,
  CONSENSUS_PORTS,
  EPHEMERY_BASE_CHAIN_ID,
  EPHEMERY_RELEASES_URL,
  EXECUTION_CLIENTS,
  EXECUTION_PORTS,
  JWT_PATH,
  LISTEN_ADDRESS,
  MONITORING_DEFAULTS,
  NAMED_NETWORKS,
  NETWORK_NAMES,
  NETWORK_TUNING_DEFAULTS,
  networkFiles,
} from './defaults.js';
import { splitShellWords } from './words.js';

export interface NodeIssue {
  /** The host whose variables these are. */
  host: string;
  /** Path into the host's variables, the variable's name first: ['consensus', 'extra_args', 2]. Empty: no one variable. */
  path: PathSegment[];
  message: string;
  /** Point at the key rather than the value. */
  key?: boolean;
  /** Offset inside the string value (a word of a string extra_args). */
  column?: number;
}

/** Where one word of extraArgs was written. */
export interface ArgOrigin {
  path: PathSegment[];
  column?: number;
}

/** Where the network's own files come from; absent for networks the clients carry built in. */
export type NetworkSource =
  | { kind: 'directory'; path: string }
  | { kind: 'ephemery-release'; url: string; iteration: number | 'latest' };

export interface NodeSpecResult {
  /** Present when there are no problems. */
  spec?: NodeSpec;
  problems: NodeIssue[];
  warnings: NodeIssue[];
  networkSource?: NetworkSource;
  /** One entry per spec.<kind>.extraArgs word. */
  extraArgOrigins: { consensus: ArgOrigin[]; execution: ArgOrigin[] };
}

export interface NodeSpecOptions {
  /** The version a client gets when consensus/execution.version is not set (the profiles' targetVersion); else `latest`. */
  defaultVersions?: Partial<Record<ConsensusClient | ExecutionClient, string>>;
}

/** Names older inventories use, and the setting each now is. */
export const OLD_NODE_VARIABLES: Record<string, { variable: 'consensus' | 'execution' | 'checkpoint_sync'; key: string }> = {
  cl_client_name: { variable: 'consensus', key: 'client' },
  consensus_client: { variable: 'consensus', key: 'client' },
  el_client_name: { variable: 'execution', key: 'client' },
  execution_client: { variable: 'execution', key: 'client' },
  cl_extra_opts: { variable: 'consensus', key: 'extra_args' },
  el_extra_opts: { variable: 'execution', key: 'extra_args' },
  use_checkpoint_sync: { variable: 'checkpoint_sync', key: 'enabled' },
  checkpoint_sync_url: { variable: 'checkpoint_sync', key: 'url' },
};

type Vars = Record<string, unknown>;

function isRecord(value: unknown): value is Vars {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Booleans as the schema accepts them (Ansible's yes/no/on/off too); anything else is undefined. */
function nodeBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  if (['yes', 'true', 'on'].includes(lower)) return true;
  if (['no', 'false', 'off'].includes(lower)) return false;
  return undefined;
}

const integer = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) ? value : undefined);
const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/** An old variable's value in its new form: extra_args split into a list, booleans as booleans. */
export function newFormValue(name: string, value: unknown): unknown {
  const key = OLD_NODE_VARIABLES[name]?.key;
  if (key === 'extra_args' && typeof value === 'string') {
    const words = splitShellWords(value);
    return Array.isArray(words) ? words.map((w) => w.text) : value;
  }
  if (key === 'enabled') return nodeBoolean(value) ?? value;
  return value;
}

/** `consensus: { client: teku }`: how a warning shows the new form of an old variable. */
export function newFormText(name: string, value: unknown): string {
  const old = OLD_NODE_VARIABLES[name];
  if (!old) return name;
  const flow = stringify({ [old.variable]: { [old.key]: newFormValue(name, value) } }, { collectionStyle: 'flow' }).trim();
  return flow.slice(1, -1).trim();
}

class Collector {
  readonly problems: NodeIssue[] = [];
  readonly warnings: NodeIssue[] = [];
  constructor(private readonly host: string) {}
  problem(path: PathSegment[], message: string, extra: { key?: boolean; column?: number } = {}): void {
    this.problems.push({ host: this.host, path, message, ...extra });
  }
  warning(path: PathSegment[], message: string, extra: { key?: boolean } = {}): void {
    this.warnings.push({ host: this.host, path, message, ...extra });
  }
  /** A host path setting, normalised; a bad one is reported and replaced by the default. */
  hostPath(path: PathSegment[], value: unknown, fallback: string): string {
    if (typeof value !== 'string') return fallback;
    const problem = remotePathProblem(value);
    if (problem) {
      this.problem(path, problem);
      return fallback;
    }
    return normalizeRemotePath(value);
  }
}

/**
 * The value of a setting that an old variable may also give: the new one wins where both are set.
 * Each old variable present gets a warning showing its new form.
 */
function withOldNames(vars: Vars, variable: string, key: string, out: Collector): { value: unknown; path: PathSegment[] } | undefined {
  const mapping = isRecord(vars[variable]) ? vars[variable] : {};
  let found: { value: unknown; path: PathSegment[] } | undefined =
    mapping[key] !== undefined && mapping[key] !== null ? { value: mapping[key], path: [variable, key] } : undefined;
  for (const [name, target] of Object.entries(OLD_NODE_VARIABLES)) {
    if (target.variable !== variable || target.key !== key || vars[name] === undefined || vars[name] === null) continue;
    const shadowed = found ? `; ignored here, since ${found.path.join('.')} is set` : '';
    out.warning([name], `${name} is an old name: write ${newFormText(name, vars[name])}${shadowed} (nodeform import rewrites old inventories)`, { key: true });
    found ??= { value: vars[name], path: [name] };
  }
  return found;
}

/** The host's node, from its variables (inventory, play vars and -e merged). */
export function nodeSpecFor(vars: Vars, host: string, options: NodeSpecOptions = {}): NodeSpecResult {
  const out = new Collector(host);
  const network = readNetwork(vars, out);
  const consensus = readClient(vars, 'consensus', out, options);
  const execution = readClient(vars, 'execution', out, options);
  const checkpointSync = readCheckpointSync(vars, network?.spec.name, out);
  const cache = readCache(vars, out, consensus?.spec.client);
  const networkTuning = readTuning(vars, out);
  const monitoring = readMonitoring(vars, out);
  const extraArgOrigins = { consensus: consensus?.origins ?? [], execution: execution?.origins ?? [] };

  if (consensus && execution && networkTuning) {
    for (const [spec, tuned, kind] of [
      [consensus.spec, networkTuning.peersCl, 'consensus'],
      [execution.spec, networkTuning.peersEl, 'execution'],
    ] as const) {
      if (tuned === undefined) continue;
      if (spec.peers !== undefined && spec.peers !== tuned) {
        out.warning(['network_tuning', kind === 'consensus' ? 'peers_cl' : 'peers_el'], `overrides ${kind}.peers (${spec.peers}) with ${tuned}`);
      }
      spec.peers = tuned;
    }
    checkClash(consensus, execution, monitoring.metrics, out);
  }

  const result: NodeSpecResult = {
    problems: out.problems,
    warnings: out.warnings,
    extraArgOrigins,
    ...(network?.source ? { networkSource: network.source } : {}),
  };
  if (out.problems.length > 0 || !network || !consensus || !execution || !checkpointSync || !networkTuning) return result;
  result.spec = {
    network: network.spec,
    consensus: consensus.spec,
    execution: execution.spec,
    checkpointSync,
    cache,
    networkTuning,
    monitoring,
    jwtPath: JWT_PATH,
  };
  return result;
}

function readNetwork(vars: Vars, out: Collector): { spec: NetworkSpec; source?: NetworkSource } | undefined {
  const raw = vars.network;
  if (raw === undefined || raw === null) {
    out.problem([], `network is not set: choose ${NAMED_NETWORKS.join(', ')}, or a custom network { name: custom, config_source: DIR }`);
    return undefined;
  }
  const mapping: Vars = isRecord(raw) ? raw : {};
  const name = (typeof raw === 'string' ? raw : mapping.name) as NetworkName;
  if (!(NETWORK_NAMES as readonly string[]).includes(name) || (typeof raw === 'string' && name === 'custom')) return undefined;

  const at = (key: string): PathSegment[] => ['network', key];
  const onlyFor = (key: string, network: NetworkName, why: string): void => {
    if (mapping[key] !== undefined && name !== network) out.problem(at(key), `${key} applies to ${network} only: ${why}`, { key: true });
  };
  onlyFor('iteration', 'ephemery', 'other networks do not reset');
  onlyFor('release_url', 'ephemery', 'other networks have no releases to follow');
  onlyFor('config_source', 'custom', 'ephemery\'s files come from its releases; mainnet, hoodi and sepolia are built into the clients');

  const spec: NetworkSpec = {
    name,
    bootnodesCl: Array.isArray(mapping.bootnodes_cl) ? mapping.bootnodes_cl.filter((b): b is string => typeof b === 'string') : [],
    bootnodesEl: Array.isArray(mapping.bootnodes_el) ? mapping.bootnodes_el.filter((b): b is string => typeof b === 'string') : [],
  };
  const chainId = integer(mapping.chain_id);
  let source: NetworkSource | undefined;
  if (name === 'ephemery') {
    const iteration = integer(mapping.iteration);
    if (iteration !== undefined) {
      spec.iteration = iteration;
      spec.chainId = EPHEMERY_BASE_CHAIN_ID + iteration;
    }
    if (chainId !== undefined && chainId !== spec.chainId) {
      out.problem(
        at('chain_id'),
        iteration === undefined
          ? 'ephemery\'s chain id follows its iteration: set network.iteration instead'
          : `iteration ${iteration} is chain id ${spec.chainId}, not ${chainId}: remove chain_id or fix it`,
      );
    }
    spec.files = networkFiles('ephemery');
    source = { kind: 'ephemery-release', url: trimSlash(text(mapping.release_url) ?? EPHEMERY_RELEASES_URL), iteration: iteration ?? 'latest' };
  } else if (name === 'custom') {
    const dir = text(mapping.config_source);
    if (dir === undefined) out.problem(['network'], 'a custom network needs config_source: the directory holding its config.yaml, genesis.ssz and genesis.json');
    else source = { kind: 'directory', path: dir };
    if (chainId !== undefined) spec.chainId = chainId;
    spec.files = networkFiles('custom');
  } else {
    spec.chainId = CHAIN_IDS[name];
    spec.genesis = { validatorsRoot: GENESIS_VALIDATORS_ROOTS[name] };
    if (chainId !== undefined && chainId !== spec.chainId) out.problem(at('chain_id'), `${name}'s chain id is ${spec.chainId}: remove chain_id`);
  }
  return { spec, ...(source ? { source } : {}) };
}

interface ClientRead<S> {
  spec: S;
  origins: ArgOrigin[];
  /** Which settings were given (not defaulted), by dotted name, with their paths. */
  given: Map<string, PathSegment[]>;
}

function readClient(vars: Vars, kind: 'consensus', out: Collector, options: NodeSpecOptions): ClientRead<ConsensusSpec> | undefined;
function readClient(vars: Vars, kind: 'execution', out: Collector, options: NodeSpecOptions): ClientRead<ExecutionSpec> | undefined;
function readClient(vars: Vars, kind: 'consensus' | 'execution', out: Collector, options: NodeSpecOptions): ClientRead<ConsensusSpec | ExecutionSpec> | undefined {
  const names: readonly string[] = kind === 'consensus' ? CONSENSUS_CLIENTS : EXECUTION_CLIENTS;
  const mapping: Vars = isRecord(vars[kind]) ? (vars[kind]) : {};
  const clientSetting = withOldNames(vars, kind, 'client', out);
  const extraSetting = withOldNames(vars, kind, 'extra_args', out);
  if (clientSetting === undefined) {
    out.problem(vars[kind] === undefined ? [] : [kind], `${kind}.client is not set: choose ${names.join(', ')}`);
    return undefined;
  }
  const client = clientSetting.value;
  if (typeof client !== 'string' || !names.includes(client)) return undefined;

  const at = (key: string): PathSegment[] => [kind, key];
  const given = new Map<string, PathSegment[]>();
  const portsGiven: Vars = isRecord(mapping.ports) ? mapping.ports : {};
  const defaults: Record<string, number> =
    kind === 'consensus' ? CONSENSUS_PORTS[client as ConsensusClient] : EXECUTION_PORTS[client as ExecutionClient];
  const ports: Record<string, number> = {};
  for (const [port, fallback] of Object.entries(defaults)) {
    const value = integer(portsGiven[port]);
    ports[port] = value ?? fallback;
    if (value !== undefined) given.set(`ports.${port}`, [kind, 'ports', port]);
  }
  for (const key of ['user', 'data_dir']) if (mapping[key] !== undefined) given.set(key, at(key));

  const extra = readExtraArgs(extraSetting, out);
  const peers = integer(mapping.peers);
  const common = {
    version: text(mapping.version) ?? options.defaultVersions?.[client as ConsensusClient | ExecutionClient] ?? 'latest',
    binary: out.hostPath(at('binary'), mapping.binary, `/usr/local/bin/${client}`),
    dataDir: out.hostPath(at('data_dir'), mapping.data_dir, `/var/lib/${client}`),
    user: text(mapping.user) ?? client,
    listenAddress: text(mapping.listen_address) ?? LISTEN_ADDRESS,
    ...(peers !== undefined ? { peers } : {}),
    extraArgs: extra.words,
    ...(isRecord(mapping.install) && typeof mapping.install.url === 'string' && typeof mapping.install.sha256 === 'string'
      ? {
          install: {
            url: mapping.install.url,
            sha256: mapping.install.sha256,
            ...(typeof mapping.install.archive_path === 'string' ? { archivePath: mapping.install.archive_path } : {}),
          },
        }
      : {}),
  };
  const spec =
    kind === 'consensus'
      ? ({ client: client as ConsensusClient, ...common, ports: ports as ConsensusSpec['ports'] } satisfies ConsensusSpec)
      : ({ client: client as ExecutionClient, ...common, ports: ports as ExecutionSpec['ports'] } satisfies ExecutionSpec);
  return { spec, origins: extra.origins, given };
}

function readExtraArgs(setting: { value: unknown; path: PathSegment[] } | undefined, out: Collector): { words: string[]; origins: ArgOrigin[] } {
  if (!setting) return { words: [], origins: [] };
  const { value, path } = setting;
  if (Array.isArray(value)) {
    const words: string[] = [];
    const origins: ArgOrigin[] = [];
    value.forEach((word, index) => {
      if (typeof word !== 'string') return;
      words.push(word);
      origins.push({ path: [...path, index] });
    });
    return { words, origins };
  }
  if (typeof value !== 'string') return { words: [], origins: [] };
  const split = splitShellWords(value);
  if (!Array.isArray(split)) {
    out.problem(path, split.message, { column: split.offset });
    return { words: [], origins: [] };
  }
  return { words: split.map((w) => w.text), origins: split.map((w) => ({ path, column: w.offset })) };
}

/** Two settings on one port, or two clients sharing a user or data directory, cannot work. */
function checkClash(consensus: ClientRead<ConsensusSpec>, execution: ClientRead<ExecutionSpec>, metrics: boolean, out: Collector): void {
  const seen = new Map<number, { setting: string; path: PathSegment[] | undefined }>();
  for (const [read, kind] of [
    [consensus, 'consensus'],
    [execution, 'execution'],
  ] as const) {
    for (const [name, port] of Object.entries(read.spec.ports)) {
      if (name === 'metrics' && !metrics) continue;
      const setting = `${kind}.ports.${name}`;
      const path = read.given.get(`ports.${name}`);
      const earlier = seen.get(port);
      if (earlier === undefined) seen.set(port, { setting, path });
      else out.problem(path ?? earlier.path ?? [], `port ${port} is used by both ${earlier.setting} and ${setting}: give one of them another port`);
    }
  }
  if (consensus.spec.user === execution.spec.user) {
    out.problem(execution.given.has('user') ? ['execution', 'user'] : ['consensus', 'user'], `both clients would run as user ${execution.spec.user}: each needs its own user`);
  }
  const a = consensus.spec.dataDir;
  const b = execution.spec.dataDir;
  if (a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`)) {
    out.problem(
      execution.given.has('data_dir') ? ['execution', 'data_dir'] : ['consensus', 'data_dir'],
      `the data directories ${a} and ${b} overlap: each client needs its own`,
    );
  }
}

function readCheckpointSync(vars: Vars, network: NetworkName | undefined, out: Collector): CheckpointSyncSpec | undefined {
  const mapping: Vars = isRecord(vars.checkpoint_sync) ? vars.checkpoint_sync : {};
  const at = (key: string): PathSegment[] => ['checkpoint_sync', key];
  const enabledSetting = withOldNames(vars, 'checkpoint_sync', 'enabled', out);
  const urlSetting = withOldNames(vars, 'checkpoint_sync', 'url', out);
  const declaredUrl = typeof urlSetting?.value === 'string' ? trimSlash(urlSetting.value) : undefined;
  const declaredProviders = Array.isArray(mapping.providers) ? mapping.providers.filter((p): p is string => typeof p === 'string').map(trimSlash) : undefined;
  // A URL given alone means that provider only; the network's public ones are the default otherwise.
  const listed = declaredProviders ?? (declaredUrl !== undefined || network === undefined || network === 'custom' ? [] : CHECKPOINT_PROVIDERS[network]);
  // A declared url is the preferred provider: first in the list, still cross-checked with the others.
  const providers = [...new Set([...(declaredUrl !== undefined ? [declaredUrl] : []), ...listed])];
  const url = providers[0];
  const source = mapping.source === 'fleet-cache' ? 'fleet-cache' : 'provider';
  const stateFile = mapping.state_file === undefined ? undefined : out.hostPath(at('state_file'), mapping.state_file, '');
  const blockFile = mapping.block_file === undefined ? undefined : out.hostPath(at('block_file'), mapping.block_file, '');
  if (blockFile !== undefined && mapping.state_file === undefined) out.problem(at('block_file'), 'block_file needs state_file: the state it belongs to', { key: true });
  if (source === 'fleet-cache' && mapping.state_file !== undefined) {
    out.problem(at('state_file'), 'state_file and source: fleet-cache both say where the client starts from: keep one', { key: true });
  }

  const enabled = nodeBoolean(enabledSetting?.value) ?? (url !== undefined || Boolean(stateFile));
  if (enabled && url === undefined && !stateFile) {
    out.problem(enabledSetting?.path ?? ['checkpoint_sync'], 'checkpoint sync needs somewhere to start from: set checkpoint_sync.providers (or url), or state_file');
    return undefined;
  }
  const quorum = typeof mapping.quorum === 'number' ? mapping.quorum : CHECKPOINT_QUORUM;
  return {
    enabled,
    ...(url !== undefined ? { url } : {}),
    alternatives: providers.filter((p) => p !== url),
    providers,
    quorum,
    source,
    fallback: nodeBoolean(mapping.fallback) ?? true,
    ...(stateFile ? { stateFile } : {}),
    ...(blockFile ? { blockFile } : {}),
    backfill: nodeBoolean(mapping.backfill) ?? false,
  };
}

/**
 * The consensus client's own memory caches: cache.<client>.state_cache_size / block_cache_size for Lighthouse
 * and Teku. The old one-number cache.state_cache_size / block_cache_size meant a different thing on each (Lighthouse
 * 128 states by default, Teku 8): still read for the host's client, with a warning naming the per-client setting.
 */
function clientCaches(mapping: Vars, client: ConsensusClient | undefined, out: Collector): Pick<CacheSpec, 'stateCacheSize' | 'blockCacheSize'> {
  const cacheClient = CACHE_CLIENTS.find((name) => name === client);
  const own: Vars = cacheClient && isRecord(mapping[cacheClient]) ? mapping[cacheClient] : {};
  const caches: Pick<CacheSpec, 'stateCacheSize' | 'blockCacheSize'> = {};
  for (const [key, name] of [['state_cache_size', 'stateCacheSize'], ['block_cache_size', 'blockCacheSize']] as const) {
    const old = integer(mapping[key]);
    if (old !== undefined) {
      out.warning(
        ['cache', key],
        `cache.${key} is an old name: Lighthouse and Teku size their caches differently (${describeDefaults(key)}), so the setting is per client: ` +
          `write cache.lighthouse.${key} and/or cache.teku.${key}. Until then it is read as the host's consensus client's own (no other client has one)`,
        { key: true },
      );
    }
    const value = integer(own[key]) ?? (cacheClient ? old : undefined);
    if (value !== undefined) caches[name] = value;
  }
  return caches;
}

function describeDefaults(key: 'state_cache_size' | 'block_cache_size'): string {
  const name = key === 'state_cache_size' ? 'stateCacheSize' : 'blockCacheSize';
  return CACHE_CLIENTS.map((client) => `${client === 'lighthouse' ? 'Lighthouse' : 'Teku'}'s default ${CLIENT_CACHE_DEFAULTS[client][name]}`).join(', ');
}

function readCache(vars: Vars, out: Collector, client: ConsensusClient | undefined): CacheSpec {
  const mapping: Vars = isRecord(vars.cache) ? vars.cache : {};
  const optional = (key: string, name: keyof CacheSpec) => {
    const value = integer(mapping[key]);
    return value !== undefined ? { [name]: value } : {};
  };
  return {
    enabled: nodeBoolean(mapping.enabled) ?? CACHE_DEFAULTS.enabled,
    directory: out.hostPath(['cache', 'directory'], mapping.directory, CACHE_DEFAULTS.directory),
    maxSizeMb: integer(mapping.max_size_mb) ?? CACHE_DEFAULTS.maxSizeMb,
    ...clientCaches(mapping, client, out),
    ...optional('execution_cache_mb', 'executionCacheMb'),
    expiryHours: integer(mapping.expiry_hours) ?? CACHE_DEFAULTS.expiryHours,
    compression: nodeBoolean(mapping.compression) ?? CACHE_DEFAULTS.compression,
  };
}

function readTuning(vars: Vars, out: Collector): NetworkTuningSpec | undefined {
  const mapping: Vars = isRecord(vars.network_tuning) ? vars.network_tuning : {};
  const backoff: Vars = isRecord(mapping.backoff) ? mapping.backoff : {};
  const defaults = NETWORK_TUNING_DEFAULTS;
  const minSeconds = number(backoff.min_seconds) ?? defaults.backoff.minSeconds;
  const maxSeconds = number(backoff.max_seconds) ?? Math.max(defaults.backoff.maxSeconds, minSeconds);
  if (minSeconds > maxSeconds) {
    out.problem(['network_tuning', 'backoff', backoff.max_seconds !== undefined ? 'max_seconds' : 'min_seconds'], `min_seconds (${minSeconds}) is above max_seconds (${maxSeconds})`);
    return undefined;
  }
  const peersCl = integer(mapping.peers_cl);
  const peersEl = integer(mapping.peers_el);
  return {
    maxConcurrentRequests: integer(mapping.max_concurrent_requests) ?? defaults.maxConcurrentRequests,
    requestTimeoutSeconds: integer(mapping.request_timeout_seconds) ?? defaults.requestTimeoutSeconds,
    retries: integer(mapping.retries) ?? defaults.retries,
    backoff: { strategy: backoff.strategy === 'fixed' ? 'fixed' : defaults.backoff.strategy, minSeconds, maxSeconds },
    ...(peersCl !== undefined ? { peersCl } : {}),
    ...(peersEl !== undefined ? { peersEl } : {}),
  };
}

function readMonitoring(vars: Vars, out: Collector): MonitoringSpec {
  const mapping: Vars = isRecord(vars.monitoring) ? vars.monitoring : {};
  const defaults = MONITORING_DEFAULTS;
  const alerts: AlertWebhook[] = [];
  for (const entry of Array.isArray(mapping.alerts) ? mapping.alerts : []) {
    if (!isRecord(entry) || typeof entry.url !== 'string') continue;
    const kind = (ALERT_KINDS as readonly unknown[]).includes(entry.kind) ? (entry.kind as AlertKind) : 'json';
    alerts.push({ url: entry.url, kind });
  }
  const spec: MonitoringSpec = {
    metrics: nodeBoolean(mapping.metrics) ?? defaults.metrics,
    metricsAddress: text(mapping.metrics_address) ?? defaults.metricsAddress,
    monitor: nodeBoolean(mapping.monitor) ?? defaults.monitor,
    intervalSeconds: integer(mapping.interval_seconds) ?? defaults.intervalSeconds,
    stall: {
      windowSeconds: integer(mapping.window_seconds) ?? defaults.stall.windowSeconds,
      minSlotsPerWindow: integer(mapping.min_slots_per_window) ?? defaults.stall.minSlotsPerWindow,
      syncedDistance: integer(mapping.synced_distance) ?? defaults.stall.syncedDistance,
      executionLagBlocks: integer(mapping.execution_lag_blocks) ?? defaults.stall.executionLagBlocks,
      optimisticSeconds: integer(mapping.optimistic_seconds) ?? defaults.stall.optimisticSeconds,
    },
    alerts,
    alertIntervalSeconds: integer(mapping.alert_interval_seconds) ?? defaults.alertIntervalSeconds,
    historyMaxBytes: integer(mapping.history_max_bytes) ?? defaults.historyMaxBytes,
    textfileDirectory: out.hostPath(['monitoring', 'textfile_directory'], mapping.textfile_directory, defaults.textfileDirectory),
  };
  // Speed needs two samples inside a window: a window shorter than two runs of the monitor never sees a stall.
  if (spec.monitor && spec.stall.windowSeconds < 2 * spec.intervalSeconds) {
    const at = mapping.window_seconds !== undefined ? 'window_seconds' : 'interval_seconds';
    out.problem(
      ['monitoring', at],
      `window_seconds (${spec.stall.windowSeconds}) must be at least twice interval_seconds (${spec.intervalSeconds}): the on-host monitor needs two samples inside a window to measure progress`,
    );
  }
  return spec;
}
