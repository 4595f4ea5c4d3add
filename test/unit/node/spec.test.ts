// nodeSpecFor: every default, per network and per client, and what it refuses (as paths into the variables).
import { describe, expect, it } from 'vitest';
import type { ConsensusClient, ExecutionClient, NodeSpec } from '../../../src/clients/types.js';
import { CONSENSUS_CLIENTS, EXECUTION_CLIENTS } from '../../../src/node/defaults.js';
import { OLD_NODE_VARIABLES, newFormText, nodeSpecFor } from '../../../src/node/spec.js';
import { MONITORING } from '../clients/specs.js';

type Vars = Record<string, unknown>;
const base: Vars = { network: 'mainnet', consensus: { client: 'lighthouse' }, execution: { client: 'geth' } };
const spec = (vars: Vars): NodeSpec => {
  const result = nodeSpecFor({ ...base, ...vars }, 'lab1');
  expect(result.problems).toEqual([]);
  return result.spec!;
};
const problems = (vars: Vars) => nodeSpecFor({ ...base, ...vars }, 'lab1').problems.map(({ path, message }) => ({ path: path.join('.'), message }));
const warnings = (vars: Vars) => nodeSpecFor({ ...base, ...vars }, 'lab1').warnings.map(({ path, message }) => ({ path: path.join('.'), message }));

describe('a mainnet node with nothing but its clients', () => {
  it('gets every default', () => {
    expect(spec({})).toEqual({
      network: { name: 'mainnet', chainId: 1, bootnodesCl: [], bootnodesEl: [], genesis: { validatorsRoot: '0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95' } },
      consensus: {
        client: 'lighthouse',
        version: 'latest',
        binary: '/usr/local/bin/lighthouse',
        dataDir: '/var/lib/lighthouse',
        user: 'lighthouse',
        listenAddress: '127.0.0.1',
        extraArgs: [],
        ports: { p2p: 9000, http: 5052, metrics: 5054 },
      },
      execution: {
        client: 'geth',
        version: 'latest',
        binary: '/usr/local/bin/geth',
        dataDir: '/var/lib/geth',
        user: 'geth',
        listenAddress: '127.0.0.1',
        extraArgs: [],
        ports: { p2p: 30303, http: 8545, engine: 8551, metrics: 6060 },
      },
      checkpointSync: {
        enabled: true,
        url: 'https://mainnet.checkpoint.sigp.io',
        alternatives: ['https://beaconstate.info', 'https://beaconstate.ethstaker.cc'],
        providers: ['https://mainnet.checkpoint.sigp.io', 'https://beaconstate.info', 'https://beaconstate.ethstaker.cc'],
        quorum: 2 / 3,
        source: 'provider',
        fallback: true,
        backfill: false,
      },
      cache: { enabled: false, directory: '/var/cache/nodeform', maxSizeMb: 1024, expiryHours: 24, compression: true },
      networkTuning: { maxConcurrentRequests: 8, requestTimeoutSeconds: 30, retries: 3, backoff: { strategy: 'exponential', minSeconds: 1, maxSeconds: 30 } },
      monitoring: MONITORING,
      jwtPath: '/etc/ethereum/jwt.hex',
    });
  });

  it('takes the default version from the options (the profiles)', () => {
    const result = nodeSpecFor(base, 'lab1', { defaultVersions: { lighthouse: 'v8.2.2', geth: 'v1.17.5' } });
    expect([result.spec?.consensus.version, result.spec?.execution.version]).toEqual(['v8.2.2', 'v1.17.5']);
    expect(nodeSpecFor({ ...base, consensus: { client: 'lighthouse', version: 'v7.0.0' } }, 'lab1', { defaultVersions: { lighthouse: 'v8.2.2' } }).spec?.consensus.version).toBe('v7.0.0');
  });
});

