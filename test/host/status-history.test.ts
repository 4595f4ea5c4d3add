// The controller's status history: JSON lines per host kept below a size (the newer half stays), a key per host
// and address, a cut-off line skipped, and the alert state beside it; private to the user.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryStore, historyKey } from '../../src/observe/history.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const store = () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'nodeform-history-')), 'status');
  dirs.push(dir);
  return { dir, store: new HistoryStore(dir) };
};

describe('status history', () => {
  it('keeps samples in order, below the size, dropping the oldest half when it is reached', async () => {
    const { dir, store: s } = store();
    const key = historyKey('lab1', '127.0.0.11', 22);
    for (let i = 0; i < 200; i++) await s.append(key, { at: i, consensus: { reachable: true, headSlot: i } }, 4096);
    const file = join(dir, `${key}.jsonl`);
    expect(statSync(file).size).toBeLessThanOrEqual(4096);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const kept = await s.samples(key);
    expect(kept.length).toBeGreaterThan(20);
    expect(kept[kept.length - 1]!.at).toBe(199);
    expect(kept.map((x) => x.at)).toEqual([...kept.map((x) => x.at)].sort((a, b) => a - b));
    // A line cut off by a crash is skipped, the rest still read.
    appendFileSync(file, '{"at": 200, "consens');
    expect((await s.samples(key)).length).toBe(kept.length);
    expect(readFileSync(file, 'utf8')).toContain('"headSlot":199');
  });

  it('one file per host and address; the alert state beside it', async () => {
    const { store: s } = store();
    expect(historyKey('lab1', '10.0.0.1', 22)).not.toBe(historyKey('lab1', '10.0.0.2', 22));
    expect(historyKey('a/../b', 'x', undefined)).toMatch(/^a_\.\._b-[0-9a-f]{12}$/);
    const key = historyKey('lab1', 'x', 22);
    expect(await s.alertState(key)).toBeUndefined();
    expect(await s.samples(key)).toEqual([]);
    await s.saveAlertState(key, { verdict: 'stalled', sentAt: 5 });
    expect(await s.alertState(key)).toEqual({ verdict: 'stalled', sentAt: 5 });
  });
});
