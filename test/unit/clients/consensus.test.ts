// The consensus client profiles: golden renderings, and every rendered flag checked against the client's
// flag reference (src/clients/flags/<client>.json).
import { describe, expect, it } from 'vitest';
import { flagName, flagsOf } from '../../../src/clients/args.js';
import { CONSENSUS_PROFILES } from '../../../src/clients/consensus.js';
import type { ClientRendering, ConsensusClient, NetworkName, NodeSpec } from '../../../src/clients/types.js';
import { NodeformError } from '../../../src/errors.js';
import { expectGolden, formatRendering } from './golden.js';
import { NODES, reference, ROLES, SETTING, valueOf } from './reference.js';

const CLIENTS: ConsensusClient[] = ['lighthouse', 'prysm', 'teku', 'nimbus', 'lodestar'];

function node(client: ConsensusClient, network: keyof typeof NODES, edit: (n: NodeSpec) => void = () => {}): NodeSpec {
  const n = NODES[network](client, 'geth');
  edit(n);
  return n;
}

/** Every way a node can be declared that changes which flags a profile renders. */
function variants(client: ConsensusClient): [string, NodeSpec][] {
  const files = (n: NodeSpec) => {
    n.checkpointSync.stateFile = '/var/cache/nodeform/state.ssz';
    n.checkpointSync.blockFile = '/var/cache/nodeform/block.ssz';
  };
  return [
    ['ephemery', node(client, 'ephemery')],
    ['mainnet', node(client, 'mainnet')],
    ['hoodi', node(client, 'mainnet', (n) => (n.network = { name: 'hoodi', bootnodesCl: [], bootnodesEl: [] }))],
    ['sepolia', node(client, 'mainnet', (n) => (n.network = { name: 'sepolia', bootnodesCl: [], bootnodesEl: [] }))],
    ['checkpoint files', node(client, 'ephemery', files)],
    ['checkpoint files, mainnet', node(client, 'mainnet', files)],
    ['state file only', node(client, 'mainnet', (n) => (n.checkpointSync.stateFile = '/var/cache/nodeform/state.ssz'))],
    ['backfill', node(client, 'ephemery', (n) => (n.checkpointSync.backfill = true))],
    ['no checkpoint sync', node(client, 'ephemery', (n) => (n.checkpointSync.enabled = false))],
    ['peers tuned', node(client, 'ephemery', (n) => (n.networkTuning.peersCl = 33))],
    ['no peer target', node(client, 'mainnet', (n) => (n.consensus.peers = undefined))],
    ['own address', node(client, 'ephemery', (n) => (n.consensus.listenAddress = '127.0.0.12'))],
  ];
}

const PEER_FLAG: Record<ConsensusClient, string> = {
  lighthouse: '--target-peers',
  prysm: '--p2p-max-peers',
  teku: '--p2p-peer-upper-bound',
  nimbus: '--max-peers',
  lodestar: '--targetPeers',
};

/** Flags that start from checkpoint files, and the one that starts from a URL (Nimbus: in its init step). */
const CHECKPOINT: Record<ConsensusClient, { files: string[]; url: string }> = {
  lighthouse: { files: ['--checkpoint-state', '--checkpoint-block'], url: '--checkpoint-sync-url' },
  prysm: { files: ['--checkpoint-state', '--checkpoint-block'], url: '--checkpoint-sync-url' },
  teku: { files: ['--initial-state'], url: '--checkpoint-sync-url' },
  nimbus: { files: ['--finalized-checkpoint-state'], url: '--trusted-node-url' },
  lodestar: { files: ['--checkpointState'], url: '--checkpointSyncUrl' },
};

const allFlags = (r: ClientRendering) => [...flagsOf(r.argv), ...flagsOf(r.initArgv ?? [])];