describe('defaults per client', () => {
  const ports: Record<ConsensusClient | ExecutionClient, Record<string, number>> = {
    lighthouse: { p2p: 9000, http: 5052, metrics: 5054 },
    prysm: { p2p: 13000, http: 3500, metrics: 8080 },
    teku: { p2p: 9000, http: 5051, metrics: 8008 },
    nimbus: { p2p: 9000, http: 5052, metrics: 8008 },
    lodestar: { p2p: 9000, http: 9596, metrics: 8008 },
    geth: { p2p: 30303, http: 8545, engine: 8551, metrics: 6060 },
    nethermind: { p2p: 30303, http: 8545, engine: 8551, metrics: 6060 },
    besu: { p2p: 30303, http: 8545, engine: 8551, metrics: 9545 },
    erigon: { p2p: 30303, http: 8545, engine: 8551, metrics: 6061 },
  };
  it.each(CONSENSUS_CLIENTS.map((c) => [c]))('consensus %s', (client) => {
    const node = spec({ consensus: { client } }).consensus;
    expect(node).toMatchObject({ binary: `/usr/local/bin/${client}`, dataDir: `/var/lib/${client}`, user: client, ports: ports[client] });
  });
  it.each(EXECUTION_CLIENTS.map((c) => [c]))('execution %s', (client) => {
    const node = spec({ execution: { client } }).execution;
    expect(node).toMatchObject({ binary: `/usr/local/bin/${client}`, dataDir: `/var/lib/${client}`, user: client, ports: ports[client] });
  });

  it('keeps what is set, and fills only the ports not given', () => {
    const node = spec({
      consensus: { client: 'teku', version: '25.1.0', binary: '/opt/teku/bin/teku', data_dir: '/data//teku/', user: 'beacon', listen_address: '0.0.0.0', ports: { http: 5052 }, peers: 80, extra_args: ['--a', 'b'] },
    }).consensus;
    expect(node).toEqual({
      client: 'teku',
      version: '25.1.0',
      binary: '/opt/teku/bin/teku',
      dataDir: '/data/teku',
      user: 'beacon',
      listenAddress: '0.0.0.0',
      peers: 80,
      extraArgs: ['--a', 'b'],
      ports: { p2p: 9000, http: 5052, metrics: 8008 },
    });
  });
});

describe('defaults per network', () => {
  const ephemeryFiles = {
    dir: '/etc/ethereum/ephemery',
    configYaml: '/etc/ethereum/ephemery/config.yaml',
    genesisSsz: '/etc/ethereum/ephemery/genesis.ssz',
    genesisJson: '/etc/ethereum/ephemery/genesis.json',
    bootEnrYaml: '/etc/ethereum/ephemery/boot_enr.yaml',
    depositContractBlock: '/etc/ethereum/ephemery/deposit_contract_block.txt',
  };
  it.each([
    ['mainnet', { name: 'mainnet', chainId: 1, bootnodesCl: [], bootnodesEl: [], genesis: { validatorsRoot: '0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95' } }, 'https://mainnet.checkpoint.sigp.io', 2],
    ['hoodi', { name: 'hoodi', chainId: 560048, bootnodesCl: [], bootnodesEl: [], genesis: { validatorsRoot: '0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f' } }, 'https://hoodi.beaconstate.ethstaker.cc', 1],
    ['sepolia', { name: 'sepolia', chainId: 11155111, bootnodesCl: [], bootnodesEl: [], genesis: { validatorsRoot: '0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078' } }, 'https://sepolia.beaconstate.info', 2],
    ['ephemery', { name: 'ephemery', files: ephemeryFiles, bootnodesCl: [], bootnodesEl: [] }, 'https://checkpointz.bordel.wtf', 1],
    [{ name: 'ephemery', iteration: 161 }, { name: 'ephemery', iteration: 161, chainId: 39438161, files: ephemeryFiles, bootnodesCl: [], bootnodesEl: [] }, 'https://checkpointz.bordel.wtf', 1],
    [{ name: 'ephemery', iteration: 0 }, { name: 'ephemery', iteration: 0, chainId: 39438000, files: ephemeryFiles, bootnodesCl: [], bootnodesEl: [] }, 'https://checkpointz.bordel.wtf', 1],
    [
      { name: 'custom', config_source: 'net', chain_id: 7, bootnodes_cl: ['enr:-x'], bootnodes_el: ['enode://y'] },
      { name: 'custom', chainId: 7, files: Object.fromEntries(Object.entries(ephemeryFiles).map(([k, v]) => [k, v.replace('ephemery', 'custom')])), bootnodesCl: ['enr:-x'], bootnodesEl: ['enode://y'] },
      undefined,
      0,
    ],
  ])('%j', (network, expected, url, alternatives) => {
    const node = spec({ network });
    expect(node.network).toEqual(expected);
    expect(node.checkpointSync.url).toBe(url);
    expect(node.checkpointSync.enabled).toBe(url !== undefined);
    expect(node.checkpointSync.alternatives).toHaveLength(alternatives);
  });

  it.each([
    ['ephemery', { kind: 'ephemery-release', url: 'https://github.com/ephemery-testnet/ephemery-genesis/releases', iteration: 'latest' }],
    [{ name: 'ephemery', iteration: 5, release_url: 'https://mirror.example/releases/' }, { kind: 'ephemery-release', url: 'https://mirror.example/releases', iteration: 5 }],
    [{ name: 'custom', config_source: './net' }, { kind: 'directory', path: './net' }],
    ['mainnet', undefined],
  ])('network %j comes from %j', (network, source) => {
    expect(nodeSpecFor({ ...base, network }, 'lab1').networkSource).toEqual(source);
  });
});

