// `nodeform status` against `nodeform plan` on the same node hosts (lab hosts running the stand-in clients on
// Ephemery, applied once), each timed as a user runs it (node bin/nodeform.js under /usr/bin/time), printed side
// by side with the ratio. Not part of `npm test`; it asserts nothing about time.
//   node --import tsx test/bench/status.ts [--hosts 30] [--runs 3]        (as root; npm run build first)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { slotAddress, startLab } from '../lab/lab.js';
import { installStandins } from '../lab/standin/install.js';
import { nodeform, writeInventory, writePlaybook } from '../lab/support.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer } from '../support/ephemery.js';
import { startProviderServer } from '../support/provider-server.js';
import { timed, type Sample } from './measure.js';
import { median } from './stats.js';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { hosts: { type: 'string', default: '30' }, runs: { type: 'string', default: '3' } } });
const count = Number(values.hosts);
const runs = Number(values.runs);

const lab = await startLab({ name: 'bench-status', count, slot: 24 });
const release = await startReleaseServer(slotAddress(lab.slot, 1));
const provider = await startProviderServer({ chain: releaseGenesis(161) });
try {
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  await installStandins(lab, lab.hosts, { clients: ['lighthouse', 'geth'], slotSeconds: 1, syncSeconds: 86_400 });
  const inventory = writeInventory(lab, 'bench-status', {
    vars: {
      network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` },
      checkpoint_sync: { enabled: true, providers: [provider.url] },
      monitoring: { monitor: false },
    },
    hosts: Object.fromEntries(lab.hosts.map((h) => [h.name, { consensus: { client: 'lighthouse', listen_address: h.address }, execution: { client: 'geth', listen_address: h.address } }])),
  });
  const playbook = writePlaybook(lab, 'bench-status', [{ name: 'nodes', hosts: 'all', ethereum_node: true }]);
  const applied = await nodeform('apply', '-i', inventory, playbook, '--yes', '-f', String(count));
  if (applied.code !== 0) throw new Error(`apply failed:\n${applied.stdout}${applied.stderr}`);

  // Its own HOME: the code cache and the status history start empty, as on a fresh controller.
  const env = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'nodeform-bench-status-')) };
  const commands: Record<string, string[]> = {
    plan: ['node', 'bin/nodeform.js', 'plan', '-i', inventory, playbook, '-f', String(count)],
    status: ['node', 'bin/nodeform.js', 'status', '-i', inventory, playbook, '-f', String(count), '--json', '--no-alerts'],
  };
  const samples: Record<string, Sample[]> = { plan: [], status: [] };
  // One untimed run of each first (code cache), then the runs alternate so both see the same machine.
  for (const argv of Object.values(commands)) await timed(argv, { env, cwd: root });
  for (let i = 0; i < runs; i++) {
    for (const [name, argv] of Object.entries(commands)) {
      const sample = await timed(argv, { env, cwd: root });
      if (name === 'plan' ? sample.code !== 0 : sample.code > 1) throw new Error(`${name} exited ${sample.code}:\n${sample.stdout}${sample.stderr}`);
      if (name === 'status') {
        const hosts = (JSON.parse(sample.stdout) as { hosts: { verdict: string }[] }).hosts;
        if (hosts.length !== count || hosts.some((h) => h.verdict === 'down')) throw new Error(`status did not read every host:\n${sample.stdout}`);
      }
      samples[name]!.push(sample);
    }
  }
  const wall = (name: string) => median(samples[name]!.map((s) => s.wallMs));
  const cpu = (name: string) => median(samples[name]!.map((s) => s.cpuS));
  const rss = (name: string) => median(samples[name]!.map((s) => s.maxRssKb)) / 1024;
  console.log(`\nnodeform status vs plan on ${count} lab hosts (stand-in clients), median of ${runs} runs each\n`);
  console.log('| command | wall (ms) | CPU (s) | max RSS (MiB) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of ['plan', 'status']) console.log(`| ${name} | ${wall(name).toFixed(0)} | ${cpu(name).toFixed(2)} | ${rss(name).toFixed(0)} |`);
  console.log(`\nstatus / plan: wall ${(wall('status') / wall('plan')).toFixed(2)}x, CPU ${(cpu('status') / cpu('plan')).toFixed(2)}x`);
} finally {
  await provider.close();
  await release.close();
  await lab.stop();
}
