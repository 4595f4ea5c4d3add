// The on-host sync monitor script, run for real by dash and bash against a scripted stand-in of a node's
// Beacon API and JSON-RPC (named a stand-in: it answers the few routes the monitor reads, with figures the test
// sets), a local webhook server and Debian's real Alertmanager. Time is replayed: each run pins NOW. Its
// verdicts are checked against src/monitor's (the same rules in TypeScript) run by run.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderString } from '../../src/render/handlebars.js';
import { quote } from '../../src/shell/quote.js';
import { assessSync, MONITOR_DEFAULTS, type SyncSample } from '../../src/monitor/sync.js';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager.js';

interface NodeState {
  up: boolean;
  head: number;
  distance: number;
  syncing: boolean;
  optimistic?: boolean;
  elOffline?: boolean;
  peers: number;
}

const node: NodeState = { up: true, head: 0, distance: 600, syncing: true, peers: 9 };
const received: { path: string; body: unknown }[] = [];
const servers: Server[] = [];
let beacon: string;
let hooks: string;
let alertmanager: Alertmanager | undefined;

function listen(handler: (req: IncomingMessage, body: string) => { status: number; body: unknown } | 'destroy'): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const answer = handler(req, body);
      if (answer === 'destroy') return req.socket.destroy();
      const text = JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  beacon = await listen((req) => {
    if (!node.up) return 'destroy';
    const path = (req.url ?? '').split('?')[0];
    if (path === '/eth/v1/node/syncing')
      return { status: 200, body: { data: { head_slot: String(node.head), sync_distance: String(node.distance), is_syncing: node.syncing, is_optimistic: node.optimistic ?? false, el_offline: node.elOffline ?? false } } };
    if (path === '/eth/v1/node/peer_count') return { status: 200, body: { data: { connected: String(node.peers), disconnected: '0' } } };
    if (path === '/eth/v1/beacon/states/head/finality_checkpoints')
      return { status: 200, body: { data: { finalized: { epoch: String(Math.max(0, Math.floor(node.head / 32) - 2)), root: '0x' + '11'.repeat(32) } } } };
    return { status: 404, body: { message: 'no route' } };
  });
  hooks = await listen((req, body) => {
    received.push({ path: req.url ?? '', body: JSON.parse(body) as unknown });
    return { status: 200, body: {} };
  });
  alertmanager = await startAlertmanager();
});
afterAll(async () => {
  for (const server of servers) server.closeAllConnections?.();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await alertmanager?.stop();
});

const script = (() => {
  const rendered = renderString(readFileSync('templates/scripts/nodeform-monitor.sh.hbs', 'utf8'), { configPath: quote('/etc/nodeform/monitor.conf') });
  if (!rendered.ok) throw new Error('the monitor template does not render');
  return rendered.text;
})();

