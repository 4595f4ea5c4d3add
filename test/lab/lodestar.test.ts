// The real Lodestar 1.5.1 (from npm, installed once by test/lab/lodestar.sh) on a lab host: every flag the
// Lodestar profile renders must be an option 1.5.1 knows, and a profile-rendered command line must start it
// as a service that answers the Beacon API. The install dir and this process's Node binary are bind-mounted
// read-only (the image is the same Debian release), so the host installs nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagsOf } from '../../src/clients/args.js';
import { lodestar } from '../../src/clients/lodestar.js';
import type { NodeSpec } from '../../src/clients/types.js';
import { execStart } from '../../src/node/systemd.js';
import { ephemeryNode, mainnetNode } from '../unit/clients/specs.js';
import type { Lab, LabHost } from './lab.js';
import { startLodestarLab } from './lodestar-chain.js';
import { hostSh } from './support.js';

// A value 1.5.1's --network can never take: yargs checks choices only after strict mode has accepted every
// option name, so a run that fails on it (and on nothing else) got past "Unknown argument" without starting.
const SENTINEL = '--network=nodeform-parse-probe';

let lab: Lab;
let host: LabHost;

const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs the real lodestar on the host; never throws on a non-zero exit. */
async function lodestarRun(args: string[]): Promise<{ code: number; out: string }> {
  const r = await lab.sh(host, `/usr/local/bin/lodestar ${args.map(q).join(' ')} 2>&1`);
  return { code: r.code, out: r.stdout };
}

/** What 1.5.1's yargs says about `beacon ARGS` (parse only: the sentinel stops it before the node starts). */
async function parse(args: string[]): Promise<string> {
  const r = await lodestarRun(['beacon', ...args, SENTINEL]);
  expect(r.code, r.out).toBe(1);
  return r.out;
}

function variants(): [string, NodeSpec][] {
  const eph = () => ephemeryNode('lodestar', 'geth');
  const main = () => mainnetNode('lodestar', 'geth');
  const edit = (n: NodeSpec, f: (n: NodeSpec) => void): NodeSpec => (f(n), n);
  return [
    ['ephemery (files, checkpoint URL, metrics)', eph()],
    ['mainnet (checkpoint URL, no metrics)', main()],
    ['ephemery, checkpoint state file', edit(eph(), (n) => (n.checkpointSync.stateFile = '/var/cache/nodeform/state.ssz'))],
    ['mainnet, checkpoint state file, metrics', edit(main(), (n) => ((n.checkpointSync.stateFile = '/var/cache/nodeform/state.ssz'), (n.monitoring.metrics = true)))],
    ['ephemery, no checkpoint sync, no metrics', edit(eph(), (n) => ((n.checkpointSync.enabled = false), (n.monitoring.metrics = false)))],
    ['a minimal-preset network from files (--preset)', edit(eph(), (n) => (n.network.preset = 'minimal'))],
  ];
}

beforeAll(async () => {
  // Lodestar is installed by setup.sh; lodestar.sh is a no-op then (1.5-3 minutes the first time).
  ({ lab, host } = await startLodestarLab('lodestar', 9));
});
afterAll(async () => {
  await lab?.stop();
});

