// Step four of a node play: the checkpoint resources besides the client's own flags: the on-host fallback
// that moves a client off a provider that died, and the fleet cache's files with their expiry rule. Pure.

import type { NodeSpec } from '../clients/types.js';
import type { FileResource, LocalFile, Resource } from '../model/types.js';
import { fleetCachePaths, takesCheckpointBlock, urlsCarrySecrets } from './checkpoint.js';
import type { VerifiedCheckpointFiles } from './checkpoint-choice.js';
import { FALLBACK_CONFIG, SWITCH_NOTE_PREFIX, checkpointFallbackResources } from './checkpoint-fallback.js';
import { bytesFile, directory, localFile, textFile } from './builders.js';
import { envFilePath, unitName, type NodeResources, type NodeTemplates } from './resources.js';

/**
 * The on-host fallback, for a node that starts from a provider and has more than one agreeing provider; its
 * config records the quorum (volatile: refreshed only when something else in it changes, so a finality that
 * moved on is not drift). Without a quorum it is still declared (held), so it is neither changed nor removed.
 */
export function checkpointFallback(spec: NodeSpec, built: NodeResources, templates: NodeTemplates, held: string | undefined, tags: string[]): Resource[] {
  const cp = spec.checkpointSync;
  const envFile = built.checkpointFile ?? envFilePath(spec.consensus.client, 'checkpoint');
  const env = built.resources.find((r): r is FileResource => r.kind === 'file' && r.path === envFile);
  if (env) env.hostNotes = [SWITCH_NOTE_PREFIX];
  // A provider URL with credentials or an API key in its query is a secret: the files naming it are not shown,
  // and other users of the host cannot read them (systemd reads an EnvironmentFile= as root; the client's
  // group may read it too, as with the JWT).
  const secret = urlsCarrySecrets(cp.url !== undefined ? [cp.url, ...cp.providers] : cp.providers);
  if (env && secret) {
    env.secret = true;
    env.mode = '0640';
    env.group = spec.consensus.user;
  }
  if (!env || !templates.fallback || !cp.fallback || cp.source !== 'provider' || cp.url === undefined) return [];
  if (held === undefined && (cp.alternatives.length === 0 || cp.quorumCheckpoint === undefined)) return [];
  const cl = spec.consensus;
  const address = cl.listenAddress === '0.0.0.0' ? '127.0.0.1' : cl.listenAddress;
  const resources = checkpointFallbackResources(
    {
      consensusClient: cl.client,
      consensusUnit: unitName(cl.client),
      beaconApiUrl: `http://${address}:${cl.ports.http}`,
      envFile,
      providers: [cp.url, ...cp.alternatives],
      quorum: cp.quorumCheckpoint ?? { epoch: 0, root: `0x${'0'.repeat(64)}` },
      ...(spec.network.genesis ? { genesisValidatorsRoot: spec.network.genesis.validatorsRoot } : {}),
      requestTimeoutSeconds: spec.networkTuning.requestTimeoutSeconds,
    },
    templates.fallback,
    tags,
  );
  for (const r of resources) {
    if (r.kind !== 'file' || r.path !== FALLBACK_CONFIG) continue;
    r.volatileLines = ['QUORUM_EPOCH=', 'QUORUM_ROOT=', '# Sourced by sh.'];
    if (secret) r.secret = true;
  }
  return resources;
}

/**
 * The fleet cache on a host: cache.directory, the verified state (and block) the client starts from, and a
 * systemd-tmpfiles rule that removes them once they are older than cache.expiry_hours (by modification time:
 * when nodeform wrote them). Without files (held, or not fetched yet) the same resources are declared with
 * empty content, so a hold keeps what the host has.
 */
export function fleetCacheResources(spec: NodeSpec, files: VerifiedCheckpointFiles | undefined, tags: string[]): Resource[] {
  const dir = spec.cache.directory;
  const paths = fleetCachePaths(dir);
  // Not fetched yet, or held: declared empty, so nothing is written and nothing is removed.
  const data = (path: string, file: LocalFile | undefined) => (file ? localFile(path, file, '0644', tags) : bytesFile(path, '', '0644', tags, ''));
  const rule = `# Written by nodeform: checkpoint files of the fleet cache expire ${spec.cache.expiryHours}h after nodeform wrote them\n# (systemd-tmpfiles --clean; the next apply uploads a fresh one).\ne ${dir} - - - m:${spec.cache.expiryHours}h\n`;
  return [
    directory(dir, 'root', '0755', tags),
    data(paths.state, files?.state),
    ...(takesCheckpointBlock(spec.consensus.client) ? [data(paths.block, files?.block)] : []),
    textFile(paths.tmpfiles, rule, '0644', tags),
  ];
}

