// What a node gets when the operator does not say: per client (ports) and per network (chain id,
// checkpoint providers, where its files go). Plain data, shared by the schema, nodeSpecFor and docs.

import type { AlertKind, ConsensusClient, ExecutionClient, NetworkFiles, NetworkName } from '../clients/types.js';

export const CONSENSUS_CLIENTS = ['lighthouse', 'prysm', 'teku', 'nimbus', 'lodestar'] as const satisfies readonly ConsensusClient[];
export const EXECUTION_CLIENTS = ['geth', 'nethermind', 'besu', 'erigon'] as const satisfies readonly ExecutionClient[];
/** Networks an operator can name; `custom` needs the mapping form with config_source. */
export const NAMED_NETWORKS = ['ephemery', 'mainnet', 'hoodi', 'sepolia'] as const satisfies readonly NetworkName[];
export const NETWORK_NAMES = [...NAMED_NETWORKS, 'custom'] as const satisfies readonly NetworkName[];

/** Each client's own default ports (reference/clients.md); nethermind has no default metrics port. */
export const CONSENSUS_PORTS: Record<ConsensusClient, { p2p: number; http: number; metrics: number }> = {
  lighthouse: { p2p: 9000, http: 5052, metrics: 5054 },
  prysm: { p2p: 13000, http: 3500, metrics: 8080 },
  teku: { p2p: 9000, http: 5051, metrics: 8008 },
  nimbus: { p2p: 9000, http: 5052, metrics: 8008 },
  lodestar: { p2p: 9000, http: 9596, metrics: 8008 },
};

export const EXECUTION_PORTS: Record<ExecutionClient, { p2p: number; http: number; engine: number; metrics: number }> = {
  geth: { p2p: 30303, http: 8545, engine: 8551, metrics: 6060 },
  nethermind: { p2p: 30303, http: 8545, engine: 8551, metrics: 6060 },
  besu: { p2p: 30303, http: 8545, engine: 8551, metrics: 9545 },
  erigon: { p2p: 30303, http: 8545, engine: 8551, metrics: 6061 },
};

export const EPHEMERY_BASE_CHAIN_ID = 39438000;
export const EPHEMERY_RELEASES_URL = 'https://github.com/ephemery-testnet/ephemery-genesis/releases';

/** Chain ids of the networks whose genesis the clients carry built in. */
export const CHAIN_IDS: Record<Exclude<NetworkName, 'ephemery' | 'custom'>, number> = {
  mainnet: 1,
  hoodi: 560048,
  sepolia: 11155111,
};

/** Public checkpoint providers (eth-clients/checkpoint-sync-endpoints); the first is used until the providers quorum chooses. */
export const CHECKPOINT_PROVIDERS: Record<Exclude<NetworkName, 'custom'>, string[]> = {
  // eth-clients/checkpoint-sync-endpoints endpoints/ephemery.yaml lists these two only, in this order.
  ephemery: ['https://checkpointz.bordel.wtf', 'https://ephemery.beaconstate.ethstaker.cc'],
  mainnet: ['https://mainnet.checkpoint.sigp.io', 'https://beaconstate.info', 'https://beaconstate.ethstaker.cc'],
  hoodi: ['https://hoodi.beaconstate.ethstaker.cc', 'https://checkpoint-sync.hoodi.ethpandaops.io'],
  sepolia: ['https://sepolia.beaconstate.info', 'https://checkpoint-sync.sepolia.ethpandaops.io', 'https://beaconstate-sepolia.chainsafe.io'],
};

/**
 * Genesis validators roots of the networks whose genesis the clients carry built in (each network's
 * metadata/genesis_validators_root.txt in eth-clients/<network>): a provider answering another is on another chain.
 */
export const GENESIS_VALIDATORS_ROOTS: Record<Exclude<NetworkName, 'ephemery' | 'custom'>, string> = {
  mainnet: '0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95',
  sepolia: '0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078',
  hoodi: '0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f',
};

/** checkpointq's rule: more than 2/3 of the answering providers must agree on the finalized checkpoint. */
export const CHECKPOINT_QUORUM = 2 / 3;

