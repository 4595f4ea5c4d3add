// The on-host sync monitor on real hosts, and the node lab of `npm run lab -- up N --nodes` it runs on: five lab
// hosts (every client pair of nodes.ts) with the stand-in clients (named so: they take the real clients' flags and serve their APIs, and sync
// nothing) whose inventory makes each a node (nodes.ts); nodeform applies it with monitoring settings; the timer
// runs the monitor on each host. A stall (the stand-in's head stopped by its stall file) is told once to a
// webhook server and a Slack-compatible one on this machine and to Debian's real Alertmanager, its recovery once
// more; the history grows and the textfile passes `promtool check metrics`; no webhook secret reaches any output.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager.js';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { NODE_PAIRS, makeNodes } from './nodes.js';
import { hostSh, nodeform, unitState } from './support.js';

const SECRET = 's3cr3t';
const received: { path: string; authorization?: string; body: { host?: string; kind?: string; verdict?: string; text?: string } }[] = [];
let lab: Lab;
let hooks: Server;
let alertmanager: Alertmanager;
let stalled: LabHost;
let healthy: LabHost[];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const generic = (host: string) => received.filter((r) => r.path.startsWith('/generic') && r.body.host === host).map((r) => `${r.body.kind}:${r.body.verdict}`);
const slack = (host: string) => received.filter((r) => r.path === '/slack' && r.body.text?.startsWith(`${host} `)).map((r) => r.body.text!);
const historyLines = async (h: LabHost) => (await hostSh(lab, h, 'cat /var/lib/nodeform/monitor/history.jsonl 2>/dev/null || true')).trim().split('\n').filter(Boolean);

beforeAll(async () => {
  lab = await startLab({ name: 'monitor', count: NODE_PAIRS.length, slot: 27 });
  [stalled, ...healthy] = lab.hosts as [LabHost, ...LabHost[]];
  // The webhooks and Alertmanager listen on this lab's own slot addresses, which its hosts reach.
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body: JSON.parse(body) as never });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const hooksUrl = await new Promise<string>((resolve) => hooks.listen(0, slotAddress(lab.slot, 1), () => resolve(`http://${slotAddress(lab.slot, 1)}:${(hooks.address() as AddressInfo).port}`)));
  alertmanager = await startAlertmanager(slotAddress(lab.slot, 2));
  await makeNodes(lab, {
    vars: {
      monitoring: {
        interval_seconds: 10,
        window_seconds: 30,
        alert_interval_seconds: 0,
        alerts: [
          // Credentials and a token in the URL: a secret, used by curl and shown nowhere.
          { url: `${hooksUrl.replace('http://', `http://hook:${SECRET}@`)}/generic?token=${SECRET}`, kind: 'json' },
          { url: `${hooksUrl}/slack`, kind: 'slack' },
          { url: alertmanager.url, kind: 'alertmanager' },
        ],
      },
    },
  });
}, 120_000);
afterAll(async () => {
  hooks?.closeAllConnections();
  await new Promise((resolve) => (hooks ? hooks.close(resolve) : resolve(undefined)));
  await alertmanager?.stop();
  await lab?.stop();
});

