// Cross-checking checkpoint providers (pure): a finalized checkpoint is trusted only when MORE than a
// threshold (2/3, checkpointq's rule) of the providers that answered agree on it; then the best of the
// agreeing providers is chosen. No I/O, no clock: everything comes in as arguments.

import type { VerdictStatus } from '../model/types.js';

/** What one provider answered (probe.ts fills it; tests build it by hand). */
export interface ProviderResult {
  url: string;
  /** Both genesis and finality checkpoints were fetched and understood. */
  ok: boolean;
  /** Time the provider took to answer its finality checkpoints (the successful attempt), or until it was given up. */
  latencyMs: number;
  genesis?: { time: string; validatorsRoot: string };
  /** Against the network's declared genesis; undefined when the network declares none or genesis was not fetched. */
  genesisMatches?: boolean;
  finalized?: { epoch: number; root: string };
  /** The provider answers the finalized state as SSZ (checked cheaply, never downloaded). */
  servesStates: boolean;
  /** `/checkpointz/v1/ready`: true or false where the provider has it, undefined where it has not. */
  ready?: boolean;
  /** HTTP requests made to this provider, retries included. */
  attempts?: number;
  /** What went wrong, per endpoint. */
  error?: string;
}

export type { VerdictStatus } from '../model/types.js';

export interface ProviderVerdict {
  url: string;
  status: VerdictStatus;
  /** Why a provider is not among the agreeing ones, in words. */
  reason?: string;
  result: ProviderResult;
}

export interface CrossCheck {
  /** A checkpoint had more than `threshold` of the voting providers behind it. */
  quorum: boolean;
  /** The trusted checkpoint, when there is a quorum. */
  checkpoint?: { epoch: number; root: string };
  threshold: number;
  /** Providers asked. */
  declared: number;
  /** Providers that answered with a usable checkpoint on the right chain (the vote's denominator). */
  voters: number;
  /** Voters behind the most popular checkpoint (the quorum's checkpoint when there is one). */
  agreeing: number;
  /** Every provider, in the order given, with its verdict. */
  providers: ProviderVerdict[];
  /** Why there is no quorum, when there is none: the caller then changes nothing that depends on it. */
  reason?: string;
}

export interface CrossCheckOptions {
  /** A checkpoint needs strictly more than this fraction of the voters. Default 2/3. */
  threshold?: number;
  /** And at least this many agreeing providers. Default 1. */
  minAgreeing?: number;
}

export interface ProbeNetwork {
  /** The network's genesis validators root (Ephemery: GENESIS_VALROOT of the release). */
  genesisValidatorsRoot?: string;
  /** The network's genesis time, seconds since the epoch, as a decimal string. */
  genesisTime?: string;
}

/** Whether a provider's genesis is the declared network's; undefined when the network declares nothing. */
export function genesisMatches(genesis: { time: string; validatorsRoot: string }, network: ProbeNetwork): boolean | undefined {
  if (network.genesisValidatorsRoot === undefined && network.genesisTime === undefined) return undefined;
  if (network.genesisValidatorsRoot !== undefined && normaliseRoot(network.genesisValidatorsRoot) !== normaliseRoot(genesis.validatorsRoot)) return false;
  if (network.genesisTime !== undefined && network.genesisTime.trim() !== genesis.time) return false;
  return true;
}

/** A quorum threshold as people read it: 2/3 -> "66.7%". */
export function percent(threshold: number): string {
  return `${Math.round(threshold * 1000) / 10}%`;
}

/** A root in one form: lower case with `0x` (checkpointz answers without it, in any case). */
export function normaliseRoot(root: string): string {
  const bare = root.trim().replace(/^0x/i, '');
  return `0x${bare.toLowerCase()}`;
}

const key = (c: { epoch: number; root: string }) => `${c.epoch}/${normaliseRoot(c.root)}`;

