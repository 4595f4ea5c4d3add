// The pure side of checkpoint providers: the cross-check (checkpointq's more-than-2/3 rule), the choice
// of provider, and the pure parts of the probe (root normalising, answer parsing, genesis comparison, backoff).
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, genesisMatches, parseFinality, parseGenesis } from '../../../src/fetch/probe.js';
import { chooseProvider, crossCheck, normaliseRoot, type ProviderResult, type VerdictStatus } from '../../../src/node/quorum.js';

const R = (byte: string) => `0x${byte.repeat(32)}`;
const GOOD = R('f1');
const OTHER = R('dd');

/** A provider that answered: `p('a')` agrees on epoch 100 GOOD; overrides change what it said. */
function p(name: string, over: Partial<ProviderResult> & { root?: string; epoch?: number } = {}): ProviderResult {
  const { root = GOOD, epoch = 100, ...rest } = over;
  return {
    url: `https://${name}.example`,
    ok: true,
    latencyMs: 50,
    genesis: { time: '1720000000', validatorsRoot: R('a1') },
    genesisMatches: true,
    finalized: { epoch, root },
    servesStates: true,
    ...rest,
  };
}
const dead = (name: string): ProviderResult => ({ url: `https://${name}.example`, ok: false, latencyMs: 3000, servesStates: false, error: 'finality_checkpoints: ECONNREFUSED' });
const stale = (name: string) => p(name, { genesisMatches: false, genesis: { time: '1717580800', validatorsRoot: R('b2') }, epoch: 7000, root: R('e2') });

interface Case {
  name: string;
  results: ProviderResult[];
  threshold?: number;
  minAgreeing?: number;
  quorum: boolean;
  checkpoint?: { epoch: number; root: string };
  voters: number;
  agreeing: number;
  statuses: VerdictStatus[];
  reason?: RegExp;
  chosen?: string | null;
  alternatives?: string[];
}

