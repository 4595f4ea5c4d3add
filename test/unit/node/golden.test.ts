// A full node per client pair, on Ephemery and on mainnet, from inventory to resources: every unit
// and file as the host will get it, in one readable golden file per pair and network
// (test/unit/node/golden/<cl>-<el>-<network>.txt). UPDATE_GOLDEN=1 rewrites them; review the diff.
import { formatProblem } from '../../../src/errors.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../../src/model/types.js';
import { buildNode, heads } from './helpers.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

// Every client appears at least once.
const PAIRS = [
  ['lighthouse', 'geth'],
  ['prysm', 'nethermind'],
  ['teku', 'besu'],
  ['nimbus', 'erigon'],
  ['lodestar', 'geth'],
] as const;

const NETWORKS = {
  ephemery: '{ name: ephemery, iteration: 161 }',
  mainnet: 'mainnet',
} as const;

// One harmless flag of each consensus client, to show where extra_args land.
const EXTRA: Record<(typeof PAIRS)[number][0], string> = {
  lighthouse: '--disable-upnp',
  prysm: '--verbosity=info',
  teku: '--logging=INFO',
  nimbus: '--log-level=INFO',
  lodestar: '--logLevel=info',
};

function inventory(cl: (typeof PAIRS)[number][0], el: string, network: string): string {
  return `all:
  hosts:
    node-1:
      network: ${network}
      consensus: { client: ${cl}, extra_args: [${EXTRA[cl]}] }
      execution: { client: ${el}, peers: 40 }
      checkpoint_sync: { backfill: true }
      cache: { execution_cache_mb: 2048 }
      network_tuning: { peers_cl: 80 }
      monitoring: { metrics: true }
`;
}

function describeResource(resource: Resource): string[] {
  const tags = `tags: ${resource.tags.join(', ')}`;
  switch (resource.kind) {
    case 'user':
      return [`== user ${resource.name} (group ${resource.group}; groups ${resource.groups.join(', ')}; home ${resource.home}; shell ${resource.shell}; ${resource.system ? 'system' : 'login'}; ${tags})`];
    case 'directory':
      return [`== directory ${resource.path} (${resource.owner}:${resource.group} ${resource.mode}; ${tags})`];
    case 'file': {
      const head = `== file ${resource.path} (${resource.owner}:${resource.group} ${resource.mode}${resource.secret ? '; secret' : ''}${resource.generate ? `; made on the host: ${resource.generate}` : ''}; ${tags})`;
      if (resource.generate || resource.encoding === 'base64') return [head];
      return [head, ...resource.content.replace(/\n$/, '').split('\n').map((line) => `   | ${line}`)];
    }
    case 'binary':
      return [`== binary ${resource.path} (${resource.name} ${resource.minVersion} or newer, flags checked against ${resource.targetVersion}; ${tags})`];
    case 'wipe':
      return [`== wipe ${resource.name} (when ${resource.trigger ?? 'reset --wipe-data'} asks: stop ${resource.stopUnits.join(', ')}; remove ${resource.paths.join(', ')}; ${tags})`];
    case 'unit':
      if (resource.stateOnly) {
        const state = [resource.enabled === undefined ? '' : resource.enabled ? 'enabled' : 'not enabled', resource.active === undefined ? '' : resource.active ? 'active' : 'inactive'];
        return [`== unit ${resource.name} (state only, where the host has it: ${state.filter(Boolean).join(', ')}; ${tags})`];
      }
      return [
        `== unit ${resource.name} (${resource.enabled ? 'enabled' : 'not enabled'}, ${resource.active ? 'active' : 'inactive'}; restart on: ${resource.restartOn.join(', ') || 'nothing'}; ${tags})`,
        ...resource.content.replace(/\n$/, '').split('\n').map((line) => `   | ${line}`),
      ];
  }
}

function expectGolden(name: string, text: string): void {
  const path = join(GOLDEN_DIR, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, text);
    return;
  }
  if (!existsSync(path)) throw new Error(`golden file ${path} is missing: run UPDATE_GOLDEN=1 npx vitest run test/unit/node and review it`);
  expect(text, `node resources differ from ${path} (UPDATE_GOLDEN=1 rewrites it; review the diff)`).toBe(readFileSync(path, 'utf8'));
}

describe('a full node per client pair', () => {
  const cases = PAIRS.flatMap(([cl, el]) => (Object.keys(NETWORKS) as (keyof typeof NETWORKS)[]).map((network) => [cl, el, network] as const));
  it.each(cases)('%s + %s on %s', (cl, el, network) => {
    const result = buildNode({ inventory: inventory(cl, el, NETWORKS[network]) });
    expect(heads(result.problems)).toEqual([]);
    const [node] = result.desired;
    const lines = [
      `# ${cl} + ${el} on ${network}: the resources of one ethereum_node host (test/unit/node/golden.test.ts)`,
      '# warnings:',
      ...(result.warnings.length ? result.warnings.map((w) => `#   ${formatProblem(w)}`) : ['#   (none)']),
      ...node!.resources.flatMap(describeResource),
    ];
    expectGolden(`${cl}-${el}-${network}`, `${lines.join('\n')}\n`);
  });
});
