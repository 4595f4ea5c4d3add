// The README's demo: what nodeform is for, on a small Ethereum fleet in the lab. Three lab hosts (real systemd
// and sshd in systemd-nspawn): demo-lodestar-1 runs the REAL Lodestar 1.5.1, checkpoint-synced through nodeform
// from a local Lodestar dev chain (node1 of test/lab/lodestar-chain.ts, on this machine); lab-1 and lab-2 run
// the stand-in clients (test/lab/standin: they take exactly the real clients' flags and serve their APIs, but
// are not the real clients), as does demo-lodestar-1's execution side (geth). nodeform walks them through plan,
// apply, plan (no changes), `nodeform status` until every node is synced, a hand edit that `nodeform drift`
// reports, plan and apply putting it back, reset --to original and plan.
// Every step is the real CLI (bin/nodeform.js) against real sshd and systemd; the demo fails loudly when a step
// does not give what it says.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer } from '../support/ephemery.js';
import { startProviderServer } from '../support/provider-server.js';
import { slotAddress, startLab } from './lab.js';
import { keepPeered, lodestarNodeVars, networkFromChain, startLodestarChain, startLodestarLab } from './lodestar-chain.js';
import { installStandins } from './standin/install.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The README runs it bare (the user's lab: .lab, slot 0, hosts left up to play with). test/lab/demo.test.ts runs
// the same demo apart from a user's lab: --dir, --name and --slot elsewhere, and --stop takes the hosts down after.
const { values: options } = parseArgs({
  options: { dir: { type: 'string', default: join(repo, '.lab') }, name: { type: 'string', default: 'lab' }, slot: { type: 'string', default: '0' }, stop: { type: 'boolean', default: false } },
});
const labDir = resolve(options.dir);
const fleetDir = join(labDir, 'fleet');
/** The controller's state (status history) and cache (downloads, checkpoints) of this demo run, apart from the user's. */
const controllerDir = join(fleetDir, 'controller');
/** Client pairs of the stand-in hosts. */
const STANDIN_PAIRS: [string, string][] = [
  ['lighthouse', 'geth'],
  ['teku', 'besu'],
];
/** How long status may take to call every node synced. */
const SYNC_TIMEOUT_MS = 180_000;
/** The Lodestar profile's default REST port (nodeform renders --rest.port). */
const LODESTAR_REST_PORT = 9596;