const cases: Case[] = [
  {
    name: 'all agree',
    results: [p('a'), p('b'), p('c')],
    quorum: true,
    checkpoint: { epoch: 100, root: GOOD },
    voters: 3,
    agreeing: 3,
    statuses: ['agrees', 'agrees', 'agrees'],
    chosen: 'https://a.example',
    alternatives: ['https://b.example', 'https://c.example'],
  },
  {
    name: '2 of 3 is exactly 2/3: NOT more than 2/3, no quorum',
    results: [p('a'), p('b'), p('c', { root: OTHER })],
    quorum: false,
    voters: 3,
    agreeing: 2,
    statuses: ['undecided', 'undecided', 'undecided'],
    reason: /2 of 3 answering providers agree.*more than 66\.7% must agree/,
    chosen: null,
  },
  {
    name: '4 of 6 is exactly 2/3 too',
    results: [p('a'), p('b'), p('c'), p('d'), p('e', { root: OTHER }), p('f', { root: R('ee') })],
    quorum: false,
    voters: 6,
    agreeing: 4,
    statuses: ['undecided', 'undecided', 'undecided', 'undecided', 'undecided', 'undecided'],
    chosen: null,
  },
  {
    name: '3 of 4 is more than 2/3: the liar is marked',
    results: [p('a'), p('b', { root: OTHER }), p('c'), p('d')],
    quorum: true,
    checkpoint: { epoch: 100, root: GOOD },
    voters: 4,
    agreeing: 3,
    statuses: ['agrees', 'dissents', 'agrees', 'agrees'],
    chosen: 'https://a.example',
  },
  {
    name: '2 of 3 with a 1/2 threshold',
    results: [p('a'), p('b'), p('c', { root: OTHER })],
    threshold: 1 / 2,
    quorum: true,
    checkpoint: { epoch: 100, root: GOOD },
    voters: 3,
    agreeing: 2,
    statuses: ['agrees', 'agrees', 'dissents'],
  },
  {
    name: 'stale genesis excluded from the vote (a previous Ephemery iteration)',
    results: [p('a'), p('b'), stale('c')],
    quorum: true,
    checkpoint: { epoch: 100, root: GOOD },
    voters: 2,
    agreeing: 2,
    statuses: ['agrees', 'agrees', 'wrong-genesis'],
    chosen: 'https://a.example',
    alternatives: ['https://b.example'],
  },
  {
    name: 'stale providers never win, even as the majority',
    results: [stale('a'), stale('b'), p('c')],
    quorum: true,
    checkpoint: { epoch: 100, root: GOOD },
    voters: 1,
    agreeing: 1,
    statuses: ['wrong-genesis', 'wrong-genesis', 'agrees'],
    chosen: 'https://c.example',
    alternatives: [],
  },
  {
    name: 'lying root excluded',
    results: [p('a'), p('liar', { root: OTHER, latencyMs: 1 }), p('b'), p('c')],
    quorum: true,
    voters: 4,
    agreeing: 3,
    statuses: ['agrees', 'dissents', 'agrees', 'agrees'],
    chosen: 'https://a.example',
    alternatives: ['https://b.example', 'https://c.example'],
  },
  {
    name: 'a lagging epoch dissents',
    results: [p('a'), p('b'), p('c'), p('d', { epoch: 99, root: R('99') })],
    quorum: true,
    voters: 4,
    agreeing: 3,
    statuses: ['agrees', 'agrees', 'agrees', 'dissents'],
  },
  {
    name: 'checkpointz roots (no 0x, any case) are normalised before comparing',
    results: [p('a'), p('cpz1', { root: GOOD.slice(2).toUpperCase() }), p('cpz2', { root: `0X${GOOD.slice(2).toUpperCase()}` })],
    quorum: true,
    checkpoint: { epoch: 100, root: GOOD },
    voters: 3,
    agreeing: 3,
    statuses: ['agrees', 'agrees', 'agrees'],
  },
  {
    name: 'nobody answered',
    results: [dead('a'), dead('b'), dead('c')],
    quorum: false,
    voters: 0,
    agreeing: 0,
    statuses: ['no-answer', 'no-answer', 'no-answer'],
    reason: /none of the 3 providers answered/,
    chosen: null,
  },
  {
    name: 'no providers at all',
    results: [],
    quorum: false,
    voters: 0,
    agreeing: 0,
    statuses: [],
    reason: /no providers were given/,
    chosen: null,
  },
  {
    name: 'dead providers do not count against the quorum of those that answered',
    results: [p('a'), dead('b'), p('c')],
    quorum: true,
    voters: 2,
    agreeing: 2,
    statuses: ['agrees', 'no-answer', 'agrees'],
  },
  {
    name: 'one answering provider is a quorum of one by default',
    results: [dead('a'), p('b')],
    quorum: true,
    voters: 1,
    agreeing: 1,
    statuses: ['no-answer', 'agrees'],
  },
  {
    name: '...but not with minAgreeing 2',
    results: [dead('a'), p('b')],
    minAgreeing: 2,
    quorum: false,
    voters: 1,
    agreeing: 1,
    statuses: ['no-answer', 'undecided'],
    reason: /only 1 provider\(s\) agree; at least 2/,
  },
  {
    name: 'checkpointz saying not ready is left out',
    results: [p('a'), p('b'), p('cpz', { ready: false })],
    quorum: true,
    voters: 2,
    agreeing: 2,
    statuses: ['agrees', 'agrees', 'not-ready'],
  },
  {
    name: 'unknown genesis (network declares none) still votes',
    results: [p('a', { genesisMatches: undefined }), p('b', { genesisMatches: undefined }), p('c', { genesisMatches: undefined })],
    quorum: true,
    voters: 3,
    agreeing: 3,
    statuses: ['agrees', 'agrees', 'agrees'],
  },
  {
    name: 'declared order among providers that serve states: latency jitter does not reorder them',
    results: [p('first', { latencyMs: 300 }), p('nostate', { latencyMs: 5, servesStates: false }), p('fast', { latencyMs: 20 }), p('third', { latencyMs: 900 })],
    quorum: true,
    voters: 4,
    agreeing: 4,
    statuses: ['agrees', 'agrees', 'agrees', 'agrees'],
    chosen: 'https://first.example',
    alternatives: ['https://fast.example', 'https://third.example'],
  },
  {
    name: 'a provider over 5x slower than the fastest (and over 1 s) goes to the back',
    results: [p('slow', { latencyMs: 2100 }), p('b', { latencyMs: 40 }), p('c', { latencyMs: 400 }), p('d', { latencyMs: 1200 })],
    quorum: true,
    voters: 4,
    agreeing: 4,
    statuses: ['agrees', 'agrees', 'agrees', 'agrees'],
    chosen: 'https://b.example',
    alternatives: ['https://c.example', 'https://slow.example', 'https://d.example'],
  },
  {
    name: 'quorum, but nobody serves states: no choice',
    results: [p('a', { servesStates: false }), p('b', { servesStates: false })],
    quorum: true,
    voters: 2,
    agreeing: 2,
    statuses: ['agrees', 'agrees'],
    chosen: null,
  },
  {
    name: 'a split vote has no quorum',
    results: [p('a'), p('b', { root: OTHER })],
    quorum: false,
    voters: 2,
    agreeing: 1,
    statuses: ['undecided', 'undecided'],
    reason: /2 different ones seen/,
  },
];