describe.sequential('the node lab and the on-host monitor', () => {
  it('the node lab\'s inventory is a node fleet by itself: plan, apply, no changes (its playbook comes from the inventory)', async () => {
    const plan = await nodeform('plan', '-i', lab.inventoryPath, '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/Plan: \d+ to create, 0 to update, 0 to remove, 0 to restart, on 5 of 5 host/);
    const apply = await nodeform('apply', '-i', lab.inventoryPath, '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('Summary: 5 applied.');
    expect(plan.stdout + plan.stderr + apply.stdout + apply.stderr).not.toContain(SECRET);
    for (const [i, h] of lab.hosts.entries()) {
      const [cl, el] = NODE_PAIRS[i]!;
      expect(await unitState(lab, h, `${cl}.service`)).toMatchObject({ enabled: 'enabled', active: 'active' });
      expect(await unitState(lab, h, `${el}.service`)).toMatchObject({ enabled: 'enabled', active: 'active' });
      expect(await unitState(lab, h, 'nodeform-monitor.timer')).toMatchObject({ enabled: 'enabled', active: 'active' });
    }
    const again = await nodeform('plan', '-i', lab.inventoryPath, '--detailed-exitcode');
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('the timer runs the monitor: history grows, the node is synced, the textfile passes promtool, nothing is told, no drift', async () => {
    const ran = async () => (await Promise.all(lab.hosts.map(async (h) => (await historyLines(h)).length >= 2))).every(Boolean);
    await waitFor('two runs of the monitor on each host', async () => ((await ran()) ? true : undefined), 60_000);
    // Every consensus client's stand-in API read (their ports differ), every node synced.
    for (const h of lab.hosts) {
      const textfile = await hostSh(lab, h, 'cat /var/lib/node_exporter/textfile_collector/nodeform.prom');
      expect(textfile, h.name).toContain(`nodeform_sync_verdict{host="${h.name}",verdict="synced"} 1\n`);
    }
    const sample = JSON.parse((await historyLines(stalled)).at(-1)!) as { cl_up: boolean; head_slot: number; el_up: boolean; el_block: number };
    expect(sample).toMatchObject({ cl_up: true, el_up: true });
    expect(sample.head_slot).toBeGreaterThan(0);
    const textfile = await hostSh(lab, stalled, 'cat /var/lib/node_exporter/textfile_collector/nodeform.prom');
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: textfile, encoding: 'utf8' });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
    expect(textfile).toContain(`nodeform_sync_verdict{host="${stalled.name}",verdict="synced"} 1\n`);
    expect(await hostSh(lab, stalled, 'stat -c "%a %U" /var/lib/node_exporter/textfile_collector/nodeform.prom /etc/nodeform/monitor.conf')).toBe('644 root\n600 root\n');
    expect(received).toEqual([]);
    // What the monitor writes (its state, the textfile) is no drift.
    const plan = await nodeform('plan', '-i', lab.inventoryPath, '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it('a stall is told once to each webhook and to Alertmanager, its recovery once more; the healthy hosts tell nothing', async () => {
    await hostSh(lab, stalled, 'touch /var/lib/lighthouse/nodeform-standin.stall');
    // A whole window (30 s) without progress, then the next run: about 40 s.
    // The monitor tells its webhooks one after another: wait for the last of them, not the first.
    const toldAll = async (messages: number, activeInAlertmanager: number) =>
      generic(stalled.name).length >= messages &&
      slack(stalled.name).length >= messages &&
      (await alertmanager.activeAlerts(stalled.name)).length === activeInAlertmanager;
    await waitFor('the stall alert', async () => ((await toldAll(1, 1)) ? true : undefined), 120_000);
    expect(generic(stalled.name)).toEqual(['firing:stalled']);
    expect(await alertmanager.activeAlerts(stalled.name)).toEqual(['NodeformSyncStalled']);
    // Told once: two more runs while still stalled add nothing.
    const runs = (await historyLines(stalled)).length;
    await waitFor('two more runs', async () => ((await historyLines(stalled)).length >= runs + 2 ? true : undefined), 40_000);
    expect(generic(stalled.name)).toEqual(['firing:stalled']);

    await hostSh(lab, stalled, 'rm /var/lib/lighthouse/nodeform-standin.stall');
    await waitFor('the recovery alert', async () => ((await toldAll(2, 0)) ? true : undefined), 60_000);
    expect(generic(stalled.name)).toEqual(['firing:stalled', 'resolved:stalled']);
    expect(slack(stalled.name)).toEqual([expect.stringMatching(/ is stalled: the head moved 0 slots in the last 30 s/), expect.stringMatching(/ is no longer stalled: /)]);
    expect(await alertmanager.activeAlerts(stalled.name)).toEqual([]);
    // The credentials in the URL were used (basic auth), and the healthy host told nothing.
    expect(received.filter((r) => r.path.startsWith('/generic')).map((r) => r.authorization)).toEqual([`Basic ${Buffer.from(`hook:${SECRET}`).toString('base64')}`, `Basic ${Buffer.from(`hook:${SECRET}`).toString('base64')}`]);
    for (const h of healthy) expect([...generic(h.name), ...slack(h.name), ...(await alertmanager.activeAlerts(h.name))], h.name).toEqual([]);
  });

  it('the webhook secret is in no unit, journal line or command line on the host', async () => {
    const seen = await hostSh(
      lab,
      stalled,
      'systemctl cat nodeform-monitor.service nodeform-monitor.timer; journalctl -u nodeform-monitor.service --no-pager; systemctl show -p ExecStart nodeform-monitor.service',
    );
    expect(seen).toContain(`${stalled.name}: stalled: the head moved 0 slots`);
    expect(seen).not.toContain(SECRET);
  });
});