export function crossCheck(results: readonly ProviderResult[], options: CrossCheckOptions = {}): CrossCheck {
  const threshold = options.threshold ?? 2 / 3;
  const minAgreeing = options.minAgreeing ?? 1;
  if (!(threshold >= 0 && threshold < 1)) throw new RangeError(`threshold must be in [0, 1), got ${threshold}`);

  const verdicts: ProviderVerdict[] = [];
  const votes = new Map<string, { checkpoint: { epoch: number; root: string }; urls: string[]; first: number }>();
  for (const result of results) {
    if (!result.ok || !result.finalized) {
      verdicts.push({ url: result.url, status: 'no-answer', reason: result.error ?? 'did not answer', result });
      continue;
    }
    if (result.genesisMatches === false) {
      const got = result.genesis ? normaliseRoot(result.genesis.validatorsRoot) : 'unknown';
      verdicts.push({
        url: result.url,
        status: 'wrong-genesis',
        reason: `genesis validators root ${got} (time ${result.genesis?.time ?? '?'}) is not the network's: stale (a previous Ephemery iteration?) or another network`,
        result,
      });
      continue;
    }
    if (result.ready === false) {
      verdicts.push({ url: result.url, status: 'not-ready', reason: '/checkpointz/v1/ready says it is not ready', result });
      continue;
    }
    const checkpoint = { epoch: result.finalized.epoch, root: normaliseRoot(result.finalized.root) };
    const vote = votes.get(key(checkpoint)) ?? { checkpoint, urls: [], first: verdicts.length };
    vote.urls.push(result.url);
    votes.set(key(checkpoint), vote);
    verdicts.push({ url: result.url, status: 'agrees', result }); // settled below
  }

  const voters = [...votes.values()].reduce((n, v) => n + v.urls.length, 0);
  // Most supported first; ties go to the checkpoint seen first (then no quorum anyway, as neither has more than half).
  const ranked = [...votes.values()].sort((a, b) => b.urls.length - a.urls.length || a.first - b.first);
  const top = ranked[0];
  const agreeing = top?.urls.length ?? 0;
  // agreeing / voters > threshold, compared as the same division so that exactly 2/3 is not "more than 2/3".
  const quorum = top !== undefined && agreeing / voters > threshold && agreeing >= minAgreeing;

  for (const verdict of verdicts) {
    if (verdict.status !== 'agrees') continue;
    const mine = verdict.result.finalized!;
    if (quorum && key(mine) === key(top.checkpoint)) continue;
    if (quorum) {
      const root = normaliseRoot(mine.root);
      const trusted = top.checkpoint;
      verdict.status = 'dissents';
      verdict.reason =
        mine.epoch === trusted.epoch
          ? `finalized root ${root} at epoch ${mine.epoch} differs from the quorum's ${trusted.root}`
          : `finalized epoch ${mine.epoch} (root ${root}) differs from the quorum's epoch ${trusted.epoch} (root ${trusted.root})`;
    } else {
      verdict.status = 'undecided';
      verdict.reason = `finalized epoch ${mine.epoch} root ${normaliseRoot(mine.root)}: no checkpoint reached a quorum`;
    }
  }

  const base = { threshold, declared: results.length, voters, agreeing, providers: verdicts };
  if (quorum) return { quorum: true, checkpoint: { ...top.checkpoint }, ...base };
  return { quorum: false, ...base, reason: noQuorumReason(results.length, voters, agreeing, threshold, minAgreeing, ranked.length) };
}

function noQuorumReason(declared: number, voters: number, agreeing: number, threshold: number, minAgreeing: number, distinct: number): string {
  const pct = percent(threshold);
  if (declared === 0) return 'no providers were given';
  if (voters === 0) return `none of the ${declared} providers answered with a usable finalized checkpoint on this network`;
  if (agreeing < minAgreeing) return `only ${agreeing} provider(s) agree; at least ${minAgreeing} are required`;
  return `${agreeing} of ${voters} answering providers agree on one finalized checkpoint (${distinct} different ones seen); more than ${pct} must agree`;
}

export type ProviderChoice =
  | { ok: true; url: string; alternatives: string[]; checkpoint: { epoch: number; root: string } }
  | { ok: false; reason: string };

/** An agreeing provider this much slower than the fastest (and over SLOW_FLOOR_MS) goes to the back of the line. */
export const SLOW_FACTOR = 5;
export const SLOW_FLOOR_MS = 1000;

/**
 * The best agreeing provider: among those that serve states, the first in declared order (the operator's
 * preference), except that a provider answering more than SLOW_FACTOR times slower than the fastest (and over
 * SLOW_FLOOR_MS) comes after the others. Declared order, not raw latency, because a choice that flips with a few
 * milliseconds of jitter would rewrite every node's provider from one run to the next. The alternatives are the
 * other agreeing providers serving states, in the same order.
 */
export function chooseProvider(check: CrossCheck): ProviderChoice {
  if (!check.quorum || !check.checkpoint) return { ok: false, reason: check.reason ?? 'no quorum' };
  const agreeing = check.providers
    .map((v, index) => ({ v, index }))
    .filter(({ v }) => v.status === 'agrees');
  const serving = agreeing.filter(({ v }) => v.result.servesStates);
  const fastest = Math.min(...serving.map(({ v }) => v.result.latencyMs));
  const slow = (latency: number) => latency > SLOW_FLOOR_MS && latency > fastest * SLOW_FACTOR;
  const ordered = serving
    .sort((a, b) => Number(slow(a.v.result.latencyMs)) - Number(slow(b.v.result.latencyMs)) || a.index - b.index)
    .map(({ v }) => v.url);
  const [url, ...alternatives] = ordered;
  if (url === undefined) {
    return { ok: false, reason: `${agreeing.length} provider(s) agree on the finalized checkpoint but none serves the finalized state` };
  }
  return { ok: true, url, alternatives, checkpoint: { ...check.checkpoint } };
}
