// nodeform status on real hosts with stand-in clients (test/lab/standin/standin.py): one synced, one syncing for
// a long while, one that stalls (DATADIR/nodeform-standin.stall freezes its head) and recovers; then a consensus
// client stopped (down) and an execution client stopped (el-offline). Alerts go to a local webhook server and to
// Debian's real Alertmanager, once per change. --watch is read from a real terminal (tmux) and from a pipe.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, testHome, writeInventory, writePlaybook } from './support.js';
import { startWebhookServer, type WebhookServer } from '../support/webhook-server.js';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';
import { startProviderServer, type ProviderServer } from '../support/provider-server.js';

const repo = join(import.meta.dirname, '../..');
let lab: Lab;
let release: ReleaseServer;
let provider: ProviderServer;
let hooks: WebhookServer;
let alertmanager: Alertmanager;
let inventory: string;
let playbook: string;
let synced: LabHost;
let syncing: LabHost;
let staller: LabHost;

interface HostDoc {
  host: string;
  verdict: string;
  reason: string;
  consensus: Record<string, unknown>;
  execution: Record<string, unknown>;
  network: { name: string; iteration?: number };
  units?: { name: string; active: string }[];
  checkpoint?: { source: string; from?: string };
  alerts: { kind: string; verdict: string }[];
}

