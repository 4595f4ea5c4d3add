// nodeform bench: for each chosen strategy on each chosen host, apply the strategy's overlay (load, plan and apply
// as nodeform apply does), wipe chain data keeping node identity (as reset --wipe-data does), and sample the
// node's sync state until synced or the time limit; read the clients' systemd accounting; afterwards put every
// host back in its declared state (an apply of the inventory and playbook as given), also after Ctrl-C or a
// failure; write the reports.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyAll, errorText, planAll, planWipeDataAll, type Planned } from '../../apply/run.js';
import { benchDryRun, wipeOf } from '../../bench/dry-run.js';
import { accountingScript, isSynced, parseAccounting, runFigures, type BenchStep } from '../../bench/measure.js';
import { counterDeleteScript, counterReadScript, counterSetupScript, counterTable, parseCounterBytes, parseCounterSetup, providerEndpoints, type CounterSetup, type ProviderBytes } from '../../bench/provider-bytes.js';
import { benchHtml, buildReport, markdownReport, type BenchReport, type BenchRunRecord } from '../../bench/report.js';
import { availableStrategies, chooseStrategies, overlayVars, parseStrategiesFile, type BenchStrategy } from '../../bench/strategies.js';
import { ConfigError } from '../../errors.js';
import type { Desired } from '../../model/types.js';
import type { SyncSample } from '../../monitor/sync.js';
import { nodeTargetsOf, sampleNodes, type NodeTarget } from '../../observe/collect.js';
import { loadProject } from '../../project/load.js';
import { planOptionsFor } from '../../plan/compute.js';
import type { Inputs } from '../../plan/saved-plan.js';
import { command, quote } from '../../shell/quote.js';
import type { TransportPool } from '../../transport/ssh/index.js';
import type { Transport } from '../../transport/types.js';
import { benchProgressLine } from '../../views/bench.js';
import { warningLine } from '../../views/diagnostics.js';
import { usageError, type BenchOptions } from '../arguments.js';
import { confirm, inputsOf, loadDesired, loaderEnvironment, probeRunOf, runIdentity, withPool, type Command, type CommandContext } from '../context.js';
import type { Outcome } from '../exit-codes.js';

/** One look at a node's sync state: the status collector's (src/observe/collect.ts), through the run's connection. */
type Sampler = (target: NodeTarget) => Promise<SyncSample>;

/** Only assessSync's ETA uses the slot time, and the bench uses its verdict alone. Synced is the node's own stall policy's (monitoring.synced_distance). */
const SECONDS_PER_SLOT = 12;

/** The command line for the report, with -e values left out (they may hold secrets); @files are named. */
export function reportedCommand(argv: readonly string[]): string {
  const shown = argv.map((arg, i) => {
    const previous = argv[i - 1];
    if ((previous === '-e' || previous === '--extra-vars') && !arg.startsWith('@')) return '(-e value not shown)';
    if (/^--extra-vars=(?!@)/.test(arg)) return '--extra-vars=(not shown)';
    return arg;
  });
  return ['nodeform', ...shown].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

async function readStrategies(file: string): Promise<BenchStrategy[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw usageError(`cannot read the strategies file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorText(error)}`);
  }
  const parsed = parseStrategiesFile({ file, text });
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems);
  return parsed.strategies;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

interface StepContext {
  ctx: CommandContext;
  opts: BenchOptions;
  inputs: Inputs;
  transports: TransportPool;
  sample: Sampler;
  signal: AbortSignal;
  now: () => number;
  progress: (step: BenchStep, text: string) => void;
  /** Warnings already shown: a strategy's load repeats the declared ones; only its own are worth a line. */
  warned: Set<string>;
}

const NOT_STARTED: ProviderBytes = { measured: false, why: 'the run ended before its clients started' };

function failedRun(step: BenchStep, startedAt: number, finishedAt: number, error: string, controllerBytes = 0, providerBytes = NOT_STARTED): BenchRunRecord {
  return { ...step, startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(), outcome: 'failed', error, units: [], controllerBytes, providerBytes, samples: 0, progress: [] };
}

/** Runs a script of the bench's own (measure.ts, provider-bytes.ts) with the host's sh. */
const hostSh = (transport: Transport, script: string) => transport.exec(command(['sh', '-c', script]));

/** The provider URLs a node's clients are given in this strategy, or why none. */
function providerUrls(target: NodeTarget): string[] | { why: string } {
  const cp = target.spec.checkpointSync;
  if (!cp.enabled) return { why: 'checkpoint sync is off in this strategy: the clients fetch from no provider' };
  if (cp.source === 'fleet-cache' || cp.stateFile) return { why: 'the clients start from checkpoint files on the host (fleet cache or state_file), not from a provider' };
  if (cp.providers.length === 0) return { why: 'no checkpoint provider declared' };
  return cp.providers;
}

