// The JSON Schemas for inventories and playbooks. This module is their single source: the files in
// schemas/ (which editors load) are generated from it, and a unit test fails when they drift.
// `errorMessage` (as in VS Code and ajv-errors) replaces ajv's wording for the schema it sits in.

import {
  CACHE_DEFAULTS,
  CONSENSUS_CLIENTS,
  EPHEMERY_RELEASES_URL,
  EXECUTION_CLIENTS,
  LISTEN_ADDRESS,
  MONITORING_DEFAULTS,
  NAMED_NETWORKS,
  NETWORK_NAMES,
  NETWORK_TUNING_DEFAULTS,
} from '../node/defaults.js';

export type JsonSchema = Record<string, unknown>;

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
export const VARIABLE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** POSIX portable user and group names (no leading '-', at most 32 characters). */
export const POSIX_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,31}$';
export const MODE_PATTERN = '^[0-7]{3,4}$';
export const UNIT_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9:_.@-]*\\.(service|timer|socket|path|target)$';

/** Names nodeform sets for templates; inventories and plays may not define them. */
export const RESERVED_VARIABLES = [
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'hostvars',
] as const;

const port: JsonSchema = {
  type: 'integer',
  minimum: 1,
  maximum: 65535,
  errorMessage: 'must be an integer port from 1 to 65535',
};

// Ansible reads yes/no/on/off as booleans too; existing inventories rely on it.
const ansibleBoolean: JsonSchema = {
  type: ['boolean', 'string'],
  pattern: '^([Yy]es|[Nn]o|[Tt]rue|[Ff]alse|[Oo]n|[Oo]ff|YES|NO|TRUE|FALSE|ON|OFF)$',
  errorMessage: 'must be true or false',
};

/**
 * What ssh and ~/.ssh/config accept as a host to connect to: a DNS name or alias, an IPv4 address, an IPv6
 * address (optionally with a %zone). No spaces, newlines, shell characters or a leading '-' (read as an option).
 */
const hostAddress: JsonSchema = {
  type: 'string',
  pattern: '^(?!-)(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9_.-]+)?)$',
  errorMessage: 'must be a host name, an ~/.ssh/config alias, or an IPv4 or IPv6 address (letters, digits, \'.\', \'-\', \'_\', \':\'; no spaces or shell characters)',
};

const posixName: JsonSchema = {
  type: 'string',
  pattern: POSIX_NAME_PATTERN,
  errorMessage:
    "must be a POSIX user or group name: letters, digits, '_', '.', '-', starting with a letter or '_', at most 32 characters",
};

const pathOrPaths = (description: string): JsonSchema => ({
  description,
  type: ['string', 'array'],
  minLength: 1,
  minItems: 1,
  items: { type: 'string', minLength: 1 },
  errorMessage: 'must be a path or a list of paths',
});

export interface KnownVariable {
  schema: JsonSchema;
  /** Accepted so existing Ansible inventories load, but not used: the warning to show when set (empty: none). */
  ignored?: string;
}

