// Debian's real Prometheus Alertmanager (prometheus-alertmanager), started for a test on an address of its
// choosing (a lab test's slot address, so lab hosts reach it), and what it holds as active alerts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './child.js';

export interface Alertmanager {
  url: string;
  process: ChildProcess;
  /** Names (alertname labels) of the alerts it holds as active for a host (API v2). */
  activeAlerts(host: string): Promise<string[]>;
  /** Stops it and, once it has exited (it writes its state on the way out), removes its directory. */
  stop(): Promise<void>;
}

export async function startAlertmanager(address = '127.0.0.1'): Promise<Alertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'nodeform-alertmanager-'));
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: none\nreceivers:\n  - name: none\n');
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, address, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const child = spawn(
    'prometheus-alertmanager',
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=${address}:${port}`, '--cluster.listen-address='],
    { stdio: 'ignore' },
  );
  const url = `http://${address}:${port}`;
  const stop = async (): Promise<void> => {
    // Alertmanager writes its silences and notification log into data/ as it shuts down.
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const activeAlerts = async (host: string): Promise<string[]> => {
    const answer = await fetch(`${url}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`);
    const alerts = (await answer.json()) as { labels: Record<string, string> }[];
    return alerts.filter((alert) => alert.labels.host === host).map((alert) => alert.labels.alertname!);
  };
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok).catch(() => false);
    if (ready) return { url, process: child, activeAlerts, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('prometheus-alertmanager did not become ready');
}