describe('checkpoint sync', () => {
  it.each([
    ['nothing: the network providers', {}, { enabled: true, url: 'https://mainnet.checkpoint.sigp.io', alternatives: ['https://beaconstate.info', 'https://beaconstate.ethstaker.cc'] }],
    ['disabled', { enabled: false }, { enabled: false, url: 'https://mainnet.checkpoint.sigp.io' }],
    ['a url alone is that provider only', { url: 'https://cp.example/' }, { enabled: true, url: 'https://cp.example', alternatives: [] }],
    ['providers: the first is used', { providers: ['https://a.example', 'https://b.example/'] }, { url: 'https://a.example', alternatives: ['https://b.example'], providers: ['https://a.example', 'https://b.example'] }],
    ['a url among providers is preferred', { providers: ['https://a.example', 'https://b.example'], url: 'https://b.example' }, { url: 'https://b.example', alternatives: ['https://a.example'], providers: ['https://b.example', 'https://a.example'] }],
    ['a url besides providers is preferred and cross-checked with them', { providers: ['https://a.example'], url: 'https://c.example' }, { url: 'https://c.example', providers: ['https://c.example', 'https://a.example'] }],
    ['quorum, source and fallback', { quorum: 0.5, source: 'fleet-cache', fallback: false }, { quorum: 0.5, source: 'fleet-cache', fallback: false }],
    ['defaults: 2/3, from a provider, with the fallback', {}, { quorum: 2 / 3, source: 'provider', fallback: true }],
    ['from files', { state_file: '/var/cache/state.ssz', block_file: '/var/cache/block.ssz', backfill: true }, { stateFile: '/var/cache/state.ssz', blockFile: '/var/cache/block.ssz', backfill: true }],
    ['yes as Ansible writes it', { enabled: 'no' }, { enabled: false }],
  ])('%s', (_name, checkpoint_sync, expected) => {
    expect(spec({ checkpoint_sync }).checkpointSync).toMatchObject(expected);
  });

  it('is off on a custom network without providers, and on with files', () => {
    const custom = { name: 'custom', config_source: 'net' };
    expect(spec({ network: custom }).checkpointSync).toEqual({ enabled: false, alternatives: [], providers: [], quorum: 2 / 3, source: 'provider', fallback: true, backfill: false });
    expect(spec({ network: custom, checkpoint_sync: { state_file: '/s.ssz' } }).checkpointSync).toMatchObject({ enabled: true, stateFile: '/s.ssz' });
  });
});