describe.each(['dash', 'bash'])('the on-host monitor under %s', (shell) => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nodeform-monitor-'));
    writeFileSync(join(dir, 'monitor.sh'), script, { mode: 0o755 });
    received.length = 0;
    Object.assign(node, { up: true, head: 0, distance: 600, syncing: true, optimistic: false, elOffline: false, peers: 9 });
    return () => rmSync(dir, { recursive: true, force: true });
  });

  // An hour ago: Alertmanager judges endsAt by its own clock, so replayed times must lie in the past.
  const T0 = Math.floor(Date.now() / 1000) - 3600;
  const config = (now: number, extra = '') =>
    [
      `NODE_NAME=lab1-${shell}`,
      `BEACON_API=${beacon}`,
      `STATE_DIR=${dir}/state`,
      `TEXTFILE=${dir}/nodeform.prom`,
      // A token in the URL: it must reach neither argv nor the log.
      `WEBHOOKS="${hooks.replace('http://', 'http://hook:s3cr3t@')}/generic?token=s3cr3t"`,
      `SLACK_WEBHOOKS=${hooks}/slack`,
      `ALERTMANAGERS=${alertmanager!.url}`,
      `RATE_LIMIT_SECONDS=0`,
      `NOW=${now}`,
      extra,
    ].join('\n');
  // Run asynchronously: the stand-in servers live in this process and must keep answering meanwhile.
  const runAt = async (minute: number, extra = ''): Promise<string> => {
    writeFileSync(join(dir, 'monitor.conf'), config(T0 + minute * 60, extra), { mode: 0o600 });
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      execFile(shell, [join(dir, 'monitor.sh'), join(dir, 'monitor.conf')], (error, stdout, stderr) =>
        resolve({ stdout, stderr, code: error ? ((error as { code?: number }).code ?? 1) : 0 }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    return stdout;
  };

  it('judges as src/monitor does, alerts once on a stall and once on its recovery, and writes a valid textfile', async () => {
    const samples: SyncSample[] = [];
    const verdicts: string[] = [];
    const activeInAlertmanager: string[][] = [];
    // Minutes 0-5: 100 slots a minute, reaching slot 500. 6-12: stuck there, falling behind. 13: moving again.
    for (let minute = 0; minute <= 13; minute++) {
      const stuck = minute >= 6 && minute <= 12;
      node.head = stuck ? 500 : minute * 100;
      node.distance = 600 - minute * 95 + (stuck ? (minute - 5) * 100 : 0);
      const out = await runAt(minute);
      const verdict = new RegExp(`^lab1-${shell}: ([a-z-]+): `).exec(out)![1]!;
      verdicts.push(verdict);
      samples.push({ at: (T0 + minute * 60) * 1000, consensus: { reachable: true, headSlot: node.head, syncDistance: node.distance, isSyncing: true, isOptimistic: false, elOffline: false, peers: 9 } });
      expect(verdict, `minute ${minute}`).toBe(assessSync(samples, MONITOR_DEFAULTS, (T0 + minute * 60) * 1000, 12).verdict);
      if (minute >= 9) activeInAlertmanager.push(await alertmanager!.activeAlerts(`lab1-${shell}`));
    }
    // At slot 500 from minute 5: a whole window without progress by minute 10.
    expect(verdicts).toEqual(['syncing', 'syncing', 'syncing', 'syncing', 'syncing', 'syncing', 'syncing', 'syncing', 'syncing', 'syncing', 'stalled', 'stalled', 'stalled', 'syncing']);

    const generic = received.filter((r) => r.path.startsWith('/generic')).map((r) => r.body as { kind: string; verdict: string; host: string });
    expect(generic.map((e) => `${e.kind}:${e.verdict}`)).toEqual(['firing:stalled', 'resolved:stalled']);
    expect(received.filter((r) => r.path === '/slack').map((r) => (r.body as { text: string }).text)).toEqual([
      expect.stringMatching(new RegExp(`^lab1-${shell} is stalled: the head moved 0 slots in the last 300 s`)),
      expect.stringMatching(new RegExp(`^lab1-${shell} is no longer stalled: `)),
    ]);
    // The real Alertmanager took the alert while it fired, and its resolution after.
    expect(activeInAlertmanager).toEqual([[], ['NodeformSyncStalled'], ['NodeformSyncStalled'], ['NodeformSyncStalled'], []]);

    // Bounded history, one line per run; the textfile passes promtool and is readable by node_exporter.
    expect(readFileSync(join(dir, 'state/history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(14);
    const textfile = readFileSync(join(dir, 'nodeform.prom'), 'utf8');
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: textfile, encoding: 'utf8' });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
    expect(textfile).toContain(`nodeform_sync_verdict{host="lab1-${shell}",verdict="syncing"} 1\n`);
    expect(statSync(join(dir, 'nodeform.prom')).mode & 0o777).toBe(0o644);
  });

  it('says down when the Beacon API does not answer, alerts once, and keeps the history bounded in bytes', async () => {
    node.up = false;
    const sizes: number[] = [];
    for (let minute = 0; minute < 8; minute++) {
      expect(await runAt(minute, 'HISTORY_MAX_BYTES=700')).toMatch(new RegExp(`^lab1-${shell}: down: the consensus client's Beacon API does not answer: `));
      sizes.push(statSync(join(dir, 'state/history.jsonl')).size);
    }
    expect(received.filter((r) => r.path.startsWith('/generic')).map((r) => (r.body as { kind: string }).kind)).toEqual(['firing']);
    // Never above the bound; trimmed (it grew past 700 bytes at some run), whole lines, the newest last.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(700);
    expect(sizes.some((size, i) => i > 0 && size < sizes[i - 1]!)).toBe(true);
    const lines = readFileSync(join(dir, 'state/history.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { at: number });
    expect(lines.at(-1)!.at).toBe(T0 + 7 * 60);
    expect(lines.map((l) => l.at)).toEqual([...lines.map((l) => l.at)].sort((a, b) => a - b));
  });

  it('holds a change back inside the rate limit and tells the settled state after it', async () => {
    node.distance = 0;
    node.syncing = false;
    await runAt(0, 'RATE_LIMIT_SECONDS=600');
    node.elOffline = true;
    expect(await runAt(1, 'RATE_LIMIT_SECONDS=600')).toMatch(/el-offline/);
    node.elOffline = false;
    expect(await runAt(2, 'RATE_LIMIT_SECONDS=600')).toMatch(/el-offline -> synced held back by the rate limit/);
    node.elOffline = true;
    await runAt(3, 'RATE_LIMIT_SECONDS=600');
    node.elOffline = false;
    await runAt(12, 'RATE_LIMIT_SECONDS=600');
    const kinds = received.filter((r) => r.path.startsWith('/generic')).map((r) => `${(r.body as { kind: string }).kind}:${(r.body as { verdict: string }).verdict}`);
    expect(kinds).toEqual(['firing:el-offline', 'resolved:el-offline']);
  });

  it('never puts a webhook token in its output', async () => {
    const out = await runAt(0, `WEBHOOKS=http://hook:s3cr3t@127.0.0.1:1/generic?token=s3cr3t\nNOW=${T0}`);
    node.up = false;
    const failed = await runAt(1, `WEBHOOKS=http://hook:s3cr3t@127.0.0.1:1/generic?token=s3cr3t`);
    expect(out + failed).not.toContain('s3cr3t');
    expect(failed).toMatch(/an alert was not delivered to a webhook/);
  });
});
