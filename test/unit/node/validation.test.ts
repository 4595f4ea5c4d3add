// Node variables in real files: every problem at file:line:column of the offending value (or key),
// all at once, wherever the variable was written (inventory, group_vars, host_vars, play vars, -e).
import { formatProblem } from '../../../src/errors.js';
import { describe, expect, it } from 'vitest';
import { buildNode, heads, host, nodeHost, type NodeProject } from './helpers.js';

const P = (inventory: string, more: Partial<NodeProject> = {}): NodeProject => ({ inventory, ...more });

// [name, project, expected problem heads]
const cases: [string, NodeProject, string[]][] = [
  ['a valid node', P(nodeHost()), []],
  [
    'unknown consensus client, with a suggestion',
    P(nodeHost({ consensus: '{ client: lighthose }' })),
    ["inventory.yaml:5:28: all.hosts.lab1.consensus.client: must be a consensus client: lighthouse, prysm, teku, nimbus, lodestar (got \"lighthose\") (did you mean 'lighthouse'?)"],
  ],
  [
    'an execution client named as consensus',
    P(nodeHost({ consensus: '{ client: geth }' })),
    ['inventory.yaml:5:28: all.hosts.lab1.consensus.client: must be a consensus client: lighthouse, prysm, teku, nimbus, lodestar (got "geth")'],
  ],
  [
    'port out of range',
    P(nodeHost({ execution: '\nclient: geth\nports: { engine: 70000 }' })),
    ['inventory.yaml:8:26: all.hosts.lab1.execution.ports.engine: must be an integer port from 1 to 65535 (got 70000)'],
  ],
  [
    'port 0',
    P(nodeHost({ consensus: '{ client: teku, ports: { p2p: 0 } }' })),
    ['inventory.yaml:5:48: all.hosts.lab1.consensus.ports.p2p: must be an integer port from 1 to 65535 (got 0)'],
  ],
  [
    'an engine port on the consensus client',
    P(nodeHost({ consensus: '{ client: teku, ports: { engine: 8551 } }' })),
    ["inventory.yaml:5:43: all.hosts.lab1.consensus.ports.engine: unknown key 'engine'; expected one of: p2p, http, metrics"],
  ],
  [
    'unknown key inside a mapping, with a suggestion',
    P(nodeHost({ checkpoint_sync: '{ enabeld: true }' })),
    ["inventory.yaml:7:26: all.hosts.lab1.checkpoint_sync.enabeld: unknown key 'enabeld' (did you mean 'enabled'?)"],
  ],
  [
    'unknown key inside network',
    P(nodeHost({ network: '{ name: ephemery, iteraton: 3 }' })),
    ["inventory.yaml:4:34: all.hosts.lab1.network.iteraton: unknown key 'iteraton' (did you mean 'iteration'?)"],
  ],
  [
    'network misspelt',
    P(nodeHost({ network: 'mainet' })),
    ["inventory.yaml:4:16: all.hosts.lab1.network: must be one of: ephemery, mainnet, hoodi, sepolia (a custom network is a mapping: { name: custom, config_source: DIR }) (got \"mainet\") (did you mean 'mainnet'?)"],
  ],
  [
    'network as a number',
    P(nodeHost({ network: '5' })),
    ['inventory.yaml:4:16: all.hosts.lab1.network: must be a network name (ephemery, mainnet, hoodi, sepolia) or a mapping with name (got 5)'],
  ],
  ['network mapping without name', P(nodeHost({ network: '{ iteration: 3 }' })), ['inventory.yaml:4:16: all.hosts.lab1.network.name: missing name']],
  [
    'iteration not a number',
    P(nodeHost({ network: '{ name: ephemery, iteration: first }' })),
    ['inventory.yaml:4:45: all.hosts.lab1.network.iteration: must be latest or an iteration number (got "first")'],
  ],
  [
    'bootnodes that are not ENRs',
    P(nodeHost({ network: '{ name: mainnet, bootnodes_cl: [enode://x] }' })),
    ['inventory.yaml:4:48: all.hosts.lab1.network.bootnodes_cl[0]: must be an ENR (enr:...) (got "enode://x")'],
  ],
  [
    'a provider that is not a URL',
    P(nodeHost({ checkpoint_sync: '{ providers: [beaconstate.info] }' })),
    ['inventory.yaml:7:38: all.hosts.lab1.checkpoint_sync.providers[0]: must be an http:// or https:// URL (got "beaconstate.info")'],
  ],
  [
    'extra_args of the wrong type',
    P(nodeHost({ consensus: '{ client: teku, extra_args: 5 }' })),
    ['inventory.yaml:5:46: all.hosts.lab1.consensus.extra_args: must be a list of arguments, or one string of them (split as a shell splits words) (got 5)'],
  ],
  [
    'listen address',
    P(nodeHost({ execution: '{ client: geth, listen_address: localhost }' })),
    ['inventory.yaml:6:50: all.hosts.lab1.execution.listen_address: must be an IP address like 127.0.0.1 or 0.0.0.0 (got "localhost")'],
  ],
  [
    'version unquoted',
    P(nodeHost({ consensus: '{ client: teku, version: 25.1 }' })),
    ['inventory.yaml:5:43: all.hosts.lab1.consensus.version: must be a release version like 5.3.0 or v1.14.11, quoted (got 25.1)'],
  ],
  [
    'backoff strategy',
    P(nodeHost({ network_tuning: '{ backoff: { strategy: linear } }' })),
    ['inventory.yaml:7:46: all.hosts.lab1.network_tuning.backoff.strategy: must be exponential or fixed (got "linear")'],
  ],
  [
    'a boolean setting',
    P(nodeHost({ monitoring: '{ metrics: maybe }' })),
    ['inventory.yaml:7:30: all.hosts.lab1.monitoring.metrics: must be true or false (got "maybe")'],
  ],
  [
    'a monitoring setting out of range',
    P(nodeHost({ monitoring: '{ window_seconds: 5 }' })),
    ['inventory.yaml:7:37: all.hosts.lab1.monitoring.window_seconds: must be an integer from 30 to 86400 (got 5)'],
  ],
  [
    'an alert webhook of an unknown kind',
    P(nodeHost({ monitoring: '{ alerts: [{ url: "https://hooks.example/x", kind: pagerduty }] }' })),
    ['inventory.yaml:7:70: all.hosts.lab1.monitoring.alerts[0].kind: must be one of: json, slack, alertmanager (got "pagerduty")'],
  ],
  [
    'an alert webhook URL that is not one: the problem does not echo it (a secret)',
    P(nodeHost({ monitoring: '{ alerts: [{ url: "hooks.example/T0?token=s3cr3t" }] }' })),
    ['inventory.yaml:7:37: all.hosts.lab1.monitoring.alerts[0].url: must be an http:// or https:// URL without spaces (not shown: webhook URLs are secrets)'],
  ],
  [
    'alerts as a bare URL: not echoed either',
    P(nodeHost({ monitoring: '{ alerts: "https://u:s3cr3t@hooks.example/x" }' })),
    ['inventory.yaml:7:29: all.hosts.lab1.monitoring.alerts: must be a list of webhooks like [{ url: https://..., kind: slack }]'],
  ],
  [
    'an alert webhook without url',
    P(nodeHost({ monitoring: '{ alerts: [{ kind: slack }] }' })),
    ["inventory.yaml:7:30: all.hosts.lab1.monitoring.alerts[0].url: missing required key 'url'"],
  ],
  [
    'an old client name misspelt',
    P(nodeHost({ consensus: '', cl_client_name: 'Teku' })),
    ["inventory.yaml:6:23: all.hosts.lab1.cl_client_name: must be a consensus client: lighthouse, prysm, teku, nimbus, lodestar (got \"Teku\") (did you mean 'teku'?)"],
  ],

  // Rules the schema cannot say, placed just as precisely.
  [
    'extra_args with a managed flag (list)',
    P(nodeHost({ consensus: '\nclient: lighthouse\nextra_args: [--target-peers=10, --datadir=/x]' })),
    ['inventory.yaml:7:41: all.hosts.lab1.consensus.extra_args[1]: --datadir is set by nodeform from consensus.data_dir; set that instead (host lab1)'],
  ],
  [
    'extra_args with a managed flag (string: the word is pointed at)',
    P(nodeHost({ execution: '\nclient: geth\nextra_args: "--verbosity 4 --authrpc.port 9999"' })),
    ['inventory.yaml:8:36: all.hosts.lab1.execution.extra_args: --authrpc.port is set by nodeform from execution.ports.engine; set that instead (host lab1)'],
  ],
  [
    'a Go client flag written with one dash',
    P(nodeHost({ execution: '{ client: geth, extra_args: [-datadir, /x] }' })),
    ['inventory.yaml:6:47: all.hosts.lab1.execution.extra_args[0]: -datadir is set by nodeform from execution.data_dir; set that instead (host lab1)'],
  ],
  [
    'the shared JWT',
    P(nodeHost({ consensus: '{ client: teku, extra_args: [--ee-jwt-secret-file=/tmp/j] }' })),
    ['inventory.yaml:5:47: all.hosts.lab1.consensus.extra_args[0]: --ee-jwt-secret-file is set by nodeform: both clients share the JWT at /etc/ethereum/jwt.hex; remove it from extra_args (host lab1)'],
  ],
  [
    'string extra_args with ;',
    P(nodeHost({ consensus: '{ client: lighthouse, extra_args: "--foo; rm -rf /" }' })),
    ["inventory.yaml:5:58: all.hosts.lab1.consensus.extra_args: ';' is a shell operator: extra arguments go to the client as they are, no shell runs them; quote it if it is part of a value (host lab1)"],
  ],
  [
    'old extra opts with $()',
    P(nodeHost({ cl_extra_opts: "'--graffiti $(hostname)'" })),
    ["inventory.yaml:7:34: all.hosts.lab1.cl_extra_opts: '$' would be a shell expansion: nodeform passes arguments as written, so write the value itself (or quote it in single quotes) (host lab1)"],
  ],
  [
    'a managed flag in the old extra opts',
    P(nodeHost({ el_extra_opts: '--datadir /x' })),
    ['inventory.yaml:7:22: all.hosts.lab1.el_extra_opts: --datadir is set by nodeform from execution.data_dir; set that instead (host lab1)'],
  ],
  [
    'custom network without config_source',
    P(nodeHost({ network: '{ name: custom, chain_id: 7 }' })),
    ['inventory.yaml:4:16: all.hosts.lab1.network: a custom network needs config_source: the directory holding its config.yaml, genesis.ssz and genesis.json (host lab1)'],
  ],
  [
    'iteration on mainnet',
    P(nodeHost({ network: '{ name: mainnet, iteration: 3 }' })),
    ['inventory.yaml:4:33: all.hosts.lab1.network.iteration: iteration applies to ephemery only: other networks do not reset (host lab1)'],
  ],
  [
    'ephemery following the latest release is no problem offline (its release is fetched by plan and apply)',
    P(nodeHost({ network: 'ephemery' })),
    [],
  ],
  [
    'a release older than the profile supports',
    P(nodeHost({ consensus: '{ client: lighthouse, version: "v4.6.0" }' })),
    ["inventory.yaml:5:49: all.hosts.lab1.consensus.version: lighthouse v4.6.0 is older than v5.3.0, the oldest release nodeform's flags work with (they are checked against v8.2.2): upgrade it (host lab1)"],
  ],
  [
    'two clients on one port',
    P(nodeHost({ execution: '{ client: geth, ports: { http: 5052 } }' })),
    ['inventory.yaml:6:49: all.hosts.lab1.execution.ports.http: port 5052 is used by both consensus.ports.http and execution.ports.http: give one of them another port (host lab1)'],
  ],
  [
    'a relative data_dir',
    P(nodeHost({ execution: '{ client: geth, data_dir: data }' })),
    ['inventory.yaml:6:44: all.hosts.lab1.execution.data_dir: must be an absolute path: start it with / (got "data") (host lab1)'],
  ],
  [
    'no network at all',
    P(nodeHost({ network: '' })),
    ['playbook.yaml:2:3: [0].ethereum_node: network is not set: choose ephemery, mainnet, hoodi, sepolia, or a custom network { name: custom, config_source: DIR } (host lab1)'],
  ],
  [
    'no execution client',
    P(nodeHost({ execution: '' })),
    ['playbook.yaml:2:3: [0].ethereum_node: execution.client is not set: choose geth, nethermind, besu, erigon (host lab1)'],
  ],
  [
    'ethereum_node not a boolean',
    P(nodeHost(), { playbook: '- hosts: all\n  ethereum_node: yes\n' }),
    ['playbook.yaml:2:18: [0].ethereum_node: must be true or false (got "yes")'],
  ],
  [
    'every problem at once',
    P(nodeHost({ consensus: '{ client: teku, ports: { http: 99999 } }', execution: '{ client: gethh }', monitoring: '{ metrics_addres: x }' })),
    [
      'inventory.yaml:5:49: all.hosts.lab1.consensus.ports.http: must be an integer port from 1 to 65535 (got 99999)',
      "inventory.yaml:6:28: all.hosts.lab1.execution.client: must be an execution client: geth, nethermind, besu, erigon (got \"gethh\") (did you mean 'geth'?)",
      "inventory.yaml:7:21: all.hosts.lab1.monitoring.metrics_addres: unknown key 'metrics_addres' (did you mean 'metrics_address'?)",
    ],
  ],
  [
    'schema problems of one host and rule problems of another, all at once',
    P(`all:\n  vars:\n    network: { name: ephemery, iteration: 161 }\n    execution: { client: geth }\n  hosts:\n    lab1: { consensus: { client: lodestarr } }\n    lab2: { consensus: { client: lodestar, extra_args: [--dataDir=/x] } }\n`),
    [
      "inventory.yaml:6:34: all.hosts.lab1.consensus.client: must be a consensus client: lighthouse, prysm, teku, nimbus, lodestar (got \"lodestarr\") (did you mean 'lodestar'?)",
      'inventory.yaml:7:57: all.hosts.lab2.consensus.extra_args[0]: --dataDir is set by nodeform from consensus.data_dir; set that instead (host lab2)',
    ],
  ],
];