// ------------------------------------------------------------------ node variables

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
        'Custom networks: a directory on the controller (relative to the inventory) holding config.yaml, genesis.ssz, genesis.json and optionally boot_enr.yaml or bootstrap_nodes.txt, boot_enode.txt, deposit_contract_block.txt, besu.json, chainspec.json.',
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
        state_cache_size: count(1, 100_000, 'States the consensus client keeps in memory. Default: the client\'s own.'),
        block_cache_size: count(1, 100_000, 'Blocks the consensus client keeps in memory. Default: the client\'s own.'),
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
      description: 'Metrics endpoints of both clients.',
      type: 'object',
      errorMessage: 'must be a mapping like { metrics: true }',
      additionalProperties: false,
      properties: {
        metrics: nodeBoolean(`Serve Prometheus metrics on each client's metrics port. Default: ${MONITORING_DEFAULTS.metrics}.`),
        metrics_address: ipAddress(`Address metrics listen on. Default: ${MONITORING_DEFAULTS.metricsAddress}.`),
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

const PASSWORDS_IGNORED =
  'passwords are not used: nodeform logs in with keys or the SSH agent and becomes root with sudo -n';
const SSH_ARGS_IGNORED =
  'extra ssh arguments are not passed on: put options in ~/.ssh/config, or use nodeform_proxy_jump for jump hosts';

/**
 * Connection and nodeform settings a host, group or -e may set. Any other `ansible_*` or
 * `nodeform_*` name is an error, which catches typos like `ansible_hots`.
 */
export const KNOWN_VARIABLES: Record<string, KnownVariable> = {
  ansible_host: {
    schema: { ...hostAddress, description: 'Address or ~/.ssh/config alias to connect to. Default: the inventory host name.' },
  },
  ansible_ssh_host: { schema: { ...hostAddress, description: 'Older name of ansible_host.' } },
  ansible_port: { schema: { ...port, description: 'SSH port. Default: from ~/.ssh/config, else 22.' } },
  ansible_ssh_port: { schema: { ...port, description: 'Older name of ansible_port.' } },
  ansible_user: { schema: { ...posixName, description: 'SSH login user. Default: from ~/.ssh/config, else the local user.' } },
  ansible_ssh_user: { schema: { ...posixName, description: 'Older name of ansible_user.' } },
  ansible_ssh_private_key_file: {
    schema: { type: 'string', minLength: 1, description: 'Private key file; relative paths are resolved against the inventory file, ~ against your home.' },
  },
  ansible_private_key_file: { schema: { type: 'string', minLength: 1, description: 'Same as ansible_ssh_private_key_file.' } },
  ansible_become: { schema: { ...ansibleBoolean, description: 'Run remote commands through sudo -n (passwordless sudo). Default: false.' } },
  ansible_become_user: { schema: { ...posixName, description: 'User to become. Default: root.' } },
  ansible_become_method: {
    schema: { enum: ['sudo'], errorMessage: 'must be sudo: nodeform becomes another user with sudo -n only', description: 'Only sudo is supported.' },
  },
  ansible_connection: {
    schema: {
      enum: ['ssh', 'local', 'smart', 'paramiko'],
      errorMessage: 'must be ssh or local',
      description: 'ssh (default) or local: local runs on the controller itself without SSH. smart and paramiko mean ssh.',
    },
  },
  ansible_group_priority: {
    schema: {
      type: 'integer',
      errorMessage: 'must be an integer',
      description: 'Among groups at the same depth, higher priority groups override lower ones (Ansible semantics). Default: 1.',
    },
  },
  ansible_python_interpreter: { schema: { description: 'Ignored: nodeform needs no Python on managed hosts.' }, ignored: '' },
  ansible_ssh_common_args: { schema: { type: 'string', description: 'Ignored; see nodeform_proxy_jump.' }, ignored: SSH_ARGS_IGNORED },
  ansible_ssh_extra_args: { schema: { type: 'string', description: 'Ignored; see nodeform_proxy_jump.' }, ignored: SSH_ARGS_IGNORED },
  ansible_password: { schema: { description: 'Ignored: use keys or the SSH agent.' }, ignored: PASSWORDS_IGNORED },
  ansible_ssh_pass: { schema: { description: 'Ignored: use keys or the SSH agent.' }, ignored: PASSWORDS_IGNORED },
  ansible_become_password: { schema: { description: 'Ignored: sudo must not ask for a password.' }, ignored: PASSWORDS_IGNORED },
  ansible_become_pass: { schema: { description: 'Ignored: sudo must not ask for a password.' }, ignored: PASSWORDS_IGNORED },

  nodeform_host: { schema: { ...hostAddress, description: 'Address to connect to; overrides ansible_host.' } },
  nodeform_port: { schema: { ...port, description: 'SSH port; overrides ansible_port.' } },
  nodeform_user: { schema: { ...posixName, description: 'SSH login user; overrides ansible_user.' } },
  nodeform_identity_file: pathOrPathsVariable('Private key file(s); overrides ansible_ssh_private_key_file. Relative to the inventory file.'),
  nodeform_become: { schema: { ...ansibleBoolean, description: 'Run remote commands through sudo -n; overrides ansible_become.' } },
  nodeform_proxy_jump: {
    schema: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.@:,\\[\\]-]+$',
      errorMessage: 'must be a jump host list like user@host:port[,user@next]',
      description: 'ProxyJump hosts, "user@host:port[,next]", when ~/.ssh/config does not set them.',
    },
  },
  nodeform_known_hosts_file: pathOrPathsVariable('Extra known_hosts file(s) to trust besides your own. Relative to the inventory file.'),
  nodeform_state_dir: {
    schema: { type: 'string', description: 'Absolute path on the host where nodeform keeps its record, backups and lock. Default: /var/lib/nodeform.' },
  },
  nodeform_keep_generations: {
    schema: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      errorMessage: 'must be an integer from 1 to 1000',
      description: 'How many generations of backups to keep on each host. Default: 5.',
    },
  },
  nodeform_playbook: {
    schema: { type: 'string', minLength: 1, description: 'The playbook to use when none is given on the command line. Relative to the inventory file. Read from all.vars.' },
  },
  ...NODE_VARIABLES,
};

function pathOrPathsVariable(description: string): KnownVariable {
  return { schema: pathOrPaths(description) };
}

const namePattern = {
  type: 'string',
  pattern: NAME_PATTERN,
  errorMessage: "must hold only letters, digits, '_', '.', '-' and start with a letter or digit",
};

