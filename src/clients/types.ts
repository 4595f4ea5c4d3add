// The node model: what an operator declares for one host (after defaults), and what a client profile
// turns it into. Pure data; every profile is a pure function of a NodeSpec.

import type { Setting } from './settings.js';

export type ConsensusClient = 'lighthouse' | 'prysm' | 'teku' | 'nimbus' | 'lodestar';
export type ExecutionClient = 'geth' | 'nethermind' | 'besu' | 'erigon';
export type NetworkName = 'ephemery' | 'mainnet' | 'hoodi' | 'sepolia' | 'custom';

/** Where the network's own files sit on the host (custom networks and Ephemery). */
export interface NetworkFiles {
  /** Directory holding config.yaml, genesis.ssz, genesis.json, boot_enr.yaml, deposit_contract_block.txt, ... */
  dir: string;
  /** CL config (config.yaml) path on the host. */
  configYaml: string;
  /** SSZ genesis state path on the host. */
  genesisSsz: string;
  /** EL genesis (genesis.json) path on the host. */
  genesisJson: string;
  /** Lighthouse-style testnet dir parts. */
  bootEnrYaml: string;
  depositContractBlock: string;
}

export interface NetworkSpec {
  name: NetworkName;
  /** Execution chain id / network id (Ephemery: 39438000 + iteration). Set for custom and Ephemery. */
  chainId?: number;
  /** Ephemery iteration the host runs, when the network is Ephemery. */
  iteration?: number;
  /** Present when the clients must be pointed at files (Ephemery and custom networks). */
  files?: NetworkFiles;
  /** Consensus bootnodes (ENRs) and execution bootnodes (enodes). */
  bootnodesCl: string[];
  bootnodesEl: string[];
  /**
   * The chain's genesis, to tell a provider on another chain (a stale Ephemery iteration) from one on this:
   * built in for named networks, read from genesis.ssz for Ephemery and custom networks.
   */
  genesis?: { validatorsRoot: string; time?: string };
  /** The consensus preset (config.yaml's PRESET_BASE): how SSZ states and blocks of this chain are shaped. */
  preset?: 'mainnet' | 'minimal';
}

export interface ClientCommon {
  /** The release this host runs; the profile says which versions it supports. */
  version: string;
  /** Absolute path of the executable on the host. */
  binary: string;
  /** Chain data directory on the host. */
  dataDir: string;
  /** System user the service runs as. */
  user: string;
  /** Address APIs listen on (default 127.0.0.1; the lab uses each host's own address). */
  listenAddress: string;
  /** Peer target; undefined leaves the client's default. */
  peers?: number;
  /** Extra arguments, already split (strings are split with shell-word rules by the loader). */
  extraArgs: string[];
  /** Where the controller gets the binary from, to install it on hosts that lack it. */
  install?: InstallSpec;
}

export interface InstallSpec {
  url: string;
  /** sha256 of what the URL serves (the archive, when archivePath is set). */
  sha256: string;
  /** The executable's path inside a .tar.gz the URL serves; absent when the URL serves the executable itself. */
  archivePath?: string;
}

export interface ConsensusSpec extends ClientCommon {
  client: ConsensusClient;
  ports: { p2p: number; http: number; metrics: number };
}

export interface ExecutionSpec extends ClientCommon {
  client: ExecutionClient;
  ports: { p2p: number; http: number; engine: number; metrics: number };
}

export interface CheckpointSyncSpec {
  enabled: boolean;
  /**
   * The provider to sync from: the first declared until the providers are probed, then the first agreeing
   * provider that serves states (src/node/checkpoint.ts).
   */
  url?: string;
  /** Ordered alternatives, for clients or services that can use more than one. */
  alternatives: string[];
  /** Every provider declared (url first when given), most preferred first: what is probed and cross-checked. */
  providers: string[];
  /** A finalized checkpoint is trusted when more than this fraction of the answering providers agree. */
  quorum: number;
  /** provider: clients start from the chosen provider's URL; fleet-cache: from files the controller downloaded once. */
  source: 'provider' | 'fleet-cache';
  /** Install the on-host fallback service that switches a not-yet-synced client to another agreeing provider. */
  fallback: boolean;
  /** The finalized checkpoint the providers agreed on, once they were probed and cross-checked. */
  quorumCheckpoint?: { epoch: number; root: string };
  /** Start from files instead of a URL (the fleet cache). */
  stateFile?: string;
  blockFile?: string;
  /** Fill history back to genesis after a checkpoint start. */
  backfill: boolean;
}

export interface CacheSpec {
  enabled: boolean;
  directory: string;
  maxSizeMb: number;
  /** States the host's consensus client keeps in memory: cache.lighthouse / cache.teku .state_cache_size, for that client. */
  stateCacheSize?: number;
  /** Blocks it keeps in memory: cache.lighthouse / cache.teku .block_cache_size, for that client. */
  blockCacheSize?: number;
  /** Execution client's database cache in MB, where it has such a setting. */
  executionCacheMb?: number;
  expiryHours: number;
  compression: boolean;
}

export interface NetworkTuningSpec {
  maxConcurrentRequests: number;
  requestTimeoutSeconds: number;
  retries: number;
  backoff: { strategy: 'exponential' | 'fixed'; minSeconds: number; maxSeconds: number };
  /** Peer targets: override consensus.peers / execution.peers when set. */
  peersCl?: number;
  peersEl?: number;
}

