// Probing real local checkpoint providers (one HTTP server per failure mode) and cross-checking them.
// No timing assertions: bounds are shown by what the servers saw and what the probe says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkTuningSpec } from '../../src/clients/types.js';
import { probeProviders, type ProviderResult } from '../../src/fetch/probe.js';
import { chooseProvider, crossCheck } from '../../src/node/quorum.js';
import {
  CHAIN,
  ConcurrencyMeter,
  LYING_ROOT,
  STALE_CHAIN,
  STATE_BYTES,
  startProviderServer,
  startProviderServers,
  type ProviderServer,
  type ProviderServers,
} from '../support/provider-server.js';

const tuning = (over: Partial<NetworkTuningSpec> = {}): NetworkTuningSpec => ({
  maxConcurrentRequests: 64,
  requestTimeoutSeconds: 5,
  retries: 2,
  backoff: { strategy: 'exponential', minSeconds: 0.01, maxSeconds: 0.05 },
  ...over,
});
const network = { genesisValidatorsRoot: CHAIN.genesisValidatorsRoot, genesisTime: CHAIN.genesisTime };
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});
async function servers(list: Parameters<typeof startProviderServers>[0]): Promise<ProviderServers> {
  const s = await startProviderServers(list);
  closers.push(s.close);
  return s;
}
async function server(options: Parameters<typeof startProviderServer>[0]): Promise<ProviderServer> {
  const s = await startProviderServer(options);
  closers.push(s.close);
  return s;
}

