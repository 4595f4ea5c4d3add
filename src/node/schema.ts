// The node variables' schema (network, consensus, execution, checkpoint_sync, cache, network_tuning,
// monitoring and the old names): part of the inventory's schema, which composes it. Plain data.

import {
  ALERT_KINDS,
  CACHE_DEFAULTS,
  CLIENT_CACHE_DEFAULTS,
  CONSENSUS_CLIENTS,
  EPHEMERY_RELEASES_URL,
  EXECUTION_CLIENTS,
  LISTEN_ADDRESS,
  MONITORING_DEFAULTS,
  NAMED_NETWORKS,
  NETWORK_NAMES,
  NETWORK_TUNING_DEFAULTS,
} from './defaults.js';
import { ansibleBoolean, port, posixName, type JsonSchema, type KnownVariable } from '../inventory/schema-parts.js';

const VERSION_PATTERN = '^v?[0-9]+(\\.[0-9]+){0,3}([-+][0-9A-Za-z.+-]+)?$';
/** An IPv4 address, or an IPv6 one (checked loosely: hex digits and colons). */
const IP_PATTERN = '^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$';

const url = (description: string): JsonSchema => ({
  type: 'string',
  pattern: '^https?://[^\\s]+$',
  errorMessage: 'must be an http:// or https:// URL',
  description,
});

const hostPath = (description: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  errorMessage: 'must be an absolute path on the host',
  description: `${description} An absolute path on the host.`,
});

const ipAddress = (description: string): JsonSchema => ({
  type: 'string',
  pattern: IP_PATTERN,
  errorMessage: 'must be an IP address like 127.0.0.1 or 0.0.0.0',
  description,
});

const count = (minimum: number, maximum: number, description: string): JsonSchema => ({
  type: 'integer',
  minimum,
  maximum,
  errorMessage: `must be an integer from ${minimum} to ${maximum}`,
  description,
});

const seconds = (description: string): JsonSchema => ({
  type: 'number',
  minimum: 0,
  maximum: 86400,
  errorMessage: 'must be a number of seconds from 0 to 86400',
  description,
});

const extraArgs = (description: string): JsonSchema => ({
  type: ['string', 'array'],
  items: { type: 'string' },
  errorMessage: 'must be a list of arguments, or one string of them (split as a shell splits words)',
  description,
});

const peers = (description: string): JsonSchema => count(1, 10000, description);

const clientNames = (kind: 'consensus' | 'execution'): JsonSchema => {
  const names = kind === 'consensus' ? CONSENSUS_CLIENTS : EXECUTION_CLIENTS;
  return { enum: [...names], errorMessage: `must be ${kind === 'consensus' ? 'a' : 'an'} ${kind} client: ${names.join(', ')}` };
};

const nodeBoolean = (description: string): JsonSchema => ({ ...ansibleBoolean, description });

