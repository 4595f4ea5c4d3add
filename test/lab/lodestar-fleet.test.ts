// The fleet checkpoint cache end to end with a real client, all through nodeform itself: a Lodestar 1.5.1 dev
// chain (node1, phase0, minimal preset, on this machine at 127.0.13.1) is the checkpoint provider of a custom
// network built from node1's own config and genesis; `nodeform apply` probes it, downloads and verifies its
// finalized block and state once, uploads the state to a lab host and starts the real Lodestar there as
// lodestar.service with --checkpointState. That second node starts at the checkpoint, not at genesis, and
// once peered with node1 it syncs to node1's head. Execution side: the geth stand-in (only a chain id needed).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCachePaths } from '../../src/node/checkpoint.js';
import { defaultCacheDir } from '../../src/fetch/cache.js';
import { checkpointDir, type CheckpointMetadata } from '../../src/fetch/checkpoint-cache.js';
import { reserveSlot, slotAddress, type Lab, type LabHost, type SlotReservation } from './lab.js';
import { lodestarNodeVars, networkFromChain, peerWithChain, startLodestarChain, startLodestarLab, type LodestarChain } from './lodestar-chain.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, testHome, writeInventory, writePlaybook } from './support.js';

const CACHE = '/var/cache/nodeform';
const STATE = fleetCachePaths(CACHE).state;
/** The Lodestar profile's default REST port (nodeform renders --rest.port). */
const REST_PORT = 9596;