/** Sets up the host's provider counters (provider-bytes.ts) before the clients start; never throws. */
async function setUpCounters(transport: Transport, host: string, target: NodeTarget): Promise<CounterSetup> {
  const urls = providerUrls(target);
  if (!Array.isArray(urls)) return { ready: false, why: urls.why };
  const endpoints = providerEndpoints(urls);
  if (endpoints.length === 0) return { ready: false, why: 'no provider URL with a host and port' };
  try {
    const shown = await hostSh(transport, counterSetupScript(counterTable(host), endpoints, quote));
    return parseCounterSetup(endpoints, shown.stdout);
  } catch (error) {
    return { ready: false, why: `the counters could not be set up: ${errorText(error)}` };
  }
}

/** Reads the counters and deletes the table; never throws. */
async function readCounters(transport: Transport, host: string, setup: CounterSetup): Promise<ProviderBytes> {
  if (!setup.ready) return { measured: false, why: setup.why };
  try {
    const shown = await hostSh(transport, counterReadScript(counterTable(host), quote));
    const counted = parseCounterBytes(shown.stdout);
    if (counted === undefined) return { measured: false, why: `the counters could not be read (nft said: ${(shown.stderr.trim().split('\n')[0] ?? '') || `exit ${shown.exitCode}`})` };
    return { measured: true, ...counted, endpoints: setup.endpoints };
  } catch (error) {
    return { measured: false, why: `the counters could not be read: ${errorText(error)}` };
  }
}

/** Plans and applies one host's Desired (the normal plan and apply); undefined when it went through, else why not. */
async function planAndApply(s: StepContext, planned: Planned[], action: string): Promise<string | undefined> {
  const p = planned[0]!;
  if (p.plan.error) return p.plan.error;
  const [result] = await applyAll(planned, (c) => s.transports.get(c), { ...runIdentity(), action, forks: 1, lockTimeoutSeconds: s.ctx.line.lockTimeoutSeconds });
  if (result!.status !== 'applied' && result!.status !== 'unchanged') return `${action}: ${result!.status}: ${result!.error ?? ''}`.trim();
  if (p.plan.held?.length) return `${action}: held back ${p.plan.held.map((h) => `${h.target} (${h.reason})`).join(', ')}`;
  return undefined;
}

