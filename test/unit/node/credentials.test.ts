// Checkpoint providers with credentials (`https://user:password@...`) or an API key in the query: the files
// that name them are secret and 0640 root:<client>, and the URL reaches the client through its environment
// file where the client reads the option from the environment (Teku, Lodestar), or a YAML file it loads
// (Prysm), never its command line. Where
// it cannot (Lighthouse, Nimbus' trustedNodeSync), the plan warns on each host that uses such a provider.
import { describe, expect, it } from 'vitest';
import type { ConsensusClient } from '../../../src/clients/types.js';
import type { FileResource, Resource, UnitResource } from '../../../src/model/types.js';
import { formatProblem } from '../../../src/errors.js';
import { buildNode, heads, nodeHost } from './helpers.js';

const SECRET = 'https://ops:s3cret@a.example';
const KEYED = 'https://b.example/?apikey=s3cret';
const PLAIN = 'https://c.example';

const file = (resources: Resource[], path: string) => resources.find((r): r is FileResource => r.kind === 'file' && r.path === path);
const unitOf = (resources: Resource[], name: string) => resources.find((r): r is UnitResource => r.kind === 'unit' && r.name === name);
const execStart = (u: UnitResource | undefined) => u?.content.split('\n').find((l) => l.startsWith('ExecStart=')) ?? '';

function build(client: ConsensusClient, providers: string[], extra: Record<string, string> = {}) {
  const result = buildNode({
    inventory: nodeHost({ network: 'mainnet', consensus: `{ client: ${client} }`, checkpoint_sync: `{ providers: [${providers.map((p) => `"${p}"`).join(', ')}] }`, ...extra }),
  });
  expect(heads(result.problems)).toEqual([]);
  const desired = result.desired[0]!;
  const warnings = result.warnings.map((w) => formatProblem(w));
  return { resources: desired.resources, warnings };
}

