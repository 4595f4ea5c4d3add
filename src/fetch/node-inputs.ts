// The one I/O layer between the needs (src/node/needs.ts) and the build: Ephemery releases, client
// binaries, checkpoint provider probes and the fleet cache's checkpoint files, each fetched once per run
// and handed over as plain NodeInputs. A failure becomes the entry's reason, for the build to report where
// the variable was written. Long downloads say so through `progress` (the CLI writes it to stderr).

import { redactUrl, type CheckpointFiles, type CheckpointFilesRequest } from '../node/checkpoint.js';
import { installKey, releaseKey, type NodeInputs } from '../node/inputs.js';
import { genesisOfState, iterationToFollow } from '../node/network.js';
import type { NodeNeeds, ProviderNeed } from '../node/needs.js';
import type { ProviderResult } from '../node/quorum.js';
import type { InstallSpec } from '../clients/types.js';

export interface FetchContext {
  /** The controller's download cache (defaultCacheDir of the CLI's environment). */
  cacheDir: string;
  /** One line per download that is actually made (not served from the cache), e.g. for stderr. */
  progress?: (line: string) => void;
  /** The time of the run (ms since the epoch), given by the loader: `latest` follows a release only once its chain has started. */
  now: number;
}

/** Round one's fetch: releases, binaries and provider answers, all at once. */
export async function fetchNodeNeeds(needs: NodeNeeds, context: FetchContext): Promise<Pick<NodeInputs, 'releases' | 'binaries' | 'providers'>> {
  const [releases, binaries, providers] = await Promise.all([
    fetchEphemeryReleases(needs.releases, context),
    fetchClientBinaries(needs.binaries, context),
    probeCheckpointProviders(needs.providers),
  ]);
  return { releases, binaries, ...(needs.providers.length > 0 ? { providers } : {}) };
}

/** Each Ephemery release once (the cache makes later runs free of downloads). */
export async function fetchEphemeryReleases(wanted: readonly { url: string; iteration: number | 'latest' }[], context: FetchContext): Promise<NonNullable<NodeInputs['releases']>> {
  const releases: NonNullable<NodeInputs['releases']> = {};
  if (wanted.length === 0) return releases;
  // Loaded only when a release is wanted: the HTTP and tar code is a large part of start-up.
  const { fetchRelease } = await import('./ephemery.js');
  for (const { url, iteration } of wanted) {
    try {
      const fetch = (which: number | 'latest') =>
        fetchRelease({
          releaseUrl: url,
          iteration: which,
          cacheDir: context.cacheDir,
          ...(context.progress ? { onDownload: (archive: string) => context.progress?.(`downloading the Ephemery release ${redactUrl(archive)}`) } : {}),
        });
      let release = await fetch(iteration);
      let upcoming: { iteration: number; genesisTime: number } | undefined;
      if (iteration === 'latest') {
        const genesis = genesisOfState(release.files.get('genesis.ssz') ?? Buffer.alloc(0));
        const follow = iterationToFollow(release.iteration, genesis ? Number(genesis.time) : undefined, context.now);
        if (follow.upcoming) {
          upcoming = follow.upcoming;
          release = await fetch(follow.iteration);
        }
      }
      releases[releaseKey(url, iteration)] = {
        iteration: release.iteration,
        files: Object.fromEntries([...release.files].map(([name, bytes]) => [name, bytes.toString('base64')])),
        ...(upcoming ? { upcoming } : {}),
      };
    } catch (error) {
      releases[releaseKey(url, iteration)] = (error as Error).message;
    }
  }
  return releases;
}

/** Each client binary an `install` names, downloaded once and checked. */
export async function fetchClientBinaries(wanted: readonly InstallSpec[], context: FetchContext): Promise<NonNullable<NodeInputs['binaries']>> {
  const binaries: NonNullable<NodeInputs['binaries']> = {};
  if (wanted.length === 0) return binaries;
  const { fetchBinary } = await import('./binaries.js');
  for (const install of wanted) {
    try {
      const onDownload = context.progress ? () => context.progress?.(`downloading ${redactUrl(install.url)}`) : undefined;
      binaries[installKey(install)] = await fetchBinary(install, context.cacheDir, undefined, onDownload);
    } catch (error) {
      binaries[installKey(install)] = { error: (error as Error).message };
    }
  }
  return binaries;
}

/** Every provider once, all at once; providers wanted with different network_tuning are probed in separate rounds. */
export async function probeCheckpointProviders(wanted: readonly ProviderNeed[]): Promise<Record<string, ProviderResult>> {
  if (wanted.length === 0) return {};
  const { probeProviders } = await import('./probe.js');
  const rounds = new Map<string, { tuning: ProviderNeed['tuning']; urls: string[] }>();
  for (const { url, tuning } of wanted) {
    const key = JSON.stringify(tuning);
    const round = rounds.get(key) ?? { tuning, urls: [] };
    round.urls.push(url);
    rounds.set(key, round);
  }
  const answers = await Promise.all([...rounds.values()].map(({ tuning, urls }) => probeProviders(urls, {}, tuning)));
  return Object.fromEntries(answers.flat().map((result) => [result.url, result]));
}

/** Round two's fetch: the fleet cache's checkpoint files per network, from the controller's cache or downloaded and verified. */
export async function fetchCheckpointFiles(wanted: readonly CheckpointFilesRequest[], context: FetchContext): Promise<Record<string, CheckpointFiles>> {
  const files: Record<string, CheckpointFiles> = {};
  if (wanted.length === 0) return files;
  const { cachedCheckpoint } = await import('./checkpoint-cache.js');
  for (const request of wanted) {
    try {
      const got = await cachedCheckpoint({
        cacheDir: context.cacheDir,
        ...request,
        ...(context.progress
          ? { onDownload: (provider: string) => context.progress?.(`downloading the finalized state of epoch ${request.quorum.epoch} from ${redactUrl(provider)}`) }
          : {}),
      });
      // Referred to in the cache, never read here: the apply streams them to the hosts that lack them.
      const local = (file: { path: string; bytes: number; sha256: string }) => ({ path: file.path, size: file.bytes, sha256: file.sha256 });
      files[request.networkKey] = { checkpoint: got.checkpoint, source: got.source, state: local(got.state), block: local(got.block) };
    } catch (error) {
      files[request.networkKey] = { error: (error as Error).message };
    }
  }
  return files;
}
