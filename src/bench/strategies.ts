// Sync strategies for `nodeform bench`: named overlays of node variables. The defaults ship here; a strategies
// file (--strategies-file) adds strategies or replaces a default of the same name. An overlay is merged into a
// host's own value of each variable it names (mappings key by key, anything else replaced), and reaches the host
// as `-e` variables through the normal load, plan and apply. Pure.

import type { ConfigProblem } from '../errors.js';
import { checkVariables } from '../inventory/inventory.js';
import { checkSchema } from '../inventory/schema-check.js';
import { YamlSource, type Locator, type PathSegment, type SourceFile } from '../inventory/source.js';

export interface BenchStrategy {
  name: string;
  description: string;
  /** Node variables (the inventory's names: checkpoint_sync, cache, network_tuning, ...) merged into the host's. */
  vars: Record<string, unknown>;
  /** "built-in", or file:line:column of its declaration. */
  origin: string;
}

export const STRATEGY_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

const TUNED_CACHE = {
  lighthouse: { state_cache_size: 256, block_cache_size: 64 },
  teku: { state_cache_size: 32, block_cache_size: 64 },
  execution_cache_mb: 4096,
};
const TUNED_NETWORK = { peers_cl: 100, peers_el: 50, max_concurrent_requests: 16 };

/**
 * The defaults. baseline syncs from genesis; cache-tuned and network-tuned are baseline with the old scripts'
 * kinds of tuning (the improvements they promised are measured against baseline); combined is the fleet-cache
 * checkpoint start with both tunings.
 */
export const DEFAULT_STRATEGIES: readonly BenchStrategy[] = [
  { name: 'baseline', description: 'genesis sync: no checkpoint', vars: { checkpoint_sync: { enabled: false } }, origin: 'built-in' },
  {
    name: 'checkpoint-provider',
    description: 'checkpoint sync: the client fetches the finalized state from the chosen provider URL',
    vars: { checkpoint_sync: { enabled: true, source: 'provider' } },
    origin: 'built-in',
  },
  {
    name: 'checkpoint-fleet-cache',
    description: 'checkpoint sync from the fleet cache: the controller downloads and verifies the state once and uploads it',
    vars: { checkpoint_sync: { enabled: true, source: 'fleet-cache' } },
    origin: 'built-in',
  },
  {
    name: 'cache-tuned',
    description: 'genesis sync with larger client memory caches (Lighthouse, Teku, execution database cache)',
    vars: { checkpoint_sync: { enabled: false }, cache: TUNED_CACHE },
    origin: 'built-in',
  },
  {
    name: 'network-tuned',
    description: 'genesis sync with higher peer targets and more provider requests in flight',
    vars: { checkpoint_sync: { enabled: false }, network_tuning: TUNED_NETWORK },
    origin: 'built-in',
  },
  {
    name: 'combined',
    description: 'fleet-cache checkpoint sync with the tuned caches and network',
    vars: { checkpoint_sync: { enabled: true, source: 'fleet-cache' }, cache: TUNED_CACHE, network_tuning: TUNED_NETWORK },
    origin: 'built-in',
  },
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `overlay` merged into `base`: mappings key by key, lists and scalars replaced. Neither is changed. */
export function mergeOverlay(base: unknown, overlay: unknown): unknown {
  if (!isRecord(base) || !isRecord(overlay)) return overlay;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) merged[key] = mergeOverlay(base[key], value);
  return merged;
}

/** The `-e` variables that put a host on a strategy: each variable the overlay names, merged into the host's value. */
export function overlayVars(strategy: BenchStrategy, hostVars: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(strategy.vars).map(([name, value]) => [name, mergeOverlay(hostVars[name], value)]));
}

/** A locator for a part of a file: schema problems found in `vars` point at their place in the file. */
function under(source: YamlSource, prefix: readonly PathSegment[]): Locator {
  return {
    field: (path) => source.field([...prefix, ...path]),
    problem: (path, message, options) => source.problem([...prefix, ...path], message, options),
    sourceText: (path) => source.sourceText([...prefix, ...path]),
  };
}