const variableName = {
  type: 'string',
  pattern: VARIABLE_NAME_PATTERN,
  errorMessage: "variable names hold letters, digits and '_' and do not start with a digit",
};

function reservedVariables(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const name of RESERVED_VARIABLES) {
    out[name] = {
      not: {},
      description: 'Set by nodeform for templates.',
      errorMessage: `'${name}' is set by nodeform for templates; choose another variable name`,
    };
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches ansible_* and nodeform_* names that are not known variables. */
export const UNKNOWN_CONNECTION_VARIABLE = `^(?!(?:${Object.keys(KNOWN_VARIABLES).map(escapeRegExp).join('|')})$)(?:ansible|nodeform)_`;

const inventoryVars: JsonSchema = {
  description:
    'Variables: connection settings (ansible_* and nodeform_* names below) and your own, which templates can use.',
  type: ['object', 'null'],
  errorMessage: 'must be a mapping of variable names to values',
  propertyNames: { $ref: '#/definitions/variableName' },
  properties: {
    ...Object.fromEntries(Object.entries(KNOWN_VARIABLES).map(([name, known]) => [name, known.schema])),
    ...reservedVariables(),
  },
  patternProperties: { [UNKNOWN_CONNECTION_VARIABLE]: false },
};

export const inventorySchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:nodeform:inventory',
  title: 'nodeform inventory',
  description:
    "Hosts and groups in Ansible's YAML inventory shape: all: { hosts, children, vars }. group_vars/<group>.yaml and host_vars/<host>.yaml beside the file add variables.",
  type: 'object',
  errorMessage: 'the inventory must be a mapping of groups, starting with all:',
  propertyNames: { $ref: '#/definitions/name' },
  properties: {
    all: { $ref: '#/definitions/group', description: 'The group every host belongs to; its vars apply to all hosts.' },
  },
  additionalProperties: { $ref: '#/definitions/group' },
  definitions: {
    name: namePattern,
    variableName,
    group: {
      description: 'A group: its hosts, child groups and variables.',
      type: ['object', 'null'],
      errorMessage: 'must be a group: a mapping with hosts, children and vars',
      additionalProperties: false,
      properties: {
        hosts: {
          description: 'Hosts of this group, by inventory host name, each with its own variables (or nothing).',
          type: ['object', 'null'],
          errorMessage: 'must be a mapping of host names to their variables',
          propertyNames: { $ref: '#/definitions/name' },
          additionalProperties: { $ref: '#/definitions/vars' },
        },
        children: {
          description: 'Child groups; their hosts are also hosts of this group.',
          type: ['object', 'null'],
          errorMessage: 'must be a mapping of group names to groups',
          propertyNames: { $ref: '#/definitions/name' },
          additionalProperties: { $ref: '#/definitions/group' },
        },
        vars: { $ref: '#/definitions/vars' },
      },
    },
    vars: inventoryVars,
  },
};

// ------------------------------------------------------------------ playbook

const tags: JsonSchema = {
  description: 'Tags for --tags and --skip-tags: a list, or one string of comma-separated tags.',
  type: ['string', 'array'],
  minLength: 1,
  items: { type: 'string', minLength: 1 },
  errorMessage: 'must be a tag or a list of tags',
};

const absolutePath = (description: string): JsonSchema => ({
  type: 'string',
  description: `${description} An absolute path without shell metacharacters or '..'.`,
});

export const MODE_SCHEMA = {
  type: 'string',
  pattern: MODE_PATTERN,
  errorMessage: 'must be a quoted string of 3 or 4 octal digits, like "0644"',
  description: 'Permissions as a quoted octal string, like "0644" (a bare 0644 is a YAML number).',
};

const contentOrTemplate = {
  content: {
    type: 'string',
    description: 'Inline content, rendered as a handlebars template with the host variables.',
  },
  template: {
    type: 'string',
    minLength: 1,
    description:
      "Template file (handlebars), relative to the playbook or under nodeform's templates/ directory. Exactly one of content or template.",
  },
};