describe('cache, network tuning and monitoring', () => {
  it('take what is set and default the rest', () => {
    const node = spec({
      cache: { enabled: true, lighthouse: { state_cache_size: 64, block_cache_size: 16 }, teku: { state_cache_size: 4 }, execution_cache_mb: 2048, compression: false },
      network_tuning: { retries: 0, backoff: { strategy: 'fixed', min_seconds: 5 } },
      monitoring: { metrics: 'yes', metrics_address: '0.0.0.0' },
    });
    expect(node.cache).toEqual({ enabled: true, directory: '/var/cache/nodeform', maxSizeMb: 1024, stateCacheSize: 64, blockCacheSize: 16, executionCacheMb: 2048, expiryHours: 24, compression: false });
    expect(node.networkTuning).toEqual({ maxConcurrentRequests: 8, requestTimeoutSeconds: 30, retries: 0, backoff: { strategy: 'fixed', minSeconds: 5, maxSeconds: 30 } });
    expect(node.monitoring).toMatchObject({ metrics: true, metricsAddress: '0.0.0.0' });
  });

  it('monitoring: the stall policy, alerts (json when no kind is said), rate limit, history bound and the on-host monitor', () => {
    const node = spec({
      monitoring: {
        monitor: 'no',
        interval_seconds: 30,
        window_seconds: 120,
        min_slots_per_window: 4,
        synced_distance: 2,
        execution_lag_blocks: 10,
        optimistic_seconds: 60,
        alerts: [{ url: 'https://hooks.example/T0/abc' }, { url: 'http://am:9093', kind: 'alertmanager' }, { url: 'https://hooks.slack.com/x', kind: 'slack' }],
        alert_interval_seconds: 0,
        history_max_bytes: 65536,
        textfile_directory: '/var/lib/prometheus/node-exporter/',
      },
    });
    expect(node.monitoring).toEqual({
      metrics: false,
      metricsAddress: '127.0.0.1',
      monitor: false,
      intervalSeconds: 30,
      stall: { windowSeconds: 120, minSlotsPerWindow: 4, syncedDistance: 2, executionLagBlocks: 10, optimisticSeconds: 60 },
      alerts: [
        { url: 'https://hooks.example/T0/abc', kind: 'json' },
        { url: 'http://am:9093', kind: 'alertmanager' },
        { url: 'https://hooks.slack.com/x', kind: 'slack' },
      ],
      alertIntervalSeconds: 0,
      historyMaxBytes: 65536,
      textfileDirectory: '/var/lib/prometheus/node-exporter',
    });
  });

  it('monitoring: a window shorter than two runs of the on-host monitor is refused while the monitor is on', () => {
    const message = 'window_seconds (90) must be at least twice interval_seconds (60): the on-host monitor needs two samples inside a window to measure progress';
    expect(problems({ monitoring: { window_seconds: 90 } })).toEqual([{ path: 'monitoring.window_seconds', message }]);
    expect(problems({ monitoring: { window_seconds: 90, monitor: false } })).toEqual([]);
    expect(problems({ monitoring: { interval_seconds: 600 } })).toEqual([
      { path: 'monitoring.interval_seconds', message: 'window_seconds (300) must be at least twice interval_seconds (600): the on-host monitor needs two samples inside a window to measure progress' },
    ]);
    expect(problems({ monitoring: { textfile_directory: 'textfiles' } })).toEqual([{ path: 'monitoring.textfile_directory', message: expect.stringMatching(/absolute/) }]);
    expect(problems({ monitoring: { textfile_directory: '/var/lib/node%exporter' } })).toEqual([
      { path: 'monitoring.textfile_directory', message: 'must be a path without spaces, quotes, % or $ (it is named in a systemd unit)' },
    ]);
  });

  it('monitoring: a history bound that cannot hold a window is refused', () => {
    // 4096 bytes: 3072 after a trim, 12 samples of at most 256 bytes; a 660 s window at 60 s needs 12.
    expect(problems({ monitoring: { history_max_bytes: 4096, window_seconds: 660 } })).toEqual([]);
    expect(problems({ monitoring: { history_max_bytes: 4096, window_seconds: 720 } })).toEqual([
      {
        path: 'monitoring.history_max_bytes',
        message: 'history_max_bytes (4096) keeps about 12 samples, fewer than the 13 a window of 720 s at one sample every 60 s needs: raise history_max_bytes to at least 4438',
      },
    ]);
  });

  it('a min_seconds above the default max raises the max with it', () => {
    expect(spec({ network_tuning: { backoff: { min_seconds: 90 } } }).networkTuning.backoff).toEqual({ strategy: 'exponential', minSeconds: 90, maxSeconds: 90 });
  });

  it('peers_cl and peers_el override the clients\' peers, with a warning when both are set', () => {
    const vars = { consensus: { client: 'lighthouse', peers: 50 }, network_tuning: { peers_cl: 100, peers_el: 25 } };
    const node = spec(vars);
    expect([node.consensus.peers, node.execution.peers, node.networkTuning.peersCl, node.networkTuning.peersEl]).toEqual([100, 25, 100, 25]);
    expect(warnings(vars)).toEqual([{ path: 'network_tuning.peers_cl', message: 'overrides consensus.peers (50) with 100' }]);
  });
});

describe('extra_args', () => {
  it.each([
    [['--a', '--b=c d'], ['--a', '--b=c d'], [{ path: ['consensus', 'extra_args', 0] }, { path: ['consensus', 'extra_args', 1] }]],
    ["--a  '--b=c d'", ['--a', '--b=c d'], [{ path: ['consensus', 'extra_args'], column: 0 }, { path: ['consensus', 'extra_args'], column: 5 }]],
    ['', [], []],
  ])('%j', (extra_args, words, origins) => {
    const result = nodeSpecFor({ ...base, consensus: { client: 'lighthouse', extra_args } }, 'lab1');
    expect(result.spec?.consensus.extraArgs).toEqual(words);
    expect(result.extraArgOrigins.consensus).toEqual(origins);
  });
});

