// The execution client profiles: golden renderings, and every rendered flag checked against the client's
// flag reference (src/clients/flags/<client>.json).
import { describe, expect, it } from 'vitest';
import { flagsOf } from '../../../src/clients/args.js';
import { EXECUTION_PROFILES } from '../../../src/clients/execution.js';
import type { ExecutionClient, NetworkName, NodeSpec } from '../../../src/clients/types.js';
import { NodeformError } from '../../../src/errors.js';
import { expectGolden, formatRendering } from './golden.js';
import { NODES, reference, ROLES, SETTING, valueOf } from './reference.js';

const CLIENTS: ExecutionClient[] = ['geth', 'nethermind', 'besu', 'erigon'];

function node(client: ExecutionClient, network: keyof typeof NODES, edit: (n: NodeSpec) => void = () => {}): NodeSpec {
  const n = NODES[network]('lighthouse', client);
  edit(n);
  return n;
}

describe('execution client profiles', () => {
  it('has one execution profile per client, named after it', () => {
    expect(Object.keys(EXECUTION_PROFILES).sort()).toEqual([...CLIENTS].sort());
    for (const [name, profile] of Object.entries(EXECUTION_PROFILES)) {
      expect(profile.name).toBe(name);
      expect(profile.kind).toBe('execution');
    }
  });

  describe.each(CLIENTS)('%s', (client) => {
    const profile = EXECUTION_PROFILES[client];
    const rows = reference(client);
    const known = new Set(rows.map((r) => r.flag));

    it('has a flag reference pinned to the profile target version', () => {
      expect(rows.length).toBeGreaterThan(0);
      expect(known.size, 'duplicate rows').toBe(rows.length);
      for (const r of rows) {
        expect(r.version, r.flag).toBe(profile.targetVersion);
        expect(r.source, r.flag).toMatch(/\S/);
        expect(r.flag, 'flag names start with --').toMatch(/^--[A-Za-z]/);
        if (r.role !== undefined) expect(ROLES.has(r.role), `${r.flag} role ${r.role}`).toBe(true);
      }
      for (const role of ['datadir', 'http-address', 'http-port', 'engine-port', 'jwt', 'p2p-port', 'metrics-port', 'metrics-address']) {
        expect(rows.filter((r) => r.role === role), `one flag with role ${role}`).toHaveLength(1);
      }
      // clients.md: seen in old Ephemery scripts, does not exist.
      expect(known.has('--Sync.FastSync.MaxConcurrentRequests')).toBe(false);
    });

    describe.each(Object.keys(NODES) as (keyof typeof NODES)[])('%s', (network) => {
      const rendering = profile.render(node(client, network));

      it('matches the golden rendering', () => {
        expectGolden(`${client}-${network}`, formatRendering(profile, rendering));
      });

      it('renders only flags from the reference, each owned by a setting', () => {
        const rendered = [...flagsOf(rendering.argv), ...flagsOf(rendering.initArgv ?? [])];
        for (const f of rendered) expect(known.has(f), `${f} is not in src/clients/flags/${client}.json`).toBe(true);
        // No extra_args here: every flag on the command line is nodeform's, and every managed flag is rendered.
        expect(new Set(Object.keys(rendering.managedFlags))).toEqual(new Set(flagsOf(rendering.argv)));
        for (const setting of Object.values(rendering.managedFlags)) expect(setting).toMatch(SETTING);
      });

      it('starts with the binary, serves JSON-RPC where health looks, keeps identity out of chain data', () => {
        const n = node(client, network);
        expect(rendering.argv[0]).toBe(n.execution.binary);
        expect(rendering.health).toEqual({ kind: 'json-rpc', url: `http://${n.execution.listenAddress}:${n.execution.ports.http}` });
        const byRole = (role: string) => rows.find((r) => r.role === role)!.flag;
        expect(valueOf(rendering.argv, byRole('datadir'))).toBe(n.execution.dataDir);
        expect(valueOf(rendering.argv, byRole('http-address'))).toBe(n.execution.listenAddress);
        expect(valueOf(rendering.argv, byRole('http-port'))).toBe(String(n.execution.ports.http));
        expect(valueOf(rendering.argv, byRole('engine-port'))).toBe(String(n.execution.ports.engine));
        expect(valueOf(rendering.argv, byRole('jwt'))).toBe(n.jwtPath);
        expect(valueOf(rendering.argv, byRole('p2p-port'))).toBe(String(n.execution.ports.p2p));
        expect(rendering.identityPaths.length).toBeGreaterThan(0);
        for (const id of rendering.identityPaths) {
          expect(rendering.chainDataPaths.some((c) => id === c || id.startsWith(`${c}/`)), `${id} inside chain data`).toBe(false);
        }
      });
    });

    it('appends extra_args last, as given', () => {
      const extra = ['--some-flag', 'value with spaces', '--other'];
      const r = profile.render(node(client, 'mainnet', (n) => (n.execution.extraArgs = extra)));
      expect(r.argv.slice(-extra.length)).toEqual(extra);
      expect(Object.keys(r.managedFlags)).not.toContain('--some-flag');
    });

    it('takes the peer target from network_tuning.peers_el over execution.peers, and leaves the default when neither is set', () => {
      const peersFlag = (r: ReturnType<typeof profile.render>) => Object.entries(r.managedFlags).find(([, s]) => s.endsWith('peers') || s.endsWith('peers_el'));
      const own = profile.render(node(client, 'mainnet'));
      const [ownFlag, ownSetting] = peersFlag(own)!;
      expect(ownSetting).toBe('execution.peers');
      expect(valueOf(own.argv, ownFlag)).toBe('50');

      const tuned = profile.render(node(client, 'mainnet', (n) => (n.networkTuning.peersEl = 25)));
      expect(peersFlag(tuned)).toEqual([ownFlag, 'network_tuning.peers_el']);
      expect(valueOf(tuned.argv, ownFlag)).toBe('25');

      const none = profile.render(node(client, 'mainnet', (n) => (n.execution.peers = undefined)));
      expect(peersFlag(none)).toBeUndefined();
      expect(valueOf(none.argv, ownFlag)).toBeUndefined();
    });

    it('renders no metrics flag when metrics are off, and all three when on', () => {
      const off = profile.render(node(client, 'ephemery', (n) => (n.monitoring.metrics = false)));
      expect(flagsOf(off.argv).filter((f) => /metric/i.test(f))).toEqual([]);
      const on = profile.render(node(client, 'ephemery', (n) => (n.monitoring.metricsAddress = '127.0.0.9')));
      const byRole = (role: string) => rows.find((r) => r.role === role)!.flag;
      expect(valueOf(on.argv, byRole('metrics-address'))).toBe('127.0.0.9');
      expect(valueOf(on.argv, byRole('metrics-port'))).toBe('6060');
    });

    it('runs the one-shot genesis init only for geth and erigon on Ephemery', () => {
      const eph = node(client, 'ephemery');
      const r = profile.render(eph);
      if (client === 'geth' || client === 'erigon') {
        expect(r.initArgv).toEqual([eph.execution.binary, 'init', '--datadir', eph.execution.dataDir, eph.network.files!.genesisJson]);
        // The init unit is conditioned on the first chain data path being absent: init must create it.
        expect(r.chainDataPaths[0]).toBe(client === 'geth' ? 'geth/chaindata' : 'chaindata');
      } else {
        expect(r.initArgv).toBeUndefined();
      }
      expect(profile.render(node(client, 'mainnet')).initArgv).toBeUndefined();
    });

    it('points Ephemery at its chain id and execution bootnodes', () => {
      const eph = node(client, 'ephemery');
      const r = profile.render(eph);
      const bootnodes = rows.find((row) => /bootnodes/i.test(row.flag))!.flag;
      expect(valueOf(r.argv, bootnodes)).toBe(eph.network.bootnodesEl.join(','));
      if (client === 'nethermind') {
        // The network id is in the chain spec; Nethermind has no option for it.
        expect(valueOf(r.argv, '--Init.ChainSpecPath')).toBe('/etc/ethereum/ephemery/chainspec.json');
      } else {
        expect(valueOf(r.argv, client === 'besu' ? '--network-id' : '--networkid')).toBe('39438161');
      }
      const none = profile.render(node(client, 'ephemery', (n) => (n.network.bootnodesEl = [])));
      expect(valueOf(none.argv, bootnodes)).toBeUndefined();
    });

    it.each(['mainnet', 'hoodi', 'sepolia'] as NetworkName[])('selects the built-in %s network by name', (name) => {
      const r = profile.render(node(client, 'mainnet', (n) => (n.network = { name, bootnodesCl: [], bootnodesEl: [] })));
      const expected: Record<ExecutionClient, [string, string | null]> = {
        geth: [`--${name}`, null],
        nethermind: ['--config', name],
        besu: ['--network', name],
        erigon: ['--chain', name],
      };
      const [f, v] = expected[client];
      expect(valueOf(r.argv, f)).toBe(v);
      expect(r.managedFlags[f]).toBe('network.name');
      expect(r.files).toEqual([]);
    });

    it('refuses Ephemery without its network files, naming what to set', () => {
      const n = node(client, 'ephemery', (x) => (x.network.files = undefined));
      expect(() => profile.render(n)).toThrow(NodeformError);
      expect(() => profile.render(n)).toThrow(/network\.files/);
    });

    it('maps cache.execution_cache_mb to a real cache flag or says why not', () => {
      const r = profile.render(node(client, 'ephemery'));
      const owned = Object.entries(r.managedFlags).filter(([, s]) => s === 'cache.execution_cache_mb');
      const na = r.notApplicable.map((x) => x.setting);
      if (client === 'geth' || client === 'nethermind') {
        expect(owned).toHaveLength(1);
        expect(valueOf(r.argv, owned[0]![0])).toBe('4096');
        expect(na).not.toContain('cache.execution_cache_mb');
      } else {
        expect(owned).toEqual([]);
        expect(na).toContain('cache.execution_cache_mb');
      }
      // State and block caches are the consensus client's own settings (cache.lighthouse.*, cache.teku.*): not its business.
      expect(na.filter((setting) => setting.startsWith('cache.') && setting !== 'cache.execution_cache_mb')).toEqual([]);
      expect(profile.render(node(client, 'mainnet')).notApplicable).toEqual([]);
    });
  });

  it('writes Nethermind `--Section.Key value` options and its own preset for Ephemery', () => {
    const r = EXECUTION_PROFILES.nethermind.render(node('nethermind', 'ephemery'));
    for (const f of flagsOf(r.argv)) if (f !== '--config' && f !== '--data-dir') expect(f).toMatch(/^--[A-Z][A-Za-z]*\.[A-Za-z0-9]+$/);
    expect(r.files).toHaveLength(1);
    const file = r.files[0]!;
    expect(valueOf(r.argv, '--config')).toBe(file.path);
    expect(JSON.parse(file.content)).toEqual({ Init: { BaseDbPath: 'nethermind_db/ephemery' } });
    expect(r.chainDataPaths).toEqual(['nethermind_db']);
  });

  it.each([
    ['0.0.0.0', 'http://127.0.0.1:8545'],
    ['::', 'http://[::1]:8545'],
    ['fd00::12', 'http://[fd00::12]:8545'],
    ['127.0.0.12', 'http://127.0.0.12:8545'],
  ])('reaches JSON-RPC listening on %s at %s', (address, url) => {
    for (const client of CLIENTS) {
      const r = EXECUTION_PROFILES[client].render(node(client, 'mainnet', (n) => (n.execution.listenAddress = address)));
      expect(r.health.url, client).toBe(url);
    }
  });

  it('lets Besu answer on a non-loopback listen address (Host allowlists) and gives it its own genesis', () => {
    const r = EXECUTION_PROFILES.besu.render(node('besu', 'ephemery', (n) => (n.execution.listenAddress = '127.0.0.12')));
    expect(valueOf(r.argv, '--host-allowlist')).toBe('localhost,127.0.0.1,127.0.0.12');
    expect(valueOf(r.argv, '--engine-host-allowlist')).toBe('localhost,127.0.0.1,127.0.0.12');
    expect(valueOf(r.argv, '--genesis-file')).toBe('/etc/ethereum/ephemery/besu.json');
    expect(valueOf(r.argv, '--sync-mode')).toBe('SNAP');
  });

  it('turns off Erigon\'s built-in consensus client on every network', () => {
    for (const network of Object.keys(NODES) as (keyof typeof NODES)[]) {
      const r = EXECUTION_PROFILES.erigon.render(node('erigon', network));
      expect(valueOf(r.argv, '--externalcl')).toBeNull();
    }
  });
});