describe('one provider per mode', () => {
  const modes = [
    { mode: 'healthy' },
    { mode: 'healthy', head: false },
    { mode: 'checkpointz' },
    { mode: 'flapping' },
    { mode: 'stale-genesis' },
    { mode: 'lying-root' },
    { mode: 'dead' },
    { mode: 'dead', dead: 'destroy' },
  ] as const;
  let fleet: ProviderServers;
  let results: ProviderResult[];
  const at = (i: number) => results[i]!;

  beforeAll(async () => {
    fleet = await servers([...modes]);
    results = await probeProviders(fleet.urls, network, tuning());
  });

  it('gives one result per provider, in order', () => {
    expect(results.map((r) => r.url)).toEqual(fleet.urls);
  });

  it('healthy: genesis, finalized checkpoint and states, one request per endpoint', () => {
    expect(at(0)).toMatchObject({
      ok: true,
      genesis: { time: CHAIN.genesisTime, validatorsRoot: CHAIN.genesisValidatorsRoot },
      genesisMatches: true,
      finalized: { epoch: CHAIN.finalizedEpoch, root: CHAIN.finalizedRoot },
      servesStates: true,
      attempts: 4,
    });
    expect(at(0).error).toBeUndefined();
    expect(at(0).ready).toBeUndefined(); // no /checkpointz/v1/ready here, and that is no failure
    expect(fleet.servers[0]!.requests.sort()).toEqual([
      'GET /checkpointz/v1/ready',
      'GET /eth/v1/beacon/genesis',
      'GET /eth/v1/beacon/states/head/finality_checkpoints',
      'HEAD /eth/v2/debug/beacon/states/finalized',
    ]);
    expect(fleet.servers[0]!.stateBytesSent).toBe(0);
  });

  it('without HEAD: a ranged GET shows states are served, without downloading the state', () => {
    expect(at(1)).toMatchObject({ ok: true, servesStates: true });
    expect(fleet.servers[1]!.requests).toContain('GET /eth/v2/debug/beacon/states/finalized');
    expect(fleet.servers[1]!.stateBytesSent).toBe(1);
    expect(fleet.servers[1]!.stateBytesSent).toBeLessThan(STATE_BYTES.length);
  });

  it('checkpointz: roots without 0x in any case come back normalised; ready is read; no /eth/v1/node/health asked; finality from the finalized state', () => {
    expect(at(2)).toMatchObject({
      ok: true,
      ready: true,
      genesis: { validatorsRoot: CHAIN.genesisValidatorsRoot },
      genesisMatches: true,
      finalized: { epoch: CHAIN.finalizedEpoch, root: CHAIN.finalizedRoot },
      servesStates: true,
    });
    expect(fleet.servers[2]!.count('/eth/v1/node/health')).toBe(0);
    // checkpointz keeps no head state: the 404 there sends the probe to the finalized state's view.
    expect(fleet.servers[2]!.count('/eth/v1/beacon/states/head/finality_checkpoints')).toBe(1);
    expect(fleet.servers[2]!.count('/eth/v1/beacon/states/finalized/finality_checkpoints')).toBe(1);
  });

  it('flapping: retries recover every endpoint', () => {
    expect(at(3)).toMatchObject({ ok: true, servesStates: true, finalized: { root: CHAIN.finalizedRoot }, attempts: 7 });
    expect(fleet.servers[3]!.count('/eth/v1/beacon/states/head/finality_checkpoints')).toBe(2);
  });

  it('stale genesis: answers, but genesis does not match', () => {
    expect(at(4)).toMatchObject({ ok: true, genesisMatches: false, genesis: { validatorsRoot: STALE_CHAIN.genesisValidatorsRoot } });
  });

  it('lying root: right genesis, another finalized root', () => {
    expect(at(5)).toMatchObject({ ok: true, genesisMatches: true, finalized: { epoch: CHAIN.finalizedEpoch, root: LYING_ROOT } });
  });

  it('dead: refused and destroyed connections fail after the retries, with the reason', () => {
    expect(at(6)).toMatchObject({ ok: false, servesStates: false, attempts: 12 });
    expect(at(6).error).toMatch(/finality_checkpoints: .*ECONNREFUSED.*\(after 3 attempts\)/);
    expect(at(7)).toMatchObject({ ok: false, servesStates: false, attempts: 12 });
    expect(at(7).error).toMatch(/finality_checkpoints: .*(other side closed|socket|ECONNRESET).*\(after 3 attempts\)/i);
    expect(fleet.servers[6]!.count()).toBe(0);
    expect(fleet.servers[7]!.count()).toBe(12);
  });

  it('cross-check trusts the honest majority and marks the others with their reason', () => {
    const check = crossCheck(results);
    expect(check).toMatchObject({ quorum: true, checkpoint: { epoch: CHAIN.finalizedEpoch, root: CHAIN.finalizedRoot }, voters: 5, agreeing: 4 });
    expect(check.providers.map((v) => v.status)).toEqual(['agrees', 'agrees', 'agrees', 'agrees', 'wrong-genesis', 'dissents', 'no-answer', 'no-answer']);
    const choice = chooseProvider(check);
    expect(choice.ok).toBe(true);
    if (!choice.ok) return;
    expect([choice.url, ...choice.alternatives].sort()).toEqual(fleet.urls.slice(0, 4).sort());
    expect(choice.checkpoint).toEqual({ epoch: CHAIN.finalizedEpoch, root: CHAIN.finalizedRoot });
  });

  it('liars and stale providers together block a quorum: nothing is trusted', () => {
    const check = crossCheck([at(0), at(5), at(4), at(6)]);
    expect(check.quorum).toBe(false);
    expect(check.reason).toMatch(/1 of 2 answering providers agree/);
    expect(chooseProvider(check).ok).toBe(false);
  });
});