describe('old variable names', () => {
  it.each([
    [{ cl_client_name: 'teku' }, (n: NodeSpec) => n.consensus.client, 'teku', 'cl_client_name is an old name: write consensus: { client: teku } (nodeform import rewrites old inventories)'],
    [{ consensus_client: 'nimbus' }, (n: NodeSpec) => n.consensus.client, 'nimbus', 'consensus_client is an old name: write consensus: { client: nimbus } (nodeform import rewrites old inventories)'],
    [{ el_client_name: 'besu' }, (n: NodeSpec) => n.execution.client, 'besu', 'el_client_name is an old name: write execution: { client: besu } (nodeform import rewrites old inventories)'],
    [{ execution_client: 'erigon' }, (n: NodeSpec) => n.execution.client, 'erigon', 'execution_client is an old name: write execution: { client: erigon } (nodeform import rewrites old inventories)'],
    [{ cl_extra_opts: '--a "b c"' }, (n: NodeSpec) => n.consensus.extraArgs, ['--a', 'b c'], 'cl_extra_opts is an old name: write consensus: { extra_args: [ --a, b c ] } (nodeform import rewrites old inventories)'],
    [{ el_extra_opts: ['--x'] }, (n: NodeSpec) => n.execution.extraArgs, ['--x'], 'el_extra_opts is an old name: write execution: { extra_args: [ --x ] } (nodeform import rewrites old inventories)'],
    [{ use_checkpoint_sync: false }, (n: NodeSpec) => n.checkpointSync.enabled, false, 'use_checkpoint_sync is an old name: write checkpoint_sync: { enabled: false } (nodeform import rewrites old inventories)'],
    [{ use_checkpoint_sync: 'yes' }, (n: NodeSpec) => n.checkpointSync.enabled, true, 'use_checkpoint_sync is an old name: write checkpoint_sync: { enabled: true } (nodeform import rewrites old inventories)'],
    [{ checkpoint_sync_url: 'https://cp.example' }, (n: NodeSpec) => n.checkpointSync.url, 'https://cp.example', 'checkpoint_sync_url is an old name: write checkpoint_sync: { url: https://cp.example } (nodeform import rewrites old inventories)'],
  ])('%j', (vars, read, value, warning) => {
    // An old client name stands in for the mapping it replaces.
    const name = Object.keys(vars)[0]!;
    const replaced = OLD_NODE_VARIABLES[name]?.key === 'client' ? OLD_NODE_VARIABLES[name].variable : undefined;
    const result = nodeSpecFor(Object.fromEntries(Object.entries({ ...base, ...vars }).filter(([key]) => key !== replaced)), 'lab1');
    expect(result.problems).toEqual([]);
    expect(read(result.spec!)).toEqual(value);
    expect(result.warnings).toEqual([{ host: 'lab1', path: [Object.keys(vars)[0]], message: warning, key: true }]);
  });

  it('the new setting wins where both are set, and the warning says so', () => {
    const result = nodeSpecFor({ ...base, cl_client_name: 'teku' }, 'lab1');
    expect(result.spec?.consensus.client).toBe('lighthouse');
    expect(result.warnings[0]?.message).toBe('cl_client_name is an old name: write consensus: { client: teku }; ignored here, since consensus.client is set (nodeform import rewrites old inventories)');
  });

  it('newFormText shows one setting in flow style', () => {
    expect(newFormText('cl_extra_opts', "--graffiti 'a b'")).toBe('consensus: { extra_args: [ --graffiti, a b ] }');
    expect(newFormText('cl_extra_opts', '--a; b')).toBe('consensus: { extra_args: --a; b }');
  });
});