async function runStep(s: StepContext, step: BenchStep, declared: Desired, strategy: BenchStrategy): Promise<BenchRunRecord> {
  let startedAt = s.now();
  let transport: Transport;
  try {
    // The strategy reaches the host as -e variables of this one host, through the normal load, plan and apply.
    const extraVars = [...s.inputs.extraVars, JSON.stringify(overlayVars(strategy, declared.vars))];
    const inputs: Inputs = { ...s.inputs, limit: step.host, extraVars };
    s.progress(step, `applying ${JSON.stringify(strategy.vars)}`);
    const loaded = await loadProject({ ...inputs, ...(await loaderEnvironment(s.ctx)), progress: (line) => s.ctx.views.diagnostics.progress(line) });
    const fresh = loaded.warnings.filter((w) => !s.warned.has(warningLine(w)));
    fresh.forEach((w) => s.warned.add(warningLine(w)));
    s.ctx.views.diagnostics.warnings(fresh);
    const [desired] = loaded.desired;
    const [target] = nodeTargetsOf(loaded.desired, loaded.nodeSpecs);
    if (!desired || !target) return failedRun(step, startedAt, s.now(), `${step.host} declares no Ethereum node with this strategy`);
    transport = await s.transports.get(desired.connection);
    const sentBefore = transport.stats.bytesSent;
    const connect = (c: Desired['connection']) => s.transports.get(c);
    const applied = await planAndApply(s, await planAll([desired], connect, probeRunOf(s.ctx, 1), planOptionsFor({ ...inputs, pruneData: false })), 'bench');
    if (applied) return failedRun(step, startedAt, s.now(), applied, transport.stats.bytesSent - sentBefore);
    // Ctrl-C during the apply: no wipe; the restore puts the settings back.
    if (s.signal.aborted) return { ...failedRun(step, startedAt, s.now(), 'interrupted before the wipe', transport.stats.bytesSent - sentBefore), outcome: 'interrupted' };
    // The provider counters start before the wipe starts the clients (a client fetches its checkpoint at start).
    const counters = await setUpCounters(transport, step.host, target);
    let providerBytes: ProviderBytes | undefined;
    const countersRead = async () => (providerBytes ??= await readCounters(transport, step.host, counters));
    try {
      s.progress(step, 'stopping the clients, wiping chain data (node identity kept), starting them');
      const wiped = await planAndApply(s, await planWipeDataAll([desired], connect, probeRunOf(s.ctx, 1)), 'bench-wipe');
      const controllerBytes = transport.stats.bytesSent - sentBefore;
      if (wiped) return failedRun(step, startedAt, s.now(), wiped, controllerBytes, await countersRead());
      startedAt = s.now();
      const samples: SyncSample[] = [];
      const deadline = startedAt + s.opts.timeLimitSeconds * 1000;
      let synced = false;
      while (!s.signal.aborted && s.now() < deadline) {
        const sample = await s.sample(target);
        samples.push(sample);
        const cl = sample.consensus;
        const seconds = ((sample.at - startedAt) / 1000).toFixed(0);
        s.progress(step, cl.reachable ? `${seconds} s: head slot ${cl.headSlot ?? '?'}, ${cl.syncDistance ?? '?'} behind, ${cl.peers ?? '?'} peers${cl.isSyncing === false ? ', not syncing' : ''}` : `${seconds} s: Beacon API not answering yet`);
        if (isSynced(samples, target.spec.monitoring.stall, SECONDS_PER_SLOT)) {
          synced = true;
          break;
        }
        await sleep(Math.min(s.opts.intervalSeconds * 1000, Math.max(0, deadline - s.now())), s.signal);
      }
      const finishedAt = s.now();
      const units = wipeOf(desired)?.stopUnits ?? [];
      const shown = await hostSh(transport, accountingScript(units, quote));
      const accounting = parseAccounting(units, shown.stdout);
      const provider = await countersRead();
      const figures = runFigures(samples, startedAt, target.spec.monitoring.stall, SECONDS_PER_SLOT);
      // Both clients' figures together, or none: a sum missing one client would look like a lighter node.
      const sum = (values: (number | undefined)[]) => {
        const known = values.filter((v): v is number => v !== undefined);
        return known.length > 0 && known.length === values.length ? known.reduce((a, b) => a + b, 0) : undefined;
      };
      const peakMemoryBytes = sum(accounting.map((a) => a.memoryPeakBytes));
      const cpuSeconds = sum(accounting.map((a) => a.cpuSeconds));
      const outcome = synced ? 'synced' : s.signal.aborted ? 'interrupted' : 'time-limit';
      const ended = outcome === 'synced' ? `synced after ${figures.timeToSyncedSeconds?.toFixed(1)} s` : outcome === 'interrupted' ? 'interrupted' : `not synced within ${s.opts.timeLimitSeconds} s`;
      s.progress(step, `${ended}; from the providers: ${provider.measured ? `${provider.bytes} bytes` : 'not measured'}`);
      return {
        ...step,
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: new Date(finishedAt).toISOString(),
        outcome,
        ...figures,
        ...(peakMemoryBytes !== undefined ? { peakMemoryBytes } : {}),
        ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
        units: accounting,
        controllerBytes,
        providerBytes: provider,
        samples: samples.length,
      };
    } finally {
      // A failure after the set-up: the table goes (the restore deletes it too).
      if (counters.ready && providerBytes === undefined) await hostSh(transport, counterDeleteScript(counterTable(step.host), quote)).catch(() => undefined);
    }
  } catch (error) {
    // A strategy whose overlay does not validate on this host says where (its -e argument, file:line:column), without
    // an excerpt: the -e text holds the host's merged values, provider URLs with credentials among them.
    const why = error instanceof ConfigError ? error.problems.map(warningLine).join('; ') : errorText(error);
    s.progress(step, `failed: ${why}`);
    return failedRun(step, startedAt, s.now(), why, 0, { measured: false, why: 'the run failed before the counters were read' });
  }
}

/** Every host back in its declared state: the inventory and playbook as given, planned and applied. */
async function restore(s: Pick<StepContext, 'ctx' | 'inputs' | 'transports'>, declared: Desired[]): Promise<BenchReport['restored']> {
  s.ctx.views.diagnostics.progress(`restoring the declared state of ${declared.map((d) => d.host).join(', ')}`);
  try {
    const connect = (c: Desired['connection']) => s.transports.get(c);
    // The provider counters' tables, wherever a run left one (Ctrl-C, a failure); nothing where there is none.
    await Promise.all(declared.map(async (d) => hostSh(await connect(d.connection), counterDeleteScript(counterTable(d.host), quote)).catch(() => undefined)));
    const planned = await planAll(declared, connect, probeRunOf(s.ctx), planOptionsFor({ ...s.inputs, pruneData: false }));
    const results = await applyAll(planned, connect, { ...runIdentity(), action: 'bench-restore', forks: s.ctx.line.forks, lockTimeoutSeconds: s.ctx.line.lockTimeoutSeconds });
    return results.map((r) => {
      const held = planned.find((p) => p.plan.host === r.host)?.plan.held ?? [];
      const error = r.error ?? (held.length ? `held back: ${held.map((h) => h.target).join(', ')}` : undefined);
      return { host: r.host, status: held.length && !r.error ? 'held' : r.status, ...(error ? { error } : {}) };
    });
  } catch (error) {
    return declared.map((d) => ({ host: d.host, status: 'failed', error: errorText(error) }));
  }
}

