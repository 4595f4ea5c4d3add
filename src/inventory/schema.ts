// The JSON Schemas for inventories and playbooks. This module is their single source: the files in
// schemas/ (which editors load) are generated from it, and a unit test fails when they drift.
// `errorMessage` (as in VS Code and ajv-errors) replaces ajv's wording for the schema it sits in.

import { NODE_VARIABLES } from '../node/schema.js';
import { ansibleBoolean, pathOrPaths, port, posixName, type JsonSchema, type KnownVariable } from './schema-parts.js';

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
export const VARIABLE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
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

/**
 * What ssh and ~/.ssh/config accept as a host to connect to: a DNS name or alias, an IPv4 address, an IPv6
 * address (optionally with a %zone). No spaces, newlines, shell characters or a leading '-' (read as an option).
 */
const hostAddress: JsonSchema = {
  type: 'string',
  pattern: '^(?!-)(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9_.-]+)?)$',
  errorMessage: 'must be a host name, an ~/.ssh/config alias, or an IPv4 or IPv6 address (letters, digits, \'.\', \'-\', \'_\', \':\'; no spaces or shell characters)',
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
const UNKNOWN_CONNECTION_VARIABLE = `^(?!(?:${Object.keys(KNOWN_VARIABLES).map(escapeRegExp).join('|')})$)(?:ansible|nodeform)_`;

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
      errorMessage: 'must be a mapping with path and content, template or source',
      required: ['path'],
      additionalProperties: false,
      properties: {
        path: absolutePath('The file.'),
        ...contentOrTemplate,
        source: {
          type: 'string',
          minLength: 1,
          errorMessage: 'must be the path of a local file, relative to the playbook',
          description:
            "A local file copied byte for byte (binary-safe, never templated), like Ansible's copy: relative to the playbook's directory (or under a --template-dir); large files are streamed, hashed once and sent only to hosts whose copy differs. Exactly one of content, template or source.",
        },
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
      errorMessage: "must be a mapping with name and content or template (or only enabled/active, for a unit whose file is not nodeform's)",
      description:
        "A systemd unit: its file (content or template) and state. Without content and template, only the state (enabled, active: those given) of a unit whose file is not nodeform's, as Ansible's systemd module: its file is never written or removed, and a host without the unit has nothing to do.",
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
        enabled: { type: 'boolean', errorMessage: 'must be true or false', description: 'Enabled at boot. Default: true (a unit without content or template: left as it is).' },
        active: { type: 'boolean', errorMessage: 'must be true or false', description: 'Running now. Default: true (a unit without content or template: left as it is).' },
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