let slot: SlotReservation | undefined;
let lab: Lab;
let host: LabHost;
let chain: LodestarChain;
let inventory: string;
let playbook: string;
let genesis: { genesis_validators_root: string; genesis_time: string };
let node2Url: string;
let t0 = 0;
const log: string[] = [];
const mark = (what: string) => log.push(`${what} +${((Date.now() - t0) / 1000).toFixed(1)} s`);

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Asks `probe` every intervalMs until it returns a value; on timeout throws with `why()` (awaited). */
async function poll<T>(timeoutMs: number, intervalMs: number, probe: () => Promise<T | undefined>, why: () => string | Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(await why());
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A custom network's config_source directory, true to node1 (networkFromChain), checked against its genesis. */
async function networkFromNode1(dir: string): Promise<void> {
  const { genesisSsz: ssz } = await networkFromChain(chain, dir);
  // What nodeform compares providers' genesis with (src/node/network.ts genesisOfState).
  expect(ssz.readBigUInt64LE(0).toString()).toBe(genesis.genesis_time);
  expect(`0x${ssz.subarray(8, 40).toString('hex')}`).toBe(genesis.genesis_validators_root);
}

beforeAll(async () => {
  t0 = Date.now();
  // node1 runs beside the lab host, on a free address of the lab's slot: reserved first, for both.
  slot = await reserveSlot(13, 1);
  const [started, booted] = await Promise.all([
    startLodestarChain({ address: slotAddress(slot.slot, 1) }).then((c) => (mark('node1 REST up'), c)),
    startLodestarLab('lodestar-fleet', slot).then((l) => (mark('lab up'), l)),
  ]);
  chain = started;
  ({ lab, host } = booted);
  node2Url = `http://${host.address}:${REST_PORT}`;
  // The geth stand-in for the execution side; the real Lodestar (bind-mounted read-only) is /usr/local/bin/lodestar.
  await installStandins(lab, [host], { clients: ['geth'] });
  genesis = (await getJson<{ data: typeof genesis }>(`${chain.url}/eth/v1/beacon/genesis`)).data;

  const finalized = await chain.waitFinalized(1, 180_000);
  mark(`node1 finalized epoch ${finalized.epoch}`);
  const networkDir = join(lab.dir, 'lodestar-fleet', 'network');
  await networkFromNode1(networkDir);
  inventory = writeInventory(lab, 'lodestar-fleet', {
    vars: {
      network: { name: 'custom', config_source: networkDir },
      checkpoint_sync: { source: 'fleet-cache', providers: [chain.url] },
      cache: { directory: CACHE },
      network_tuning: { request_timeout_seconds: 10, retries: 1, backoff: { min_seconds: 0.1, max_seconds: 0.5 } },
    },
    hosts: {
      [host.name]: lodestarNodeVars(host.address),
    },
    only: [host],
  });
  playbook = writePlaybook(lab, 'lodestar-fleet', [{ name: 'node', hosts: 'all', ethereum_node: true }]);
  mark('inventory written');
}, 240_000);

afterAll(async () => {
  await Promise.all([chain?.stop(), lab?.stop()]);
  slot?.release();
  console.log(`lodestar fleet lab:\n  ${log.join('\n  ')}`);
});

describe.sequential('a Lodestar 1.5.1 dev chain feeds the fleet cache; a second Lodestar starts from it and syncs', () => {
  let metadata: CheckpointMetadata;

  it('apply downloads and verifies the checkpoint once, uploads the state, and starts lodestar.service with --checkpointState', async () => {
    const apply = await nodeform('apply', '-i', inventory, playbook, '--yes');
    mark('apply done');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`checkpoint: ${chain.url} (finalized epoch`);
    expect(apply.stdout).toMatch(/checkpoint files: finalized epoch \d+ root 0x[0-9a-f]{64} from the fleet cache \(downloaded this run\), verified against the quorum/);
    log.push(...apply.stdout.split('\n').filter((l) => /^\s*checkpoint( files)?:|^Plan:|: applied/.test(l)).map((l) => l.trim()));

    // The controller's cache (the CLI's HOME is testHome): one entry of this network, keyed by its genesis root.
    const dir = checkpointDir(defaultCacheDir({ HOME: testHome }, testHome), genesis.genesis_validators_root);
    const entries = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(entries).toHaveLength(1);
    metadata = JSON.parse(readFileSync(join(dir, entries[0]!), 'utf8')) as CheckpointMetadata;
    expect(metadata).toMatchObject({ preset: 'minimal', fork: 'phase0', provider: chain.url });
    expect(metadata.checkpoint.epoch).toBeGreaterThanOrEqual(1);
    expect(metadata.state.slot).toBeGreaterThan(0);
    const local = createHash('sha256').update(readFileSync(join(dir, metadata.state.file))).digest('hex');
    expect(local).toBe(metadata.state.sha256);
    log.push(`checkpoint epoch ${metadata.checkpoint.epoch} root ${metadata.checkpoint.root}: state slot ${metadata.state.slot}, ${metadata.state.bytes} bytes`);

    // On the host: the same bytes, and the service runs from them.
    expect(await hostSh(lab, host, `sha256sum ${STATE} | cut -c1-64`)).toBe(`${local}\n`);
    const unit = await hostSh(lab, host, 'cat /etc/systemd/system/lodestar.service');
    expect(unit).toContain(`--checkpointState=${STATE}`);
    // nodeform renders the preset from config.yaml's PRESET_BASE: 1.5.1 refuses a minimal config on its default mainnet preset.
    expect(unit).toContain('--preset=minimal');
    expect(unit).toContain('--paramsFile=');
    expect(unit).not.toContain('--checkpointSyncUrl');
    const cmdline = await hostSh(lab, host, 'cat /proc/$(systemctl show -p MainPID --value lodestar.service)/cmdline | tr "\\0" " "');
    expect(cmdline).toContain(`--checkpointState=${STATE}`);
  }, 120_000);

  it('the second node starts at the checkpoint, not at genesis', async () => {
    const journal = () => hostSh(lab, host, 'journalctl -u lodestar.service --no-pager -n 60 -o cat');
    type Syncing = { data: { head_slot: string; sync_distance: string; is_syncing: boolean } };
    const first = await poll(
      90_000,
      500,
      async () => {
        const active = (await lab.sh(host, 'systemctl is-active lodestar.service')).stdout.trim();
        if (active !== 'active' && active !== 'activating') throw new Error(`lodestar.service is ${active}:\n${await journal()}`);
        // Not /eth/v1/beacon/headers/head: 1.5.1 started from a state alone has no block for its anchor, and 404s.
        return (await getJson<Syncing>(`${node2Url}/eth/v1/node/syncing`).catch(() => undefined))?.data;
      },
      async () => `no Beacon API at ${node2Url} after 90 s:\n${await journal()}`,
    );
    mark(`node2 REST up: ${JSON.stringify(first)}`);
    // Unpeered (no discovery, no bootnodes), its head is the checkpoint state's slot: it began there, not at slot 0.
    expect(Number(first.head_slot)).toBe(metadata.state.slot);
    expect(first.is_syncing).toBe(true);
    const all = await hostSh(lab, host, 'journalctl -u lodestar.service --no-pager -o cat');
    const init = /Initializing beacon from a valid checkpoint state.*/.exec(all)?.[0];
    log.push(`node2: ${init ?? '(no init line)'}`);
    expect(init, all.slice(-4000)).toBeDefined();
    expect(init).toMatch(new RegExp(`slot=${metadata.state.slot}\\b`));
    expect(init).toContain(`stateRoot=${metadata.state.root}`);
    expect(all).not.toContain('Initializing genesis state');

    // nodeform status, through the SSH connection: syncing, from the fleet cache's state file.
    const status = await nodeform('status', '-i', inventory, playbook, '--json', '--no-alerts');
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const seen = (JSON.parse(status.stdout) as { hosts: Record<string, unknown>[] }).hosts[0]!;
    mark(`status while unpeered: ${String(seen.verdict)}: ${String(seen.reason)}`);
    expect(seen).toMatchObject({
      host: host.name,
      verdict: 'syncing',
      consensus: { client: 'lodestar', reachable: true, is_syncing: true, head_slot: metadata.state.slot, version: expect.stringMatching(/^Lodestar\/v1\.5\.1/) },
      units: [expect.objectContaining({ name: 'lodestar.service', active: 'active' }), expect.objectContaining({ name: 'geth.service', active: 'active' })],
      checkpoint: { source: 'fleet-cache', from: STATE },
    });
  }, 120_000);

  it('peered with node1 it syncs, then follows node1\'s head on the same chain', async () => {
    const synced = await peerWithChain(chain, node2Url, { timeoutMs: 90_000 });
    const head1 = Number((await getJson<{ data: { head_slot: string } }>(`${chain.url}/eth/v1/node/syncing`)).data.head_slot);
    mark(`node2 reports is_syncing false at slot ${synced.headSlot} (node1 at ${head1}; ${synced.kicks} re-peerings)`);
    expect(synced.headSlot).toBeGreaterThan(metadata.state.slot);
    // 1.5.1 says "synced" once its head is within an epoch of the clock (sync/sync.js: slotImportTolerance =
    // SLOTS_PER_EPOCH, 8 here), which is up to 8 slots behind: wait for it to reach node1's head, and its
    // head block must be node1's block at that slot.
    type Header = { data: { root: string; header: { message: { slot: string } } } };
    let behind = -1;
    const close = await poll(
      30_000,
      250,
      async () => {
        const [h2, h1] = await Promise.all([getJson<Header>(`${node2Url}/eth/v1/beacon/headers/head`), getJson<Header>(`${chain.url}/eth/v1/beacon/headers/head`)]);
        const slot = Number(h2.data.header.message.slot);
        behind = Number(h1.data.header.message.slot) - slot;
        return behind <= 1 ? { slot, behind, root: h2.data.root } : undefined;
      },
      () => `node2 stays ${behind} slots behind node1`,
    );
    mark(`node2 follows: head slot ${close.slot}, ${close.behind} behind node1`);
    const root1 = (await getJson<{ data: { root: string } }>(`${chain.url}/eth/v1/beacon/blocks/${close.slot}/root`)).data.root;
    expect(close.root).toBe(root1);
    // And it finalizes with node1: past the checkpoint it started from, on the same checkpoint as node1.
    type Finality = { data: { finalized: { epoch: string; root: string } } };
    const finality = async (url: string) => (await getJson<Finality>(`${url}/eth/v1/beacon/states/head/finality_checkpoints`)).data.finalized;
    let both: { epoch: string; root: string }[] = [];
    const finalized = await poll(
      40_000,
      500,
      async () => {
        both = await Promise.all([finality(node2Url), finality(chain.url)]);
        return Number(both[0]!.epoch) > metadata.checkpoint.epoch && both[0]!.root === both[1]!.root ? both[0]! : undefined;
      },
      () => `node2 finalized ${JSON.stringify(both[0])}, node1 ${JSON.stringify(both[1])}`,
    );
    mark(`node2 finalized epoch ${finalized.epoch}, as node1`);

    // And nodeform status now calls it synced (its history on the controller saw it syncing before).
    const status = await nodeform('status', '-i', inventory, playbook, '--json', '--no-alerts');
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const seen = (JSON.parse(status.stdout) as { hosts: Record<string, unknown>[] }).hosts[0]!;
    mark(`status once synced: ${String(seen.verdict)}: ${String(seen.reason)}`);
    expect(seen).toMatchObject({ verdict: 'synced', consensus: { is_syncing: false } });
    expect((seen.consensus as { finalized_epoch: number }).finalized_epoch).toBeGreaterThanOrEqual(Number(finalized.epoch));
  }, 120_000);
});
