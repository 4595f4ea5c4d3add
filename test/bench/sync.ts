// npm run bench:sync: `nodeform bench` with the real Lodestar 1.5.1 in the lab. A dev chain (node1: 8 validators,
// phase0, minimal preset, 1 s slots) runs beside one lab host; the host runs Lodestar as lodestar.service (and the
// geth stand-in: Lodestar here needs no execution client, nodeform's node does) and is measured by nodeform bench with
// three strategies: genesis sync (baseline), checkpoint sync from the provider URL, and from the fleet cache. The
// node reaches node1 only through the lab's delay proxy (test/lab/proxy.ts), both its Beacon API (the checkpoint
// provider) and its p2p port, over two links: 0 ms added, and 50 ms round trip with a bandwidth limit. One
// `nodeform bench` per link; each writes its own JSON, Markdown and HTML under bench-results/; this script writes
// bench-results/sync-DATE.md beside them with both links side by side.
//
// Without discovery (a dev chain) node2 is peered with node1 through Lodestar's admin API while the bench runs
// (keepPeered: connect when it has no peer, re-peer when its head stalls), as the lodestar-fleet lab test does.
//
// Options: --runs N (default 3), --time-limit S (default 150), --out DIR (default bench-results).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spreadOf } from '../../src/bench/recommend.js';
import { recommendationSentence, type BenchReport } from '../../src/bench/report.js';
import { run } from '../../src/cli/main.js';
import { reserveSlot, slotAddress, type Lab, type LabHost } from '../lab/lab.js';
import { keepPeered, lodestarNodeVars, networkFromChain, startLodestarChain, startLodestarLab, type LodestarChain } from '../lab/lodestar-chain.js';
import { startProxy, type Proxy } from '../lab/proxy.js';
import { installStandins } from '../lab/standin/install.js';
import { testHome, writeInventory, writePlaybook } from '../lab/support.js';

const repo = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'time-limit': { type: 'string', default: '150' }, out: { type: 'string', default: 'bench-results' } } });
const runs = Number(values.runs);
const timeLimit = Number(values['time-limit']);
const out = resolve(repo, values.out);
const STRATEGIES = ['baseline', 'checkpoint-provider', 'checkpoint-fleet-cache'];
const REST_PORT = 9596;

interface Link {
  name: string;
  label: string;
  delayMs: number;
  bytesPerSecond?: number;
}
const LINKS: Link[] = [
  { name: '0ms', label: 'no delay added, no bandwidth limit', delayMs: 0 },
  { name: '50ms-512kbit', label: '50 ms round trip added (25 ms each way), 512 kbit/s each way', delayMs: 25, bytesPerSecond: 64_000 },
];

const log = (line: string) => process.stderr.write(`bench:sync: ${line}\n`);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => {
      stderr += t;
      process.stderr.write(t);
    },
    isTTY: false,
    env: { HOME: testHome },
    cwd: repo,
  });
  return { code, stdout, stderr };
}