describe('checkpoint providers with credentials', () => {
  it.each([
    ['teku', 'TEKU_CHECKPOINT_SYNC_URL', '--checkpoint-sync-url'],
    ['lodestar', 'LODESTAR_CHECKPOINT_SYNC_URL', '--checkpointSyncUrl'],
  ] as const)('%s reads the URL from its environment file (%s), 0640 root:<client> and secret; its unit never names it', (client, variable, flag) => {
    for (const providers of [[SECRET, PLAIN], [PLAIN, KEYED]]) {
      const { resources, warnings } = build(client, providers);
      const env = file(resources, `/etc/ethereum/${client}.checkpoint.env`)!;
      expect(env).toMatchObject({ mode: '0640', owner: 'root', group: client, secret: true });
      expect(env.content).toContain(`\n${variable}=${providers[0]}\n`);
      expect(env.content).not.toContain('NODEFORM_CHECKPOINT_ARGS');
      const unit = unitOf(resources, `${client}.service`)!;
      expect(unit.content).not.toContain('s3cret');
      expect(execStart(unit)).not.toContain(flag);
      expect(execStart(unit)).not.toContain('$NODEFORM_CHECKPOINT_ARGS');
      expect(unit.content).toContain(`\nEnvironmentFile=/etc/ethereum/${client}.checkpoint.env\n`);
      for (const r of resources) if (r.kind === 'unit') expect(r.content, r.name).not.toContain('s3cret');
      expect(warnings.join('\n')).not.toContain('command line');
    }
  });

  it('prysm loads the URL from a YAML --config-file, 0640 root:prysm and secret; its unit names only the file', () => {
    for (const [network, keys] of [['mainnet', ['checkpoint-sync-url', 'genesis-beacon-api-url']], ['{ name: ephemery, iteration: 161 }', ['checkpoint-sync-url']]] as const) {
      const { resources, warnings } = build('prysm', [SECRET, PLAIN], { network });
      const yaml = file(resources, '/etc/ethereum/prysm.checkpoint.yaml')!;
      expect(yaml).toMatchObject({ mode: '0640', owner: 'root', group: 'prysm', secret: true });
      expect(yaml.content.split('\n').slice(1)).toEqual([...keys.map((k) => `${k}: ${SECRET}`), '']);
      expect(file(resources, '/etc/ethereum/prysm.checkpoint.env')).toBeUndefined();
      const unit = unitOf(resources, 'prysm.service')!;
      expect(execStart(unit)).toContain(' --config-file=/etc/ethereum/prysm.checkpoint.yaml ');
      expect(execStart(unit)).not.toMatch(/--checkpoint-sync-url|--genesis-beacon-api-url|\$NODEFORM_CHECKPOINT_ARGS/);
      expect(unit.content).not.toContain('EnvironmentFile=/etc/ethereum/prysm.checkpoint');
      for (const r of resources) if (r.kind === 'unit') expect(r.content, r.name).not.toContain('s3cret');
      expect(warnings.join('\n')).not.toContain('command line');
    }
  });

  it.each([
    ['lighthouse', 'lighthouse.service', 'Lighthouse takes the checkpoint URL only on its command line (--checkpoint-sync-url)'],
    ['nimbus', 'nimbus-init.service', "Nimbus' one-shot trustedNodeSync takes the checkpoint URL on its command line (--trusted-node-url)"],
  ] as const)('%s can take the URL only on its command line: the file is still 0640 root:<client> and secret, and the plan warns, pointing at the fleet cache', (client, unit, why) => {
    const { resources, warnings } = build(client, [SECRET, PLAIN]);
    const env = file(resources, `/etc/ethereum/${client}.checkpoint.env`)!;
    expect(env).toMatchObject({ mode: '0640', owner: 'root', group: client, secret: true });
    expect(env.content).toContain(`NODEFORM_CHECKPOINT_ARGS=`);
    expect(execStart(unitOf(resources, unit))).toContain('$NODEFORM_CHECKPOINT_ARGS');
    const warning = warnings.find((w) => w.includes("command line"));
    expect(warning).toContain(`checkpoint_sync.url would put a secret on ${client}'s command line (host lab1): ${why}`);
    expect(warning).toContain('checkpoint_sync.source: fleet-cache');
    expect(warning).not.toContain('s3cret');
  });

  it.each(['lighthouse', 'nimbus'] as const)('%s with the fleet cache: no warning (the client starts from files; the providers only vote)', (client) => {
    const { resources, warnings } = build(client, [SECRET, PLAIN], { cache: '{ enabled: true }', checkpoint_sync: `{ source: fleet-cache, providers: ["${SECRET}", "${PLAIN}"] }` });
    expect(warnings.join('\n')).not.toContain('command line');
    expect(file(resources, `/etc/ethereum/${client}.checkpoint.env`)).toMatchObject({ mode: '0640', group: client, secret: true });
  });

  it.each(['lighthouse', 'prysm', 'teku', 'nimbus', 'lodestar'] as const)('%s: providers without secrets keep the file 0644 root:root, shown, and no warning', (client) => {
    const { resources, warnings } = build(client, [PLAIN, 'https://d.example']);
    expect(file(resources, `/etc/ethereum/${client}.checkpoint.env`)).toMatchObject({ mode: '0644', owner: 'root', group: 'root', secret: false });
    expect(warnings.join('\n')).not.toContain('command line');
  });

  it('extra_args may not set the flag the environment variable or the config file stands for', () => {
    const prysm = buildNode({
      inventory: nodeHost({ network: 'mainnet', consensus: '{ client: prysm, extra_args: ["--config-file=/tmp/x.yaml"] }', checkpoint_sync: `{ providers: ["${SECRET}"] }` }),
    });
    expect(heads(prysm.problems).join('\n')).toContain('--config-file is set by nodeform from checkpoint_sync.url');
    const result = buildNode({
      inventory: nodeHost({ network: 'mainnet', consensus: '{ client: teku, extra_args: ["--checkpoint-sync-url=https://x.example"] }', checkpoint_sync: `{ providers: ["${SECRET}"] }` }),
    });
    expect(heads(result.problems).join('\n')).toContain('--checkpoint-sync-url is set by nodeform from checkpoint_sync.url');
  });
});
