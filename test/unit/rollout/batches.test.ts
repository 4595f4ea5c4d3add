import { describe, expect, it } from 'vitest';
import { allowedFailures, batchSize, mayStartBatch, parseSerial, parseShard, parseSize, planBatches, shardHosts } from '../../../src/rollout/batches.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const sizes = (batches: string[][]) => batches.map((batch) => batch.length);

describe('--serial and --canary', () => {
  it.each([
    ['no serial: one batch', 6, undefined, undefined, [6]],
    ['serial 2', 6, '2', undefined, [2, 2, 2]],
    ['serial 4 leaves a short last batch', 6, '4', undefined, [4, 2]],
    ["Ansible's list: 1, 5, then 20% repeating", 20, '1,5,20%', undefined, [1, 5, 4, 4, 4, 2]],
    ['a percentage rounds down', 6, '50%', undefined, [3, 3]],
    ['a percentage never rounds to nothing', 3, '10%', undefined, [1, 1, 1]],
    ['canary 1 then serial 2', 6, '2', '1', [1, 2, 2, 1]],
    ['canary alone, the rest at once', 6, undefined, '1', [1, 5]],
    ['canary larger than the fleet', 2, '1', '5', [2]],
    ['a canary percentage', 10, '3', '20%', [2, 3, 3, 2]],
  ])('%s', (_name, count, serial, canary, expected) => {
    const parsedSerial = serial !== undefined ? parseSerial(serial) : undefined;
    const parsedCanary = canary !== undefined ? parseSize(canary, '--canary', false) : undefined;
    if ((parsedSerial && 'problem' in parsedSerial) || (parsedCanary && 'problem' in parsedCanary)) throw new Error('bad spec');
    const batches = planBatches(hosts(count), { ...(parsedSerial ? { serial: parsedSerial } : {}), ...(parsedCanary ? { canary: parsedCanary } : {}) });
    expect(sizes(batches)).toEqual(expected);
    expect(batches.flat()).toEqual(hosts(count));
  });

  it('refuses sizes that cannot be', () => {
    expect(parseSerial('0')).toEqual({ problem: '--serial 0: a batch needs at least one host' });
    expect(parseSerial('2,x')).toEqual({ problem: '--serial "x": give a number of hosts (e.g. 2) or a percentage (e.g. 20%)' });
    expect(parseSerial('150%')).toEqual({ problem: '--serial 150%: a percentage from 1% to 100%' });
    expect(parseSize('-1', '--canary', false)).toHaveProperty('problem');
    expect(batchSize({ count: 3 }, 100)).toBe(3);
  });
});

describe('--max-fail over the whole run, checked before each batch', () => {
  it.each([
    ['0: any failure stops', '0', 6, [0, 1], [true, false]],
    ['1 host', '1', 6, [1, 2], [true, false]],
    ['50% of 6 is 3', '50%', 6, [3, 4], [true, false]],
    ['50% of 5 rounds down to 2', '50%', 5, [2, 3], [true, false]],
    ['100%: a whole failing batch never stops the run', '100%', 6, [2, 6], [true, true]],
    ['0%', '0%', 6, [0, 1], [true, false]],
  ])('%s', (_name, limit, total, failedCounts, expected) => {
    const parsed = parseSize(limit, '--max-fail', true);
    if ('problem' in parsed) throw new Error(parsed.problem);
    const allowed = allowedFailures(parsed, total);
    expect(failedCounts.map((failed) => mayStartBatch(failed, allowed))).toEqual(expected);
  });

  it('without --max-fail the run goes on whatever fails', () => {
    expect(mayStartBatch(6, allowedFailures(undefined, 6))).toBe(true);
  });
});

describe('--shard I/N', () => {
  it('puts every host in exactly one shard, sizes within one, by name not by order', () => {
    const fleet = ['node-c', 'node-a', 'node-f', 'node-b', 'node-e', 'node-d', 'node-g'];
    const shards = [1, 2, 3].map((index) => shardHosts(fleet, { index, count: 3 }));
    expect(shards.flat().sort()).toEqual([...fleet].sort());
    expect(shards.map((s) => s.length).sort()).toEqual([2, 2, 3]);
    // Inventory order is kept within a shard; a shuffled inventory gives each shard the same hosts.
    expect(shards[0]).toEqual(['node-a', 'node-d', 'node-g']);
    const shuffled = [...fleet].reverse();
    expect(shardHosts(shuffled, { index: 1, count: 3 }).sort()).toEqual([...shards[0]!].sort());
  });

  it('parses I/N and refuses the rest', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) expect(parseShard(bad)).toHaveProperty('problem');
  });
});
