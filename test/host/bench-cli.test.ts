// nodeform bench's command line, its dry run (human and --json, against schemas/output.schema.json) and its
// refusals, in-process on real files; nothing is contacted (a dry run connects to no host).
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { outputSchemaErrors } from '../support/output-schema.js';
import { temporaryProjects } from '../support/temporary.js';

const project = temporaryProjects('nodeform-bench-cli-');
const files = {
  'inventory.yaml': `all:
  vars:
    network: mainnet
    checkpoint_sync: { enabled: false }
  hosts:
    node1:
      ansible_host: 192.0.2.10
      consensus: { client: lodestar }
      execution: { client: geth }
    node2:
      ansible_host: 192.0.2.11
      consensus: { client: lighthouse }
      execution: { client: geth }
    web:
      ansible_host: 192.0.2.12
`,
  'playbook.yaml': `- hosts: node1:node2
  ethereum_node: true
- hosts: web
  files:
    - path: /etc/motd
      content: "hi\\n"
`,
  'strategies.yaml': `strategies:
  few-peers:
    description: fewer peers
    vars:
      network_tuning: { peers_cl: 10 }
  broken:
    vars:
      checkpoint_sync: { enabled: maybe }
`,
};
const bench = (dir: string, ...args: string[]) => runCli(dir, ['bench', '-i', 'inventory.yaml', 'playbook.yaml', ...args]);

describe('nodeform bench --dry-run', () => {
  it('says what it would stop and wipe on each host, the overlays, the order and the longest sampling', async () => {
    const dir = project(files);
    const r = await bench(dir, '--strategies', 'baseline,checkpoint-fleet-cache', '--hosts', 'node1:node2', '--runs', '2', '--time-limit', '600', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('node1:\n  stops: lodestar.service, geth.service\n  wipes: ');
    expect(r.stdout).toContain('  checkpoint-fleet-cache: checkpoint sync from the fleet cache');
    expect(r.stdout).toContain('    {"checkpoint_sync":{"enabled":true,"source":"fleet-cache"}}');
    expect(r.stdout).toContain('In this order: node1/baseline#1, node1/checkpoint-fleet-cache#1, node2/baseline#1, node2/checkpoint-fleet-cache#1, node1/baseline#2');
    expect(r.stdout).toContain('8 run(s); sampling takes at most 1 h 20 min, plus each run\'s apply and wipe.');
    expect(r.stdout).toContain("an nft table of nodeform's own (inet nodeform_bench_HOST)\ncounts the bytes from the providers' addresses");
  });

  it('--parallel: one lane per host, the longest bounds the time', async () => {
    const r = await bench(project(files), '--strategies', 'baseline', '--hosts', 'node*', '--runs', '3', '--time-limit', '100', '--parallel', '--dry-run');
    expect(r.stdout).toContain('Lane 1 (at the same time as the others): node1/baseline#1, node1/baseline#2, node1/baseline#3');
    expect(r.stdout).toContain('Lane 2 (at the same time as the others): node2/baseline#1');
    expect(r.stdout).toContain('6 run(s); sampling takes at most 5 min (2 hosts in parallel)');
  });

  it('--json: one document matching the output schema', async () => {
    const r = await bench(project(files), '--strategies', 'few-peers,combined', '--strategies-file', 'strategies-ok.yaml', '--hosts', 'node2', '--dry-run', '--json');
    // strategies-ok.yaml does not exist: a usage error, as JSON on stderr.
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr).error.message).toContain('cannot read the strategies file');
    const dir = project({ ...files, 'strategies.yaml': files['strategies.yaml'].split('  broken:')[0]! });
    const ok = await bench(dir, '--strategies', 'few-peers,combined', '--strategies-file', 'strategies.yaml', '--hosts', 'node2', '--dry-run', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const doc = JSON.parse(ok.stdout);
    expect(outputSchemaErrors('benchDryRun', doc)).toBe('');
    expect(doc.dry_run.strategies.map((s: { name: string }) => s.name)).toEqual(['few-peers', 'combined']);
    expect(doc.dry_run.maxSamplingSeconds).toBe(2 * 1800);
  });
});

describe('nodeform bench refuses', () => {
  it.each([
    [['--hosts', 'node1'], 'bench needs --strategies A,B,...'],
    [['--strategies', 'baseline'], 'bench needs --hosts PATTERN'],
    [['--strategies', 'baseline', '--hosts', 'node1', '--limit', 'node1'], 'bench chooses its hosts with --hosts, not --limit'],
    [['--strategies', 'baseline', '--hosts', 'node1', '--runs', '0'], '--runs takes at least 1'],
    [['--strategies', 'baseline', '--hosts', 'node1', '--time-limit', 'soon'], '--time-limit takes a whole number, not "soon"'],
    [['--strategies', 'fastest', '--hosts', 'node1', '--dry-run'], 'unknown strategy "fastest"; known: baseline, checkpoint-provider'],
    [['--strategies', 'baseline', '--hosts', 'web', '--dry-run'], '--hosts web selects hosts that declare no Ethereum node (web): nothing to bench there'],
    [['--strategies', 'baseline', '--hosts', 'node1'], 'refusing to change hosts without --yes'],
  ])('%j', async (args, message) => {
    const r = await bench(project(files), ...args);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(message);
  });

  it('a bench option on another command', async () => {
    const r = await runCli(project(files), ['plan', '-i', 'inventory.yaml', '--runs', '3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('--runs is an option of nodeform bench only');
  });

  it('--json without --yes, unless it is a dry run', async () => {
    const r = await bench(project(files), '--strategies', 'baseline', '--hosts', 'node1', '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr).error.message).toBe('bench --json needs --yes: a JSON run cannot ask for confirmation');
  });

  it('a strategies file with a problem, at its line and field', async () => {
    const r = await bench(project(files), '--strategies', 'few-peers', '--strategies-file', 'strategies.yaml', '--hosts', 'node1', '--dry-run');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/strategies\.yaml:8:\d+: strategies\.broken\.vars\.checkpoint_sync\.enabled: /);
  });
});