async function status(...extra: string[]): Promise<{ code: number; hosts: Record<string, HostDoc>; stdout: string; stderr: string }> {
  const r = await nodeform('status', '-i', inventory, playbook, '--json', ...extra);
  if (r.stdout === '') throw new Error(`status printed nothing: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { hosts: HostDoc[] };
  return { code: r.code, hosts: Object.fromEntries(doc.hosts.map((h) => [h.host, h])), stdout: r.stdout, stderr: r.stderr };
}

/** status --json every second until `done` holds (the history on the controller grows each time). */
async function statusUntil(what: string, done: (hosts: Record<string, HostDoc>) => boolean, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  const seen: string[] = [];
  for (;;) {
    const r = await status();
    seen.push(Object.values(r.hosts).map((h) => `${h.host}:${h.verdict}`).join(' '));
    if (done(r.hosts)) return { ...r, seen };
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; verdicts seen:\n${seen.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const hostsOf = (server: WebhookServer, path: string, host: string) =>
  server.received.filter((r) => r.path.startsWith(path) && JSON.stringify(r.body).includes(`"${host}`)).map((r) => r.body);

beforeAll(async () => {
  lab = await startLab({ name: 'status', count: 3, slot: 6 });
  [synced, syncing, staller] = lab.hosts as [LabHost, LabHost, LabHost];
  // Heads advance one slot a second; the syncing host says it syncs for a day.
  await Promise.all([
    installStandins(lab, [synced, staller], { clients: ['lighthouse', 'geth'], slotSeconds: 1 }),
    installStandins(lab, [syncing], { clients: ['lighthouse', 'geth'], slotSeconds: 1, syncSeconds: 86_400 }),
  ]);
  release = await startReleaseServer(slotAddress(lab.slot, 1));
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  provider = await startProviderServer({ chain: releaseGenesis(161) });
  hooks = await startWebhookServer();
  alertmanager = await startAlertmanager();
  inventory = writeInventory(lab, 'status', {
    vars: {
      network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` },
      checkpoint_sync: { enabled: true, providers: [provider.url] },
      monitoring: {
        monitor: false,
        window_seconds: 30,
        alert_interval_seconds: 0,
        alerts: [
          { url: `${hooks.url.replace('http://', 'http://hook:s3cr3t@')}/generic?token=s3cr3t`, kind: 'json' },
          { url: `${hooks.url}/slack`, kind: 'slack' },
          { url: alertmanager.url, kind: 'alertmanager' },
        ],
      },
    },
    hosts: Object.fromEntries(
      lab.hosts.map((h) => [h.name, { consensus: { client: 'lighthouse', listen_address: h.address }, execution: { client: 'geth', listen_address: h.address } }]),
    ),
  });
  playbook = writePlaybook(lab, 'status', [{ name: 'nodes', hosts: 'all', ethereum_node: true }]);
  const applied = await nodeform('apply', '-i', inventory, playbook, '--yes');
  if (applied.code !== 0) throw new Error(`apply failed: ${applied.stdout}${applied.stderr}`);
});
afterAll(async () => {
  await alertmanager?.stop();
  await hooks?.close();
  await provider?.close();
  await release?.close();
  await lab?.stop();
});

describe.sequential('nodeform status on lab hosts', () => {
  it('tells synced from syncing, with units, versions, the Ephemery iteration and the checkpoint it started from', async () => {
    const r = await statusUntil('synced and syncing', (h) => h[synced.name]?.verdict === 'synced' && h[syncing.name]?.verdict === 'syncing' && h[staller.name]?.verdict === 'synced');
    expect(r.code).toBe(0);
    const s = r.hosts[synced.name]!;
    expect(s.consensus).toMatchObject({ client: 'lighthouse', reachable: true, is_syncing: false, sync_distance: 0, version: expect.stringMatching(/^Lighthouse\/v.*standin/) });
    expect(s.execution).toMatchObject({ client: 'geth', reachable: true, syncing: false, version: expect.stringMatching(/^Geth\/v.*standin/) });
    expect(s.network).toEqual({ name: 'ephemery', iteration: 161 });
    expect(s.units).toEqual([
      { name: 'lighthouse.service', active: 'active', sub: 'running', restarts: 0 },
      { name: 'geth.service', active: 'active', sub: 'running', restarts: 0 },
    ]);
    expect(s.checkpoint).toEqual({ source: 'provider', from: provider.url });
    const g = r.hosts[syncing.name]!;
    expect(g.consensus).toMatchObject({ is_syncing: true });
    expect(g.consensus.sync_distance as number).toBeGreaterThan(8);
    expect(g.reason).toMatch(/slots behind/);
    // Healthy hosts page no one.
    expect(hooks.received).toEqual([]);
  });

  it('a stall gives one alert at the webhooks and one at Alertmanager; another look sends nothing more', async () => {
    await hostSh(lab, staller, 'touch /var/lib/lighthouse/nodeform-standin.stall');
    const r = await statusUntil('the stall', (h) => h[staller.name]?.verdict === 'stalled');
    expect(r.code).toBe(1);
    // On the way: the head stood still and the distance grew (syncing), then a whole window without progress.
    expect(r.seen.some((line) => line.includes(`${staller.name}:syncing`))).toBe(true);
    expect(r.hosts[staller.name]!.reason).toMatch(/the head moved 0 slots in the last 30 s/);
    expect(hostsOf(hooks, '/generic', staller.name)).toEqual([
      { host: staller.name, kind: 'firing', verdict: 'stalled', reason: expect.stringContaining('moved 0 slots'), at: expect.stringMatching(/Z$/) },
    ]);
    expect(hostsOf(hooks, '/slack', staller.name)).toEqual([{ text: expect.stringContaining(`${staller.name} is stalled: the head moved 0 slots`) }]);
    expect(await alertmanager.activeAlerts(staller.name)).toEqual(['NodeformSyncStalled']);
    // The webhook's credentials and token appear nowhere nodeform writes.
    expect(r.stdout + r.stderr).not.toContain('s3cr3t');

    const again = await status();
    expect(again.hosts[staller.name]!.verdict).toBe('stalled');
    expect(again.hosts[staller.name]!.alerts).toEqual([]);
    expect(hostsOf(hooks, '/generic', staller.name)).toHaveLength(1);
    // The other hosts were never told about.
    expect(hooks.received.filter((x) => !JSON.stringify(x.body).includes(staller.name))).toEqual([]);
  }, 150_000);

  it('the recovery gives one more alert, and Alertmanager resolves it', async () => {
    await hostSh(lab, staller, 'rm -f /var/lib/lighthouse/nodeform-standin.stall');
    const r = await statusUntil('the recovery', (h) => h[staller.name]?.verdict === 'synced');
    expect(r.code).toBe(0);
    expect(hostsOf(hooks, '/generic', staller.name)).toEqual([
      expect.objectContaining({ kind: 'firing', verdict: 'stalled' }),
      expect.objectContaining({ kind: 'resolved', verdict: 'stalled' }),
    ]);
    expect(hostsOf(hooks, '/slack', staller.name)).toHaveLength(2);
    expect(await alertmanager.activeAlerts(staller.name)).toEqual([]);
  }, 150_000);

  it('--watch on a terminal: one line and a bar per host, redrawn in place; Ctrl-C ends it', async () => {
    if (!existsSync(join(repo, 'dist/cli/launch.js'))) throw new Error('dist/ is missing: run npm run build (npm test does)');
    const session = `nodeform-status-${lab.slot}`;
    const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
    const command = `cd ${repo} && HOME=${testHome} node bin/nodeform.js status -i ${inventory} ${playbook} --watch --interval 1 --no-alerts; echo "EXIT=$?"; sleep 60`;
    expect(tmux('new-session', '-d', '-s', session, '-x', '180', '-y', '30', command).status).toBe(0);
    try {
      const screen = () => tmux('capture-pane', '-p', '-t', session).stdout;
      const deadline = Date.now() + 30_000;
      let first = '';
      while (!/every 1 s, (\d\d:\d\d:\d\d)/.test(first) || !lab.hosts.every((h) => first.includes(h.name))) {
        if (Date.now() > deadline) throw new Error(`no --watch screen:\n${first}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        first = screen();
      }
      const clock = (text: string) => /every 1 s, (\d\d:\d\d:\d\d)/.exec(text)?.[1];
      // Later rounds draw over the first: the clock moves on and each host still has exactly one line.
      let later = first;
      while (clock(later) === clock(first)) {
        if (Date.now() > deadline) throw new Error(`the screen was not redrawn:\n${later}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        later = screen();
      }
      await new Promise((resolve) => setTimeout(resolve, 2500));
      later = screen();
      for (const h of lab.hosts) {
        const lines = later.split('\n').filter((line) => line.startsWith(h.name));
        expect(lines, later).toHaveLength(1);
        expect(lines[0]).toMatch(/(synced|syncing) +\[[#-]{20}\] +\d+% {2}head \d+/);
      }
      expect(later.split('\n').filter((line) => line.startsWith('nodeform status: every 1 s'))).toHaveLength(1);
      tmux('send-keys', '-t', session, 'C-c');
      const end = Date.now() + 15_000;
      while (!/EXIT=\d/.test(screen())) {
        if (Date.now() > end) throw new Error(`Ctrl-C did not end --watch:\n${screen()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(screen()).toMatch(/EXIT=0/);
    } finally {
      tmux('kill-session', '-t', session);
    }
  }, 60_000);

  it('--watch into a pipe: one plain line per host per round, until interrupted', async () => {
    let stdout = '';
    let interrupt: () => void = () => undefined;
    const running = run(['status', '-i', inventory, playbook, '--watch', '--interval', '1', '--no-alerts'], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
      isTTY: false,
      env: { HOME: testHome },
      cwd: process.cwd(),
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => undefined;
      },
    });
    const deadline = Date.now() + 30_000;
    while (stdout.split('\n').filter((line) => line.includes(` ${synced.name} `)).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    interrupt();
    expect(await running).toBe(0);
    for (const h of lab.hosts) {
      const lines = stdout.split('\n').filter((line) => line.includes(` ${h.name} `));
      expect(lines.length).toBeGreaterThanOrEqual(3);
      for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z \S+ (synced|syncing) head=\d+ distance=\d+ /);
    }
    expect(stdout).not.toContain('\x1b');
  }, 60_000);

  it('a stopped consensus client is down, a stopped execution client el-offline; --prometheus says the same', async () => {
    await hostSh(lab, synced, 'systemctl stop lighthouse.service');
    await hostSh(lab, syncing, 'systemctl stop geth.service');
    try {
      const r = await status();
      expect(r.code).toBe(1);
      expect(r.hosts[synced.name]).toMatchObject({ verdict: 'down', consensus: { reachable: false } });
      expect(r.hosts[synced.name]!.units![0]).toMatchObject({ name: 'lighthouse.service', active: 'inactive' });
      expect(r.hosts[syncing.name]).toMatchObject({ verdict: 'el-offline', execution: { reachable: false } });
      expect(r.hosts[syncing.name]!.reason).toMatch(/JSON-RPC does not answer/);
      // Each is told once.
      expect(hostsOf(hooks, '/generic', synced.name)).toEqual([expect.objectContaining({ kind: 'firing', verdict: 'down' })]);
      expect(hostsOf(hooks, '/generic', syncing.name)).toEqual([expect.objectContaining({ kind: 'firing', verdict: 'el-offline' })]);
      expect((await alertmanager.activeAlerts(synced.name)).sort()).toEqual(['NodeformNodeDown']);
      expect((await alertmanager.activeAlerts(syncing.name)).sort()).toEqual(['NodeformExecutionOffline']);
      const prom = await nodeform('status', '-i', inventory, playbook, '--prometheus', '--no-alerts');
      expect(prom.code).toBe(1);
      expect(prom.stdout).toContain(`nodeform_node_up{host="${synced.name}"} 0`);
      expect(prom.stdout).toContain(`nodeform_sync_verdict{host="${syncing.name}",verdict="el-offline"} 1`);
      expect(prom.stdout).toContain(`nodeform_sync_verdict{host="${staller.name}",verdict="synced"} 1`);
    } finally {
      await hostSh(lab, synced, 'systemctl start lighthouse.service');
      await hostSh(lab, syncing, 'systemctl start geth.service');
    }
  }, 60_000);
});
