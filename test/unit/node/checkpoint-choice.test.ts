// The provider choice inside a node play: which providers the loader must probe, the choice rendered into
// the consensus client's checkpoint file, the on-host fallback's config, the notes the plan shows, and the
// hold when the providers do not agree.
import { describe, expect, it } from 'vitest';
import type { FileResource, Resource } from '../../../src/model/types.js';
import { FALLBACK_CONFIG, FALLBACK_SERVICE, FALLBACK_TIMER } from '../../../src/node/checkpoint-fallback.js';
import { GENESIS_VALIDATORS_ROOTS } from '../../../src/node/defaults.js';
import { planHost } from '../../../src/plan/compute.js';
import type { ProviderResult } from '../../../src/node/quorum.js';
import { emptyFacts } from '../helpers.js';
import { buildNode, heads, nodeHost, nodeNeedsOf } from './helpers.js';

const MAINNET = GENESIS_VALIDATORS_ROOTS.mainnet;
const R = (byte: string) => `0x${byte.repeat(32)}`;
const A = 'https://a.example';
const B = 'https://b.example';
const C = 'https://c.example';

function answered(url: string, over: Partial<ProviderResult> = {}): ProviderResult {
  return { url, ok: true, latencyMs: 40, servesStates: true, genesis: { time: '1606824023', validatorsRoot: MAINNET }, finalized: { epoch: 300000, root: R('f1') }, ...over };
}

const node = (providers: string[], extra: Record<string, string> = {}) =>
  nodeHost({ network: 'mainnet', checkpoint_sync: `{ providers: [${providers.join(', ')}] }`, ...extra });

const fileText = (resources: Resource[], path: string) => {
  const r = resources.find((x): x is FileResource => x.kind === 'file' && x.path === path);
  return r?.content;
};