describe('problems', () => {
  it.each([
    ['no network', { network: undefined }, [{ path: '', message: 'network is not set: choose ephemery, mainnet, hoodi, sepolia, or a custom network { name: custom, config_source: DIR }' }]],
    ['no consensus client', { consensus: undefined }, [{ path: '', message: 'consensus.client is not set: choose lighthouse, prysm, teku, nimbus, lodestar' }]],
    ['a consensus mapping without client', { consensus: { peers: 3 } }, [{ path: 'consensus', message: 'consensus.client is not set: choose lighthouse, prysm, teku, nimbus, lodestar' }]],
    ['iteration on mainnet', { network: { name: 'mainnet', iteration: 3 } }, [{ path: 'network.iteration', message: 'iteration applies to ephemery only: other networks do not reset' }]],
    ['release_url on sepolia', { network: { name: 'sepolia', release_url: 'https://x.example' } }, [{ path: 'network.release_url', message: 'release_url applies to ephemery only: other networks have no releases to follow' }]],
    ['config_source on ephemery', { network: { name: 'ephemery', iteration: 1, config_source: 'x' } }, [{ path: 'network.config_source', message: "config_source applies to custom only: ephemery's files come from its releases; mainnet, hoodi and sepolia are built into the clients" }]],
    ['custom without config_source', { network: { name: 'custom', chain_id: 5 } }, [{ path: 'network', message: 'a custom network needs config_source: the directory holding its config.yaml, genesis.ssz and genesis.json' }]],
    ['mainnet with another chain id', { network: { name: 'mainnet', chain_id: 5 } }, [{ path: 'network.chain_id', message: "mainnet's chain id is 1: remove chain_id" }]],
    ['ephemery chain id and iteration disagree', { network: { name: 'ephemery', iteration: 2, chain_id: 39438001 } }, [{ path: 'network.chain_id', message: 'iteration 2 is chain id 39438002, not 39438001: remove chain_id or fix it' }]],
    ['ephemery chain id without iteration', { network: { name: 'ephemery', chain_id: 39438001 } }, [{ path: 'network.chain_id', message: "ephemery's chain id follows its iteration: set network.iteration instead" }]],
    ['a relative data_dir', { consensus: { client: 'lighthouse', data_dir: 'data/lh' } }, [{ path: 'consensus.data_dir', message: 'must be an absolute path: start it with / (got "data/lh")' }]],
    ['a binary with $()', { execution: { client: 'geth', binary: '/usr/bin/$(id)' } }, [{ path: 'execution.binary', message: "must not contain shell metacharacters ('$', '(', ')')" }]],
    ['extra_args with ;', { consensus: { client: 'lighthouse', extra_args: '--a; reboot' } }, [{ path: 'consensus.extra_args', message: "';' is a shell operator: extra arguments go to the client as they are, no shell runs them; quote it if it is part of a value" }]],
    ['block_file alone', { checkpoint_sync: { block_file: '/b.ssz' } }, [{ path: 'checkpoint_sync.block_file', message: 'block_file needs state_file: the state it belongs to' }]],
    ['checkpoint sync with nothing to start from', { network: { name: 'custom', config_source: 'n' }, checkpoint_sync: { enabled: true } }, [{ path: 'checkpoint_sync.enabled', message: 'checkpoint sync needs somewhere to start from: set checkpoint_sync.providers (or url), or state_file' }]],
    ['backoff min above max', { network_tuning: { backoff: { min_seconds: 10, max_seconds: 5 } } }, [{ path: 'network_tuning.backoff.max_seconds', message: 'min_seconds (10) is above max_seconds (5)' }]],
    ['two settings on one port', { execution: { client: 'geth', ports: { http: 5052 } } }, [{ path: 'execution.ports.http', message: 'port 5052 is used by both consensus.ports.http and execution.ports.http: give one of them another port' }]],
    ['the metrics port clashes only when metrics are on', { consensus: { client: 'lighthouse', ports: { metrics: 6060 } }, monitoring: { metrics: true } }, [{ path: 'consensus.ports.metrics', message: 'port 6060 is used by both consensus.ports.metrics and execution.ports.metrics: give one of them another port' }]],
    ['one user for both', { execution: { client: 'geth', user: 'lighthouse' } }, [{ path: 'execution.user', message: 'both clients would run as user lighthouse: each needs its own user' }]],
    ['nested data directories', { consensus: { client: 'lighthouse', data_dir: '/var/lib/geth/beacon' } }, [{ path: 'consensus.data_dir', message: 'the data directories /var/lib/geth/beacon and /var/lib/geth overlap: each client needs its own' }]],
  ])('%s', (_name, vars, expected) => {
    expect(problems(vars)).toEqual(expected);
    expect(nodeSpecFor({ ...base, ...vars }, 'lab1').spec).toBeUndefined();
  });

  it('a metrics port may equal another client\'s when metrics are off', () => {
    expect(problems({ consensus: { client: 'lighthouse', ports: { metrics: 6060 } } })).toEqual([]);
  });

  it('values of the wrong type are left to the schema and defaulted here', () => {
    const node = spec({ consensus: { client: 'lighthouse', peers: 'many', ports: { http: 'x' } }, cache: 'big' });
    expect([node.consensus.peers, node.consensus.ports.http, node.cache.maxSizeMb]).toEqual([undefined, 5052, 1024]);
  });
});