/** Bold titles on a terminal only, as nodeform's own output (NO_COLOR respected). */
const bold = process.stdout.isTTY && !process.env.NO_COLOR ? (text: string) => `\x1b[1m${text}\x1b[0m` : (text: string) => text;
function step(title: string): void {
  console.log(`\n${bold(`== ${title}`)}`);
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** Runs the CLI without blocking: the servers and node1 answer from this process meanwhile. */
async function nodeform(args: string[], expectedCode: number, opts: { quiet?: boolean; summary?: boolean } = {}): Promise<string> {
  if (!opts.quiet) console.log(`$ nodeform ${args.map((a) => (a.startsWith(repo) ? relative(repo, a) : a)).join(' ')}`);
  const env = { ...process.env, NO_COLOR: '1', XDG_STATE_HOME: join(controllerDir, 'state'), XDG_CACHE_HOME: join(controllerDir, 'cache') };
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
    execFile(process.execPath, [join(repo, 'bin/nodeform.js'), ...args], { cwd: repo, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    ),
  );
  if (!opts.quiet || r.code !== expectedCode) {
    // What it said on the way (downloads, warnings) before its result.
    process.stderr.write(r.stderr);
    process.stdout.write(opts.quiet || r.code !== expectedCode ? r.stdout : opts.summary ? summaryOnly(r.stdout) : shortenDiffs(r.stdout));
  }
  if (r.code !== expectedCode) throw new Error(`nodeform ${args.join(' ')} exited ${r.code}, expected ${expectedCode}`);
  return r.stdout;
}

/** Plans show every file's whole diff (the on-host monitor script alone is 246 lines a host): on screen, each hunk is cut after DIFF_LINES lines. */
const DIFF_LINES = 6;
function shortenDiffs(out: string): string {
  const shown: string[] = [];
  let kept = -1;
  let cut = 0;
  const flush = () => {
    if (cut > 0) shown.push(`      … ${cut} more line${cut === 1 ? '' : 's'} (the demo cuts long diffs; nodeform prints them whole)`);
    cut = 0;
  };
  for (const line of out.split('\n')) {
    if (/^ {6}@@ /.test(line)) {
      flush();
      kept = 0;
      shown.push(line);
    } else if (kept >= 0 && /^ {6}[-+ ]/.test(line)) {
      if (kept < DIFF_LINES) {
        kept += 1;
        shown.push(line);
      } else cut += 1;
    } else {
      flush();
      kept = -1;
      shown.push(line);
    }
  }
  flush();
  return shown.join('\n');
}

/** A plan already shown: only its checkpoint lines, totals and each host's result, saying how much was left out. */
function summaryOnly(out: string): string {
  const lines = out.split('\n');
  const kept = lines.filter((l) => /^\S+( \(.*\))?$|^ {2}checkpoint( files)?:|^Plan:|^Summary:|^No changes|^\S+: (applied|unchanged|failed)/.test(l));
  return `(${lines.length - kept.length} lines of per-host changes left out here)\n${kept.join('\n')}\n`;
}

function expectIn(text: string, needle: RegExp, what: string): void {
  if (!needle.test(text)) throw new Error(`demo: expected ${what} (${needle}) in the output above`);
}

interface StatusHost {
  host: string;
  verdict: string;
  reason: string;
  consensus: { client?: string; head_slot?: number; sync_distance?: number; version?: string };
}

/** Lodestar takes some seconds to open its Beacon API after its unit starts: waits for it, bounded. */
async function waitForBeaconApi(url: string, timeoutMs: number, journal: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answered = await fetch(`${url}/eth/v1/node/syncing`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`no Beacon API at ${url} ${timeoutMs / 1000} s after apply; lodestar.service's journal:\n${await journal()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function statusJson(inventory: string): Promise<StatusHost[]> {
  const out = await nodeform(['status', '-i', inventory, '--json', '--no-alerts'], 0, { quiet: true });
  return (JSON.parse(out) as { hosts: StatusHost[] }).hosts;
}

async function main(): Promise<void> {
  const started = Date.now();
  rmSync(controllerDir, { recursive: true, force: true });
  mkdirSync(controllerDir, { recursive: true });

  step('boot 3 lab hosts (real systemd and sshd in systemd-nspawn) and a Lodestar dev chain on this machine');
  // lab-1 and lab-2 stay up after the demo (npm run lab -- down) unless --stop; demo-lodestar-1 and node1 stop with it.
  const lab = await startLab({ name: options.name, count: 2, slot: Number(options.slot), dir: labDir, detach: !options.stop });
  // node1: the Lodestar 1.5.1 dev chain (8 validators, 1 s slots), on a free address of the lab's slot.
  const parts = await Promise.allSettled([
    startLodestarChain({ address: slotAddress(lab.slot, 2) }),
    startLodestarLab('demo-lodestar', 19),
    // Stand-ins report syncing for their first 30 s after each start, then follow their clock.
    installStandins(lab, lab.hosts, { syncSeconds: 30 }),
  ] as const);
  const [chainStart, lodestarStart] = parts;
  const stopAll: (() => Promise<unknown>)[] = options.stop ? [() => lab.stop()] : [];
  if (chainStart.status === 'fulfilled') stopAll.push(() => chainStart.value.stop());
  if (lodestarStart.status === 'fulfilled') stopAll.push(() => lodestarStart.value.lab.stop());
  const failed = parts.find((p) => p.status === 'rejected');
  if (failed || chainStart.status !== 'fulfilled' || lodestarStart.status !== 'fulfilled') {
    for (const stop of stopAll) await stop().catch(() => undefined);
    throw failed?.reason ?? new Error('the lab did not start');
  }
  const chain = chainStart.value;
  const lodestarLab = lodestarStart.value;
  const lodestar = lodestarLab.host;
  try {
    await installStandins(lodestarLab.lab, [lodestar], { clients: ['geth'] });
    console.log(`up in ${elapsed(started)}: ${[...lab.hosts, lodestar].map((h) => `${h.name} ${h.address}`).join(', ')}; node1 (Lodestar dev chain) at ${chain.url}`);
    console.log(`${lodestar.name} runs the real Lodestar 1.5.1 (its execution side, geth, is a stand-in);`);
    console.log(`${lab.hosts.map((h) => h.name).join(' and ')} run stand-in clients: they take exactly the real clients' flags and serve their APIs, and sync nothing`);

    step('an Ephemery release and a checkpoint provider for the stand-ins, served from this machine (no network here)');
    const release = await startReleaseServer(slotAddress(lab.slot, 1));
    stopAll.push(() => release.close());
    release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
    const provider = await startProviderServer({ chain: releaseGenesis(161) });
    stopAll.push(() => provider.close());
    console.log(`release ${release.url}/releases (ephemery-161), provider ${provider.url}`);

    step("node1 finalizes its first epoch: it becomes the Lodestar node's checkpoint provider");
    const finalized = await chain.waitFinalized(1, 180_000);
    const networkDir = join(fleetDir, 'devchain');
    await networkFromChain(chain, networkDir);
    console.log(`node1 finalized epoch ${finalized.epoch} (+${elapsed(started)}); its config and genesis in ${relative(repo, networkDir)}`);

    const hosts: Record<string, Record<string, unknown>> = Object.fromEntries(
      lab.hosts.map((h, i) => [
        h.name,
        {
          ansible_host: h.address,
          ansible_port: h.port,
          network: { name: 'ephemery', iteration: 161, release_url: `${release.url}/releases` },
          checkpoint_sync: { enabled: true, providers: [provider.url] },
          consensus: { client: STANDIN_PAIRS[i]![0], listen_address: h.address },
          execution: { client: STANDIN_PAIRS[i]![1], listen_address: h.address },
        },
      ]),
    );
    hosts[lodestar.name] = {
      ansible_host: lodestar.address,
      ansible_port: lodestar.port,
      // This host is of another lab: its own key and known_hosts.
      ansible_ssh_private_key_file: lodestarLab.lab.clientKey,
      nodeform_known_hosts_file: lodestarLab.lab.knownHosts,
      network: { name: 'custom', config_source: relative(fleetDir, networkDir) },
      // nodeform downloads node1's finalized state once into the controller's cache, verifies it and uploads it.
      checkpoint_sync: { source: 'fleet-cache', providers: [chain.url] },
      ...lodestarNodeVars(lodestar.address),
    };
    const inventory = join(fleetDir, 'inventory.yaml');
    writeFileSync(
      inventory,
      YAML.stringify({
        all: {
          vars: { ansible_user: 'root', ansible_ssh_private_key_file: lab.clientKey, nodeform_known_hosts_file: lab.knownHosts, nodeform_playbook: relative(fleetDir, join(repo, 'playbooks', 'fleet.yaml')) },
          hosts,
        },
      }),
    );
    const shown = Object.fromEntries(Object.entries(hosts).map(([name, v]) => [name, { network: v.network, checkpoint_sync: v.checkpoint_sync, consensus: v.consensus, execution: v.execution }]));
    console.log(`inventory ${relative(repo, inventory)} (playbook playbooks/fleet.yaml):\n${YAML.stringify(shown)}`);

    step('plan: three nodes to create (clients, users, data directories, JWT, network files, units)');
    expectIn(await nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2), /Plan: \d+ to create, 0 to update, 0 to remove, 0 to restart, on 3 of 3 host/, 'creates on 3 hosts');

    step("apply: node1's checkpoint (downloaded and verified once, by the plan above, into the controller's cache) uploaded to the Lodestar host; every client started");
    const applied = await nodeform(['apply', '-i', inventory, '--yes'], 0, { summary: true });
    expectIn(applied, /Summary: 3 applied\./, 'all three applied');
    expectIn(applied, /checkpoint files: finalized epoch \d+ root 0x[0-9a-f]{64} from the fleet cache/, "node1's checkpoint in the fleet cache");

    step('plan again: no changes');
    expectIn(await nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 0), /No changes on 3 host/, 'no changes');

    step('status: the nodes just started are syncing; the Lodestar node began at the checkpoint and has no peer yet');
    const lodestarUrl = `http://${lodestar.address}:${LODESTAR_REST_PORT}`;
    await waitForBeaconApi(lodestarUrl, 90_000, () => lodestarLab.lab.sh(lodestar, 'journalctl -u lodestar.service --no-pager -n 40 -o cat').then((r) => r.stdout));
    const first = await nodeform(['status', '-i', inventory, '--no-alerts'], 0);
    // Unpeered, its head is the checkpoint state's slot (node1's finalized epoch, 8 slots an epoch in the minimal preset), not 0.
    const checkpointEpoch = Number(/checkpoint files: finalized epoch (\d+)/.exec(applied)![1]);
    expectIn(first, new RegExp(`${lodestar.name}\\s+syncing\\s+${checkpointEpoch * 8}\\s`), `${lodestar.name} syncing from the checkpoint's slot ${checkpointEpoch * 8}`);

    step(`${lodestar.name}'s Lodestar peered with node1 (its admin API, as test/lab/lodestar-chain.ts does); status until every node is synced`);
    const peering = new AbortController();
    const peered = keepPeered(chain, lodestarUrl, peering.signal);
    try {
      const syncStart = Date.now();
      const seen = new Set<string>();
      for (let round = 1; ; round++) {
        const hostsNow = await statusJson(inventory);
        for (const h of hostsNow) seen.add(`${h.host}:${h.verdict}`);
        console.log(`+${elapsed(syncStart).padStart(7)}  ${hostsNow.map((h) => `${h.host} ${h.verdict} (head ${h.consensus.head_slot ?? '?'}, distance ${h.consensus.sync_distance ?? '?'})`).join(', ')}`);
        const bad = hostsNow.find((h) => h.verdict !== 'synced' && h.verdict !== 'syncing');
        if (bad) throw new Error(`status says ${bad.host} is ${bad.verdict}: ${bad.reason}`);
        if (hostsNow.length === 3 && hostsNow.every((h) => h.verdict === 'synced')) break;
        if (Date.now() - syncStart > SYNC_TIMEOUT_MS) throw new Error(`not every node synced after ${SYNC_TIMEOUT_MS / 1000} s (node1's log tail:\n${chain.log().slice(-2000)})`);
        await new Promise((r) => setTimeout(r, 3000));
      }
      if (!seen.has(`${lodestar.name}:syncing`)) throw new Error(`status never saw ${lodestar.name} syncing`);
    } finally {
      peering.abort();
      await peered;
    }
    const synced = await nodeform(['status', '-i', inventory, '--no-alerts'], 0);
    for (const h of [...lab.hosts, lodestar]) expectIn(synced, new RegExp(`${h.name}\\s+synced`), `${h.name} synced`);

    const edited = lab.hosts[1]!;
    step(`a hand edit on ${edited.name}: its besu unit no longer restarts on failure`);
    const edit = await lab.sh(edited, "sed -i 's/^Restart=.*/Restart=no/' /etc/systemd/system/besu.service && grep -n '^Restart=' /etc/systemd/system/besu.service");
    if (edit.code !== 0) throw new Error(`the hand edit failed: ${edit.stderr}`);
    console.log(edit.stdout.trimEnd());

    step('drift: each host against its record of what the last apply left there (exit 2: one changed)');
    const drift = await nodeform(['drift', '-i', inventory], 2);
    expectIn(drift, new RegExp(edited.name), `${edited.name} named`);
    expectIn(drift, /besu\.service/, 'the edited unit');

    step('plan: exactly that drift');
    const plan = await nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2);
    expectIn(plan, /on 1 of 3 host/, 'a change on one host');
    expectIn(plan, /-Restart=no/, 'the diff of the edit');

    step('apply: the unit is put back on that host only; drift then finds nothing');
    expectIn(await nodeform(['apply', '-i', inventory, '--yes'], 0), /Summary: 1 applied, 2 unchanged\./, 'one host applied');
    await nodeform(['drift', '-i', inventory], 0);

    step('history');
    await nodeform(['history', '-i', inventory], 0);

    step('reset --to original: the clients stopped, their units, users, files and network files removed (chain data directories are kept unless --prune-data)');
    expectIn(await nodeform(['reset', '-i', inventory, '--to', 'original', '--yes'], 0, { summary: true }), /Summary: 3 applied\./, 'reset on all three');

    step('plan: everything is to create again');
    expectIn(await nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2, { summary: true }), /on 3 of 3 host/, 'creates again');

    if (options.stop) console.log(`\nDone in ${elapsed(started)}. Every host, node1 and the servers stop with the demo (--stop).`);
    else {
      console.log(`\nDone in ${elapsed(started)}. ${lab.hosts.map((h) => h.name).join(' and ')} are still up for you (npm run lab -- down stops them); node1, ${lodestar.name} and the servers stopped with the demo.`);
      console.log(`Try a playbook of your own on them: nodeform plan -i ${relative(repo, lab.inventoryPath)} playbooks/demo.yaml`);
    }
  } finally {
    for (const stop of stopAll.reverse()) await stop().catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