describe.sequential('the real Lodestar 1.5.1 on a lab host', () => {
  it('knows every flag the profile renders: listed in beacon --help, or accepted by its parser', async () => {
    const help = await lodestarRun(['beacon', '--help']);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toContain('Run a beacon chain node');
    const listed = new Set([...help.out.matchAll(/^\s+(?:-\w, )?(--[A-Za-z][\w.-]*)/gm)].map((m) => m[1]!));
    expect(listed).toContain('--checkpointSyncUrl');

    // The probe can fail: a flag 1.5.1 lacks is rejected by name.
    expect(await parse(['--nodeformNoSuchFlag=1'])).toContain('Unknown argument: nodeformNoSuchFlag');

    const rendered = variants().map(([name, n]) => [name, lodestar.render(n).argv] as const);
    const hidden = new Map<string, string>();
    for (const [, argv] of rendered) {
      expect(argv.slice(0, 2)).toEqual(['/usr/local/bin/lodestar', 'beacon']);
      for (const word of argv.slice(2)) if (!listed.has(flagsOf([word])[0]!)) hidden.set(flagsOf([word])[0]!, word);
    }
    // Hidden from --help, each on its own: accepted by name (the parse fails on the sentinel only).
    for (const [flag, word] of hidden) {
      const out = await parse([word]);
      expect(out, `${flag}: not in 1.5.1's beacon --help and rejected by its parser`).not.toContain('Unknown argument');
      expect(out, flag).toContain('Argument: network, Given: "nodeform-parse-probe"');
    }
    // The profile's author expects exactly this one (src/clients/lodestar.ts); a new hidden flag still passes if 1.5.1 accepts it.
    expect(hidden.has('--genesisStateFile')).toBe(true);

    // Each whole command line, values included, without --network (the sentinel's): nothing unknown, and no
    // invalid value but the sentinel's.
    const outs = await Promise.all(rendered.map(([, argv]) => parse(argv.slice(2).filter((w) => !w.startsWith('--network=')))));
    for (const [i, [name, argv]] of rendered.entries()) {
      const out = outs[i]!;
      expect(out, name).not.toContain('Unknown argument');
      expect(out.match(/Argument: /g), `${name}: ${out}`).toHaveLength(1);
      const network = argv.find((w) => w.startsWith('--network='));
      if (network) expect(help.out, `${name}: ${network}`).toContain(`"${network.slice('--network='.length)}"`);
    }
  }, 240_000);

  it('runs as a service from a profile-rendered command line and answers the Beacon API at the host\'s address', async () => {
    // An offline chain: a genesis state and config that 1.5.1 itself writes (mainnet preset, 1 validator,
    // genesis now), given as network files the way the profile gives Ephemery's.
    const net = '/var/lib/lodestar-net';
    await hostSh(lab, host, `LODESTAR_PRESET=mainnet lodestar dev --genesisValidators 1 --dumpTestnetFiles ${net} >/dev/null && od -An -N32 -tx1 /dev/urandom | tr -d ' \\n' > ${net}/jwt.hex`);
    const n = ephemeryNode('lodestar', 'geth');
    n.network = { ...n.network, bootnodesCl: [], files: { ...n.network.files!, dir: net, configYaml: `${net}/config.yaml`, genesisSsz: `${net}/genesis.ssz` } };
    n.checkpointSync.enabled = false;
    n.consensus.listenAddress = host.address;
    n.monitoring.metricsAddress = host.address;
    n.jwtPath = `${net}/jwt.hex`;
    // No execution client here; p2p on the host's own address (lab hosts share one loopback).
    n.consensus.extraArgs = ['--eth1=false', `--listenAddress=${host.address}`];
    const r = lodestar.render(n);
    expect(r.argv).toContain(`--genesisStateFile=${net}/genesis.ssz`);

    const unit = ['[Unit]', 'Description=Lodestar 1.5.1 beacon node (nodeform profile)', '[Service]', `ExecStart=${execStart(r.argv)}`, 'Restart=no', ''].join('\n');
    await hostSh(lab, host, `cat > /etc/systemd/system/lodestar.service <<'EOF'\n${unit}EOF\nsystemctl daemon-reload && systemctl start lodestar.service`);

    const deadline = Date.now() + 120_000;
    let version: string | undefined;
    while (version === undefined) {
      const state = (await lab.sh(host, 'systemctl is-active lodestar.service')).stdout.trim();
      if (state !== 'active' && state !== 'activating') {
        throw new Error(`lodestar.service is ${state}:\n${await hostSh(lab, host, 'journalctl -u lodestar.service --no-pager -n 40')}`);
      }
      const res = await fetch(`${r.health.url}/eth/v1/node/version`).catch(() => undefined);
      if (res?.ok) version = ((await res.json()) as { data: { version: string } }).data.version;
      else if (Date.now() > deadline) throw new Error(`no Beacon API at ${r.health.url} after 120 s`);
      else await new Promise((done) => setTimeout(done, 1_000));
    }
    expect(r.health.url).toBe(`http://${host.address}:5052`);
    expect(version).toMatch(/^Lodestar\/v1\.5\.1\//);
    expect((await fetch(`http://${host.address}:5054/metrics`)).ok).toBe(true);

    await hostSh(lab, host, 'systemctl stop lodestar.service');
    expect((await lab.sh(host, 'systemctl is-active lodestar.service')).stdout.trim()).toBe('inactive');
  }, 240_000);
});