/** How an alert is told: a generic JSON POST, a Slack-compatible `{ text }`, or Prometheus Alertmanager's API v2. */
export type AlertKind = 'json' | 'slack' | 'alertmanager';

export interface AlertWebhook {
  /** A secret: it may carry credentials or a token (or come from a vault value); never shown, never on a command line. */
  url: string;
  kind: AlertKind;
}

/**
 * When a node counts as stalled or lagging: the same fields as src/monitor/sync.ts StallPolicy, which the status
 * command and the on-host monitor judge by (test/unit/node/monitoring.test.ts keeps the defaults equal).
 */
export interface StallSettings {
  windowSeconds: number;
  minSlotsPerWindow: number;
  syncedDistance: number;
  executionLagBlocks: number;
  optimisticSeconds: number;
}

export interface MonitoringSpec {
  metrics: boolean;
  /** Address metrics endpoints listen on. */
  metricsAddress: string;
  /** Install the on-host monitor (a systemd service and timer). */
  monitor: boolean;
  /** How often the on-host monitor's timer runs it. */
  intervalSeconds: number;
  stall: StallSettings;
  /** Where stalls, recoveries and outages are told (by the on-host monitor and by `nodeform status`). */
  alerts: AlertWebhook[];
  /** At most one alert per host within this many seconds (the rate limit). */
  alertIntervalSeconds: number;
  /** The per-host sample history (JSON lines) is kept below this size. */
  historyMaxBytes: number;
  /** node_exporter's textfile collector directory, where the on-host monitor writes nodeform.prom. */
  textfileDirectory: string;
}

/** One host's node, with every default filled in. */
export interface NodeSpec {
  network: NetworkSpec;
  consensus: ConsensusSpec;
  execution: ExecutionSpec;
  checkpointSync: CheckpointSyncSpec;
  cache: CacheSpec;
  networkTuning: NetworkTuningSpec;
  monitoring: MonitoringSpec;
  /** Engine API JWT secret file on the host (generated there, never read back). */
  jwtPath: string;
}

/** A config file a client needs besides its command line. */
export interface ClientFile {
  path: string;
  content: string;
  mode: string;
}

/** Why a declared setting has no effect on this client. Shown in the plan. */
export interface NotApplicable {
  /** The NodeSpec setting, dotted: `cache.state_cache_size`. */
  setting: Setting;
  reason: string;
}

export interface ClientRendering {
  /** The service's command line: binary first, then arguments (each a separate word). */
  argv: string[];
  /** Config files the client reads. */
  files: ClientFile[];
  /** Directories the client writes, owned by its user. */
  dataDirs: string[];
  /** Paths under dataDir that hold the node's identity (p2p keys, node key): kept when chain data is wiped. */
  identityPaths: string[];
  /** Paths under dataDir that hold chain data: removed by a wipe (an Ephemery reset, reset --wipe-data). */
  chainDataPaths: string[];
  /** One-shot step before first start (geth/erigon `init` with genesis.json), as argv. */
  initArgv?: string[];
  /** Where its API answers once running. */
  health: { kind: 'beacon-api' | 'json-rpc'; url: string };
  /** Settings declared that this client has no flag for. */
  notApplicable: NotApplicable[];
  /**
   * Settings the client reads from an environment variable rather than its command line (a secret stays out of
   * /proc/PID/cmdline, which every user of the host can read): each goes to the environment file of its
   * setting's area (src/clients/settings.ts), whose mode keeps it from other users.
   */
  environment?: EnvironmentSetting[];
  /**
   * The checkpoint settings as a YAML file the client loads (`flag` names it on the command line) rather than its
   * command line (Prysm's --config-file): `name: value` per entry, in the node's checkpoint file (`.yaml`).
   */
  checkpointConfig?: { flag: string; entries: EnvironmentSetting[] };
  /** Settings whose value carries a secret that this client can take only on its command line: the plan warns. */
  argvSecrets?: NotApplicable[];
  /**
   * Flags nodeform sets itself, with the setting that owns each: a flag here that also appears in
   * extra_args is a configuration error naming that setting.
   */
  managedFlags: Record<string, Setting>;
}

/** An environment variable a client reads for one of its options. */
export interface EnvironmentSetting {
  name: string;
  /** One word: no whitespace, quotes or backslashes (systemd reads the environment file). */
  value: string;
  setting: Setting;
}

export interface ClientProfile {
  name: ConsensusClient | ExecutionClient;
  kind: 'consensus' | 'execution';
  /** The client release whose flags this profile renders (checked against its flag reference). */
  targetVersion: string;
  /** Oldest release the rendered flags work with. */
  minVersion: string;
  render(node: NodeSpec): ClientRendering;
}

/** One row of a client's flag reference: a flag that exists in the pinned release, and where that is written. */
export interface FlagReference {
  flag: string;
  /** Release the flag was checked against. */
  version: string;
  /** Where the flag is documented in the client's own repository or docs. */
  source: string;
  /** Takes a value (`--datadir DIR`) or is a switch. */
  takesValue: boolean;
  /**
   * What the flag configures, for tools that read a command line back (the lab's stand-in clients
   * listen where these say): http-port, http-address, engine-port, metrics-port, p2p-port, datadir, jwt.
   */
  role?: 'http-port' | 'http-address' | 'engine-port' | 'engine-address' | 'metrics-port' | 'metrics-address' | 'p2p-port' | 'datadir' | 'jwt';
}
