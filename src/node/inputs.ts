// What a node play is given besides the host's variables: templates, local network directories, and
// what the fetch layer (src/fetch/) got from outside. Plain data, keyed so the needs (src/node/needs.ts)
// and the build agree on what was asked for. Pure.

import { CONSENSUS_PROFILES } from '../clients/consensus.js';
import { EXECUTION_PROFILES } from '../clients/execution.js';
import type { ClientProfile, ConsensusClient, ExecutionClient } from '../clients/types.js';
import type { ProviderResult } from './quorum.js';
import type { CheckpointFiles } from './checkpoint.js';
import type { NodeTemplates } from './resources.js';
import type { LocalFile } from '../model/types.js';

export interface NodeProfiles {
  consensus: Record<ConsensusClient, ClientProfile>;
  execution: Record<ExecutionClient, ClientProfile>;
}

export const DEFAULT_PROFILES: NodeProfiles = { consensus: CONSENSUS_PROFILES, execution: EXECUTION_PROFILES };

/**
 * An Ephemery release as fetched: its iteration and files (name -> base64), or why it could not be had.
 * `upcoming`: for `latest`, a newer release whose chain has not started yet (genesis time in seconds), so
 * this is the one before it.
 */
export type FetchedRelease = { iteration: number; files: Record<string, string>; upcoming?: { iteration: number; genesisTime: number } } | string;

export interface NodeInputs {
  /** templates/systemd/ethereum-client.service.hbs and ethereum-init.service.hbs (the loader reads them). */
  templates?: NodeTemplates;
  /**
   * The files of each network.config_source directory, by the directory's resolved path: file name ->
   * bytes as base64, or why the directory could not be read.
   */
  networkSources?: Record<string, Record<string, string> | string>;
  /** Client profiles by name. Default: CONSENSUS_PROFILES and EXECUTION_PROFILES. */
  profiles?: NodeProfiles;
  /**
   * Ephemery releases the fetch layer got, by releaseKey(url, iteration). Absent when nothing is fetched
   * (validate): a pinned iteration is then checked without its files.
   */
  releases?: Record<string, FetchedRelease>;
  /** Client binaries downloaded for `install`, by installKey: the executable in the controller's cache, or why not. Absent: validate. */
  binaries?: Record<string, LocalFile | { error: string }>;
  /**
   * What each checkpoint provider answered, by URL. Absent when nothing is probed (validate): nodes then
   * start from the first declared provider.
   */
  providers?: Record<string, ProviderResult>;
  /** The fleet checkpoint cache's files, by checkpointNetworkKey (got once per network). */
  checkpointFiles?: Record<string, CheckpointFiles>;
}

export function installKey(install: { sha256: string; archivePath?: string }): string {
  return `${install.sha256}:${install.archivePath ?? ''}`;
}

export function releaseKey(url: string, iteration: number | 'latest'): string {
  return `${url}#${iteration}`;
}