export const playbookSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:nodeform:playbook',
  title: 'nodeform playbook',
  description: 'A list of plays; each play gives hosts (a host pattern) the users, directories, files and units they must hold.',
  type: 'array',
  minItems: 1,
  errorMessage: 'the playbook must be a YAML list of plays (- name: ..., hosts: ...)',
  items: { $ref: '#/definitions/play' },
  definitions: {
    variableName,
    posixName,
    mode: MODE_SCHEMA,
    tags,
    play: {
      type: 'object',
      errorMessage: 'a play must be a mapping with hosts and resources',
      required: ['hosts'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', description: 'What the play is for, shown in output.' },
        hosts: {
          description:
            "Ansible host pattern: host and group names, all, globs (lab-*), a:b union, a:&b intersection, a:!b exclusion. A list means a union.",
          type: ['string', 'array'],
          minLength: 1,
          minItems: 1,
          items: { type: 'string', minLength: 1 },
          errorMessage: 'must be a non-empty host pattern, like all or beacon:&ephemery',
        },
        tags: { $ref: '#/definitions/tags' },
        vars: { $ref: '#/definitions/playVars' },
        users: { type: 'array', items: { $ref: '#/definitions/user' }, errorMessage: 'must be a list of users', description: 'Users to create.' },
        directories: {
          type: 'array',
          items: { $ref: '#/definitions/directory' },
          errorMessage: 'must be a list of directories',
          description: 'Directories to create.',
        },
        files: { type: 'array', items: { $ref: '#/definitions/file' }, errorMessage: 'must be a list of files', description: 'Files to write.' },
        units: {
          type: 'array',
          items: { $ref: '#/definitions/unit' },
          errorMessage: 'must be a list of systemd units',
          description: 'systemd units to install, enable and start.',
        },
        ethereum_node: {
          type: 'boolean',
          errorMessage: 'must be true or false',
          description:
            'Give every host of the play an Ethereum node (consensus + execution client, JWT, network files, systemd units) built from its network, consensus, execution, ... variables (docs/node.md). Default: false.',
        },
      },
    },
    playVars: {
      description: 'Variables for this play; they override inventory variables and are overridden by -e.',
      type: ['object', 'null'],
      errorMessage: 'must be a mapping of variable names to values',
      propertyNames: { $ref: '#/definitions/variableName' },
      properties: {
        ...Object.fromEntries(Object.entries(NODE_VARIABLES).map(([name, known]) => [name, known.schema])),
        ...reservedVariables(),
      },
      patternProperties: { '^(?:ansible|nodeform)_': false },
    },
    user: {
      type: 'object',
      errorMessage: 'must be a mapping with at least name',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { $ref: '#/definitions/posixName', description: 'User name.' },
        system: { type: 'boolean', errorMessage: 'must be true or false', description: 'A system user (no login, low uid). Default: true.' },
        group: { $ref: '#/definitions/posixName', description: 'Primary group; created with the user\'s name when not given.' },
        groups: { type: 'array', items: { $ref: '#/definitions/posixName' }, errorMessage: 'must be a list of group names', description: 'Supplementary groups; they must exist.' },
        home: absolutePath('Home directory.'),
        shell: absolutePath('Login shell. Default: /usr/sbin/nologin for system users, else /bin/bash.'),
        tags: { $ref: '#/definitions/tags' },
      },
    },
    directory: {
      type: 'object',
      errorMessage: 'must be a mapping with at least path',
      required: ['path'],
      additionalProperties: false,
      properties: {
        path: absolutePath('The directory.'),
        mode: { $ref: '#/definitions/mode', description: 'Default: "0755".' },
        owner: { $ref: '#/definitions/posixName', description: 'Default: root.' },
        group: { $ref: '#/definitions/posixName', description: 'Default: root.' },
        tags: { $ref: '#/definitions/tags' },
      },
    },
    file: {
      type: 'object',
      errorMessage: 'must be a mapping with path and content or template',
      required: ['path'],
      additionalProperties: false,
      properties: {
        path: absolutePath('The file.'),
        ...contentOrTemplate,
        mode: { $ref: '#/definitions/mode', description: 'Default: "0644", or "0600" for secret files.' },
        owner: { $ref: '#/definitions/posixName', description: 'Default: root.' },
        group: { $ref: '#/definitions/posixName', description: 'Default: root.' },
        secret: {
          type: 'boolean',
          errorMessage: 'must be true or false',
          description: 'Never show the content in plans, JSON or logs. Default: false.',
        },
        tags: { $ref: '#/definitions/tags' },
      },
    },
    unit: {
      type: 'object',
      errorMessage: 'must be a mapping with name and content or template',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: {
          type: 'string',
          pattern: UNIT_NAME_PATTERN,
          errorMessage: 'must be a systemd unit name ending in .service, .timer, .socket, .path or .target',
          description: 'Unit name; the file lands at /etc/systemd/system/<name>.',
        },
        ...contentOrTemplate,
        enabled: { type: 'boolean', errorMessage: 'must be true or false', description: 'Enabled at boot. Default: true.' },
        active: { type: 'boolean', errorMessage: 'must be true or false', description: 'Running now. Default: true.' },
        restart_on: {
          type: 'array',
          items: { type: 'string' },
          errorMessage: 'must be a list of file paths',
          description: 'Paths of files (declared in this playbook) whose change restarts the unit.',
        },
        tags: { $ref: '#/definitions/tags' },
      },
    },
  },
};