export const NETWORK_ROOT = '/etc/ethereum';
export const JWT_PATH = `${NETWORK_ROOT}/jwt.hex`;

/** Where a network's own files sit on the host (Ephemery and custom networks). */
export function networkFiles(network: 'ephemery' | 'custom'): NetworkFiles {
  const dir = `${NETWORK_ROOT}/${network}`;
  return {
    dir,
    configYaml: `${dir}/config.yaml`,
    genesisSsz: `${dir}/genesis.ssz`,
    genesisJson: `${dir}/genesis.json`,
    bootEnrYaml: `${dir}/boot_enr.yaml`,
    depositContractBlock: `${dir}/deposit_contract_block.txt`,
  };
}

/**
 * Files of a config_source directory nodeform copies to the host; the first three must be there,
 * besu.json (Besu's genesis) and chainspec.json (Nethermind's) when those clients run.
 */
export const REQUIRED_NETWORK_FILES = ['config.yaml', 'genesis.ssz', 'genesis.json'] as const;
/**
 * deposit_contract_block_hash.txt: Nimbus refuses a network directory without it when config.yaml's
 * DEPOSIT_CONTRACT_ADDRESS is not zero (status-im/nimbus-eth2 beacon_chain/networking/network_metadata.nim,
 * loadEth2NetworkMetadata); test/unit/node/network-dir.test.ts holds what each consensus client reads.
 */
export const OPTIONAL_NETWORK_FILES = [
  'boot_enr.yaml',
  'bootstrap_nodes.txt',
  'boot_enode.txt',
  'deposit_contract_block.txt',
  'deposit_contract_block_hash.txt',
  'besu.json',
  'chainspec.json',
] as const;
export const NETWORK_SOURCE_FILES: readonly string[] = [...REQUIRED_NETWORK_FILES, ...OPTIONAL_NETWORK_FILES];

/**
 * The clients' own memory cache sizes, for the docs and the schema (nodeform renders none unless set): they count
 * different things, so the settings are per client (cache.lighthouse.*, cache.teku.*). Lighthouse: help_bn.md
 * --state-cache-size 128, --block-cache-size 0 since v8.0.0 (sigp/lighthouse#8066). Teku: StoreOptions.java
 * (hidden X-options) state 8, block 32.
 */
export const CLIENT_CACHE_DEFAULTS = {
  lighthouse: { stateCacheSize: 128, blockCacheSize: 0 },
  teku: { stateCacheSize: 8, blockCacheSize: 32 },
} as const;

/** Consensus clients whose memory caches nodeform sizes. */
export const CACHE_CLIENTS = ['lighthouse', 'teku'] as const;

export const CACHE_DEFAULTS = { enabled: false, directory: '/var/cache/nodeform', maxSizeMb: 1024, expiryHours: 24, compression: true } as const;

export const NETWORK_TUNING_DEFAULTS = {
  maxConcurrentRequests: 8,
  requestTimeoutSeconds: 30,
  retries: 3,
  backoff: { strategy: 'exponential', minSeconds: 1, maxSeconds: 30 },
} as const;

/**
 * The node's monitoring settings when not set. The stall policy equals src/monitor/sync.ts MONITOR_DEFAULTS
 * (a unit test holds them equal). The on-host monitor is on by default: it is the only thing that notices a
 * stalled node when no controller runs, it reads only the node's own APIs on the host, sends nothing until
 * alerts are configured, and costs a few local HTTP requests a minute.
 */
export const MONITORING_DEFAULTS = {
  metrics: false,
  metricsAddress: '127.0.0.1',
  monitor: true,
  intervalSeconds: 60,
  stall: { windowSeconds: 300, minSlotsPerWindow: 1, syncedDistance: 8, executionLagBlocks: 64, optimisticSeconds: 600 },
  alertIntervalSeconds: 300,
  historyMaxBytes: 1_048_576,
  textfileDirectory: '/var/lib/node_exporter/textfile_collector',
} as const;

/** Kinds of alert webhooks (monitoring.alerts[].kind); json when not said. */
export const ALERT_KINDS = ['json', 'slack', 'alertmanager'] as const satisfies readonly AlertKind[];

export const LISTEN_ADDRESS = '127.0.0.1';