async function runBench(ctx: CommandContext): Promise<Outcome> {
  const opts = ctx.line.bench;
  if (!opts) throw usageError('bench ran without its options');
  const now = ctx.io.now ?? Date.now;
  const inputs = inputsOf(ctx.line);
  const strategies = chooseStrategies(opts.strategies, availableStrategies(opts.strategiesFile ? await readStrategies(opts.strategiesFile) : []));
  if ('error' in strategies) throw usageError(strategies.error);
  const declared = await loadDesired(ctx, inputs);
  const notNodes = declared.filter((d) => !wipeOf(d)).map((d) => d.host);
  if (notNodes.length) throw usageError(`--hosts ${opts.hosts} selects hosts that declare no Ethereum node (${notNodes.join(', ')}): nothing to bench there`);
  const plan = benchDryRun(declared, strategies, opts);
  const view = ctx.views.bench();
  if (opts.dryRun) {
    view.dryRun(plan);
    return 'success';
  }
  const runs = plan.lanes.reduce((n, lane) => n + lane.length, 0);
  if (!(await confirm(ctx, `Bench ${runs} run(s) on ${declared.map((d) => d.host).join(', ')}: each wipes the node's chain data (identity kept); the hosts are put back in their declared state afterwards.`))) {
    return 'failure';
  }
  const abort = new AbortController();
  const stopListening = ctx.io.onInterrupt?.(() => {
    ctx.views.diagnostics.progress('interrupted: stopping the measurement, then putting the hosts back in their declared state');
    abort.abort();
  });
  const startedAt = now();
  const records: BenchRunRecord[] = [];
  let restored: BenchReport['restored'] = [];
  let done = 0;
  try {
    await withPool(ctx, async (transports) => {
      const base = { ctx, opts, inputs, transports, now };
      const sample: Sampler = async (target) => (await sampleNodes([target], (c) => transports.get(c), { now }))[0]!.sample;
      const s: StepContext = {
        ...base,
        sample,
        signal: abort.signal,
        progress: (step, text) => ctx.views.diagnostics.progress(benchProgressLine(step, done + 1, runs, text)),
        warned: new Set(),
      };
      try {
        await Promise.all(
          plan.lanes.map(async (lane) => {
            for (const step of lane) {
              if (abort.signal.aborted) break;
              const declaredHost = declared.find((d) => d.host === step.host)!;
              records.push(await runStep(s, step, declaredHost, strategies.find((x) => x.name === step.strategy)!));
              done += 1;
            }
          }),
        );
      } finally {
        restored = await restore(base, declared);
      }
    });
  } finally {
    stopListening?.();
  }
  const report = buildReport({
    title: `nodeform bench: ${strategies.map((x) => x.name).join(', ')}`,
    started_at: new Date(startedAt).toISOString(),
    finished_at: new Date(now()).toISOString(),
    command: reportedCommand(ctx.argv ?? []),
    hosts: declared.map((d) => d.host),
    strategies: strategies.map(({ name, description, vars, origin }) => ({ name, description, vars, origin })),
    settings: {
      runs: opts.runs,
      time_limit_seconds: opts.timeLimitSeconds,
      sample_seconds: opts.intervalSeconds,
      parallel: opts.parallel,
      ...(opts.memoryLimitMb !== undefined ? { memory_limit_mb: opts.memoryLimitMb } : {}),
    },
    runs: records,
    restored,
    interrupted: abort.signal.aborted,
    notes: opts.notes,
  });
  const stem = join(opts.results.path, `sync-${report.started_at.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z')}`);
  await mkdir(opts.results.path, { recursive: true });
  const files = { json: `${stem}.json`, markdown: `${stem}.md`, html: `${stem}.html` };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.markdown, markdownReport(report));
  await writeFile(files.html, benchHtml(report));
  view.finished(report, files);
  const allBack = restored.every((r) => r.status === 'applied' || r.status === 'unchanged');
  return allBack && !report.interrupted && records.every((r) => r.outcome !== 'failed') ? 'success' : 'failure';
}

export const bench: Command = (ctx) => runBench(ctx);