async function main(): Promise<void> {
  const slot = await reserveSlot(9, 1);
  let chain: LodestarChain | undefined;
  let lab: Lab | undefined;
  const proxies: Proxy[] = [];
  try {
    const [started, booted] = await Promise.all([startLodestarChain({ address: slotAddress(slot.slot, 1) }), startLodestarLab('bench-sync', slot, ['CAP_NET_ADMIN'] /* nft: the bytes from the provider */)]);
    chain = started;
    lab = booted.lab;
    const host: LabHost = booted.host;
    await installStandins(lab, [host], { clients: ['geth'] });
    log(`node1 at ${chain.url}; waiting for its first finalized epoch`);
    await chain.waitFinalized(1, 180_000);
    const networkDir = join(lab.dir, 'bench-sync', 'network');
    await networkFromChain(chain, networkDir);
    const version = (await (await fetch(`${chain.url}/eth/v1/node/version`)).json()) as { data: { version: string } };
    const playbook = writePlaybook(lab, 'bench-sync', [{ name: 'node', hosts: 'all', ethereum_node: true }]);
    const stamp = new Date().toISOString().slice(0, 10);
    const reports: { link: Link; report: BenchReport; files: string[]; command: string }[] = [];
    mkdirSync(out, { recursive: true });

    for (const link of LINKS) {
      const options = { delayMs: link.delayMs, ...(link.bytesPerSecond ? { bytesPerSecond: link.bytesPerSecond } : {}) };
      // The node reaches node1 only through these: its Beacon API (the checkpoint provider) and its p2p port.
      const rest = await startProxy({ target: { host: chain.address, port: chain.restPort }, listen: { host: slotAddress(slot.slot, 2) }, ...options });
      const p2p = await startProxy({ target: { host: chain.address, port: chain.p2pPort }, listen: { host: slotAddress(slot.slot, 3) }, ...options });
      proxies.push(rest, p2p);
      const providerUrl = `http://${rest.address}:${rest.port}`;
      const inventory = writeInventory(lab, `bench-sync-${link.name}`, {
        vars: {
          network: { name: 'custom', config_source: networkDir },
          checkpoint_sync: { enabled: true, providers: [providerUrl] },
          cache: { directory: '/var/cache/nodeform' },
          network_tuning: { request_timeout_seconds: 30, retries: 1, backoff: { min_seconds: 0.1, max_seconds: 0.5 } },
        },
        hosts: {
          [host.name]: lodestarNodeVars(host.address),
        },
        only: [host],
      });
      const applied = await cli(['apply', '-i', inventory, playbook, '--yes']);
      if (applied.code !== 0) throw new Error(`apply failed:\n${applied.stdout}`);
      const stop = new AbortController();
      const peering = keepPeered({ peerId: () => chain!.peerId(), multiaddr: `/ip4/${p2p.address}/tcp/${p2p.port}` }, `http://${host.address}:${REST_PORT}`, stop.signal);
      const dir = join(out, `sync-${stamp}-${link.name}`);
      const args = [
        'bench', '-i', relative(repo, inventory), relative(repo, playbook),
        '--strategies', STRATEGIES.join(','), '--hosts', host.name, '--runs', String(runs), '--time-limit', String(timeLimit), '--interval', '2',
        '--results', relative(repo, dir), '--yes',
        '--note', `link to node1 (checkpoint provider and p2p): ${link.label} (test/lab/proxy.ts)`,
        '--note', `node1: Lodestar dev chain ${version.data.version}, 8 validators, phase0, minimal preset, 1 s slots; the measured node: Lodestar v1.5.1 (lab host, systemd-nspawn), peered with node1 through its admin API (no discovery)`,
      ];
      log(`link ${link.name}: nodeform ${args.join(' ')}`);
      const upBefore = rest.bytesDown + p2p.bytesDown;
      const benched = await cli(args);
      stop.abort();
      const { connects } = await peering;
      log(`link ${link.name}: exit ${benched.code}; ${connects} peerings; ${rest.bytesDown} bytes from the provider proxy, ${p2p.bytesDown} over p2p (${rest.bytesDown + p2p.bytesDown - upBefore} this link)`);
      const files = readdirSync(dir).map((f) => join(dir, f));
      const json = files.find((f) => f.endsWith('.json'))!;
      reports.push({
        link,
        report: JSON.parse(readFileSync(json, 'utf8')) as BenchReport,
        files: files.map((f) => relative(out, f)),
        command: `nodeform ${args.join(' ')}`,
      });
      reports[reports.length - 1]!.report.notes.push(`bytes node1 sent through the proxies during this bench: ${rest.bytesDown} from its Beacon API (provider), ${p2p.bytesDown} over p2p`);
      await Promise.all([rest.close(), p2p.close()]);
    }
    writeFileSync(join(out, `sync-${stamp}.md`), summary(reports, stamp));
    log(`wrote ${join(out, `sync-${stamp}.md`)}`);
  } finally {
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    await Promise.all([chain?.stop(), lab?.stop()]);
    slot.release();
  }
}

