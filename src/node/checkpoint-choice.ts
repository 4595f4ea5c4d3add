// Step three of a node play: which provider (or which fleet-cache files) the node starts from, decided on
// the host's own network from what the fetch layer got. The same function tells the needs which files to
// fetch once the providers have answered, so nothing here asks for more while building. Pure.

import type { NodeSpec } from '../clients/types.js';
import type { CheckpointDecision } from '../model/types.js';
import {
  checkpointNetworkKey,
  decideCheckpoint,
  describeDecision,
  fleetCachePaths,
  needsProviderChoice,
  redactDecision,
  takesCheckpointBlock,
  type CheckpointFiles,
  type CheckpointFilesRequest,
} from './checkpoint.js';
import type { NodeInputs } from './inputs.js';

export type VerifiedCheckpointFiles = Exclude<CheckpointFiles, { error: string }>;

export interface CheckpointChoice {
  /** The spec with the chosen provider, its alternatives and (fleet cache) the files it starts from. */
  spec: NodeSpec;
  /** The decision as output shows it (URLs redacted); absent when no choice was made (validate, no providers). */
  decision?: CheckpointDecision;
  /** What the plan says about the choice. */
  notes: string[];
  /** Why the consensus client and its checkpoint files are held, when they are. */
  held?: string;
  /** The fleet cache's verified files, when the node starts from them. */
  fleetFiles?: VerifiedCheckpointFiles;
  /** Fleet-cache files the choice needs and inputs.checkpointFiles does not have: for the needs. */
  filesRequest?: CheckpointFilesRequest;
}

export function chooseCheckpoint(node: NodeSpec, inputs: Pick<NodeInputs, 'providers' | 'checkpointFiles'>): CheckpointChoice {
  let spec = node;
  const probed = inputs.providers;
  // Not probed (validate): the node starts from the first declared provider, as the spec says.
  if (!needsProviderChoice(spec) || probed === undefined || spec.checkpointSync.providers.some((url) => probed[url] === undefined)) {
    return { spec, notes: [] };
  }
  const decision = decideCheckpoint(spec, probed);
  const notes = describeDecision(redactDecision(decision));
  const choice: Omit<CheckpointChoice, 'spec'> = { decision: redactDecision(decision), notes };
  if (!decision.chosen) {
    notes.push(`held: ${spec.consensus.client} and its checkpoint files are left as they are until the providers agree`);
    return { spec, ...choice, held: `no trusted checkpoint: ${decision.reason ?? 'no quorum'}` };
  }
  spec = {
    ...spec,
    checkpointSync: { ...spec.checkpointSync, url: decision.chosen, alternatives: decision.alternatives, ...(decision.checkpoint ? { quorumCheckpoint: decision.checkpoint } : {}) },
  };
  if (spec.checkpointSync.source !== 'fleet-cache' || !decision.checkpoint) return { spec, ...choice };
  const key = checkpointNetworkKey(spec.network);
  const got = inputs.checkpointFiles?.[key];
  if (got === undefined) {
    // Not fetched (yet): the cache's resources are declared empty, so nothing is written or removed.
    const filesRequest: CheckpointFilesRequest = {
      networkKey: key,
      quorum: decision.checkpoint,
      providers: [decision.chosen, ...decision.alternatives],
      preset: spec.network.preset ?? 'mainnet',
      expiryHours: spec.cache.expiryHours,
      maxSizeMb: spec.cache.maxSizeMb,
      compression: spec.cache.compression,
      requestTimeoutSeconds: spec.networkTuning.requestTimeoutSeconds,
      ...(spec.network.genesis ? { genesisValidatorsRoot: spec.network.genesis.validatorsRoot } : {}),
    };
    return { spec, ...choice, filesRequest };
  }
  if ('error' in got) {
    notes.push(`held: ${spec.consensus.client} and its checkpoint files are left as they are until the fleet cache has a verified checkpoint`);
    return { spec, ...choice, held: `no checkpoint files: ${got.error}` };
  }
  const paths = fleetCachePaths(spec.cache.directory);
  const block = takesCheckpointBlock(spec.consensus.client) ? { blockFile: paths.block } : {};
  spec = { ...spec, checkpointSync: { ...spec.checkpointSync, stateFile: paths.state, ...block } };
  notes.push(
    `checkpoint files: finalized epoch ${got.checkpoint.epoch} root ${got.checkpoint.root} from the fleet cache (${got.source === 'download' ? 'downloaded this run' : 'cached on the controller'}), verified against the quorum`,
  );
  return { spec, ...choice, fleetFiles: got };
}
