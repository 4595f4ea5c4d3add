// Benchmark of checkpoint-provider selection (probe + cross-check + choice) against local providers on
// 127.0.0.1: 1, 5 and 20 providers, with 0 and 50 ms added to every answer, median of several runs.
// The happy path is one parallel round, so 20 providers should take little longer than 1.
//   node --import tsx test/bench/providers.ts [--runs N]
// Asserts nothing about time; prints a table. The providers run in a child process (this file with
// --serve), so their work does not share the measured event loop.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { NetworkTuningSpec } from '../../src/clients/types.js';
import { probeProviders } from '../../src/fetch/probe.js';
import { chooseProvider, crossCheck } from '../../src/node/quorum.js';
import { CHAIN, startProviderServers } from '../support/provider-server.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, serve: { type: 'string' } } });
const RUNS = Math.max(1, Number(values.runs));
const COUNTS = [1, 5, 20];
const LATENCIES = [0, 50];
// The default tuning: at most 8 requests in flight to any one provider, so a provider's 4 questions go at
// once and every provider is asked in the same round. A bound of 1 (each provider's questions one after
// another) is shown separately.
const WIDE: NetworkTuningSpec = {
  maxConcurrentRequests: 8,
  requestTimeoutSeconds: 10,
  retries: 3,
  backoff: { strategy: 'exponential', minSeconds: 1, maxSeconds: 30 },
};
const DEFAULT_BOUND: NetworkTuningSpec = { ...WIDE, maxConcurrentRequests: 1 };
const network = { genesisValidatorsRoot: CHAIN.genesisValidatorsRoot, genesisTime: CHAIN.genesisTime };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const cpu: number[] = [];

async function select(urls: string[], tuning: NetworkTuningSpec): Promise<number> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const results = await probeProviders(urls, network, tuning);
  const choice = chooseProvider(crossCheck(results));
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpuStart);
  cpu.push((used.user + used.system) / 1000);
  if (!choice.ok) throw new Error(`selection failed: ${choice.reason}`);
  if (results.some((r) => !r.ok)) throw new Error(`a provider failed: ${results.find((r) => !r.ok)?.error}`);
  return ms;
}

async function measure(urls: string[], tuning: NetworkTuningSpec): Promise<{ wall: number; cpu: number }> {
  await select(urls, tuning); // warm-up: JIT, first connections
  const samples: number[] = [];
  cpu.length = 0;
  for (let i = 0; i < RUNS; i++) samples.push(await select(urls, tuning));
  return { wall: median(samples), cpu: median(cpu) };
}

type Message = { urls: string[] } | { latencyMs: number } | { ack: true };

if (values.serve !== undefined) {
  // The child: N healthy providers; the parent sets their added latency.
  const fleet = await startProviderServers(Array.from({ length: Number(values.serve) }, () => ({ mode: 'healthy' as const })));
  process.on('message', (m: Message) => {
    if ('latencyMs' in m) for (const s of fleet.servers) s.latencyMs = m.latencyMs;
    process.send!({ ack: true });
  });
  process.on('disconnect', () => void fleet.close().then(() => process.exit(0)));
  process.send!({ urls: fleet.urls });
} else {
  await main();
}

async function main(): Promise<void> {
const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve', String(Math.max(...COUNTS))], { execArgv: ['--import', 'tsx'] });
const [ready] = (await once(child, 'message')) as [{ urls: string[] }];
const fleet = {
  urls: ready.urls,
  setLatency: async (latencyMs: number) => {
    child.send({ latencyMs });
    await once(child, 'message');
  },
};
try {
  const table = new Map<number, Map<number, { wall: number; cpu: number }>>();
  const bounded = new Map<number, { wall: number; cpu: number }>();
  // JIT and first connections, before anything is measured.
  for (let i = 0; i < 5; i++) await select(fleet.urls, WIDE);
  for (const latency of LATENCIES) {
    await fleet.setLatency(latency);
    for (const n of COUNTS) {
      const row = table.get(n) ?? new Map<number, { wall: number; cpu: number }>();
      row.set(latency, await measure(fleet.urls.slice(0, n), WIDE));
      table.set(n, row);
    }
    bounded.set(latency, await measure(fleet.urls, DEFAULT_BOUND));
  }

  const fmt = (m: { wall: number; cpu: number }) => `${m.wall.toFixed(1)} ms`.padStart(12) + `(cpu ${m.cpu.toFixed(0)})`.padStart(11);
  const head = ['providers'.padEnd(28), ...LATENCIES.map((l) => `+${l} ms`.padStart(23))].join('');
  console.log(`provider selection (probe + cross-check + choice), median of ${RUNS} runs, local servers on 127.0.0.1`);
  console.log(`max_concurrent_requests ${WIDE.maxConcurrentRequests} per provider (the default: a provider's 4 requests at once, all providers in one round); wall clock, and the controller's CPU ms\n`);
  console.log(head);
  for (const n of COUNTS) console.log([String(n).padEnd(28), ...LATENCIES.map((l) => fmt(table.get(n)!.get(l)!))].join(''));
  console.log(['ratio 20 / 1'.padEnd(28), ...LATENCIES.map((l) => `${(table.get(20)!.get(l)!.wall / table.get(1)!.get(l)!.wall).toFixed(2)}x`.padStart(12).padEnd(23))].join(''));
  console.log(['20, max_concurrent 1'.padEnd(28), ...LATENCIES.map((l) => fmt(bounded.get(l)!))].join(''));
} finally {
  child.disconnect();
}
}