describe('node variables: problems with positions', () => {
  it.each(cases)('%s', (_name, project, expected) => {
    expect(heads(buildNode(project).problems)).toEqual(expected);
  });
});

describe('wherever the variable was written', () => {
  const inventory = 'all:\n  children:\n    eth:\n      hosts:\n        lab1:\n        lab2:\n';
  it('in a group_vars file, one problem names every host it affects', () => {
    const result = buildNode({
      inventory,
      groupVars: { 'eth.yaml': 'network: { name: ephemery, iteration: 161 }\nconsensus:\n  client: lighthouse\n  extra_args: --http-port=1\nexecution: { client: geth }\n' },
    });
    expect(heads(result.problems)).toEqual([
      'group_vars/eth.yaml:4:15: group_vars.eth.consensus.extra_args: --http-port is set by nodeform from consensus.ports.http; set that instead (hosts lab1 and lab2)',
    ]);
  });

  it('in host_vars', () => {
    const result = buildNode({ inventory: nodeHost({ execution: '' }), hostVars: { 'lab1.yaml': 'execution:\n  client: geth\n  ports: { p2p: 9000 }\n' } });
    expect(heads(result.problems)).toEqual([
      'host_vars/lab1.yaml:3:17: host_vars.lab1.execution.ports.p2p: port 9000 is used by both consensus.ports.p2p and execution.ports.p2p: give one of them another port (host lab1)',
    ]);
  });

  it('in play vars', () => {
    const playbook = '- hosts: all\n  ethereum_node: true\n  vars:\n    consensus: { client: prysm, extra_args: [--datadir=/x] }\n';
    expect(heads(buildNode({ inventory: nodeHost(), playbook }).problems)).toEqual([
      'playbook.yaml:4:46: [0].vars.consensus.extra_args[0]: --datadir is set by nodeform from consensus.data_dir; set that instead (host lab1)',
    ]);
    const typo = '- hosts: all\n  ethereum_node: true\n  vars:\n    execution: { client: besu, prots: {} }\n';
    expect(heads(buildNode({ inventory: nodeHost(), playbook: typo }).problems)).toEqual([
      "playbook.yaml:4:32: [0].vars.execution.prots: unknown key 'prots' (did you mean 'ports'?)",
    ]);
  });

  it('in -e', () => {
    expect(heads(buildNode({ inventory: nodeHost(), extraVars: ['{consensus: {client: teku, extra_args: "--x && y"}}'] }).problems)).toEqual([
      "-e #1:1:45: extra_vars.consensus.extra_args: '&&' is a shell operator: extra arguments go to the client as they are, no shell runs them; quote it if it is part of a value (host lab1)",
    ]);
    expect(heads(buildNode({ inventory: nodeHost(), extraVars: ['cl_extra_opts=--datadir=/x'] }).problems)).toEqual([
      '-e #1:1:15: extra_vars.cl_extra_opts: --datadir is set by nodeform from consensus.data_dir; set that instead (host lab1)',
    ]);
  });

  it('a variable no node play reads is still checked by the schema', () => {
    expect(heads(buildNode({ inventory: host('consensus: { client: x }'), playbook: '- hosts: all\n' }).problems)).toEqual([
      'inventory.yaml:4:28: all.hosts.lab1.consensus.client: must be a consensus client: lighthouse, prysm, teku, nimbus, lodestar (got "x")',
    ]);
  });
});

