// nodeform bench end to end on a real host (sshd + systemd) with the stand-in clients (Lighthouse + Geth on
// Ephemery, head advancing every half second, synced 4 s after a start): each strategy is applied, the chain data
// wiped keeping the node identity, the node sampled until synced; the reports are written; the host is back in its
// declared state afterwards, also after Ctrl-C; with --parallel two hosts measure at the same time. The stand-ins
// sync in the same time whatever the strategy: this checks the machinery, not the clients (the real Lodestar's
// numbers: npm run bench:sync). The clients' memory and CPU come from their units' cgroups: the lab binds each host
// its own v1 memory cgroup writable (test/lab/lab.ts boot), and cgroup2's cpu.stat counts CPU without a controller.
// Host 1's stand-in Lighthouse GETs the checkpoint state and block from its --checkpoint-sync-url when it starts on
// empty chain data (as the real client does): nodeform's nftables count of the bytes from the provider is checked
// against the provider's own count of what it sent that client, with downloads from outside system.slice (another
// slice of the same host, the host's shell, another host's system.slice) going on during the run and not counted.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountingScript, parseAccounting } from '../../src/bench/measure.js';
import type { BenchReport, BenchRunRecord } from '../../src/bench/report.js';
import { quote } from '../../src/shell/quote.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';
import { startProviderServer, type ProviderServer } from '../support/provider-server.js';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, testHome, writeInventory, writePlaybook } from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let lab: Lab;
let host: LabHost;
/** The second host, only for --parallel; its stand-ins take longer to sync (8 s), so its runs overlap host 1's by seconds. */
let host2: LabHost;
let release: ReleaseServer;
let provider: ProviderServer;
let inventory: string;
let playbook: string;
let results: string;

/** The files nodeform manages on the host, with their content digests: the declared state to come back to. */
const declaredState = (on: LabHost = host) => hostSh(lab, on, 'sha256sum /etc/ethereum/*.env /etc/systemd/system/lighthouse.service /etc/systemd/system/geth.service | sort -k2');
/** What the provider server wrote (status line, headers, body) to requests with this User-Agent, so far. */
const agentBytes = (agent: string) => provider.bytesByAgent.get(agent) ?? 0;
/** The stand-in Lighthouse's User-Agent (test/lab/standin/standin.py fetch_checkpoint). */
const STANDIN_AGENT = 'nodeform-standin/lighthouse';
const OUTSIDE_AGENT = 'outside-system-slice';
/** TCP segments retransmitted so far in the machine's network namespace (the lab hosts share it): /proc/net/snmp. */
function retransmittedSegments(): number {
  const [names, values] = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:')).map((l) => l.split(/\s+/));
  return Number(values![names!.indexOf('RetransSegs')]);
}
/** The node identity the wipe keeps (Lighthouse's beacon/network: its p2p key). */
const identity = () => hostSh(lab, host, 'find /var/lib/lighthouse/beacon/network -type f -exec sha256sum {} + | sort');

function reportsIn(dir: string): BenchReport[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchReport);
}

beforeAll(async () => {
  // CAP_NET_ADMIN, which a real host's root has, for nodeform's nft counters (nspawn leaves it out by default).
  lab = await startLab({ name: 'bench-cmd', count: 2, slot: 15, capabilities: ['CAP_NET_ADMIN'] });
  [host, host2] = lab.hosts as [LabHost, LabHost];
  await installStandins(lab, [host], { clients: ['lighthouse', 'geth'], slotSeconds: 0.5, syncSeconds: 4, checkpointDownload: true });
  await installStandins(lab, [host2], { clients: ['lighthouse', 'geth'], slotSeconds: 0.5, syncSeconds: 8 });
  release = await startReleaseServer(slotAddress(lab.slot, 1));
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  provider = await startProviderServer({ chain: releaseGenesis(161) });
  inventory = writeInventory(lab, 'bench-cmd', {
    vars: { network: { name: 'ephemery', iteration: 161, release_url: `${release.url}/releases` }, checkpoint_sync: { enabled: true, providers: [provider.url] } },
    hosts: Object.fromEntries(lab.hosts.map((h) => [h.name, { consensus: { client: 'lighthouse', listen_address: h.address }, execution: { client: 'geth', listen_address: h.address } }])),
  });
  playbook = writePlaybook(lab, 'bench-cmd', [{ name: 'node', hosts: 'all', ethereum_node: true }]);
  const applied = await nodeform('apply', '-i', inventory, playbook, '--yes');
  if (applied.code !== 0) throw new Error(applied.stdout + applied.stderr);
  results = mkdtempSync(join(tmpdir(), 'nodeform-bench-results-'));
}, 180_000);