describe('consensus client profiles', () => {
  it('has one consensus profile per client, named after it', () => {
    expect(Object.keys(CONSENSUS_PROFILES).sort()).toEqual([...CLIENTS].sort());
    for (const [name, profile] of Object.entries(CONSENSUS_PROFILES)) {
      expect(profile.name).toBe(name);
      expect(profile.kind).toBe('consensus');
      expect(profile.targetVersion).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect(profile.minVersion).toMatch(/^v?\d+\.\d+\.\d+$/);
    }
  });

  describe.each(CLIENTS)('%s', (client) => {
    const profile = CONSENSUS_PROFILES[client];
    const rows = reference(client);
    const known = new Map(rows.map((r) => [r.flag, r]));
    const byRole = (role: string) => rows.find((r) => r.role === role)!.flag;

    it('has a flag reference pinned to the profile target version', () => {
      expect(known.size, 'duplicate rows').toBe(rows.length);
      for (const r of rows) {
        expect(r.version, r.flag).toBe(profile.targetVersion);
        expect(r.source, r.flag).toMatch(/\S/);
        expect(typeof r.takesValue, r.flag).toBe('boolean');
        expect(r.flag, 'flag names start with --').toMatch(/^--[A-Za-z]/);
        if (r.role !== undefined) expect(ROLES.has(r.role), `${r.flag} role ${r.role}`).toBe(true);
      }
      for (const role of ['datadir', 'http-address', 'http-port', 'jwt', 'p2p-port', 'metrics-port', 'metrics-address']) {
        expect(rows.filter((r) => r.role === role), `one flag with role ${role}`).toHaveLength(1);
      }
      // clients.md: seen in old Ephemery scripts, do not exist.
      for (const invented of ['--private-tx-pool', '--checkpoint-sync-cache-path', '--checkpoint-state-cache', '--enable-state-prefetching', '--web3-url-timeout']) {
        expect(known.has(invented), invented).toBe(false);
      }
    });

    describe.each(Object.keys(NODES) as (keyof typeof NODES)[])('%s', (network) => {
      const n = node(client, network);
      const rendering = profile.render(n);

      it('matches the golden rendering', () => {
        expectGolden(`${client}-${network}`, formatRendering(profile, rendering));
      });

      it('starts with the binary, serves the Beacon API where health looks, keeps identity out of chain data', () => {
        expect(rendering.argv[0]).toBe(n.consensus.binary);
        expect(rendering.health).toEqual({ kind: 'beacon-api', url: `http://${n.consensus.listenAddress}:${n.consensus.ports.http}` });
        expect(valueOf(rendering.argv, byRole('datadir'))).toBe(n.consensus.dataDir);
        expect(valueOf(rendering.argv, byRole('http-address'))).toBe(n.consensus.listenAddress);
        expect(valueOf(rendering.argv, byRole('http-port'))).toBe(String(n.consensus.ports.http));
        expect(valueOf(rendering.argv, byRole('jwt'))).toBe(n.jwtPath);
        expect(valueOf(rendering.argv, byRole('p2p-port'))).toBe(String(n.consensus.ports.p2p));
        expect(rendering.argv.some((w) => w.includes(`http://127.0.0.1:${n.execution.ports.engine}`)), 'engine endpoint').toBe(true);
        expect(rendering.chainDataPaths.length).toBeGreaterThan(0);
        for (const p of [...rendering.identityPaths, ...rendering.chainDataPaths]) expect(p).toMatch(/^[^/.][^]*$/);
        for (const id of rendering.identityPaths) {
          expect(rendering.chainDataPaths.some((c) => id === c || id.startsWith(`${c}/`) || c.startsWith(`${id}/`)), `${id} overlaps chain data`).toBe(false);
        }
        for (const na of rendering.notApplicable) {
          expect(na.setting).toMatch(SETTING);
          expect(na.reason).toMatch(/\S/);
        }
      });
    });

    it.each(variants(client))('renders only reference flags, in their shape, each owned by a setting (%s)', (_name, n) => {
      const r = profile.render(n);
      for (const argv of [r.argv, r.initArgv ?? []]) {
        for (let i = 0; i < argv.length; i++) {
          const f = flagName(argv[i]!);
          if (f === undefined) continue;
          const row = known.get(f);
          expect(row, `${f} is not in src/clients/flags/${client}.json`).toBeDefined();
          const inline = argv[i]!.includes('=');
          if (row!.takesValue) {
            // A value, inline or as the next word.
            expect(inline || (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')), `${f} needs a value`).toBe(true);
            if (!inline) i++;
          } else if (inline) {
            // Only `--switch=true|false`, and never for Lighthouse (clap switches take no value).
            expect(client).not.toBe('lighthouse');
            expect(argv[i]!.slice(f.length + 1)).toMatch(/^(true|false)$/);
          }
        }
      }
      // No extra_args here: every flag is nodeform's, and every managed flag is rendered.
      expect(new Set(Object.keys(r.managedFlags))).toEqual(new Set(allFlags(r)));
      for (const setting of Object.values(r.managedFlags)) expect(setting).toMatch(SETTING);
    });

    it('appends extra_args last, as given', () => {
      const extra = ['--some-flag', 'value with spaces', '--other'];
      const r = profile.render(node(client, 'mainnet', (n) => (n.consensus.extraArgs = extra)));
      expect(r.argv.slice(-extra.length)).toEqual(extra);
      expect(Object.keys(r.managedFlags)).not.toContain('--some-flag');
    });

    it('takes the peer target from network_tuning.peers_cl over consensus.peers, and leaves the default when neither is set', () => {
      const f = PEER_FLAG[client];
      const own = profile.render(node(client, 'mainnet'));
      expect(valueOf(own.argv, f)).toBe('70');
      expect(own.managedFlags[f]).toBe('consensus.peers');

      const tuned = profile.render(node(client, 'mainnet', (n) => (n.networkTuning.peersCl = 33)));
      expect(valueOf(tuned.argv, f)).toBe('33');
      expect(tuned.managedFlags[f]).toBe('network_tuning.peers_cl');

      const none = profile.render(node(client, 'mainnet', (n) => (n.consensus.peers = undefined)));
      expect(valueOf(none.argv, f)).toBeUndefined();
      expect(Object.values(none.managedFlags).filter((s) => s.includes('peers'))).toEqual([]);
    });

    it('renders no metrics flag when metrics are off, and address and port when on', () => {
      const off = profile.render(node(client, 'mainnet'));
      expect(valueOf(off.argv, byRole('metrics-port'))).toBeUndefined();
      expect(valueOf(off.argv, byRole('metrics-address'))).toBeUndefined();
      const metricsOwned = Object.entries(off.managedFlags).filter(([, s]) => s.startsWith('monitoring.') || s === 'consensus.ports.metrics');
      // Prysm serves metrics unless told not to: its only metrics flag when off is the one that turns them off.
      expect(metricsOwned).toEqual(client === 'prysm' ? [['--disable-monitoring', 'monitoring.metrics']] : []);

      const on = profile.render(node(client, 'ephemery', (n) => (n.monitoring.metricsAddress = '127.0.0.9')));
      expect(valueOf(on.argv, byRole('metrics-address'))).toBe('127.0.0.9');
      expect(valueOf(on.argv, byRole('metrics-port'))).toBe('5054');
      expect(valueOf(on.argv, '--disable-monitoring')).toBeUndefined();
    });

    it('checkpoint-syncs from the URL, or from files when they are set', () => {
      const { files, url } = CHECKPOINT[client];
      const fromUrl = profile.render(node(client, 'ephemery'));
      expect(allFlags(fromUrl)).toContain(url);
      for (const f of files) expect(valueOf(fromUrl.argv, f)).toBeUndefined();

      const fromFiles = profile.render(
        node(client, 'ephemery', (n) => {
          n.checkpointSync.stateFile = '/var/cache/nodeform/state.ssz';
          n.checkpointSync.blockFile = '/var/cache/nodeform/block.ssz';
        }),
      );
      expect(allFlags(fromFiles)).not.toContain(url);
      expect(fromFiles.initArgv).toBeUndefined();
      expect(valueOf(fromFiles.argv, files[0]!)).toBe('/var/cache/nodeform/state.ssz');
      if (files[1]) expect(valueOf(fromFiles.argv, files[1])).toBe('/var/cache/nodeform/block.ssz');
      else expect(fromFiles.notApplicable.map((x) => x.setting)).toContain('checkpoint_sync.block_file');

      const disabled = profile.render(node(client, 'ephemery', (n) => (n.checkpointSync.enabled = false)));
      expect(allFlags(disabled).filter((f) => f === url || files.includes(f))).toEqual([]);
      expect(disabled.initArgv).toBeUndefined();
    });

    it('reports settings it cannot honour instead of dropping them silently', () => {
      const r = profile.render(node(client, 'ephemery', (n) => (n.checkpointSync.backfill = true)));
      const na = r.notApplicable.map((x) => x.setting);
      const owned = new Set(Object.values(r.managedFlags));
      // Declared on the Ephemery node: state and block cache sizes, alternatives, backfill.
      expect(owned.has('checkpoint_sync.backfill') !== na.includes('checkpoint_sync.backfill'), 'backfill: exactly one of flag or notApplicable').toBe(true);
      // The memory caches are per client (cache.lighthouse.*, cache.teku.*): the spec gives them to those two only.
      const caches = [...owned].filter((setting) => setting.startsWith('cache.'));
      expect(caches).toEqual(client === 'lighthouse' || client === 'teku' ? [`cache.${client}.state_cache_size`, `cache.${client}.block_cache_size`] : []);
      expect(na).toContain('checkpoint_sync.alternatives');
      // Nothing on mainnet is left unhonoured but the fact that Nimbus syncs from a URL in an init step.
      expect(profile.render(node(client, 'mainnet')).notApplicable.map((x) => x.setting)).toEqual(client === 'nimbus' ? ['checkpoint_sync.url'] : []);
    });

    it('points Ephemery at its network files and consensus bootnodes', () => {
      const eph = node(client, 'ephemery');
      const r = profile.render(eph);
      const f = eph.network.files!;
      const expected: Record<ConsensusClient, [string, string][]> = {
        lighthouse: [['--testnet-dir', f.dir], ['--boot-nodes', eph.network.bootnodesCl.join(',')]],
        prysm: [['--chain-config-file', f.configYaml], ['--genesis-state', f.genesisSsz], ['--bootstrap-node', eph.network.bootnodesCl[0]!]],
        teku: [['--network', f.configYaml], ['--genesis-state', f.genesisSsz], ['--p2p-discovery-bootnodes', eph.network.bootnodesCl.join(',')]],
        nimbus: [['--network', f.dir], ['--bootstrap-node', eph.network.bootnodesCl[0]!]],
        lodestar: [['--paramsFile', f.configYaml], ['--genesisStateFile', f.genesisSsz], ['--bootnodes', eph.network.bootnodesCl.join(',')]],
      };
      for (const [flag, value] of expected[client]) expect(valueOf(r.argv, flag), flag).toBe(value);
      const none = profile.render(node(client, 'ephemery', (n) => (n.network.bootnodesCl = [])));
      expect(Object.values(none.managedFlags)).not.toContain('network.bootnodes_cl');
    });

    it('says the preset where the client needs it: Lodestar on a minimal-preset network from files', () => {
      const minimal = profile.render(node(client, 'ephemery', (n) => (n.network.preset = 'minimal')));
      const mainnet = profile.render(node(client, 'ephemery', (n) => (n.network.preset = 'mainnet')));
      expect(valueOf(minimal.argv, '--preset')).toBe(client === 'lodestar' ? 'minimal' : undefined);
      expect(valueOf(mainnet.argv, '--preset')).toBeUndefined();
    });

    it.each(['mainnet', 'hoodi', 'sepolia'] as NetworkName[])('selects the built-in %s network by name', (name) => {
      const r = profile.render(node(client, 'mainnet', (n) => (n.network = { name, bootnodesCl: [], bootnodesEl: [] })));
      const expected: Record<ConsensusClient, [string, string | null]> = {
        lighthouse: ['--network', name],
        prysm: [`--${name}`, null],
        teku: ['--network', name],
        nimbus: ['--network', name],
        lodestar: ['--network', name],
      };
      const [f, v] = expected[client];
      expect(valueOf(r.argv, f)).toBe(v);
      expect(r.managedFlags[f]).toBe('network.name');
      expect(r.files).toEqual([]);
    });

    it('uses a built-in Ephemery where the client has one, and otherwise asks for the network files', () => {
      const n = node(client, 'ephemery', (x) => (x.network.files = undefined));
      if (client === 'teku' || client === 'lodestar') {
        expect(valueOf(profile.render(n).argv, '--network')).toBe('ephemery');
      } else {
        expect(() => profile.render(n)).toThrow(NodeformError);
        expect(() => profile.render(n)).toThrow(/network\.files/);
      }
      const custom = node(client, 'ephemery', (x) => ((x.network.name = 'custom'), (x.network.files = undefined)));
      expect(() => profile.render(custom)).toThrow(/network\.files/);
    });

    it('listens for the Beacon API on the declared address, and health follows it', () => {
      const r = profile.render(node(client, 'ephemery', (n) => (n.consensus.listenAddress = '127.0.0.12')));
      expect(valueOf(r.argv, byRole('http-address'))).toBe('127.0.0.12');
      expect(r.health.url).toBe('http://127.0.0.12:5052');
    });
  });

  it('Lighthouse allows genesis sync only when checkpoint sync is off, and backfills to genesis on request', () => {
    const lh = CONSENSUS_PROFILES.lighthouse;
    expect(valueOf(lh.render(node('lighthouse', 'ephemery')).argv, '--allow-insecure-genesis-sync')).toBeUndefined();
    expect(valueOf(lh.render(node('lighthouse', 'ephemery', (n) => (n.checkpointSync.enabled = false))).argv, '--allow-insecure-genesis-sync')).toBeNull();
    expect(valueOf(lh.render(node('lighthouse', 'ephemery', (n) => (n.checkpointSync.backfill = true))).argv, '--genesis-backfill')).toBeNull();
    // --checkpoint-state requires --checkpoint-block (beacon_node/src/cli.rs): one file alone falls back to the URL.
    const half = lh.render(node('lighthouse', 'mainnet', (n) => (n.checkpointSync.stateFile = '/s.ssz')));
    expect(valueOf(half.argv, '--checkpoint-state')).toBeUndefined();
    expect(valueOf(half.argv, '--checkpoint-sync-url')).toBe('https://mainnet.checkpoint.sigp.io');
    expect(half.notApplicable.map((x) => x.setting)).toEqual(['checkpoint_sync.state_file']);
  });

  it('Prysm accepts the terms, fetches genesis from the checkpoint provider off Ephemery, and spreads p2p over three ports', () => {
    const p = CONSENSUS_PROFILES.prysm;
    const main = p.render(node('prysm', 'mainnet'));
    expect(main.argv[1]).toBe('--accept-terms-of-use');
    expect(valueOf(main.argv, '--genesis-beacon-api-url')).toBe('https://mainnet.checkpoint.sigp.io');
    expect(valueOf(p.render(node('prysm', 'ephemery')).argv, '--genesis-beacon-api-url')).toBeUndefined();
    expect([valueOf(main.argv, '--p2p-tcp-port'), valueOf(main.argv, '--p2p-udp-port'), valueOf(main.argv, '--p2p-quic-port')]).toEqual(['9000', '9000', '9001']);
    const bf = p.render(node('prysm', 'ephemery', (n) => (n.checkpointSync.backfill = true)));
    expect([valueOf(bf.argv, '--enable-backfill'), valueOf(bf.argv, '--backfill-oldest-slot')]).toEqual([null, '0']);
    const eph = node('prysm', 'ephemery', (n) => n.network.bootnodesCl.push('enr:-second'));
    expect(p.render(eph).argv.filter((w) => w.startsWith('--bootstrap-node='))).toEqual(eph.network.bootnodesCl.map((e) => `--bootstrap-node=${e}`));
  });

  it('Teku allows the hosts it is reached by, keeps its peer bounds ordered, and stores all blocks for backfill', () => {
    const t = CONSENSUS_PROFILES.teku;
    const r = t.render(node('teku', 'ephemery', (n) => ((n.consensus.listenAddress = '127.0.0.12'), (n.monitoring.metricsAddress = '0.0.0.0'))));
    expect(valueOf(r.argv, '--rest-api-host-allowlist')).toBe('localhost,127.0.0.1,127.0.0.12');
    expect(valueOf(r.argv, '--metrics-host-allowlist')).toBe('*');
    expect(r.health.url).toBe('http://127.0.0.12:5052');
    expect([valueOf(r.argv, '--p2p-peer-lower-bound'), valueOf(r.argv, '--p2p-peer-upper-bound')]).toEqual(['64', '70']);
    const few = t.render(node('teku', 'mainnet', (n) => (n.consensus.peers = 30)));
    expect([valueOf(few.argv, '--p2p-peer-lower-bound'), valueOf(few.argv, '--p2p-peer-upper-bound')]).toEqual(['30', '30']);
    expect(valueOf(t.render(node('teku', 'ephemery', (n) => (n.checkpointSync.backfill = true))).argv, '--data-storage-mode')).toBe('prune');
  });

  it('Nimbus runs the documented one-shot trustedNodeSync for a checkpoint URL, and never prompts', () => {
    const nb = CONSENSUS_PROFILES.nimbus;
    const eph = node('nimbus', 'ephemery');
    const r = nb.render(eph);
    expect(r.initArgv).toEqual([
      eph.consensus.binary,
      'trustedNodeSync',
      `--network=${eph.network.files!.dir}`,
      `--data-dir=${eph.consensus.dataDir}`,
      `--trusted-node-url=${eph.checkpointSync.url}`,
      '--backfill=false',
    ]);
    // The init unit runs while the first chain data path is absent: trustedNodeSync creates it.
    expect(r.chainDataPaths[0]).toBe('db');
    expect(r.notApplicable.map((x) => x.setting)).toContain('checkpoint_sync.url');
    expect(valueOf(r.argv, '--non-interactive')).toBeNull();
    expect(r.identityPaths).toEqual([]);
    // The beacon node itself gets no URL: --external-beacon-api-url would need a trusted root.
    expect(flagsOf(r.argv)).not.toContain('--trusted-node-url');
  });

  it('Lodestar renders only flags that also exist in the lab\'s 1.5.1, in --name=value form', () => {
    // Options declared at tag v1.5.1 (packages/cli/src/options/globalOptions.ts, beaconNodeOptions/{api,
    // execution,metrics,network}.ts, cmds/beacon/options.ts), as the lab's `lodestar --help` knows them.
    const v151 = new Set(['--dataDir', '--network', '--paramsFile', '--genesisStateFile', '--bootnodes', '--execution.urls', '--jwt-secret', '--port', '--rest', '--rest.address', '--rest.port', '--targetPeers', '--checkpointSyncUrl', '--checkpointState', '--metrics', '--metrics.address', '--metrics.port']);
    for (const [name, n] of variants('lodestar')) {
      const r = CONSENSUS_PROFILES.lodestar.render(n);
      expect(r.argv[1]).toBe('beacon');
      for (const f of flagsOf(r.argv)) expect(v151.has(f), `${f} (${name}) is not a 1.5.1 option`).toBe(true);
      for (const w of r.argv.slice(2)) expect(w).toMatch(/^--[A-Za-z.-]+(=.*)?$/);
    }
  });
});
