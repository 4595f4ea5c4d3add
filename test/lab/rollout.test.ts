// Rollouts on 6 real hosts running stand-in clients (Lighthouse + Geth on Ephemery): batches and the canary, a
// client that cannot start failing its gate and rolled back, the failure limit, --resume after the controller was
// killed, and Ctrl-C mid-batch. The hosts boot once; each case rolls out a new peer count, so every case changes
// every host it reaches (geth.network.env, and Geth restarted).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, testHome, unitState, writeInventory, writePlaybook } from './support.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';
import { startProviderServer, type ProviderServer } from '../support/provider-server.js';
import { outputSchemaErrors } from '../support/output-schema.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let lab: Lab;
let release: ReleaseServer;
let provider: ProviderServer;
let playbook: string;
let peers = 30;

/** The rollout's inventory (one path, so --resume finds its record); `broken` hosts' Lighthouse gets a flag it refuses. */
function inventory(broken: LabHost[] = []): string {
  return writeInventory(lab, 'rollout', {
    vars: { network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` }, checkpoint_sync: { enabled: true, providers: [provider.url] } },
    hosts: Object.fromEntries(
      lab.hosts.map((h) => [
        h.name,
        {
          consensus: { client: 'lighthouse', listen_address: h.address, ...(broken.includes(h) ? { extra_args: ['--nodeform-no-such-flag'] } : {}) },
          execution: { client: 'geth', listen_address: h.address },
        },
      ]),
    ),
  });
}

/** The next case's change: a new peer count for every host. */
function nextChange(): string[] {
  peers += 1;
  return ['-e', JSON.stringify({ network_tuning: { peers_el: peers } })];
}

// Long enough for a healthy host (its units stay up 5 s; Lighthouse answers), short for one whose client cannot start.
const GATE = ['--gate-timeout', '12'];

/** Every file nodeform manages for the node, with content hash, mode and owner; the units' state. */
async function hostState(h: LabHost): Promise<string> {
  return hostSh(
    lab,
    h,
    'find /etc/ethereum /etc/systemd/system/lighthouse.service /etc/systemd/system/geth.service -type f -exec stat -c "%n %a %U %G" {} \\; -exec sha256sum {} \\; | sort; ' +
      'for u in lighthouse geth; do echo "$u $(systemctl is-enabled $u.service) $(systemctl is-active $u.service)"; done',
  );
}

/** The host's latest generation (older ones are pruned: their count stops growing at nodeform_keep_generations). */
const generations = async (h: LabHost) => Number((await hostSh(lab, h, 'ls /var/lib/nodeform/generations | sort -n | tail -1')).trim());
const allGenerations = () => Promise.all(lab.hosts.map(generations));
const peersOn = async (h: LabHost) => (await hostSh(lab, h, 'grep -o -- "--maxpeers [0-9]*" /etc/ethereum/geth.network.env || true')).trim();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The built CLI as its own process (signals reach it as they would from a terminal), HOME shared with the in-process runs. */
function spawnCli(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(repo, 'bin/nodeform.js'), ...args], { cwd: repo, env: { PATH: process.env.PATH, HOME: testHome, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

type RolloutHost = { host: string; state: string; batch: number; why: string };
const states = (doc: { rollout: { hosts: RolloutHost[] } }) => doc.rollout.hosts.map((h) => `${h.host.replace(/^.*-/, 'h')} ${h.batch} ${h.state}`);

beforeAll(async () => {
  lab = await startLab({ name: 'rollout', count: 6, slot: 9 });
  await installStandins(lab, lab.hosts, { clients: ['lighthouse', 'geth'] });
  release = await startReleaseServer(slotAddress(lab.slot, 1));
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  provider = await startProviderServer({ chain: releaseGenesis(161) });
  playbook = writePlaybook(lab, 'rollout', [{ name: 'nodes', hosts: 'all', ethereum_node: true }]);
  // Every host installed at once first: the cases below roll out updates.
  const first = await nodeform('apply', '-i', inventory(), playbook, ...nextChange(), '--yes');
  expect(first.code, first.stdout + first.stderr).toBe(0);
}, 600_000);
afterAll(async () => {
  await provider?.close();
  await release?.close();
  await lab?.stop();
});

describe.sequential('rollouts on 6 hosts', () => {
  it('--serial 2 --canary 1: batches of 1, 2, 2, 1, each host gated; every host done', async () => {
    const before = await allGenerations();
    const r = await nodeform('apply', '-i', inventory(), playbook, ...nextChange(), '--serial', '2', '--canary', '1', ...GATE, '--yes', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(outputSchemaErrors('apply', doc)).toBe('');
    expect(states(doc)).toEqual(['h1 1 done', 'h2 2 done', 'h3 2 done', 'h4 3 done', 'h5 3 done', 'h6 4 done']);
    expect(doc.rollout.hosts[0].why).toMatch(/^applied \(generation \d+\); gate passed: 3 unit\(s\) active; synced: head at slot \d+/);
    expect(await allGenerations()).toEqual(before.map((n) => n + 1));
  });

  it('a client that cannot start fails its gate and is rolled back: files byte-identical, units as before; --max-fail 0 stops the rollout there', async () => {
    const [h1, , h3, h4] = lab.hosts as [LabHost, LabHost, LabHost, LabHost];
    const before = await hostState(h3);
    const generationsBefore = await allGenerations();
    const r = await nodeform('apply', '-i', inventory([h3]), playbook, ...nextChange(), '--serial', '2', '--canary', '1', '--max-fail', '0', ...GATE, '--yes');
    expect(r.code).toBe(1);
    // Its client exits at once: seen by the apply's own watch (--up-for: down, or restarted by systemd, within 3 s of
    // its start; the apply then fails, having changed the host), or else by the gate; either way the host goes back
    // to before the rollout.
    expect(r.stdout).toMatch(
      new RegExp(
        `^  ${h3.name} \\(batch 2\\): rolled-back: (gate failed: not passed within --gate-timeout 12s: unit lighthouse.service is (activating|failed|active)[^;]*|apply failed: lighthouse\\.service (is failed \\(failed\\) 3 s after its start, expected active|(was restarted (once|\\d+ times) on its own within 3 s of its start \\(it exits: |exited within 3 s of its start and waits to be restarted(, restarted (once|\\d+ times) already)? \\()journalctl -u lighthouse\\.service says why\\))); rolled back: the host is as it was`,
        'm',
      ),
    );
    expect(r.stdout).toMatch(new RegExp(`^  ${h4.name} \\(batch 3\\): not-started: the rollout stopped before its batch: 1 host\\(s\\) failed, more than --max-fail allows \\(0 of 6\\)$`, 'm'));
    expect(r.stdout).toContain('Summary: 2 done, 1 rolled-back, 3 not-started (4 batch(es)).');
    // Lighthouse runs again with its old command line: the unit is restarted as it was.
    await waitFor('lighthouse active on the rolled-back host', async () => ((await unitState(lab, h3, 'lighthouse.service')).active === 'active' ? true : undefined));
    expect(await hostState(h3)).toBe(before);
    expect(await peersOn(h1)).toBe(`--maxpeers ${peers}`);
    expect(await peersOn(h4)).toBe(`--maxpeers ${peers - 1}`);
    // The canary and h2 applied; h3 applied and rolled back (two generations); the rest untouched.
    expect((await allGenerations()).map((n, i) => n - generationsBefore[i]!)).toEqual([1, 1, 2, 0, 0, 0]);
  });

  it('--max-fail 50% goes on past the failing host', async () => {
    const h3 = lab.hosts[2]!;
    const r = await nodeform('apply', '-i', inventory([h3]), playbook, ...nextChange(), '--serial', '2', '--canary', '1', '--max-fail', '50%', ...GATE, '--yes', '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(states(doc), JSON.stringify(doc.rollout.hosts)).toEqual(['h1 1 done', 'h2 2 done', 'h3 2 rolled-back', 'h4 3 done', 'h5 3 done', 'h6 4 done']);
    expect(doc.rollout.stopped).toBeUndefined();
    expect(await peersOn(lab.hosts[5]!)).toBe(`--maxpeers ${peers}`);
  });

  it('a whole failing batch at --max-fail 100% does not abort the rollout', async () => {
    const [, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
    const r = await nodeform('apply', '-i', inventory([h2, h3]), playbook, ...nextChange(), '--serial', '2', '--canary', '1', '--max-fail', '100%', ...GATE, '--yes', '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(states(doc)).toEqual(['h1 1 done', 'h2 2 rolled-back', 'h3 2 rolled-back', 'h4 3 done', 'h5 3 done', 'h6 4 done']);
    expect(doc.rollout.summary).toEqual({ done: 4, failed: 0, rolled_back: 2, not_started: 0 });
  });

  it('--resume after the controller is killed (SIGKILL) mid-rollout finishes only the remaining hosts', async () => {
    const [, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
    const before = await allGenerations();
    const change = nextChange();
    const run = spawnCli(['apply', '-i', inventory(), playbook, ...change, '--serial', '2', '--canary', '1', ...GATE, '--yes']);
    // Killed while batch 2 is at its gate: both its hosts applied (the run record holds their generations), not yet judged.
    const recorded = async () => {
      const dir = join(testHome, '.local/state/nodeform/rollouts');
      // This run's record (the inventory's record of the cases before holds their generations).
      const records = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pid: number; applied?: Record<string, number> });
      return records.some((r) => r.pid === run.child.pid && r.applied?.[h2.name] !== undefined && r.applied[h3.name] !== undefined) ? true : undefined;
    };
    await waitFor('batch 2 applied', recorded, 120_000);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(run.output()).toContain('Batch 2/4');
    expect(run.output()).not.toContain('Batch 3/4');

    const resumed = await nodeform('apply', '-i', inventory(), '--resume', '--yes');
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('1 host(s) already finished are left alone; 5 to go');
    expect(resumed.stdout).toContain('Summary: 6 done (4 batch(es)).');
    // Batch 2's hosts were applied before the kill: resumed, their plan is empty, and they are gated as applied
    // by this rollout (a failing gate would roll that generation back).
    expect(resumed.stdout).toMatch(new RegExp(`^  ${h2.name} \\(batch 2\\): done: applied \\(generation ${before[1]! + 1}\\); gate passed`, 'm'));
    // Each host changed exactly once: the canary was not redone, batch 2's hosts were gated, not applied again.
    expect(await allGenerations()).toEqual(before.map((n) => n + 1));
    for (const h of lab.hosts) expect(await peersOn(h)).toBe(`--maxpeers ${peers}`);
  }, 240_000);

  it('Ctrl-C (SIGINT) mid-batch: the hosts in flight finish, no other starts, none is left half done; --resume finishes', async () => {
    const before = await allGenerations();
    const old = `--maxpeers ${peers}`;
    const change = nextChange();
    const run = spawnCli(['apply', '-i', inventory(), playbook, ...change, '--serial', '2', '--canary', '1', ...GATE, '--yes']);
    await waitFor('batch 2 to start', async () => (run.output().includes('Batch 2/4') ? true : undefined), 120_000);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    const output = run.output();
    expect(output).toContain('interrupted: the hosts in flight finish');
    expect(output).toContain('Summary: 3 done, 3 not-started (4 batch(es)). Stopped: the rollout was interrupted (Ctrl-C)');
    const after = await allGenerations();
    expect(after.map((n, i) => n - before[i]!)).toEqual([1, 1, 1, 0, 0, 0]);
    for (const [i, h] of lab.hosts.entries()) {
      expect(await peersOn(h)).toBe(i < 3 ? `--maxpeers ${peers}` : old);
      expect(await unitState(lab, h, 'geth.service')).toMatchObject({ enabled: 'enabled', active: 'active' });
      expect((await lab.sh(h, 'test -e /var/lib/nodeform/lock')).code, `${h.name}: no lock left`).toBe(1);
    }
    const resumed = await nodeform('apply', '-i', inventory(), '--resume', '--yes');
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('3 host(s) already finished are left alone; 3 to go');
    expect((await allGenerations()).map((n, i) => n - before[i]!)).toEqual([1, 1, 1, 1, 1, 1]);
  }, 240_000);

  it('a second Ctrl-C rolls the hosts in flight back without waiting out their gates; none is left half done', async () => {
    const h1 = lab.hosts[0]!;
    const before = await hostState(h1);
    const generation = await generations(h1);
    // h1's Lighthouse gets a flag it refuses: its gate cannot pass, and would give up only after 300 s. (Its apply
    // checks the unit only right after its start, --up-for 0, so that the apply passes and the gate is what waits.)
    const run = spawnCli(['apply', '-i', inventory([h1]), playbook, ...nextChange(), '--limit', h1.name, '--gate-timeout', '300', '--up-for', '0', '--yes']);
    // Its apply is over (a new generation, the lock released): it waits at its gate.
    const atGate = async () => (await generations(h1)) > generation && (await lab.sh(h1, 'test -e /var/lib/nodeform/lock')).code !== 0;
    await waitFor('h1 at its gate', async () => ((await atGate()) ? true : undefined), 120_000);
    run.child.kill('SIGINT');
    await waitFor('the first Ctrl-C answered', async () => (run.output().includes('interrupted: the hosts in flight finish') ? true : undefined), 10_000);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    const output = run.output();
    expect(output).toContain('interrupted again: each host in flight is rolled back as soon as its apply ends');
    expect(output).toMatch(new RegExp(`^  ${h1.name} \\(batch 1\\): rolled-back: gate failed: not waited for \\(Ctrl-C twice\\); it was [^\\n]*; rolled back: the host is as it was`, 'm'));
    // Back as it was: files byte-identical, Lighthouse running its old command line, no lock left.
    await waitFor('lighthouse active on the rolled-back host', async () => ((await unitState(lab, h1, 'lighthouse.service')).active === 'active' ? true : undefined));
    expect(await hostState(h1)).toBe(before);
    expect(await generations(h1)).toBe(generation + 2);
    expect((await lab.sh(h1, 'test -e /var/lib/nodeform/lock')).code).toBe(1);
  }, 180_000);

  it('a connection lost while a host\'s gate waits is opened anew: the gate goes on and passes, nothing is rolled back', async () => {
    const h5 = lab.hosts[4]!;
    const before = await generations(h5);
    const running = nodeform('apply', '-i', inventory(), playbook, ...nextChange(), '--limit', h5.name, ...GATE, '--yes', '--json');
    // Once the host's apply is done (its generation sealed, its lock released), its gate waits for its units to stay
    // up (seconds): every SSH session on it is cut then.
    const applied = async () => (await generations(h5)) > before && (await lab.sh(h5, 'test -e /var/lib/nodeform/lock')).code !== 0;
    await waitFor('the apply on the host to end', async () => ((await applied()) ? true : undefined), 30_000);
    const cut = await lab.sh(h5, 'pkill -KILL -f "^sshd(-session)?: root@notty"');
    expect(cut.code, 'an SSH session was cut').toBe(0);
    const r = await running;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [host] = JSON.parse(r.stdout).rollout.hosts as RolloutHost[];
    expect(host).toMatchObject({ state: 'done', why: expect.stringMatching(/gate passed: 3 unit\(s\) active/) });
    // Applied once, not rolled back.
    expect(await generations(h5)).toBe(before + 1);
    expect(await peersOn(h5)).toBe(`--maxpeers ${peers}`);
  }, 120_000);

  it('the gate is the monitoring verdict: a consensus client still syncing passes --gate progressing, not --gate synced', async () => {
    const h6 = lab.hosts[5]!;
    // h6's stand-ins now report syncing (head moving) for an hour after each start.
    await installStandins(lab, [h6], { clients: ['lighthouse', 'geth'], syncSeconds: 3600 });
    // A new consensus peer target restarts Lighthouse alone; the execution peers stay as the last case left them.
    const change = (cl: number) => ['-e', JSON.stringify({ network_tuning: { peers_el: peers, peers_cl: cl } })];
    const synced = await nodeform('apply', '-i', inventory(), playbook, ...change(41), '--limit', h6.name, '--gate', 'synced', '--gate-timeout', '15', '--yes', '--json');
    expect(synced.code).toBe(1);
    const [host] = JSON.parse(synced.stdout).rollout.hosts as RolloutHost[];
    expect(host).toMatchObject({ state: 'rolled-back', why: expect.stringMatching(/^gate failed: not passed within --gate-timeout 15s: the node is syncing, not synced: .*slots behind.*; rolled back/) });
    const progressing = await nodeform('apply', '-i', inventory(), playbook, ...change(42), '--limit', h6.name, '--gate', 'progressing', '--gate-timeout', '30', '--yes', '--json');
    expect(progressing.code, progressing.stderr).toBe(0);
    expect((JSON.parse(progressing.stdout).rollout.hosts as RolloutHost[])[0]).toMatchObject({ state: 'done', why: expect.stringMatching(/gate passed: 3 unit\(s\) active; progressing: \d+ slots behind/) });
  }, 120_000);
});