afterAll(async () => {
  await provider?.close();
  await release?.close();
  await lab?.stop();
});

describe.sequential('nodeform bench on a lab host', () => {
  let before: string;
  let identityBefore: string;

  it('--dry-run says what it would do and changes nothing', async () => {
    before = await declaredState();
    // The stand-in writes its key when it first starts: wait for it.
    for (let i = 0; i < 50 && (identityBefore = await identity()) === ''; i++) await new Promise((r) => setTimeout(r, 200));
    expect(identityBefore).toContain('/var/lib/lighthouse/beacon/network/');
    const r = await nodeform('bench', '-i', inventory, playbook, '--strategies', 'baseline,checkpoint-provider', '--hosts', host.name, '--time-limit', '30', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${host.name}:\n  stops: lighthouse.service, geth.service`);
    expect(r.stdout).toContain(`In this order: ${host.name}/baseline#1, ${host.name}/checkpoint-provider#1`);
    expect(r.stdout).toContain('2 run(s); sampling takes at most 1 min, plus each run\'s apply and wipe.');
    expect(await declaredState()).toBe(before);
  });

  it('runs two strategies to synced, writes the reports, and leaves the host in its declared state', async () => {
    const standinBefore = agentBytes(STANDIN_AGENT);
    const retransmittedBefore = retransmittedSegments();
    const outsideBefore = agentBytes(OUTSIDE_AGENT);
    const curl = `curl -sf -A ${OUTSIDE_AGENT} -H 'Accept: application/octet-stream' -o /dev/null ${provider.url}/eth/v2/debug/beacon/states/finalized`;
    let outsideDoneAt = 0;
    // Once the stand-in has its state, the same download three times from outside host 1's system.slice.
    const outside = (async () => {
      for (let i = 0; i < 300 && agentBytes(STANDIN_AGENT) === standinBefore; i++) await new Promise((done) => setTimeout(done, 100));
      await hostSh(lab, host, `systemd-run --quiet --scope --slice=outside.slice -- ${curl}`);
      await hostSh(lab, host, curl);
      await hostSh(lab, host2, `systemd-run --quiet --wait --pipe -- ${curl}`);
      outsideDoneAt = Date.now();
    })();
    // baseline last: its overlay (no checkpoint) is what the restore must undo.
    const r = await nodeform('bench', '-i', inventory, playbook, '--strategies', 'checkpoint-provider,baseline', '--hosts', host.name, '--time-limit', '30', '--interval', '1', '--results', results, '--yes');
    await outside;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Progress on stderr while it ran, one line per step and sample.
    expect(r.stderr).toMatch(/\[1\/2\] .* checkpoint-provider run 1: stopping the clients, wiping chain data \(node identity kept\), starting them/);
    expect(r.stderr).toMatch(/\[2\/2\] .* baseline run 1: \d+ s: head slot \d+/);
    expect(r.stderr).toContain('restoring the declared state');
    expect(r.stdout).toContain(`Hosts back in their declared state: ${host.name}`);

    const [report] = reportsIn(results);
    expect(report!.runs.map((run) => [run.strategy, run.outcome])).toEqual([
      ['checkpoint-provider', 'synced'],
      ['baseline', 'synced'],
    ]);
    for (const run of report!.runs) {
      // The stand-in's head starts again from 0 after the wipe and says synced 4 s after its start.
      expect(run.startSlot).toBeLessThanOrEqual(2);
      expect(run.timeToSyncedSeconds).toBeGreaterThanOrEqual(3);
      expect(run.timeToFirstHeadSeconds).toBeLessThan(run.timeToSyncedSeconds!);
      expect(run.units.map((u) => u.unit)).toEqual(['lighthouse.service', 'geth.service']);
      // systemd 252 has no MemoryPeak: the figures come from the units' cgroups (v1 memory, cgroup2 cpu.stat).
      expect(run.units.map((u) => u.source)).toEqual(['cgroup', 'cgroup']);
      expect(run.cpuSeconds).toBeGreaterThan(0);
      expect(run.peakMemoryBytes).toBeGreaterThan(1024 * 1024);
      expect(run.controllerBytes).toBeGreaterThan(0);
    }
    expect(report!.restored).toEqual([{ host: host.name, status: 'applied' }]);
    expect(report!.summaries.map((s) => s.synced)).toEqual([1, 1]);

    // The bytes from the provider: what it sent the stand-in (the provider's own count), plus each packet's IPv4
    // and TCP headers (20 + 20 to 60 bytes; some packets carry none of the answer: SYN-ACK, ACKs, FIN), plus any
    // segment TCP sent again (the counter counts what arrived; loopback drops under load: at most one 64 KiB segment
    // per retransmission counted in the namespace); not the outside downloads, which ended while the run was still
    // measuring, each far more than that allowance (a connection's packets count all or none: its socket's cgroup).
    const [viaProvider, genesis] = report!.runs as [BenchRunRecord, BenchRunRecord];
    const standinBytes = agentBytes(STANDIN_AGENT) - standinBefore;
    const outsideBytes = agentBytes(OUTSIDE_AGENT) - outsideBefore;
    expect(outsideDoneAt).toBeGreaterThan(0);
    expect(outsideDoneAt).toBeLessThan(Date.parse(viaProvider.finishedAt));
    const port = Number(new URL(provider.url).port);
    const measured = viaProvider.providerBytes;
    if (!measured.measured) throw new Error(`provider bytes not measured: ${measured.why}`);
    expect(measured.endpoints).toEqual([{ host: '127.0.0.1', port, addresses: ['127.0.0.1'] }]);
    const counted = measured.bytes;
    const retransmitted = retransmittedSegments() - retransmittedBefore;
    const allowance = 80 * measured.packets + 65_536 * retransmitted;
    console.log(`bench provider bytes: nftables ${counted} in ${measured.packets} packets; the provider's count for the stand-in ${standinBytes}; outside downloads ${outsideBytes}; TCP segments retransmitted meanwhile ${retransmitted}`);
    expect(allowance).toBeLessThan(outsideBytes / 3);
    expect(counted - standinBytes).toBeGreaterThanOrEqual(40 * measured.packets);
    expect(counted - standinBytes).toBeLessThanOrEqual(allowance);
    expect(genesis.providerBytes).toEqual({ measured: false, why: 'checkpoint sync is off in this strategy: the clients fetch from no provider' });
    // The table is gone.
    expect(await hostSh(lab, host, 'nft list tables')).not.toContain('nodeform_bench');
    expect(['winner', 'no-clear-winner']).toContain(report!.recommendation.kind);
    const stem = readdirSync(results).find((f) => f.endsWith('.json'))!.replace(/\.json$/, '');
    const md = readFileSync(join(results, `${stem}.md`), 'utf8');
    expect(md).toContain('| caching: "20-40% faster sync" | not measured');
    expect(md).toContain(`- ${host.name}: applied`);
    expect(md).toContain(`- ${host.name} checkpoint-provider run 1: `);
    expect(md).toContain(`(${counted} bytes) received from the providers' addresses 127.0.0.1:${port} by the host's system services, counted by nftables`);
    expect(md).toContain(`- ${host.name} baseline run 1: not measured: checkpoint sync is off in this strategy`);
    expect(readFileSync(join(results, `${stem}.html`), 'utf8')).toContain('<svg role="img" aria-label="Head slot over time per strategy"');

    // Back in the declared state: the same files, nothing to apply, both clients running, the identity kept.
    expect(await declaredState()).toBe(before);
    const plan = await nodeform('plan', '-i', inventory, playbook);
    expect(plan.stdout).toContain('No changes on 2 host(s).');
    expect(await hostSh(lab, host, 'systemctl is-active lighthouse.service geth.service')).toBe('active\nactive\n');
    expect(await identity()).toBe(identityBefore);
    // The host's history shows the bench's applies, wipes and the restore.
    const history = await nodeform('history', '-i', inventory, '--limit', host.name);
    expect(history.stdout).toMatch(/bench-restore/);
    expect(history.stdout).toMatch(/bench-wipe/);
  }, 120_000);

  it('after Ctrl-C it stops measuring, puts the host back in its declared state and still writes the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-bench-interrupted-'));
    // A real process, to get a real SIGINT: the CLI from source, as bin/nodeform.js runs it without a build.
    const child = spawn(
      process.execPath,
      // node -e puts the arguments from argv[1] on: main() reads them from argv[2], as under a script.
      ['--import', 'tsx', '-e', `process.argv.splice(1, 0, 'nodeform'); import(${JSON.stringify(join(root, 'src/cli/main.ts'))}).then((m) => m.main())`, 'bench', '-i', inventory, playbook, '--strategies', 'network-tuned,baseline', '--hosts', host.name, '--time-limit', '60', '--interval', '1', '--results', dir, '--yes'],
      { cwd: root, env: { ...process.env, HOME: testHome }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const sampling = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // Interrupt while the first strategy (network-tuned: its overlay changed the host) is being sampled.
        if (/network-tuned run 1: \d+ s: /.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await Promise.race([sampling, exited.then(() => undefined)]);
    // The overlay is on the host now: the network env file differs from the declared one.
    expect(await declaredState()).not.toBe(before);
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('interrupted: stopping the measurement, then putting the hosts back in their declared state');
    expect(stderr).not.toContain('baseline run 1');
    expect(stdout).toContain(`Hosts back in their declared state: ${host.name}`);
    expect(stdout).toContain('Interrupted: the report holds the runs finished before.');
    const [report] = reportsIn(dir);
    expect(report!.interrupted).toBe(true);
    expect(report!.runs.map((r) => [r.strategy, r.outcome])).toEqual([['network-tuned', 'interrupted']]);
    expect(await declaredState()).toBe(before);
    expect((await nodeform('plan', '-i', inventory, playbook)).stdout).toContain('No changes on 2 host(s).');
    expect(existsSync(dir)).toBe(true);
  }, 120_000);

  it('a strategy that fails on the host is recorded as failed, and the host still ends in its declared state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-bench-failed-'));
    const strategies = join(dir, 'strategies.yaml');
    // Valid as a strategy, refused once merged into this host's node: nodeform sets --datadir itself. It fails after
    // network-tuned changed the host, which the restore must undo.
    writeFileSync(strategies, 'strategies:\n  own-datadir:\n    description: a flag nodeform owns\n    vars:\n      consensus: { extra_args: [--datadir=/srv/elsewhere] }\n');
    const r = await nodeform('bench', '-i', inventory, playbook, '--strategies', 'network-tuned,own-datadir', '--strategies-file', strategies, '--hosts', host.name, '--time-limit', '30', '--interval', '1', '--results', dir, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const [report] = reportsIn(dir);
    expect(report!.runs.map((run) => [run.strategy, run.outcome])).toEqual([
      ['network-tuned', 'synced'],
      ['own-datadir', 'failed'],
    ]);
    expect(report!.runs[1]!.error).toMatch(/^-e #\d+:\d+:\d+: extra_vars\.consensus\.extra_args\[0\]: --datadir is set by nodeform from consensus\.data_dir; set that instead/);
    expect(report!.restored).toEqual([{ host: host.name, status: 'applied' }]);
    expect(await declaredState()).toBe(before);
    expect((await nodeform('plan', '-i', inventory, playbook)).stdout).toContain('No changes on 2 host(s).');
    expect(await hostSh(lab, host, 'systemctl is-active lighthouse.service geth.service')).toBe('active\nactive\n');
  }, 150_000);

  it("reads a unit's peak memory and CPU time from its cgroup, which counts the children its main process does not", async () => {
    const unit = 'bench-accounting-probe.service';
    // The main process stays small; a child it waits for fills a 64 MiB buffer and exits, then it spins a while.
    await hostSh(lab, host, `rm -f /run/probe-done; systemd-run --unit=${unit} sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=2 2>/dev/null; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; touch /run/probe-done; exec sleep 120'`);
    for (let i = 0; i < 100 && (await lab.sh(host, 'test -e /run/probe-done')).code !== 0; i++) await new Promise((r) => setTimeout(r, 200));
    const shown = await hostSh(lab, host, accountingScript([unit], quote));
    await hostSh(lab, host, `systemctl stop ${unit}`);
    const [accounting] = parseAccounting([unit], shown);
    expect(accounting!.source, shown).toBe('cgroup');
    expect(accounting!.memoryPeakBytes).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(accounting!.cpuSeconds).toBeGreaterThan(0);
    // The figures read: the v1 memory controller's peak and cgroup2's CPU time, and the main process's much smaller one.
    expect(shown).toMatch(/^CgroupMemoryPeak=\d+$/m);
    expect(shown).toMatch(/^CgroupCpuUsec=\d+$/m);
    const processPeak = Number(/^ProcPeakRssKiB=(\d+)$/m.exec(shown)?.[1]) * 1024;
    expect(processPeak).toBeLessThan(16 * 1024 * 1024);
  });

  it('--parallel: two hosts measure different strategies at the same time, both report, both end in their declared state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-bench-parallel-'));
    const before1 = await declaredState(host);
    const before2 = await declaredState(host2);
    const r = await nodeform('bench', '-i', inventory, playbook, '--strategies', 'checkpoint-provider,baseline', '--hosts', `${host.name},${host2.name}`, '--parallel', '--time-limit', '30', '--interval', '1', '--results', dir, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [report] = reportsIn(dir);
    expect(report!.settings.parallel).toBe(true);
    const runsOf = (h: LabHost) => report!.runs.filter((run) => run.host === h.name);
    // Host 2 starts its round at the other strategy, so the runs at the same time are of different strategies.
    expect(runsOf(host).map((run) => [run.strategy, run.outcome])).toEqual([
      ['checkpoint-provider', 'synced'],
      ['baseline', 'synced'],
    ]);
    expect(runsOf(host2).map((run) => [run.strategy, run.outcome])).toEqual([
      ['baseline', 'synced'],
      ['checkpoint-provider', 'synced'],
    ]);
    for (const run of report!.runs) {
      expect(run.timeToSyncedSeconds).toBeGreaterThanOrEqual(run.host === host2.name ? 7 : 3);
      expect(run.units.map((u) => u.source)).toEqual(['cgroup', 'cgroup']);
    }
    // The hosts' first runs overlap: each began (its clients started on empty chain data) before the other ended.
    const [a, b] = [runsOf(host)[0]!, runsOf(host2)[0]!];
    expect(Date.parse(a.startedAt)).toBeLessThan(Date.parse(b.finishedAt));
    expect(Date.parse(b.startedAt)).toBeLessThan(Date.parse(a.finishedAt));
    // Each host's own nft table, in the network namespace they share: host 1's stand-in fetched its checkpoint, host
    // 2's (no download) did not, and neither count holds the other's.
    const bytesOf = (h: LabHost) => runsOf(h).find((run) => run.strategy === 'checkpoint-provider')!.providerBytes;
    const host1Bytes = bytesOf(host);
    expect(host1Bytes.measured && host1Bytes.bytes).toBeGreaterThan(1024 * 1024);
    expect(bytesOf(host2)).toMatchObject({ measured: true, bytes: 0, packets: 0 });
    expect(await hostSh(lab, host, 'nft list tables')).not.toContain('nodeform_bench');
    expect(report!.summaries.map((s) => [s.strategy, s.synced, s.runs])).toEqual([
      ['checkpoint-provider', 2, 2],
      ['baseline', 2, 2],
    ]);
    expect(report!.restored.map((x) => x.host).sort()).toEqual([host.name, host2.name].sort());
    for (const x of report!.restored) expect(['applied', 'unchanged']).toContain(x.status);
    expect(r.stdout).toContain('Hosts back in their declared state:');
    expect(await declaredState(host)).toBe(before1);
    expect(await declaredState(host2)).toBe(before2);
    expect((await nodeform('plan', '-i', inventory, playbook)).stdout).toContain('No changes on 2 host(s).');
    for (const h of [host, host2]) expect(await hostSh(lab, h, 'systemctl is-active lighthouse.service geth.service')).toBe('active\nactive\n');
  }, 120_000);
});
