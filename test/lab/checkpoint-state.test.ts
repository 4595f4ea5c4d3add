// The fleet checkpoint cache against a real client: the Lodestar 1.5.1 dev chain (phase0, minimal preset) as
// the provider. Probe, cross-check, choose; download and verify with the MINIMAL preset; reuse without asking
// again; find a tampered file. Runs node1 on this machine at a free address of lab slot 11 (or the one
// reserveSlot gives when another run holds it); no lab hosts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkTuningSpec } from '../../src/clients/types.js';
import { cachedCheckpoint, type CachedCheckpointOptions } from '../../src/fetch/checkpoint-cache.js';
import { probeProviders, type ProviderResult } from '../../src/fetch/probe.js';
import { chooseProvider, crossCheck } from '../../src/node/quorum.js';
import { reserveSlot, slotAddress, type SlotReservation } from './lab.js';
import { countingProxy, startLodestarChain, type CountingProxy, type LodestarChain } from './lodestar-chain.js';

const tuning: NetworkTuningSpec = { maxConcurrentRequests: 8, requestTimeoutSeconds: 10, retries: 1, backoff: { strategy: 'exponential', minSeconds: 0.2, maxSeconds: 1 } };

let slot: SlotReservation | undefined;
let chain: LodestarChain;
/** node1 as the provider, through a proxy that counts what it is asked. */
let provider: CountingProxy;
let cacheDir: string;
let finalized: { epoch: number; root: string };
let genesis: { genesis_validators_root: string; genesis_time: string };
const log: string[] = [];

beforeAll(async () => {
  const t0 = Date.now();
  slot = await reserveSlot(11);
  chain = await startLodestarChain({ address: slotAddress(slot.slot, 1) });
  log.push(`REST up +${Date.now() - t0} ms`);
  finalized = await chain.waitFinalized(1, 240_000);
  log.push(`finalized epoch ${finalized.epoch} +${Date.now() - t0} ms`);
  genesis = ((await (await fetch(`${chain.url}/eth/v1/beacon/genesis`)).json()) as { data: typeof genesis }).data;
  provider = await countingProxy(chain.url, slotAddress(slot.slot, 2));
  cacheDir = mkdtempSync(join(tmpdir(), 'nodeform-cp-lab-'));
}, 300_000);
afterAll(async () => {
  await provider?.close();
  await chain?.stop();
  slot?.release();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  console.log(`lodestar checkpoint lab:\n  ${log.join('\n  ')}`);
});

describe.sequential('the fleet checkpoint cache with a Lodestar 1.5.1 dev chain as the provider', () => {
  let results: ProviderResult[];
  let options: CachedCheckpointOptions;

  it('probe: 1.5.1 answers the head state\'s finality (its finalized state\'s own view lags), and a quorum of one', async () => {
    results = await probeProviders([provider.url], { genesisValidatorsRoot: genesis.genesis_validators_root }, tuning);
    const r = results[0]!;
    log.push(`probe: ${JSON.stringify({ ok: r.ok, finalized: r.finalized, servesStates: r.servesStates, error: r.error })}`);
    expect(r).toMatchObject({ ok: true, genesisMatches: true, servesStates: true });
    // The probe asks states/head/finality_checkpoints: the finalized state's own view (1.5.1 serves the
    // finalized block's post-state) names an earlier checkpoint, epoch 0 early on (see the lodestar-lab README).
    log.push(`probe finalized ${JSON.stringify(r.finalized)} vs head's ${JSON.stringify(finalized)}`);
    expect(r.finalized!.epoch).toBeGreaterThanOrEqual(finalized.epoch);
    expect(r.finalized!.root).not.toBe(`0x${'0'.repeat(64)}`);
    expect(provider.requests.filter((q) => q.includes('/states/finalized/finality_checkpoints'))).toEqual([]);
    const check = crossCheck(results);
    expect(check.quorum).toBe(true);
    const choice = chooseProvider(check);
    expect(choice.ok).toBe(true);
  });

  it('downloads block and state once, verifies them with the minimal preset, and stores them', async () => {
    // The quorum from the head state's view (the probe's finalized view may still say epoch 0).
    const head = await chain.waitFinalized(1);
    options = {
      cacheDir,
      networkKey: genesis.genesis_validators_root,
      quorum: head,
      providers: [provider.url],
      preset: 'minimal',
      expiryHours: 24,
      maxSizeMb: 64,
      compression: true,
      requestTimeoutSeconds: 30,
      genesisValidatorsRoot: genesis.genesis_validators_root,
    };
    const asked = provider.requests.length;
    const t = Date.now();
    const got = await cachedCheckpoint(options);
    log.push(`download: ${Date.now() - t} ms in all; ${JSON.stringify(got.metadata.timings)}; state ${got.state.bytes} bytes id ${got.metadata.state.stateId} (${got.metadata.state.verified}), block ${got.block.bytes} bytes, served as ${got.metadata.block.format}`);
    log.push(`block ${got.block.root} slot ${got.block.slot}, state ${got.state.root} slot ${got.state.slot}, fork ${got.fork}`);
    expect(got).toMatchObject({ source: 'download', preset: 'minimal', fork: 'phase0', checkpoint: { epoch: head.epoch, root: head.root.toLowerCase() } });
    expect(got.block.root).toBe(head.root.toLowerCase());
    expect(got.metadata.state.genesisValidatorsRoot).toBe(genesis.genesis_validators_root);
    expect(got.failures).toEqual([]);
    // The probe made its HEAD (and 1.5.1 may need a ranged GET); the download: one block, one state.
    log.push(`probe asked: ${provider.requests.slice(0, asked).join(', ')}`);
    log.push(`download asked: ${provider.requests.slice(asked).join(', ')}`);
    expect(provider.requests.slice(asked)).toEqual([`GET /eth/v2/beacon/blocks/${head.root}`, expect.stringMatching(/^GET \/eth\/v2\/debug\/beacon\/states\/\d+$/)]);
  });

  it('a second run reuses the cache: node1 is asked for no state, even after finality moved on', async () => {
    const later = await chain.waitFinalized(options.quorum.epoch + 1, 120_000);
    const before = provider.requests.length;
    const t = Date.now();
    const again = await cachedCheckpoint({ ...options, quorum: later });
    log.push(`reuse: ${Date.now() - t} ms (quorum now epoch ${later.epoch})`);
    expect(again).toMatchObject({ source: 'cache', checkpoint: { epoch: options.quorum.epoch }, discarded: [] });
    const full = await cachedCheckpoint({ ...options, quorum: later, verify: 'full' });
    expect(full.source).toBe('cache');
    expect(provider.requests.length).toBe(before); // node1 asked nothing at all
  });

  it('a tampered cached state is detected and replaced by a fresh download', async () => {
    const cached = await cachedCheckpoint(options);
    const bytes = readFileSync(cached.state.path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(cached.state.path, bytes);
    const later = await chain.waitFinalized(options.quorum.epoch + 1, 120_000);
    const fresh = await cachedCheckpoint({ ...options, quorum: later });
    log.push(`after tampering: ${fresh.source}, epoch ${fresh.checkpoint.epoch}, discarded: ${fresh.discarded.map((d) => d.reason).join('; ')}`);
    expect(fresh.source).toBe('download');
    expect(fresh.discarded[0]!.reason).toMatch(/state file .*sha256 expected/);
    expect(fresh.checkpoint.epoch).toBe(later.epoch);
  });
});
