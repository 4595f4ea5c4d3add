// The README's demo: an Ethereum node fleet in the lab. Boots 3 lab hosts with the stand-in clients (they
// accept exactly each client's real flags and serve its API; they are not the real clients), serves an Ephemery
// release and a checkpoint provider from this machine, and walks nodeform through plan, apply, plan (no
// changes), the nodes' sync state (from the clients' own APIs: `nodeform status` is not built yet), a hand edit,
// plan (that drift), apply, reset --to original and plan.
// Every step is the real CLI (bin/nodeform.js) against real sshd and systemd; the demo fails loudly when a step
// does not do what it says.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer } from '../support/ephemery.js';
import { startProviderServer } from '../support/provider-server.js';
import { slotAddress, startLab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { writeInventory } from './support.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const labDir = join(repo, '.lab');
/** One client pair per host: three consensus and three execution clients in one fleet. */
const PAIRS: [string, string][] = [
  ['lighthouse', 'geth'],
  ['teku', 'besu'],
  ['nimbus', 'nethermind'],
];

function step(title: string): void {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

/** Runs the CLI without blocking: the release and provider servers answer from this process meanwhile. */
async function nodeform(args: string[], expectedCode: number): Promise<string> {
  console.log(`$ nodeform ${args.map((a) => (a.startsWith(repo) ? relative(repo, a) : a)).join(' ')}`);
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
    execFile(process.execPath, [join(repo, 'bin/nodeform.js'), ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    ),
  );
  // What it said on the way (downloads, warnings) before its result.
  process.stderr.write(r.stderr);
  process.stdout.write(r.stdout);
  if (r.code !== expectedCode) throw new Error(`nodeform ${args.join(' ')} exited ${r.code}, expected ${expectedCode}`);
  return r.stdout;
}

function expectIn(text: string, needle: RegExp, what: string): void {
  if (!needle.test(text)) throw new Error(`demo: expected ${what} (${needle}) in the output above`);
}

async function getJson(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/** What each node's clients say of their sync, read from their own APIs (nodeform status is not built yet). */
async function syncState(host: LabHost, cl: string, el: string): Promise<string> {
  const beaconPort = { lighthouse: 5052, teku: 5051, nimbus: 5052 }[cl];
  const syncing = (await getJson(`http://${host.address}:${beaconPort}/eth/v1/node/syncing`)) as { data: { head_slot: string; is_syncing: boolean } };
  const block = (await getJson(`http://${host.address}:8545`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
  })) as { result: string };
  return `${host.name}: ${cl} head slot ${syncing.data.head_slot}, is_syncing ${syncing.data.is_syncing}; ${el} block ${Number(block.result)}`;
}

async function main(): Promise<void> {
  step('boot 3 lab hosts (real systemd and sshd in systemd-nspawn) with the stand-in clients');
  const started = Date.now();
  const lab = await startLab({ name: 'lab', count: 3, slot: 0, dir: labDir, detach: true });
  await installStandins(lab);
  console.log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${lab.hosts.map((h) => `${h.name} ${h.address}`).join(', ')}`);
  console.log('the clients on them are stand-ins: they take exactly the real clients\' flags and serve their APIs, and sync nothing');

  step('an Ephemery release and a checkpoint provider, served from this machine (no network here)');
  const release = await startReleaseServer(slotAddress(lab.slot, 1));
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  const provider = await startProviderServer({ chain: releaseGenesis(161) });
  console.log(`release ${release.url}/releases (ephemery-161), provider ${provider.url}`);
  try {
    const inventory = writeInventory(lab, 'fleet', {
      vars: {
        nodeform_playbook: relative(join(labDir, 'fleet'), join(repo, 'playbooks', 'fleet.yaml')),
        network: { name: 'ephemery', iteration: 161, release_url: `${release.url}/releases` },
        checkpoint_sync: { enabled: true, providers: [provider.url] },
      },
      hosts: Object.fromEntries(
        lab.hosts.map((h, i) => [h.name, { consensus: { client: PAIRS[i]![0], listen_address: h.address }, execution: { client: PAIRS[i]![1], listen_address: h.address } }]),
      ),
    });
    console.log(`inventory ${relative(repo, inventory)}:\n${YAML.stringify(YAML.parse(readFileSync(inventory, 'utf8')).all.hosts)}`);

    step('plan: three nodes to create (clients, users, data directories, JWT, network files, units)');
    expectIn(await nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2), /Plan: \d+ to create, 0 to update, 0 to remove, 0 to restart, on 3 of 3 host/, 'creates on 3 hosts');

    step('apply');
    expectIn(await nodeform(['apply', '-i', inventory, '--yes'], 0), /Summary: 3 applied\./, 'all three applied');

    step('plan again: no changes');
    expectIn(await nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 0), /No changes on 3 host/, 'no changes');

    step("the nodes' sync state, from the clients' own APIs");
    for (const [i, h] of lab.hosts.entries()) console.log(await syncState(h, PAIRS[i]![0], PAIRS[i]![1]));

    const edited = lab.hosts[1]!;
    step(`a hand edit on ${edited.name}: its besu unit no longer restarts on failure`);
    const edit = await lab.sh(edited, "sed -i 's/^Restart=.*/Restart=no/' /etc/systemd/system/besu.service && grep -n '^Restart=' /etc/systemd/system/besu.service");
    console.log(edit.stdout.trimEnd());

    step('plan: exactly that drift');
    const drift = await nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2);
    expectIn(drift, /on 1 of 3 host/, 'a change on one host');
    expectIn(drift, /-Restart=no/, 'the diff of the edit');

    step('apply: the unit is put back on that host only');
    expectIn(await nodeform(['apply', '-i', inventory, '--yes'], 0), /Summary: 1 applied, 2 unchanged\./, 'one host applied');

    step('history');
    await nodeform(['history', '-i', inventory], 0);

    step('reset --to original: the clients stopped, their units, users, files and network files removed (chain data directories are kept unless --prune-data)');
    expectIn(await nodeform(['reset', '-i', inventory, '--to', 'original', '--yes'], 0), /Summary: 3 applied\./, 'reset on all three');

    step('plan: everything is to create again');
    expectIn(await nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2), /on 3 of 3 host/, 'creates again');

    console.log(`\nThe lab is still up for you (npm run lab -- down stops it). The release and provider served here stopped with the demo;`);
    console.log(`try a playbook of your own on the hosts: nodeform plan -i ${relative(repo, join(labDir, 'inventory.yaml'))} playbooks/demo.yaml`);
  } finally {
    await provider.close();
    await release.close();
  }
}

main().catch((error: unknown) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
