// Strategies: the defaults, a strategies file (its problems at their place), the overlay merged into a host's values.
import { describe, expect, it } from 'vitest';
import { availableStrategies, chooseStrategies, DEFAULT_STRATEGIES, mergeOverlay, overlayVars, parseStrategiesFile } from '../../../src/bench/strategies.js';
import { formatProblem } from '../../../src/errors.js';

describe('mergeOverlay and overlayVars', () => {
  it('merges mappings key by key and replaces lists and scalars', () => {
    expect(mergeOverlay({ enabled: true, providers: ['http://a', 'http://b'], backoff: { min_seconds: 1, max_seconds: 2 } }, { enabled: false, providers: ['http://c'], backoff: { max_seconds: 9 } })).toEqual({
      enabled: false,
      providers: ['http://c'],
      backoff: { min_seconds: 1, max_seconds: 9 },
    });
    expect(mergeOverlay(undefined, { a: 1 })).toEqual({ a: 1 });
    expect(mergeOverlay({ a: 1 }, 5)).toBe(5);
  });

  it('gives the -e variables of a host: only the variables the overlay names, each merged into the host\'s own value', () => {
    const host = { checkpoint_sync: { providers: ['http://p1'], source: 'fleet-cache' }, cache: { directory: '/srv/cache' }, consensus: { client: 'lodestar' } };
    const baseline = DEFAULT_STRATEGIES.find((s) => s.name === 'baseline')!;
    expect(overlayVars(baseline, host)).toEqual({ checkpoint_sync: { providers: ['http://p1'], source: 'fleet-cache', enabled: false } });
    const combined = DEFAULT_STRATEGIES.find((s) => s.name === 'combined')!;
    const vars = overlayVars(combined, host);
    expect(Object.keys(vars).sort()).toEqual(['cache', 'checkpoint_sync', 'network_tuning']);
    // The host's cache directory stays; the tuned sizes are added.
    expect(vars.cache).toMatchObject({ directory: '/srv/cache', execution_cache_mb: 4096, lighthouse: { state_cache_size: 256 } });
    // The host's own value is not changed.
    expect(host.checkpoint_sync).toEqual({ providers: ['http://p1'], source: 'fleet-cache' });
  });
});

describe('the defaults', () => {
  it('are the six the issue names, baseline syncing from genesis', () => {
    expect(DEFAULT_STRATEGIES.map((s) => s.name)).toEqual(['baseline', 'checkpoint-provider', 'checkpoint-fleet-cache', 'cache-tuned', 'network-tuned', 'combined']);
    expect(DEFAULT_STRATEGIES.find((s) => s.name === 'baseline')!.vars).toEqual({ checkpoint_sync: { enabled: false } });
    expect(DEFAULT_STRATEGIES.find((s) => s.name === 'checkpoint-fleet-cache')!.vars).toEqual({ checkpoint_sync: { enabled: true, source: 'fleet-cache' } });
  });
});

describe('parseStrategiesFile', () => {
  const parse = (text: string) => parseStrategiesFile({ file: 'strategies.yaml', text });

  it('reads strategies with their place, and a file strategy replaces a default of the same name', () => {
    const { strategies, problems } = parse(`strategies:
  few-peers:
    description: fewer peers
    vars:
      network_tuning: { peers_cl: 10 }
  baseline:
    vars:
      checkpoint_sync: { enabled: false }
      network_tuning: { peers_cl: 30 }
`);
    expect(problems).toEqual([]);
    expect(strategies.map((s) => [s.name, s.origin])).toEqual([
      ['few-peers', 'strategies.yaml:3:5'],
      ['baseline', 'strategies.yaml:7:5'],
    ]);
    const all = availableStrategies(strategies);
    expect(all.map((s) => s.name)).toEqual(['baseline', 'checkpoint-provider', 'checkpoint-fleet-cache', 'cache-tuned', 'network-tuned', 'combined', 'few-peers']);
    expect(all[0]!.vars).toEqual({ checkpoint_sync: { enabled: false }, network_tuning: { peers_cl: 30 } });
  });

  it('checks vars against the inventory schema, each problem at its line and field', () => {
    const { strategies, problems } = parse(`strategies:
  typo:
    vars:
      checkpoint_sync: { enabled: false, sorce: provider }
  bad-peers:
    vars:
      network_tuning: { peers_cl: many }
`);
    expect(strategies).toEqual([]);
    const text = problems.map(formatProblem).join('\n');
    expect(problems.map((p) => [p.position.line, p.field])).toEqual([
      [4, 'strategies.typo.vars.checkpoint_sync.sorce'],
      [7, 'strategies.bad-peers.vars.network_tuning.peers_cl'],
    ]);
    expect(text).toContain('strategies.yaml:4:');
  });

  it('names what is wrong with the shape: no strategies, a bad name, no vars, an unknown key', () => {
    expect(parse('- a\n').problems[0]!.message).toContain('a strategies file is a mapping with `strategies:`');
    const { problems } = parse(`strategies:
  Bad_Name:
    vars: { cache: { enabled: true } }
  empty:
    description: nothing
  extra:
    vars: { cache: { enabled: true } }
    runs: 3
other: 1
`);
    expect(problems.map((p) => `${p.position.line}:${p.field}: ${p.message}`)).toEqual([
      '9:other: unknown key "other": a strategies file has only `strategies:`',
      "2:strategies.Bad_Name: strategy name \"Bad_Name\": use lower-case letters, digits and '-' (it names files and report rows)",
      '4:strategies.empty: needs `vars:`, a mapping of node variables such as `checkpoint_sync: { enabled: false }`',
      '8:strategies.extra.runs: unknown key "runs": a strategy has `description:` and `vars:`',
    ]);
  });

  it('reports a YAML syntax error at its place', () => {
    const { problems } = parse('strategies:\n  a:\n\tvars: {}\n');
    expect(problems[0]!.position).toMatchObject({ file: 'strategies.yaml', line: 3 });
  });
});

describe('chooseStrategies', () => {
  it('keeps the order given and refuses an unknown name, listing the known ones', () => {
    expect((chooseStrategies(['combined', 'baseline', 'combined'], DEFAULT_STRATEGIES) as { name: string }[]).map((s) => s.name)).toEqual(['combined', 'baseline']);
    expect(chooseStrategies(['fastest'], DEFAULT_STRATEGIES)).toEqual({
      error: 'unknown strategy "fastest"; known: baseline, checkpoint-provider, checkpoint-fleet-cache, cache-tuned, network-tuned, combined (add your own with --strategies-file)',
    });
  });
});