function clientSchema(kind: 'consensus' | 'execution'): JsonSchema {
  const example = kind === 'consensus' ? 'lighthouse' : 'geth';
  const ports: Record<string, JsonSchema> = {
    p2p: { ...port, description: 'Peer-to-peer port (TCP and UDP). Default: the client\'s own.' },
    http: { ...port, description: `${kind === 'consensus' ? 'Beacon API' : 'JSON-RPC'} port. Default: the client's own.` },
    ...(kind === 'execution' ? { engine: { ...port, description: 'Engine API port the consensus client talks to. Default: 8551.' } } : {}),
    metrics: { ...port, description: 'Metrics port (when monitoring.metrics is on). Default: the client\'s own.' },
  };
  return {
    description: `The ${kind} client of the node (see docs/node.md).`,
    type: 'object',
    errorMessage: `must be a mapping like { client: ${example} }`,
    additionalProperties: false,
    properties: {
      client: { ...clientNames(kind), description: `Which ${kind} client: ${(kind === 'consensus' ? CONSENSUS_CLIENTS : EXECUTION_CLIENTS).join(', ')}.` },
      version: {
        type: 'string',
        pattern: VERSION_PATTERN,
        errorMessage: 'must be a release version like 5.3.0 or v1.14.11, quoted',
        description: 'The release installed on the host. Default: the release nodeform\'s flags were checked against.',
      },
      binary: hostPath('The executable. Default: /usr/local/bin/<client>.'),
      install: {
        description: 'Install the binary from here on hosts that lack it: the controller downloads it once, checks the sha256, and uploads it only where the host\'s copy differs.',
        type: 'object',
        errorMessage: 'must be a mapping like { url: https://..., sha256: <64 hex digits> }',
        required: ['url', 'sha256'],
        additionalProperties: false,
        properties: {
          url: { type: 'string', pattern: '^https?://\\S+$', errorMessage: 'must be an http(s) URL', description: 'Where the release is downloaded from.' },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', errorMessage: 'must be 64 lower-case hex digits', description: 'sha256 of what the URL serves.' },
          archive_path: { type: 'string', minLength: 1, description: 'Path of the executable inside a .tar.gz the URL serves.' },
        },
      },
      data_dir: hostPath('Chain data directory. Default: /var/lib/<client>.'),
      user: { ...posixName, description: 'System user the service runs as. Default: the client name.' },
      listen_address: ipAddress(`Address the client's APIs listen on. Default: ${LISTEN_ADDRESS}.`),
      ports: {
        description: 'Ports; each defaults to the client\'s own.',
        type: 'object',
        errorMessage: 'must be a mapping of port names to ports',
        additionalProperties: false,
        properties: ports,
      },
      peers: peers('Peer target. Default: the client\'s own.'),
      extra_args: extraArgs('More command-line arguments: a list, or one string split as a shell splits words. Flags nodeform sets itself are refused.'),
    },
  };
}

const networkMapping: JsonSchema = {
  type: 'object',
  errorMessage: 'must be a network name or a mapping with name',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { enum: [...NETWORK_NAMES], errorMessage: `must be one of: ${NETWORK_NAMES.join(', ')}`, description: 'The network.' },
    iteration: {
      type: ['integer', 'string'],
      minimum: 0,
      pattern: '^latest$',
      errorMessage: 'must be latest or an iteration number',
      description: 'Ephemery only: which iteration (chain id 39438000 + iteration). Default: latest.',
    },
    release_url: url(`Ephemery only: where its genesis releases are published. Default: ${EPHEMERY_RELEASES_URL}.`),
    config_source: {
      type: 'string',
      minLength: 1,
      errorMessage: 'must be a directory on the controller',
      description:
        'Custom networks: a directory on the controller (relative to the inventory) holding config.yaml, genesis.ssz, genesis.json and optionally boot_enr.yaml or bootstrap_nodes.txt, boot_enode.txt, deposit_contract_block.txt, deposit_contract_block_hash.txt, besu.json, chainspec.json.',
    },
    chain_id: count(1, 2 ** 53 - 1, 'Execution chain id. Known for named networks; for custom networks, default: genesis.json\'s config.chainId.'),
    bootnodes_cl: {
      type: 'array',
      items: { type: 'string', pattern: '^enr:', errorMessage: 'must be an ENR (enr:...)' },
      errorMessage: 'must be a list of ENRs (enr:...)',
      description: 'Consensus bootnodes (ENRs). Default: the network\'s own.',
    },
    bootnodes_el: {
      type: 'array',
      items: { type: 'string', pattern: '^enode://', errorMessage: 'must be an enode URL (enode://...)' },
      errorMessage: 'must be a list of enode URLs (enode://...)',
      description: 'Execution bootnodes (enode URLs). Default: the network\'s own.',
    },
  },
};