describe('checkpoint provider choice in a node play', () => {
  it('the needs ask to probe exactly the host\'s providers (with its tuning); without answers no choice is made', () => {
    const needs = nodeNeedsOf({ inventory: node([A, B]) });
    expect(needs.providers.map((p) => p.url)).toEqual([A, B]);
    expect(needs.providers[0]!.tuning.maxConcurrentRequests).toBe(8);
    const result = buildNode({ inventory: node([A, B]) });
    expect(heads(result.problems)).toEqual([]);
    expect(result.desired[0]!.checkpoint).toBeUndefined();
  });

  it('all agree: the first declared is chosen, the others are the fallback\'s alternatives', () => {
    const result = buildNode({ inventory: node([A, B, C]), providers: { [A]: answered(A), [B]: answered(B), [C]: answered(C) } });
    const d = result.desired[0]!;
    expect(fileText(d.resources, '/etc/ethereum/lighthouse.checkpoint.env')).toContain(`NODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url ${A}\n`);
    expect(d.checkpoint).toMatchObject({ quorum: true, chosen: A, alternatives: [B, C], checkpoint: { epoch: 300000, root: R('f1') } });
    const conf = fileText(d.resources, FALLBACK_CONFIG)!;
    expect(conf).toContain(`PROVIDER_1=${A}\nPROVIDER_2=${B}\nPROVIDER_3=${C}\n`);
    expect(conf).toContain(`QUORUM_EPOCH=300000\nQUORUM_ROOT=${R('f1')}\n`);
    expect(conf).toContain(`GENESIS_VALIDATORS_ROOT=${MAINNET}\n`);
    expect(d.resources.map((r) => r.id)).toEqual(expect.arrayContaining([`unit:${FALLBACK_SERVICE}`, `unit:${FALLBACK_TIMER}`]));
    expect(d.notes?.[0]).toMatch(/^checkpoint: https:\/\/a\.example \(finalized epoch 300000 .*3 of 3 answering providers agree/);
    expect(d.resources.some((r) => r.held)).toBe(false);
  });

  it('a provider on another genesis, a liar and a dead one are passed over, each with its reason in the notes', () => {
    const D = 'https://d.example';
    const E = 'https://e.example';
    const providers = {
      [A]: answered(A, { genesis: { time: '1', validatorsRoot: R('b2') } }),
      [B]: answered(B, { finalized: { epoch: 300000, root: R('dd') } }),
      [C]: { url: C, ok: false, latencyMs: 3000, servesStates: false, error: 'finality_checkpoints: ECONNREFUSED' },
      [D]: answered(D),
      [E]: answered(E),
    };
    const d = buildNode({ inventory: node([A, B, C, D, E], { checkpoint_sync: `{ providers: [${[A, B, C, D, E].join(', ')}], quorum: 0.6 }` }), providers }).desired[0]!;
    expect(d.checkpoint).toMatchObject({ chosen: D, alternatives: [E] });
    expect(d.notes).toEqual([
      expect.stringMatching(/^checkpoint: https:\/\/d\.example/),
      expect.stringMatching(/^checkpoint provider https:\/\/a\.example rejected: genesis validators root 0xb2b2.* is not the network's/),
      expect.stringMatching(/^checkpoint provider https:\/\/b\.example rejected: finalized root 0xdddd.* differs from the quorum's/),
      expect.stringMatching(/^checkpoint provider https:\/\/c\.example rejected: finality_checkpoints: ECONNREFUSED/),
    ]);
  });

  it('no quorum: the checkpoint file, the consensus units and the fallback are held; the rest of the node goes ahead', () => {
    const providers = { [A]: answered(A), [B]: answered(B, { finalized: { epoch: 300000, root: R('dd') } }) };
    const d = buildNode({ inventory: node([A, B]), providers }).desired[0]!;
    const held = d.resources.filter((r) => r.held).map((r) => r.id);
    expect(held).toEqual(
      expect.arrayContaining(['file:/etc/ethereum/lighthouse.checkpoint.env', 'unit:lighthouse.service', `file:${FALLBACK_CONFIG}`, `unit:${FALLBACK_TIMER}`]),
    );
    expect(held).not.toContain('unit:geth.service');
    expect(d.resources.find((r) => r.held)!.held).toMatch(/^no trusted checkpoint: 1 of 2 answering providers agree/);
    const plan = planHost(d, emptyFacts(), { removeUndeclared: true });
    expect(plan.changes.map((c) => c.target)).toContain('geth.service');
    expect(plan.changes.map((c) => c.target)).not.toContain('lighthouse.service');
    expect(plan.changes.map((c) => c.target)).not.toContain('/etc/ethereum/lighthouse.checkpoint.env');
    expect(plan.held?.length).toBe(held.length);
    expect(plan.notes).toContain('held: lighthouse and its checkpoint files are left as they are until the providers agree');
  });

  it('one provider alone is its own quorum, with no fallback to install', () => {
    const d = buildNode({ inventory: node([A]), providers: { [A]: answered(A) } }).desired[0]!;
    expect(d.checkpoint).toMatchObject({ chosen: A, alternatives: [] });
    expect(d.resources.some((r) => r.id === `unit:${FALLBACK_TIMER}`)).toBe(false);
  });

  it('fallback: false installs no fallback; a state file needs no provider at all', () => {
    const all = { [A]: answered(A), [B]: answered(B) };
    const off = buildNode({ inventory: node([A, B], { checkpoint_sync: `{ providers: [${A}, ${B}], fallback: false }` }), providers: all }).desired[0]!;
    expect(off.resources.some((r) => r.id === `unit:${FALLBACK_TIMER}`)).toBe(false);
    const fromFile = nodeNeedsOf({ inventory: node([A], { checkpoint_sync: '{ state_file: /var/cache/state.ssz, block_file: /var/cache/block.ssz }' }) });
    expect(fromFile.providers).toEqual([]);
  });
});

describe('provider URLs that carry secrets', () => {
  const KEYED = 'https://user:hunter2@keyed.example/beacon?apikey=s3cr3t';
  it('are redacted in the plan\'s notes and decision, and the files naming them are secret (read back only to compare)', () => {
    const providers = { [KEYED]: answered(KEYED), [B]: answered(B, { genesis: { time: '1', validatorsRoot: R('b2') } }), [C]: answered(C) };
    const d = buildNode({ inventory: node([`'${KEYED}'`, B, C]), providers }).desired[0]!;
    const shown = JSON.stringify({ notes: d.notes, checkpoint: d.checkpoint });
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('s3cr3t');
    expect(d.checkpoint?.chosen).toBe('https://***@keyed.example/beacon?***');
    const env = d.resources.find((r): r is FileResource => r.kind === 'file' && r.path === '/etc/ethereum/lighthouse.checkpoint.env')!;
    const conf = d.resources.find((r): r is FileResource => r.kind === 'file' && r.path === FALLBACK_CONFIG)!;
    expect([env.secret, conf.secret]).toEqual([true, true]);
    expect(env.content).toContain(KEYED);
    const plan = planHost(d, emptyFacts(), { removeUndeclared: true });
    expect(JSON.stringify(plan)).not.toMatch(/hunter2|s3cr3t/);
  });
});