function summary(reports: { link: Link; report: BenchReport; files: string[]; command: string }[], stamp: string): string {
  const fmt = (s: ReturnType<typeof spreadOf>) => (s ? `${s.median.toFixed(1)} s (${s.min.toFixed(1)}-${s.max.toFixed(1)}, ${s.runs} runs)` : 'never synced');
  const lines = [
    `# Sync strategies measured with nodeform bench, Lodestar 1.5.1 in the lab (${stamp})`,
    '',
    'Made by `npm run bench:sync` (test/bench/sync.ts): a Lodestar dev chain (node1) and one lab host running Lodestar',
    'v1.5.1 through nodeform; the host reaches node1 (its checkpoint provider and its only peer) through the lab\'s',
    'delay proxy. One `nodeform bench` per link; its own reports are linked below. Times are from the client\'s start',
    'on wiped chain data to the monitor\'s "synced" verdict (head within one epoch of the clock, not syncing).',
    'The chain grows by a slot a second while this runs, so later runs have more slots to sync from genesis (each',
    'run\'s start and end slot are in the per-link reports); runs alternate strategies, so each strategy sees the same',
    'growth within a link. Node1 serves the checkpoint state of its latest finalized epoch to checkpoint-provider; the',
    'fleet cache reuses the state the controller verified once (cache.expiry_hours), so its node starts further back.',
    '',
    'The old scripts\' promised gains (caching "20-40% faster sync", network tuning "15-30%", combined "30-60%") are',
    'not measured here: cache-tuned and network-tuned change nothing on this node (nodeform has no Lodestar cache',
    'setting, docs/node.md; a peer target means nothing with one peer). `nodeform bench --strategies',
    'baseline,cache-tuned,network-tuned,combined` measures them where they apply (Lighthouse, Teku, real peers).',
    '',
    '## Time to synced: median (range, runs)',
    '',
    `| strategy | ${reports.map((r) => r.link.label).join(' | ')} |`,
    `| --- | ${reports.map(() => '---').join(' | ')} |`,
  ];
  for (const strategy of STRATEGIES) {
    const cells = reports.map(({ report }) => fmt(report.summaries.find((s) => s.strategy === strategy)?.timeToSynced));
    lines.push(`| ${strategy} | ${cells.join(' | ')} |`);
  }
  lines.push('', '## Time to first head: median (range)', '', `| strategy | ${reports.map((r) => r.link.label).join(' | ')} |`, `| --- | ${reports.map(() => '---').join(' | ')} |`);
  for (const strategy of STRATEGIES) {
    const cells = reports.map(({ report }) => fmt(spreadOf(report.runs.filter((r) => r.strategy === strategy && r.timeToFirstHeadSeconds !== undefined).map((r) => r.timeToFirstHeadSeconds!))));
    lines.push(`| ${strategy} | ${cells.join(' | ')} |`);
  }
  lines.push('', '## Head slots gained per minute: median (range)', '', `| strategy | ${reports.map((r) => r.link.label).join(' | ')} |`, `| --- | ${reports.map(() => '---').join(' | ')} |`);
  const perMinute = (s: ReturnType<typeof spreadOf>) => (s ? `${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)})` : '-');
  for (const strategy of STRATEGIES) {
    const cells = reports.map(({ report }) => perMinute(spreadOf(report.runs.filter((r) => r.strategy === strategy && r.slotsPerMinute !== undefined).map((r) => r.slotsPerMinute!))));
    lines.push(`| ${strategy} | ${cells.join(' | ')} |`);
  }
  lines.push('', '## Per link');
  for (const { link, report, files, command } of reports) {
    lines.push('', `### ${link.label}`, '', `- ${recommendationSentence(report.recommendation)}`, `- command: \`${command}\``);
    for (const note of report.notes) lines.push(`- ${note}`);
    lines.push(`- reports: ${files.map((f) => `[${f}](${f})`).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:sync failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