describe('crossCheck and chooseProvider', () => {
  it.each(cases)('$name', (c) => {
    const check = crossCheck(c.results, { ...(c.threshold !== undefined && { threshold: c.threshold }), ...(c.minAgreeing !== undefined && { minAgreeing: c.minAgreeing }) });
    expect(check.quorum).toBe(c.quorum);
    expect(check.voters).toBe(c.voters);
    expect(check.agreeing).toBe(c.agreeing);
    expect(check.declared).toBe(c.results.length);
    expect(check.providers.map((v) => v.status)).toEqual(c.statuses);
    expect(check.providers.map((v) => v.url)).toEqual(c.results.map((r) => r.url));
    if (c.checkpoint) expect(check.checkpoint).toEqual(c.checkpoint);
    if (!c.quorum) {
      expect(check.checkpoint).toBeUndefined();
      expect(check.reason).toBeTruthy();
    }
    if (c.reason) expect(check.reason).toMatch(c.reason);
    // Every provider not agreeing says why.
    for (const v of check.providers) if (v.status !== 'agrees') expect(v.reason).toBeTruthy();

    const choice = chooseProvider(check);
    if (c.chosen === null) expect(choice.ok).toBe(false);
    if (typeof c.chosen === 'string') expect(choice).toMatchObject({ ok: true, url: c.chosen });
    if (c.alternatives) expect(choice.ok && choice.alternatives).toEqual(c.alternatives);
    if (choice.ok) {
      // Only agreeing providers that serve states are ever offered.
      const offered = [choice.url, ...choice.alternatives];
      for (const url of offered) {
        const v = check.providers.find((x) => x.url === url)!;
        expect(v.status).toBe('agrees');
        expect(v.result.servesStates).toBe(true);
      }
    } else {
      expect(choice.reason).toBeTruthy();
    }
  });

  it('says why a wrong genesis or a dissenting root was excluded', () => {
    const check = crossCheck([p('a'), p('b'), p('c'), stale('old'), p('liar', { root: OTHER })]);
    expect(check.providers[3]!.reason).toMatch(/genesis validators root 0x(b2){32} .* stale/);
    expect(check.providers[4]!.reason).toBe(`finalized root ${OTHER} at epoch 100 differs from the quorum's ${GOOD}`);
  });

  it.each([[-0.1], [1], [Number.NaN]])('refuses threshold %s', (threshold) => {
    expect(() => crossCheck([p('a')], { threshold })).toThrow(RangeError);
  });
});