describe('retries and bounds', () => {
  it('a flapping provider fails without retries and recovers with one', async () => {
    const flap = await server({ mode: 'flapping' });
    const [without] = await probeProviders([flap.url], network, tuning({ retries: 0 }));
    expect(without).toMatchObject({ ok: false });
    expect(without!.error).toMatch(/finality_checkpoints: HTTP 500/);
    const [withOne] = await probeProviders([flap.url], network, tuning({ retries: 1 }));
    expect(withOne).toMatchObject({ ok: true, servesStates: true });
  });

  it('a flapping provider that drops connections recovers too', async () => {
    const flap = await server({ mode: 'flapping', flapFailure: 'destroy' });
    const [result] = await probeProviders([flap.url], network, tuning({ retries: 1 }));
    expect(result).toMatchObject({ ok: true, servesStates: true, attempts: 8 });
  });

  it('the total-time bound gives up on a slow provider and lets the others through', async () => {
    const slow = await server({ mode: 'slow', slowMs: 60_000 });
    const fine = await server({ mode: 'healthy' });
    const results = await probeProviders([slow.url, fine.url], network, tuning({ requestTimeoutSeconds: 60 }), Date.now, { totalTimeoutMs: 1500 });
    expect(results[0]).toMatchObject({ ok: false, servesStates: false });
    expect(results[0]!.error).toMatch(/finality_checkpoints: gave up at the probe's total time bound of 1\.5s/);
    expect(results[1]).toMatchObject({ ok: true });
    // The probe did not wait for the slow answers: the server saw every client leave before it answered.
    await new Promise((r) => setImmediate(r));
    expect(slow.count()).toBe(4);
    expect(slow.abandoned).toBe(4);
  });

  it('the per-request timeout retries a slow provider and reports it', async () => {
    const slow = await server({ mode: 'slow', slowMs: 60_000 });
    const [result] = await probeProviders([slow.url], network, tuning({ requestTimeoutSeconds: 0.2, retries: 1 }), Date.now, { totalTimeoutMs: 30_000 });
    expect(result).toMatchObject({ ok: false, attempts: 8 });
    expect(result!.error).toMatch(/finality_checkpoints: no answer within 0\.2s \(after 2 attempts\)/);
  });

  it('does not start a retry whose backoff would end past the total bound (clock and jitter injected)', async () => {
    const flap = await server({ mode: 'flapping' });
    let now = 1_000_000;
    const clock = () => now++;
    const [result] = await probeProviders(
      [flap.url],
      network,
      tuning({ retries: 3, backoff: { strategy: 'fixed', minSeconds: 50, maxSeconds: 60 } }),
      clock,
      { totalTimeoutMs: 10_000, random: () => 0 },
    );
    expect(result).toMatchObject({ ok: false, attempts: 4 });
    expect(result!.error).toMatch(/HTTP 500; no time left for a retry within the total time bound of 10s/);
  });

  it.each([1, 3])('never has more than maxConcurrentRequests = %i requests in flight to any one provider, and asks all providers in the same round', async (limit) => {
    const meter = new ConcurrencyMeter();
    const fleet = await servers(Array.from({ length: 6 }, () => ({ mode: 'healthy' as const, latencyMs: 50, meter })));
    const results = await probeProviders(fleet.urls, network, tuning({ maxConcurrentRequests: limit }));
    expect(results.every((r) => r.ok && r.servesStates)).toBe(true);
    expect(fleet.servers.map((s) => s.peak)).toEqual(fleet.servers.map(() => limit));
    expect(meter.peak).toBe(6 * limit);
    expect(fleet.servers.reduce((n, s) => n + s.count(), 0)).toBe(24);
  });

  it('asks every provider at once, all four questions in parallel, when the bound allows', async () => {
    const meter = new ConcurrencyMeter();
    const fleet = await servers(Array.from({ length: 5 }, () => ({ mode: 'healthy' as const, latencyMs: 200, meter })));
    await probeProviders(fleet.urls, network, tuning({ maxConcurrentRequests: 8 }));
    expect(meter.peak).toBe(20);
  });
});

describe('odds and ends', () => {
  it('a checkpointz that is not ready answers, and is left out of the vote', async () => {
    const fleet = await servers([{ mode: 'healthy' }, { mode: 'healthy' }, { mode: 'checkpointz', ready: false, rootCase: 'upper' }]);
    const results = await probeProviders(fleet.urls, network, tuning());
    expect(results[2]).toMatchObject({ ok: true, ready: false, finalized: { root: CHAIN.finalizedRoot } });
    expect(crossCheck(results).providers.map((v) => v.status)).toEqual(['agrees', 'agrees', 'not-ready']);
  });

  it('keeps a provider URL path and trailing slash, and refuses what is not a URL', async () => {
    const fine = await server({ mode: 'healthy' });
    const results = await probeProviders([`${fine.url}/`, 'not a url'], {}, tuning());
    expect(results[0]).toMatchObject({ ok: true, url: `${fine.url}/` });
    expect(results[0]!.genesisMatches).toBeUndefined(); // nothing declared to compare with
    expect(results[1]).toMatchObject({ ok: false, error: 'not a URL: not a url' });
  });

  it('no providers, no requests', async () => {
    expect(await probeProviders([], network, tuning())).toEqual([]);
  });
});
