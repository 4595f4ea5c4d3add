// The lab's stand-in consensus client (test/lab/standin/standin.py), run here: its head stops while its stall
// file exists (the distance to the clock grows, it says it is syncing) and catches up at two slots per slot after.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stopChild } from '../support/child.js';

const SLOT_SECONDS = 0.2;
let dir: string;
let child: ChildProcess;
let url: string;

interface Syncing {
  head: number;
  distance: number;
  syncing: boolean;
}

async function syncing(): Promise<Syncing> {
  const answer = (await (await fetch(`${url}/eth/v1/node/syncing`)).json()) as { data: { head_slot: string; sync_distance: string; is_syncing: boolean } };
  return { head: Number(answer.data.head_slot), distance: Number(answer.data.sync_distance), syncing: answer.data.is_syncing };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nodeform-standin-'));
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  child = spawn(
    'python3',
    ['test/lab/standin/standin.py', '--client', 'lighthouse', '--reference', 'src/clients/flags/lighthouse.json', 'bn', '--datadir', dir, '--http', '--http-address', '127.0.0.1', '--http-port', String(port)],
    { stdio: 'ignore', env: { ...process.env, NODEFORM_STANDIN_SLOT_SECONDS: String(SLOT_SECONDS) } },
  );
  url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await syncing().then(() => true).catch(() => false)) return;
    await sleep(100);
  }
  throw new Error('the stand-in did not answer');
});
afterAll(async () => {
  if (child) await stopChild(child);
  rmSync(dir, { recursive: true, force: true });
});

it('stalls while DATADIR/nodeform-standin.stall exists, then catches up with the clock', async () => {
  await sleep(600);
  const running = await syncing();
  expect(running).toMatchObject({ distance: 0, syncing: false });
  writeFileSync(join(dir, 'nodeform-standin.stall'), '');
  await sleep(300);
  const stalledAt = (await syncing()).head;
  await sleep(1500);
  const stalled = await syncing();
  // Stopped: the head where it was; the clock went on 7 or 8 slots, so it is that far behind and syncing.
  expect(stalled.head).toBe(stalledAt);
  expect(stalled.distance).toBeGreaterThanOrEqual(5);
  expect(stalled.syncing).toBe(true);

  rmSync(join(dir, 'nodeform-standin.stall'));
  await sleep(1000);
  // Moving again, faster than the clock: the distance shrinks.
  const moving = await syncing();
  expect(moving.head).toBeGreaterThan(stalled.head + 5);
  expect(moving.distance).toBeLessThan(stalled.distance);
  // Caught up (two slots per slot closes a gap of G slots in G slots' time).
  await sleep(3000);
  expect(await syncing()).toMatchObject({ distance: 0, syncing: false });
});