describe('warnings', () => {
  it('old names warn once per place, showing the new form', () => {
    const inventory = `all:\n  vars:\n    network: { name: ephemery, iteration: 161 }\n    cl_client_name: teku\n    el_client_name: besu\n    use_checkpoint_sync: false\n  hosts:\n    lab1:\n    lab2:\n`;
    const result = buildNode({ inventory });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual([
      'inventory.yaml:4:5: all.vars.cl_client_name: cl_client_name is an old name: write consensus: { client: teku } (nodeform import rewrites old inventories)',
      'inventory.yaml:5:5: all.vars.el_client_name: el_client_name is an old name: write execution: { client: besu } (nodeform import rewrites old inventories)',
      'inventory.yaml:6:5: all.vars.use_checkpoint_sync: use_checkpoint_sync is an old name: write checkpoint_sync: { enabled: false } (nodeform import rewrites old inventories)',
    ]);
  });

  it('old names outside node plays are plain variables, without warnings', () => {
    expect(buildNode({ inventory: host('checkpoint_sync_url: https://cp.example'), playbook: '- hosts: all\n' }).warnings).toEqual([]);
  });

  it('settings a client cannot use are named with the hosts and where they were set', () => {
    const inventory = `all:\n  vars:\n    network: { name: ephemery, iteration: 161 }\n    execution: { client: besu }\n    cache: { execution_cache_mb: 32 }\n  hosts:\n    a: { consensus: { client: lighthouse } }\n    b: { consensus: { client: teku } }\n`;
    const result = buildNode({ inventory });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual([
      'inventory.yaml:5:34: all.vars.cache.execution_cache_mb: cache.execution_cache_mb does not apply to besu (hosts a and b): besu has no supported database cache size option: --cache-last-blocks counts blocks and --Xplugin-rocksdb-cache-capacity is an experimental X option (besu CLI, RocksDBCLIOptions.java)',
    ]);
  });

  it('the old one-number cache settings warn at their place, naming each host\'s per-client setting', () => {
    const inventory = `all:\n  vars:\n    network: { name: ephemery, iteration: 161 }\n    execution: { client: geth }\n    cache: { state_cache_size: 32 }\n  hosts:\n    a: { consensus: { client: lighthouse } }\n    b: { consensus: { client: teku } }\n`;
    const result = buildNode({ inventory });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual([
      "inventory.yaml:5:14: all.vars.cache.state_cache_size: cache.state_cache_size is an old name: Lighthouse and Teku size their caches differently (Lighthouse's default 128, Teku's default 8), so the setting is per client: write cache.lighthouse.state_cache_size and/or cache.teku.state_cache_size. Until then it is read as the host's consensus client's own (no other client has one)",
    ]);
  });
});
