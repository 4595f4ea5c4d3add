// --tags decide whether a node play is built (and fetched for) at all, from the tag sets its resources can
// carry: every resource of a full node must carry one of them, or a --tags run would drop it silently.
import { describe, expect, it } from 'vitest';
import { isSelectedByTags } from '../../../src/inventory/tags.js';
import { NODE_TAG_SETS } from '../../../src/node/play.js';
import type { ProviderResult } from '../../../src/node/quorum.js';
import { GENESIS_VALIDATORS_ROOTS } from '../../../src/node/defaults.js';
import { buildNode, heads, nodeHost } from './helpers.js';

const A = 'https://a.example';
const B = 'https://b.example';
const answered = (url: string): ProviderResult => ({
  url,
  ok: true,
  latencyMs: 10,
  servesStates: true,
  genesis: { time: '1606824023', validatorsRoot: GENESIS_VALIDATORS_ROOTS.mainnet },
  finalized: { epoch: 300000, root: `0x${'f1'.repeat(32)}` },
});

describe('the tags of a node play', () => {
  it.each([
    ['providers with the fallback', `{ providers: [${A}, ${B}] }`, []],
    // Without the fallback, the monitor alone has the directories the two share.
    ['the fleet cache', `{ providers: [${A}, ${B}], source: fleet-cache }`, [['checkpoint', 'monitoring']]],
  ])('every resource of a mainnet node with %s carries play tags + node + one of NODE_TAG_SETS', (_name, checkpoint, unused) => {
    const result = buildNode({
      inventory: nodeHost({ network: 'mainnet', checkpoint_sync: checkpoint, cache: '{ execution_cache_mb: 1024 }', network_tuning: '{ peers_el: 30 }' }),
      playbook: '- hosts: all\n  tags: [eth]\n  ethereum_node: true\n',
      providers: { [A]: answered(A), [B]: answered(B) },
    });
    expect(heads(result.problems)).toEqual([]);
    const sets = new Set(NODE_TAG_SETS.map((extra) => JSON.stringify([...new Set(['eth', 'node', ...extra])].sort())));
    const resources = result.desired[0]!.resources;
    expect(resources.length).toBeGreaterThan(10);
    for (const resource of resources) expect(sets, resource.id).toContain(JSON.stringify([...resource.tags].sort()));
    // Each tag set is in use, so each selects something.
    const notUsed = new Set(unused.map((extra) => JSON.stringify([...new Set(['eth', 'node', ...extra])].sort())));
    expect(new Set(resources.map((r) => JSON.stringify([...r.tags].sort())))).toEqual(new Set([...sets].filter((set) => !notUsed.has(set))));
  });

  it.each([
    [['cache'], [], true],
    [['checkpoint'], [], true],
    [['eth'], [], true],
    [['other'], [], false],
    [[], ['node'], false],
    [[], ['eth'], false],
    [[], ['cache'], true],
  ])('--tags %j --skip-tags %j selects part of the play: %s', (tags, skipTags, selected) => {
    const any = NODE_TAG_SETS.some((extra) => isSelectedByTags(['eth', 'node', ...extra], { tags, skipTags }));
    expect(any).toBe(selected);
  });
});
