// The controller's sync history: per host, the samples `status` took, as JSON lines in the state directory
// ($XDG_STATE_HOME/nodeform/status, or ~/.local/state/nodeform/status), kept below a size (the oldest half is
// dropped when it is reached), and the host's alert state beside it. Successive runs (and --watch rounds) read
// it to measure speed over the window, the ETA and stalls. Private to the user (0700 directory, 0600 files).

import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertState } from '../monitor/alerts.js';
import type { SyncSample } from '../monitor/sync.js';

/** The host's files: its name (made safe for a file name) and a digest of where it is, so two inventories' `lab1` differ. */
export function historyKey(host: string, address: string, port: number | undefined): string {
  const digest = createHash('sha256').update(`${host}\0${address}\0${port ?? 22}`).digest('hex').slice(0, 12);
  return `${host.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64)}-${digest}`;
}

export class HistoryStore {
  constructor(private readonly dir: string) {}

  private path(key: string, suffix: string): string {
    return join(this.dir, `${key}${suffix}`);
  }

  /** The host's samples, oldest first; lines that do not read as a sample are skipped. */
  async samples(key: string): Promise<SyncSample[]> {
    const text = await readFile(this.path(key, '.jsonl'), 'utf8').catch(() => '');
    const samples: SyncSample[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const value = JSON.parse(line) as SyncSample;
        if (typeof value?.at === 'number' && typeof value.consensus?.reachable === 'boolean') samples.push(value);
      } catch {
        // a line cut off by a crash mid-write
      }
    }
    return samples;
  }

  /** Appends one sample; past maxBytes, the file is rewritten with its newer half. */
  async append(key: string, sample: SyncSample, maxBytes: number): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.path(key, '.jsonl');
    await appendFile(file, `${JSON.stringify(sample)}\n`, { mode: 0o600 });
    const size = (await stat(file)).size;
    if (size <= maxBytes) return;
    const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
    let kept = lines;
    let bytes = size;
    while (bytes > maxBytes / 2 && kept.length > 1) {
      bytes -= Buffer.byteLength(kept[0]!) + 1;
      kept = kept.slice(1);
    }
    await writeFile(`${file}.tmp`, `${kept.join('\n')}\n`, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  async alertState(key: string): Promise<AlertState | undefined> {
    const text = await readFile(this.path(key, '.alert.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text) as AlertState;
      return typeof value?.verdict === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  async saveAlertState(key: string, state: AlertState): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.path(key, '.alert.json');
    await writeFile(`${file}.tmp`, JSON.stringify(state), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }
}
