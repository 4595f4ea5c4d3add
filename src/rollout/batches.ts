// How a rollout splits its hosts into batches, when it stops, and which share of a fleet a CI shard takes.
// Pure: the rules here are the ones docs/rollouts.md states.

/** One batch size as written: a count or a percentage of all the run's hosts. */
export type SizeSpec = { count: number } | { percent: number };

export type SpecProblem = { problem: string };

/** `N` or `N%`; what --serial (each item), --canary and --max-fail take. */
export function parseSize(text: string, option: string, allowZero: boolean): SizeSpec | SpecProblem {
  const match = /^(\d+)(%?)$/.exec(text.trim());
  if (!match) return { problem: `${option} ${JSON.stringify(text)}: give a number of hosts (e.g. 2) or a percentage (e.g. 20%)` };
  const value = Number(match[1]);
  if (match[2] === '%') {
    if (value > 100 || (!allowZero && value === 0)) return { problem: `${option} ${text}: a percentage from ${allowZero ? 0 : 1}% to 100%` };
    return { percent: value };
  }
  if (!allowZero && value === 0) return { problem: `${option} 0: a batch needs at least one host` };
  return { count: value };
}

/** --serial as Ansible writes it: `N`, `N%`, or a list `1,5,20%` whose last size repeats. */
export function parseSerial(text: string): SizeSpec[] | SpecProblem {
  const sizes: SizeSpec[] = [];
  for (const item of text.split(',')) {
    const size = parseSize(item, '--serial', false);
    if ('problem' in size) return size;
    sizes.push(size);
  }
  return sizes;
}

/** A size in hosts: a percentage of `total` rounded down, at least one (Ansible's rule for serial). */
export function batchSize(size: SizeSpec, total: number): number {
  if ('count' in size) return size.count;
  return Math.max(1, Math.floor((size.percent * total) / 100));
}

/**
 * The batches, in order: the canary hosts alone first (when --canary), then --serial's sizes over the rest
 * (the last size repeating), or the rest at once without --serial. Hosts keep their inventory order.
 */
export function planBatches(hosts: readonly string[], options: { serial?: SizeSpec[]; canary?: SizeSpec }): string[][] {
  const total = hosts.length;
  const batches: string[][] = [];
  let next = 0;
  if (options.canary) {
    const size = Math.min(total, batchSize(options.canary, total));
    if (size > 0) batches.push(hosts.slice(0, size));
    next = size;
  }
  const sizes = options.serial && options.serial.length > 0 ? options.serial : [{ count: Math.max(1, total) }];
  for (let index = 0; next < total; index++) {
    const size = batchSize(sizes[Math.min(index, sizes.length - 1)]!, total);
    batches.push(hosts.slice(next, next + size));
    next += size;
  }
  return batches;
}

/**
 * How many hosts may fail before the rollout stops: --max-fail N, or N% of all the run's hosts rounded down.
 * Failed counts every host that failed to apply, failed its gate (rolled back or not) or could not be
 * reached. Checked before each batch: the run goes on while failed <= allowed.
 */
export function allowedFailures(limit: SizeSpec | undefined, total: number): number {
  if (!limit) return total;
  if ('count' in limit) return limit.count;
  return Math.floor((limit.percent * total) / 100);
}

export function mayStartBatch(failed: number, allowed: number): boolean {
  return failed <= allowed;
}

/** --shard I/N: shard I (from 1) of N. */
export function parseShard(text: string): { index: number; count: number } | SpecProblem {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) return { problem: `--shard ${JSON.stringify(text)}: give I/N with 1 <= I <= N, e.g. --shard 2/4` };
  return { index, count };
}

/**
 * The hosts shard I of N takes: the selected hosts sorted by name, every N-th from the I-th. Every host is in
 * exactly one shard, shards differ in size by at most one, and a host's shard depends only on the names
 * selected (not on inventory order), so each CI job computes its share alone and the same each time.
 */
export function shardHosts(hosts: readonly string[], shard: { index: number; count: number }): string[] {
  const taken = new Set([...hosts].sort().filter((_, position) => position % shard.count === shard.index - 1));
  return hosts.filter((host) => taken.has(host));
}