describe('normaliseRoot', () => {
  it.each([
    ['0xabcdef', '0xabcdef'],
    ['ABCDEF', '0xabcdef'],
    ['0XAbCdEf', '0xabcdef'],
    [' abcdef\n', '0xabcdef'],
  ])('%j -> %s', (input, expected) => expect(normaliseRoot(input)).toBe(expected));
});

describe('probe answers (pure)', () => {
  it('parses genesis and normalises its root', () => {
    expect(parseGenesis({ data: { genesis_time: '1720000000', genesis_validators_root: 'A1'.repeat(32), genesis_fork_version: '0x10000000' } })).toEqual({
      time: '1720000000',
      validatorsRoot: R('a1'),
    });
  });

  it('parses finality checkpoints', () => {
    expect(parseFinality({ data: { finalized: { epoch: '00123', root: 'F1'.repeat(32) } } })).toEqual({ epoch: 123, root: GOOD });
  });

  it.each([
    [null, /no data object/],
    [{ data: {} }, /no data\.finalized/],
    [{ data: { finalized: { epoch: 'x', root: GOOD } } }, /finalized\.epoch "x" is not a decimal/],
    [{ data: { finalized: { epoch: '1', root: '0x1234' } } }, /not a 32-byte hex root/],
    [{ data: { finalized: { epoch: '1' } } }, /finalized\.root is missing/],
  ])('refuses a bad finality answer %j', (body, message) => {
    expect(() => parseFinality(body)).toThrow(message);
  });

  it.each([
    [{}, undefined],
    [{ genesisValidatorsRoot: R('a1') }, true],
    [{ genesisValidatorsRoot: 'A1'.repeat(32) }, true],
    [{ genesisValidatorsRoot: R('b2') }, false],
    [{ genesisTime: '1720000000' }, true],
    [{ genesisTime: '1717580800' }, false],
    [{ genesisValidatorsRoot: R('a1'), genesisTime: '1' }, false],
  ])('genesis matches %j: %s', (network, expected) => {
    expect(genesisMatches({ time: '1720000000', validatorsRoot: R('a1') }, network)).toBe(expected);
  });
});

describe('backoffDelayMs (full jitter)', () => {
  const exp = { strategy: 'exponential' as const, minSeconds: 1, maxSeconds: 30 };
  it.each([
    // retry, random, expected ms
    [1, 0, 1000],
    [1, 0.5, 1500], // window [1, 2] s
    [2, 0.5, 2500], // [1, 4]
    [3, 1, 8000], // [1, 8]
    [5, 1, 30000], // [1, 32] capped at 30
    [10, 0.5, 15500], // [1, 30]
  ])('exponential retry %i, random %s -> %i ms', (retry, random, expected) => {
    expect(backoffDelayMs(retry, exp, () => random)).toBeCloseTo(expected, 6);
  });

  it.each([
    [1, 0, 1000],
    [1, 0.5, 15500],
    [7, 0.5, 15500],
  ])('fixed retry %i, random %s -> %i ms (same window every time)', (retry, random, expected) => {
    expect(backoffDelayMs(retry, { ...exp, strategy: 'fixed' }, () => random)).toBeCloseTo(expected, 6);
  });

  it('stays within [min, max] for any random draw', () => {
    for (let i = 0; i <= 100; i++) {
      for (const retry of [1, 2, 3, 4, 8]) {
        const ms = backoffDelayMs(retry, { strategy: 'exponential', minSeconds: 0.2, maxSeconds: 1 }, () => i / 101);
        expect(ms).toBeGreaterThanOrEqual(200);
        expect(ms).toBeLessThanOrEqual(1000);
      }
    }
  });
});
