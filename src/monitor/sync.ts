// Is a node syncing, how fast, when will it be done, and is it stuck: from samples of its Beacon API and
// execution JSON-RPC answers. Pure: samples carry the time they were taken (the collector's clock), and
// "now" is an argument, so a verdict is a function of recorded data.

/** What one look at a node's clients gave. Absent fields were not answered (a client that lacks them, or an error). */
export interface SyncSample {
  /** Milliseconds since the epoch, from the collector's clock. */
  at: number;
  consensus: ConsensusSample;
  execution?: ExecutionSample;
}

export interface ConsensusSample {
  /** False when the Beacon API did not answer at all (connection refused, timeout). */
  reachable: boolean;
  /** /eth/v1/node/syncing */
  headSlot?: number;
  syncDistance?: number;
  isSyncing?: boolean;
  isOptimistic?: boolean;
  elOffline?: boolean;
  /** /eth/v1/node/peer_count: connected peers. */
  peers?: number;
  /** /eth/v1/beacon/states/head/finality_checkpoints */
  finalizedEpoch?: number;
  /** The execution block number in the consensus head block's payload (post-merge chains). */
  headPayloadNumber?: number;
  error?: string;
}

export interface ExecutionSample {
  reachable: boolean;
  /** eth_blockNumber */
  blockNumber?: number;
  /** eth_syncing: false, or its highest block when it says it is syncing. */
  syncing?: false | { currentBlock: number; highestBlock: number };
  peers?: number;
  error?: string;
}

/** When a node counts as stalled or lagging; node `monitoring` settings, defaults in MONITOR_DEFAULTS. */
export interface StallPolicy {
  /** How far back progress is measured. */
  windowSeconds: number;
  /** Less head progress than this over a full window, while not synced, is a stall. */
  minSlotsPerWindow: number;
  /** A head within this many slots of the clock is synced (one epoch: clients call themselves synced there). */
  syncedDistance: number;
  /** An execution client more blocks than this behind the consensus head's payload is still syncing. */
  executionLagBlocks: number;
  /** Optimistic (execution not yet verified) for longer than this is worth a verdict of its own. */
  optimisticSeconds: number;
}

export const MONITOR_DEFAULTS: StallPolicy = {
  windowSeconds: 300,
  minSlotsPerWindow: 1,
  syncedDistance: 8,
  executionLagBlocks: 64,
  optimisticSeconds: 600,
};

export type Verdict = 'synced' | 'syncing' | 'stalled' | 'optimistic' | 'el-offline' | 'down';

export interface SyncAssessment {
  verdict: Verdict;
  /** One sentence on why, for a person. */
  reason: string;
  /** Head slots per minute over the window (from the first sample of the current run of the chain); undefined until two samples. */
  slotsPerMinute?: number;
  /** Milliseconds until synced at that speed; undefined when synced, not progressing or unknown. */
  etaMs?: number;
  /** Execution blocks behind the consensus head's payload, when both are known. */
  executionLag?: number;
  /** 0-1 from the first sample's distance to now (a checkpoint start counts from where it began, not from genesis). */
  progress?: number;
}

/**
 * The samples that belong to the current run of the chain: a head that went backwards (an Ephemery reset,
 * or a wipe) starts a new run, and speed across the jump would be meaningless.
 */
export function currentRun(samples: readonly SyncSample[]): SyncSample[] {
  let start = 0;
  let previous: number | undefined;
  samples.forEach((sample, index) => {
    const head = sample.consensus.headSlot;
    if (head === undefined) return;
    if (previous !== undefined && head < previous) start = index;
    previous = head;
  });
  return samples.slice(start);
}

/** Slots per minute between the oldest sample inside the window and the newest, both with a head slot. */
export function slotsPerMinute(samples: readonly SyncSample[], windowMs: number, now: number): number | undefined {
  const withHead = currentRun(samples).filter((sample) => sample.consensus.headSlot !== undefined && sample.at <= now);
  const newest = withHead[withHead.length - 1];
  if (!newest) return undefined;
  const oldest = withHead.find((sample) => sample.at >= now - windowMs && sample.at < newest.at);
  if (!oldest) return undefined;
  return ((newest.consensus.headSlot! - oldest.consensus.headSlot!) * 60_000) / (newest.at - oldest.at);
}

/**
 * How long until the distance is covered. The head moves on at one slot per slot while the node catches up,
 * so what closes the gap is the speed beyond the chain's own (60 / secondsPerSlot slots a minute).
 */
export function etaMs(distance: number, speed: number | undefined, secondsPerSlot: number): number | undefined {
  if (distance <= 0) return 0;
  if (speed === undefined) return undefined;
  const closing = speed - 60 / secondsPerSlot;
  if (closing <= 0) return undefined;
  return (distance / closing) * 60_000;
}

