// The launcher compiles the single-file build with V8's code cache: written after a run, used by the next,
// refused and rewritten when it does not fit, never used for a rebuilt file. Each load is its own process, as
// each CLI run is: within one process V8's in-memory compilation cache would answer instead of the file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheLabel, loadCompiled } from '../../../src/cli/launch.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const launch = fileURLToPath(new URL('../../../src/cli/launch.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'nodeform-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cacheDir = join(dir, 'cache');
const file = join(dir, 'bundle.cjs');
const source = (n: number): string =>
  `const path = require('node:path');\nfunction work(x) { return x * ${n}; }\nmodule.exports = { answer: work(6), base: path.basename(__filename), dir: __dirname };\n`;

/** A fresh process loads the file, reports, and saves the cache when `save`. */
function load(save = true, { into = cacheDir, fullGcs = 0 } = {}): { cache: string; answer: number; exports: unknown } {
  const script = `
    const { loadCompiled } = await import(${JSON.stringify(launch)});
    const compiled = loadCompiled(${JSON.stringify(file)}, ${JSON.stringify(into)}, 'plan');
    for (let i = 0; i < ${fullGcs}; i++) globalThis.gc();
    ${save ? 'compiled.saveCache();' : ''}
    console.log(JSON.stringify({ cache: compiled.cache, answer: compiled.exports.answer, exports: compiled.exports }));`;
  // --stress-flush-code: V8 drops the bytecode of every function not run since the last full GC (not after several).
  const gcFlags = fullGcs > 0 ? ['--expose-gc', '--stress-flush-code'] : [];
  const out = execFileSync(process.execPath, [...gcFlags, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
  return JSON.parse(out) as { cache: string; answer: number; exports: unknown };
}
const caches = (): string[] => readdirSync(cacheDir).filter((n) => n.endsWith('.v8'));

describe('loadCompiled', () => {
  it('runs the file as CommonJS, then compiles the next run from the cache it saved', () => {
    writeFileSync(file, source(7));
    const first = load();
    expect(first.answer).toBe(42);
    expect(first.exports).toMatchObject({ base: 'bundle.cjs', dir });
    expect(first.cache).toBe('none');
    expect(caches()).toHaveLength(1);
    const second = load();
    expect(second.cache).toBe('used');
    expect(second.answer).toBe(42);
  });

  it('rewrites a cache V8 refuses', () => {
    const [name] = caches();
    writeFileSync(join(cacheDir, name!), Buffer.from('not a code cache'));
    const refused = load();
    expect(refused.cache).toBe('rejected');
    expect(refused.answer).toBe(42);
    expect(load().cache).toBe('used');
  });

  it('never uses the cache of a rebuilt file, even one of the same length, and drops the stale cache', () => {
    const before = caches();
    writeFileSync(file, source(8)); // same length: V8's own check would accept the old cache
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const rebuilt = load();
    expect(rebuilt.cache).toBe('none');
    expect(rebuilt.answer).toBe(48);
    expect(caches()).toHaveLength(1);
    expect(caches()).not.toEqual(before);
  });

  it('saves the code the load ran even after full GCs, which would have dropped it', () => {
    // Functions run once at the start, as a CLI's start-up code is, then a long run's full GCs.
    writeFileSync(file, `${Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x + ${i}; }\nf${i}(1);\n`).join('')}module.exports = { answer: 42 };\n`);
    const size = (into: string): number => statSync(join(into, readdirSync(into).find((n) => n.endsWith('.v8'))!)).size;
    const fresh = join(dir, 'fresh');
    const afterGcs = join(dir, 'after-gcs');
    expect(load(true, { into: fresh }).cache).toBe('none');
    expect(load(true, { into: afterGcs, fullGcs: 3 }).cache).toBe('none');
    expect(size(afterGcs)).toBeGreaterThan(size(fresh) * 0.9);
  });

  it('keeps working when the cache cannot be written', () => {
    const compiled = loadCompiled(file, join(file, 'not-a-dir'), 'plan');
    expect(() => compiled.saveCache()).not.toThrow();
    expect(loadCompiled(file, undefined, 'plan').cache).toBe('none');
  });
});

describe('cacheLabel', () => {
  it('is the command, or "other"', () => {
    expect(cacheLabel(['plan', '-i', 'inv.yaml'])).toBe('plan');
    expect(cacheLabel(['apply', '--yes'])).toBe('apply');
    expect(cacheLabel(['--json'])).toBe('other');
    expect(cacheLabel(['../x'])).toBe('other');
  });
});
