// Which checkpoint provider a node starts from, decided from what the providers answered (probed once per
// run by the loader, src/fetch/probe.ts): the providers the host declares are cross-checked on the
// host's own network (a provider on another genesis is stale or on another chain), and the first agreeing
// provider that serves states is chosen. Without a quorum nothing that depends on the choice may change:
// the caller holds those resources. Pure.

import type { NetworkSpec, NodeSpec } from '../clients/types.js';
import type { LocalFile } from '../model/types.js';
import type { CheckpointDecision, ProviderVerdictSummary } from '../model/types.js';
import { chooseProvider, crossCheck, genesisMatches, percent, type ProviderResult } from './quorum.js';

function unanswered(url: string): ProviderResult {
  return { url, ok: false, latencyMs: 0, servesStates: false, error: 'was not probed' };
}

/** The host's providers, judged on the host's network. */
export function decideCheckpoint(node: Pick<NodeSpec, 'checkpointSync' | 'network'>, probed: Record<string, ProviderResult>): CheckpointDecision {
  const cp = node.checkpointSync;
  const results = cp.providers.map((url) => onNetwork(probed[url] ?? unanswered(url), node.network));
  const check = crossCheck(results, { threshold: cp.quorum });
  const choice = chooseProvider(check);
  const providers = check.providers.map((v): ProviderVerdictSummary => ({
    url: v.url,
    status: v.status,
    latencyMs: Math.round(v.result.latencyMs),
    servesStates: v.result.servesStates,
    ...(v.result.finalized ? { finalized: v.result.finalized } : {}),
    ...(v.reason ? { reason: v.reason } : {}),
  }));
  // The state requirement applies where a client downloads it: every provider-started client does.
  const base = { quorum: check.quorum, threshold: check.threshold, providers, ...(check.checkpoint ? { checkpoint: check.checkpoint } : {}) };
  if (!choice.ok) return { ...base, alternatives: [], reason: choice.reason };
  return { ...base, chosen: choice.url, alternatives: choice.alternatives };
}

/** A probe result with its genesis compared to this network's (the probe itself knows no network). */
function onNetwork(result: ProviderResult, network: NetworkSpec): ProviderResult {
  if (!result.genesis || !network.genesis) return result;
  const matches = genesisMatches(result.genesis, {
    genesisValidatorsRoot: network.genesis.validatorsRoot,
    ...(network.genesis.time !== undefined ? { genesisTime: network.genesis.time } : {}),
  });
  const { genesisMatches: _ignored, ...rest } = result;
  return matches === undefined ? rest : { ...rest, genesisMatches: matches };
}

/** Whether this node's checkpoint depends on a provider choice (and so on a probe). */
export function needsProviderChoice(node: Pick<NodeSpec, 'checkpointSync'>): boolean {
  const cp = node.checkpointSync;
  return cp.enabled && cp.stateFile === undefined && cp.providers.length > 0;
}

/** Lines for the plan: the choice, and each provider left out with why. */
export function describeDecision(decision: CheckpointDecision): string[] {
  const pct = percent(decision.threshold);
  const agreeing = decision.providers.filter((p) => p.status === 'agrees').length;
  const answered = decision.providers.filter((p) => p.status !== 'no-answer').length;
  const lines: string[] = [];
  if (decision.chosen && decision.checkpoint) {
    lines.push(
      `checkpoint: ${decision.chosen} (finalized epoch ${decision.checkpoint.epoch} root ${decision.checkpoint.root}: ${agreeing} of ${answered} answering providers agree, more than ${pct} needed)`,
    );
  } else {
    lines.push(`checkpoint: no provider chosen: ${decision.reason ?? 'no quorum'}`);
  }
  for (const p of decision.providers) {
    if (p.status === 'agrees') continue;
    lines.push(`checkpoint provider ${p.url} ${p.status === 'undecided' ? 'undecided' : 'rejected'}: ${p.reason ?? p.status}`);
  }
  return lines;
}

/** What a fleet-cache node needs the controller to get: one verified finalized state (and block) per network. */
export interface CheckpointFilesRequest {
  /** The genesis validators root where known (one per Ephemery iteration), else the network's name. */
  networkKey: string;
  quorum: { epoch: number; root: string };
  /** Agreeing providers that serve states, in preference order. */
  providers: string[];
  preset: 'mainnet' | 'minimal';
  expiryHours: number;
  maxSizeMb: number;
  compression: boolean;
  requestTimeoutSeconds: number;
  genesisValidatorsRoot?: string;
}

/** The controller's verified checkpoint files for a network (files in its cache, streamed to hosts), or why there are none. */
export type CheckpointFiles =
  | { checkpoint: { epoch: number; root: string }; source: 'cache' | 'download'; state: LocalFile; block: LocalFile }
  | { error: string };

export function checkpointNetworkKey(network: NetworkSpec): string {
  return network.genesis?.validatorsRoot ?? network.name;
}

/** Lighthouse and Prysm start from a state together with its block; the others from the state alone. */
export function takesCheckpointBlock(client: string): boolean {
  return client === 'lighthouse' || client === 'prysm';
}

/** Where a fleet-cache node's files go on the host, under cache.directory, and the tmpfiles rule that expires them. */
export function fleetCachePaths(directory: string): { state: string; block: string; tmpfiles: string } {
  return { state: `${directory}/checkpoint-state.ssz`, block: `${directory}/checkpoint-block.ssz`, tmpfiles: '/etc/tmpfiles.d/nodeform-checkpoint-cache.conf' };
}

/** A provider URL as output may show it: credentials and query (where API keys go) hidden. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password && !u.search) return url;
    const auth = u.username || u.password ? '***@' : '';
    return `${u.protocol}//${auth}${u.host}${u.pathname === '/' && !url.endsWith('/') ? '' : u.pathname}${u.search ? '?***' : ''}`;
  } catch {
    return url;
  }
}

/** Whether any of these URLs carries something secret (credentials or a query). */
export function urlsCarrySecrets(urls: readonly string[]): boolean {
  return urls.some((url) => redactUrl(url) !== url);
}

/** The decision as output shows it (plan text and JSON, nodeform providers): every URL redacted. */
export function redactDecision(decision: CheckpointDecision): CheckpointDecision {
  const r = (text: string) => text.replace(/https?:\/\/[^\s'"]+/g, (url) => redactUrl(url));
  return {
    ...decision,
    ...(decision.chosen ? { chosen: redactUrl(decision.chosen) } : {}),
    ...(decision.reason ? { reason: r(decision.reason) } : {}),
    alternatives: decision.alternatives.map(redactUrl),
    providers: decision.providers.map((p) => ({ ...p, url: redactUrl(p.url), ...(p.reason ? { reason: r(p.reason) } : {}) })),
  };
}