/** A node's settings (docs/node.md). The mappings are replaced as a whole by a higher-precedence level, like any variable. */
export const NODE_VARIABLES: Record<string, KnownVariable> = {
  network: {
    schema: {
      description: 'The Ethereum network: ephemery, mainnet, hoodi, sepolia, or a mapping { name, iteration, release_url, config_source, chain_id, bootnodes_cl, bootnodes_el }.',
      type: ['string', 'object'],
      errorMessage: 'must be a network name (ephemery, mainnet, hoodi, sepolia) or a mapping with name',
      if: { type: 'string' },
      then: {
        enum: [...NAMED_NETWORKS],
        errorMessage: `must be one of: ${NAMED_NETWORKS.join(', ')} (a custom network is a mapping: { name: custom, config_source: DIR })`,
      },
      else: networkMapping,
    },
  },
  consensus: { schema: clientSchema('consensus') },
  execution: { schema: clientSchema('execution') },
  checkpoint_sync: {
    schema: {
      description: 'Starting the consensus client from a recent finalized state instead of genesis.',
      type: 'object',
      errorMessage: 'must be a mapping like { enabled: true }',
      additionalProperties: false,
      properties: {
        enabled: nodeBoolean('Default: true where providers are known (named networks), else false.'),
        providers: {
          type: 'array',
          minItems: 1,
          items: url('A provider\'s Beacon API.'),
          errorMessage: 'must be a list of provider URLs',
          description: 'Checkpoint providers, most preferred first. Default: the public providers of the network.',
        },
        url: url('The preferred provider: tried first, still cross-checked with the others. Default: the first of providers.'),
        quorum: {
          type: 'number',
          exclusiveMinimum: 0,
          exclusiveMaximum: 1,
          errorMessage: 'must be a fraction between 0 and 1, like 0.67',
          description: 'A finalized checkpoint is trusted when more than this fraction of the providers that answered agree on it. Default: 2/3.',
        },
        source: {
          enum: ['provider', 'fleet-cache'],
          errorMessage: 'must be provider or fleet-cache',
          description:
            'provider: the client starts from the chosen provider. fleet-cache: the controller downloads the finalized state and block once, checks them against the quorum and uploads them to each host (under cache.directory); the client starts from the files. Default: provider.',
        },
        fallback: nodeBoolean('Install the on-host fallback (a systemd timer) that moves a consensus client that has not synced yet to the next agreeing provider. Default: true.'),
        state_file: hostPath('Start from this SSZ state file on the host instead of a provider.'),
        block_file: hostPath('The SSZ block matching state_file (clients that need one).'),
        backfill: nodeBoolean('Fill history back to genesis after a checkpoint start. Default: false.'),
      },
    },
  },
  cache: {
    schema: {
      description: 'Caches: the fleet state cache and client memory caches.',
      type: 'object',
      errorMessage: 'must be a mapping like { enabled: true }',
      additionalProperties: false,
      properties: {
        enabled: nodeBoolean(`Keep downloaded checkpoint states for reuse. Default: ${CACHE_DEFAULTS.enabled}.`),
        directory: hostPath(`Where cached states are kept. Default: ${CACHE_DEFAULTS.directory}.`),
        max_size_mb: count(1, 10_000_000, `Size limit of the cache directory. Default: ${CACHE_DEFAULTS.maxSizeMb}.`),
        lighthouse: {
          description: 'Lighthouse\'s memory caches (--state-cache-size, --block-cache-size).',
          type: 'object',
          errorMessage: 'must be a mapping like { state_cache_size: 128 }',
          additionalProperties: false,
          properties: {
            state_cache_size: count(1, 100_000, `States Lighthouse keeps in memory (--state-cache-size). Default: Lighthouse's own, ${CLIENT_CACHE_DEFAULTS.lighthouse.stateCacheSize}.`),
            block_cache_size: count(1, 100_000, `Blocks Lighthouse keeps in memory (--block-cache-size). Default: Lighthouse's own, ${CLIENT_CACHE_DEFAULTS.lighthouse.blockCacheSize} (off).`),
          },
        },
        teku: {
          description: 'Teku\'s store caches (--Xstore-state-cache-size, --Xstore-block-cache-size).',
          type: 'object',
          errorMessage: 'must be a mapping like { state_cache_size: 8 }',
          additionalProperties: false,
          properties: {
            state_cache_size: count(1, 100_000, `States Teku's store keeps in memory (--Xstore-state-cache-size). Default: Teku's own, ${CLIENT_CACHE_DEFAULTS.teku.stateCacheSize}.`),
            block_cache_size: count(1, 100_000, `Blocks Teku's store keeps in memory (--Xstore-block-cache-size). Default: Teku's own, ${CLIENT_CACHE_DEFAULTS.teku.blockCacheSize}.`),
          },
        },
        state_cache_size: count(1, 100_000, 'Old name: read as cache.lighthouse.state_cache_size or cache.teku.state_cache_size for the host\'s consensus client, with a warning.'),
        block_cache_size: count(1, 100_000, 'Old name: read as cache.lighthouse.block_cache_size or cache.teku.block_cache_size for the host\'s consensus client, with a warning.'),
        execution_cache_mb: count(1, 1_000_000, 'Execution client database cache in MB. Default: the client\'s own.'),
        expiry_hours: count(1, 100_000, `Cached states older than this are dropped. Default: ${CACHE_DEFAULTS.expiryHours}.`),
        compression: nodeBoolean(`Compress cached states. Default: ${CACHE_DEFAULTS.compression}.`),
      },
    },
  },
  network_tuning: {
    schema: {
      description: 'How nodeform talks to checkpoint providers, and peer targets.',
      type: 'object',
      errorMessage: 'must be a mapping like { retries: 3 }',
      additionalProperties: false,
      properties: {
        max_concurrent_requests: count(1, 1000, `Requests in flight to any one checkpoint provider (all providers are asked at once). Default: ${NETWORK_TUNING_DEFAULTS.maxConcurrentRequests}.`),
        request_timeout_seconds: count(1, 86400, `Default: ${NETWORK_TUNING_DEFAULTS.requestTimeoutSeconds}.`),
        retries: count(0, 100, `Default: ${NETWORK_TUNING_DEFAULTS.retries}.`),
        backoff: {
          description: 'Wait between retries.',
          type: 'object',
          errorMessage: 'must be a mapping like { strategy: exponential, min_seconds: 1, max_seconds: 30 }',
          additionalProperties: false,
          properties: {
            strategy: { enum: ['exponential', 'fixed'], errorMessage: 'must be exponential or fixed', description: `Default: ${NETWORK_TUNING_DEFAULTS.backoff.strategy}.` },
            min_seconds: seconds(`Default: ${NETWORK_TUNING_DEFAULTS.backoff.minSeconds}.`),
            max_seconds: seconds(`Default: ${NETWORK_TUNING_DEFAULTS.backoff.maxSeconds}.`),
          },
        },
        peers_cl: peers('Consensus peer target; overrides consensus.peers.'),
        peers_el: peers('Execution peer target; overrides execution.peers.'),
      },
    },
  },
  monitoring: {
    schema: {
      description: 'Metrics endpoints of both clients, and how the node is watched: the stall policy, the alerts, the on-host monitor.',
      type: 'object',
      errorMessage: 'must be a mapping like { metrics: true }',
      additionalProperties: false,
      properties: {
        metrics: nodeBoolean(`Serve Prometheus metrics on each client's metrics port. Default: ${MONITORING_DEFAULTS.metrics}.`),
        metrics_address: ipAddress(`Address metrics listen on. Default: ${MONITORING_DEFAULTS.metricsAddress}.`),
        monitor: nodeBoolean(
          `Install the on-host monitor (a systemd service and timer): records history, sends the alerts, writes node_exporter's textfile. Default: ${MONITORING_DEFAULTS.monitor}.`,
        ),
        interval_seconds: count(10, 3600, `How often the on-host monitor runs. Default: ${MONITORING_DEFAULTS.intervalSeconds}.`),
        window_seconds: count(30, 86400, `How far back progress is measured. Default: ${MONITORING_DEFAULTS.stall.windowSeconds}.`),
        min_slots_per_window: count(1, 1_000_000, `Less head progress than this over a whole window, while not synced, is a stall. Default: ${MONITORING_DEFAULTS.stall.minSlotsPerWindow}.`),
        synced_distance: count(0, 1_000_000, `A head within this many slots of the clock is synced. Default: ${MONITORING_DEFAULTS.stall.syncedDistance}.`),
        execution_lag_blocks: count(0, 1_000_000, `An execution client more blocks than this behind the consensus head's payload is still syncing. Default: ${MONITORING_DEFAULTS.stall.executionLagBlocks}.`),
        optimistic_seconds: count(0, 604_800, `Optimistic (head not verified by the execution client) for longer than this is a verdict of its own. Default: ${MONITORING_DEFAULTS.stall.optimisticSeconds}.`),
        alerts: {
          description: 'Webhooks told once per change of state (stalled, down, el-offline, optimistic, and the recovery). The URLs are secrets.',
          type: 'array',
          // Secrets inside: a problem here never echoes the value (schema-check.ts).
          writeOnly: true,
          errorMessage: 'must be a list of webhooks like [{ url: https://..., kind: slack }]',
          items: {
            type: 'object',
            writeOnly: true,
            errorMessage: 'must be a mapping like { url: https://..., kind: json }',
            required: ['url'],
            additionalProperties: false,
            properties: {
              url: {
                type: 'string',
                pattern: '^https?://[^\\s]+$',
                // A secret: a problem with it never echoes the value.
                writeOnly: true,
                errorMessage: 'must be an http:// or https:// URL without spaces (not shown: webhook URLs are secrets)',
                description: 'Where alerts are posted; may carry credentials or a token (a vault value is fine). For alertmanager, its base URL (alerts go to /api/v2/alerts).',
              },
              kind: {
                enum: [...ALERT_KINDS],
                errorMessage: `must be one of: ${ALERT_KINDS.join(', ')}`,
                description: 'json: a generic JSON body; slack: a Slack-compatible { text }; alertmanager: the Prometheus Alertmanager API v2. Default: json.',
              },
            },
          },
        },
        alert_interval_seconds: count(0, 86400, `At most one alert per host within this many seconds; a change inside it is told when it ends. Default: ${MONITORING_DEFAULTS.alertIntervalSeconds}.`),
        history_max_bytes: count(4096, 1_000_000_000, `The per-host history (JSON lines) is kept below this size. Default: ${MONITORING_DEFAULTS.historyMaxBytes}.`),
        textfile_directory: hostPath(`node_exporter's textfile collector directory; the monitor writes nodeform.prom there. Default: ${MONITORING_DEFAULTS.textfileDirectory}.`),
      },
    },
  },

  // Names older inventories use: read, with a warning showing the new form (nodeform import rewrites them).
  use_checkpoint_sync: { schema: nodeBoolean('Old name of checkpoint_sync.enabled.') },
  checkpoint_sync_url: { schema: url('Old name of checkpoint_sync.url.') },
  cl_extra_opts: { schema: extraArgs('Old name of consensus.extra_args.') },
  el_extra_opts: { schema: extraArgs('Old name of execution.extra_args.') },
  cl_client_name: { schema: { ...clientNames('consensus'), description: 'Old name of consensus.client.' } },
  el_client_name: { schema: { ...clientNames('execution'), description: 'Old name of execution.client.' } },
  consensus_client: { schema: { ...clientNames('consensus'), description: 'Old name of consensus.client.' } },
  execution_client: { schema: { ...clientNames('execution'), description: 'Old name of execution.client.' } },
};