/** The verdict on a node from its samples, oldest first. */
export function assessSync(samples: readonly SyncSample[], policy: StallPolicy, now: number, secondsPerSlot: number): SyncAssessment {
  const run = currentRun(samples);
  const latest = run[run.length - 1];
  if (!latest) return { verdict: 'down', reason: 'no sample yet' };
  const cl = latest.consensus;
  if (!cl.reachable) return { verdict: 'down', reason: `the consensus client's Beacon API does not answer${cl.error ? `: ${cl.error}` : ''}` };

  const windowMs = policy.windowSeconds * 1000;
  const speed = slotsPerMinute(run, windowMs, now);
  // A head ahead of the clock (negative distance) is a clock skew, not progress still to make.
  const distance = cl.syncDistance !== undefined ? Math.max(0, cl.syncDistance) : undefined;
  const executionLag = executionBehind(latest);
  const first = run.find((sample) => sample.consensus.syncDistance !== undefined);
  const startDistance = first?.consensus.syncDistance !== undefined ? Math.max(0, first.consensus.syncDistance) : undefined;
  const progress = distance !== undefined && startDistance !== undefined && startDistance > 0 ? Math.min(1, Math.max(0, 1 - distance / startDistance)) : distance === 0 ? 1 : undefined;
  const figures = {
    ...(speed !== undefined ? { slotsPerMinute: speed } : {}),
    ...(executionLag !== undefined ? { executionLag } : {}),
    ...(progress !== undefined ? { progress } : {}),
  };

  const el = latest.execution;
  if (cl.elOffline === true) return { verdict: 'el-offline', reason: 'the consensus client reports its execution client offline (el_offline)', ...figures };
  if (el && !el.reachable) return { verdict: 'el-offline', reason: `the execution client's JSON-RPC does not answer${el.error ? `: ${el.error}` : ''}`, ...figures };

  const synced = cl.isSyncing === false && (distance === undefined || distance <= policy.syncedDistance);
  if (synced && cl.isOptimistic === true) {
    const since = optimisticSince(run);
    const longFor = since !== undefined && now - since >= policy.optimisticSeconds * 1000;
    if (longFor) return { verdict: 'optimistic', reason: `the head has not been verified by the execution client for ${Math.round((now - since) / 1000)} s (is_optimistic)`, ...figures };
  }
  if (synced && executionLag !== undefined && executionLag > policy.executionLagBlocks) {
    // eth_syncing answers false while an execution client is still behind (go-ethereum#25534): the lag is the truer sign.
    const says = el?.syncing === false ? ' although eth_syncing says it is not syncing' : '';
    return { verdict: 'syncing', reason: `the execution client is ${executionLag} blocks behind the consensus head${says}`, ...figures };
  }
  if (synced) return { verdict: 'synced', reason: `head at slot ${cl.headSlot ?? '?'}, ${distance ?? 0} slots from the clock`, ...figures, etaMs: 0 };

  const covered = run.some((sample) => sample.consensus.headSlot !== undefined && sample.at <= now - windowMs);
  if (covered && speed !== undefined && speed * (windowMs / 60_000) < policy.minSlotsPerWindow) {
    return {
      verdict: 'stalled',
      reason: `the head moved ${Math.round(speed * (windowMs / 60_000))} slots in the last ${policy.windowSeconds} s (at slot ${cl.headSlot ?? '?'}, ${distance ?? '?'} behind; ${cl.peers ?? '?'} peers)`,
      ...figures,
    };
  }
  const eta = distance !== undefined ? etaMs(distance, speed, secondsPerSlot) : undefined;
  const pace = speed !== undefined ? `${speed.toFixed(1)} slots/min` : 'speed not known yet';
  return { verdict: 'syncing', reason: `${distance ?? '?'} slots behind, ${pace}`, ...figures, ...(eta !== undefined ? { etaMs: eta } : {}) };
}

/** Blocks the execution client is behind the block the consensus head carries; undefined when either is unknown. */
export function executionBehind(sample: SyncSample): number | undefined {
  const payload = sample.consensus.headPayloadNumber;
  const el = sample.execution;
  if (payload === undefined || !el) return undefined;
  const own = el.syncing ? Math.max(el.syncing.currentBlock, el.blockNumber ?? 0) : el.blockNumber;
  if (own === undefined) return undefined;
  return Math.max(0, payload - own);
}

/** When the node's current optimistic spell began (the first of the latest unbroken run of optimistic samples). */
function optimisticSince(run: readonly SyncSample[]): number | undefined {
  let since: number | undefined;
  for (const sample of run) {
    if (sample.consensus.isOptimistic === true) since ??= sample.at;
    else if (sample.consensus.isOptimistic === false) since = undefined;
  }
  return since;
}
