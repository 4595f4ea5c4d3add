// `nodeform providers`: the selected hosts grouped by the checkpoint provider decision they share. Pure.

import type { Desired } from '../model/types.js';
import type { CheckpointDecision } from '../model/types.js';

export interface ProviderGroup {
  hosts: string[];
  decision: CheckpointDecision;
}

/** Hosts with the same decision (same providers, same answers, same network) are shown once. */
export function providerGroups(desired: readonly Desired[]): ProviderGroup[] {
  const groups = new Map<string, ProviderGroup>();
  for (const d of desired) {
    if (!d.checkpoint) continue;
    const key = JSON.stringify(d.checkpoint);
    const group = groups.get(key) ?? { hosts: [], decision: d.checkpoint };
    group.hosts.push(d.host);
    groups.set(key, group);
  }
  return [...groups.values()];
}
