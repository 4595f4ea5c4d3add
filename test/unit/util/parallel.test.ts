import { describe, expect, it } from 'vitest';
import { eachLimited } from '../../../src/util/parallel.js';

/** A promise the test settles by hand, so the order of events is the test's, not the clock's. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('eachLimited', () => {
  it.each([
    [1, 5, 1],
    [3, 10, 3],
    [10, 4, 4],
    [0, 3, 1],
    [2.9, 6, 2],
  ])('limit %s over %i items runs at most %i at once', async (limit, count, expected) => {
    let running = 0;
    let peak = 0;
    const results = await eachLimited(
      Array.from({ length: count }, (_, i) => i),
      limit,
      async (item) => {
        peak = Math.max(peak, ++running);
        await tick();
        running--;
        return item * 10;
      },
    );
    expect(peak).toBe(expected);
    expect(results).toEqual(Array.from({ length: count }, (_, i) => i * 10));
  });

  it('keeps the input order when items finish in another order, and passes each index', async () => {
    const gates = [gate(), gate(), gate()];
    const seen: [string, number][] = [];
    const all = eachLimited(['a', 'b', 'c'], 3, async (item, index) => {
      seen.push([item, index]);
      await gates[index]!.promise;
      return item.toUpperCase();
    });
    await tick();
    for (const i of [2, 0, 1]) {
      gates[i]!.open();
      await tick();
    }
    expect(await all).toEqual(['A', 'B', 'C']);
    expect(seen).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
  });

  it('starts the next item as soon as one finishes, not when a whole batch does', async () => {
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const all = eachLimited([0, 1, 2], 2, async (i) => {
      started.push(i);
      await gates[i]!.promise;
      return i;
    });
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    expect(await all).toEqual([0, 1, 2]);
  });

  it("rejects with the failing item's error and starts no item after it", async () => {
    const first = gate();
    const started: number[] = [];
    const all = eachLimited([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      if (i === 0) await first.promise;
      if (i === 1) throw new Error('item 1 broke');
      return i;
    });
    await expect(all).rejects.toThrow('item 1 broke');
    // The item still running when the call failed ends without taking the next one.
    first.open();
    await tick();
    expect(started).toEqual([0, 1]);
  });

  it('gives each item its own outcome when fn catches, the others unaffected', async () => {
    const results = await eachLimited(['a', 'b', 'c'], 2, async (item) => {
      try {
        if (item === 'b') throw new Error('b broke');
        return { item, ok: true };
      } catch (err) {
        return { item, ok: false, error: (err as Error).message };
      }
    });
    expect(results).toEqual([
      { item: 'a', ok: true },
      { item: 'b', ok: false, error: 'b broke' },
      { item: 'c', ok: true },
    ]);
  });

  it('handles no items', async () => {
    let calls = 0;
    expect(await eachLimited([], 5, async () => ++calls)).toEqual([]);
    expect(calls).toBe(0);
  });
});