/**
 * A strategies file:
 *
 *     strategies:
 *       small-peers:
 *         description: fewer peers
 *         vars:
 *           network_tuning: { peers_cl: 20 }
 *
 * Its `vars` are checked against the inventory's schema, each problem at its place in the file.
 */
export function parseStrategiesFile(file: SourceFile): { strategies: BenchStrategy[]; problems: ConfigProblem[] } {
  const parsed = YamlSource.parse(file);
  if (parsed.fatal) return { strategies: [], problems: parsed.problems };
  const problems = [...parsed.problems];
  const source = parsed.source;
  const root = parsed.value;
  if (!isRecord(root) || !isRecord(root.strategies)) {
    problems.push(source.problem(isRecord(root) ? ['strategies'] : [], 'a strategies file is a mapping with `strategies:`, each strategy a mapping with `vars:` (and a `description:`)'));
    return { strategies: [], problems };
  }
  for (const key of Object.keys(root)) {
    if (key !== 'strategies') problems.push(source.problem([key], `unknown key "${key}": a strategies file has only \`strategies:\``, { key: true }));
  }
  const strategies: BenchStrategy[] = [];
  for (const [name, body] of Object.entries(root.strategies)) {
    const at = ['strategies', name];
    if (!STRATEGY_NAME_PATTERN.test(name)) {
      problems.push(source.problem(at, `strategy name "${name}": use lower-case letters, digits and '-' (it names files and report rows)`, { key: true }));
      continue;
    }
    if (!isRecord(body)) {
      problems.push(source.problem(at, 'must be a mapping with `vars:` (node variables) and a `description:`'));
      continue;
    }
    for (const key of Object.keys(body)) {
      if (key !== 'vars' && key !== 'description') problems.push(source.problem([...at, key], `unknown key "${key}": a strategy has \`description:\` and \`vars:\``, { key: true }));
    }
    if (body.description !== undefined && typeof body.description !== 'string') problems.push(source.problem([...at, 'description'], 'must be text'));
    if (!isRecord(body.vars) || Object.keys(body.vars).length === 0) {
      problems.push(source.problem(body.vars === undefined ? at : [...at, 'vars'], 'needs `vars:`, a mapping of node variables such as `checkpoint_sync: { enabled: false }`', { key: body.vars === undefined }));
      continue;
    }
    const locator = under(source, [...at, 'vars']);
    const before = problems.length;
    problems.push(...checkSchema('inventoryVars', body.vars, locator), ...checkVariables(body.vars, locator, []).problems);
    if (problems.length > before) continue;
    strategies.push({
      name,
      description: typeof body.description === 'string' ? body.description : '',
      vars: body.vars,
      origin: source.where(at),
    });
  }
  return { strategies, problems };
}

/** The defaults with the file's strategies added (a file's strategy replaces a default of the same name). */
export function availableStrategies(fromFile: readonly BenchStrategy[] = []): BenchStrategy[] {
  const byName = new Map(DEFAULT_STRATEGIES.map((s) => [s.name, s]));
  for (const strategy of fromFile) byName.set(strategy.name, strategy);
  return [...byName.values()];
}

/** The strategies named on the command line, in that order; an unknown name is an error listing the known ones. */
export function chooseStrategies(names: readonly string[], available: readonly BenchStrategy[]): BenchStrategy[] | { error: string } {
  const chosen: BenchStrategy[] = [];
  for (const name of names) {
    const strategy = available.find((s) => s.name === name);
    if (!strategy) return { error: `unknown strategy "${name}"; known: ${available.map((s) => s.name).join(', ')} (add your own with --strategies-file)` };
    if (!chosen.includes(strategy)) chosen.push(strategy);
  }
  return chosen;
}
