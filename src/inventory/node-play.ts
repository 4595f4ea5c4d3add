// Plays with `ethereum_node: true`: each host's variables become a NodeSpec (src/node/spec.ts), the
// client profiles render it and nodeResources turns it into users, directories, files and units.
// Every problem is placed where the variable was written: inventory, group_vars, host_vars, play
// vars or -e. Pure.

import { flagName } from '../clients/args.js';
import { CONSENSUS_PROFILES } from '../clients/consensus.js';
import { EXECUTION_PROFILES } from '../clients/execution.js';
import type { ClientProfile, ConsensusClient, ExecutionClient, NetworkTuningSpec, NodeSpec } from '../clients/types.js';
import {
  checkpointNetworkKey,
  decideCheckpoint,
  describeDecision,
  fleetCachePaths,
  needsProviderChoice,
  redactDecision,
  takesCheckpointBlock,
  urlsCarrySecrets,
  type CheckpointDecision,
  type CheckpointFiles,
  type CheckpointFilesRequest,
} from '../node/checkpoint.js';
import type { ProviderResult } from '../providers/quorum.js';
import { NodeformError, type ConfigProblem } from '../errors.js';
import type { FileResource, Resource, UnitResource } from '../model/types.js';
import { FALLBACK_CONFIG, SWITCH_NOTE_PREFIX, checkpointFallbackResources } from '../node/checkpoint-fallback.js';
import { customNetwork } from '../node/network.js';
import {
  bytesFile,
  directory,
  envFilePath,
  initUnitName,
  nodeResources,
  textFile,
  unitName,
  type NetworkFile,
  type NodeResources,
  type NodeTemplates,
} from '../node/resources.js';
import { OLD_NODE_VARIABLES, nodeSpecFor, type ArgOrigin } from '../node/spec.js';
import { compareVersions } from '../node/version.js';
import { EPHEMERY_RELEASES_URL } from '../node/defaults.js';
import type { HostProblems, HostWarnings } from './host-problems.js';
import { resolveLocalPath, warningText, type Inventory, type VarOrigin } from './inventory.js';
import type { Play, Playbook } from './playbook.js';
import { NODE_VARIABLES } from './schema.js';
import { matchesSchema } from './schema-check.js';
import type { PathSegment } from './source.js';

export interface NodeProfiles {
  consensus: Record<ConsensusClient, ClientProfile>;
  execution: Record<ExecutionClient, ClientProfile>;
}

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
   * Ephemery releases the loader fetched, by releaseKey(url, iteration): the iteration and the
   * release's files (name -> base64), or why it could not be had.
   */
  releases?: Record<string, { iteration: number; files: Record<string, string> } | string>;
  /** Client binaries the loader downloaded for `install`, by installKey: the executable as base64, or why not. */
  binaries?: Record<string, string | { error: string }>;
  /**
   * What each checkpoint provider answered (the loader probes every provider any node needs, once per run),
   * by URL. Absent when nothing is probed (validate): nodes then start from the first declared provider.
   */
  providers?: Record<string, ProviderResult>;
  /** The fleet checkpoint cache's files, by checkpointNetworkKey (the loader gets them once per network). */
  checkpointFiles?: Record<string, CheckpointFiles>;
}

export function installKey(install: { sha256: string; archivePath?: string }): string {
  return `${install.sha256}:${install.archivePath ?? ''}`;
}

export function releaseKey(url: string, iteration: number | 'latest'): string {
  return `${url}#${iteration}`;
}

export interface NodePlayContext {
  inventory: Inventory;
  playbook: Playbook;
  inputs: NodeInputs;
  hostProblems: HostProblems;
  /** Warnings with their place (old variable names, overridden settings). */
  warnings: string[];
  /** Settings a client has no flag for, said once with the hosts named. */
  notApplicable: HostWarnings;
  /** Providers a node needs probed that inputs.providers does not have, with the tuning to probe them with. */
  providersToProbe: Map<string, NetworkTuningSpec>;
  /** Each host's checkpoint provider decision and what the plan says about it. */
  checkpoints: Map<string, { decision: CheckpointDecision; notes: string[] }>;
  /** Fleet-cache files a node needs that inputs.checkpointFiles does not have, by network key. */
  checkpointFilesToFetch: Map<string, CheckpointFilesRequest>;
}

interface Issue {
  path: PathSegment[];
  key?: boolean;
  column?: number;
}

const DEFAULT_PROFILES: NodeProfiles = { consensus: CONSENSUS_PROFILES, execution: EXECUTION_PROFILES };

function valueAt(vars: Record<string, unknown>, path: readonly PathSegment[]): unknown {
  let current: unknown = vars;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Where in a scalar's source text the character `column` of its value is, when the text shows the value as is. */
function scalarColumn(sourceText: string | undefined, value: unknown, column: number): number | undefined {
  if (sourceText === undefined || typeof value !== 'string') return undefined;
  if (sourceText === value) return column;
  const quoted = /^["']/.test(sourceText) && sourceText.slice(1, -1) === value;
  return quoted ? column + 1 : undefined;
}

/** The host's node resources for one play; problems and warnings go to the context. */
export function nodePlayResources(
  ctx: NodePlayContext,
  host: string,
  play: Play,
  vars: Record<string, unknown>,
  origins: Map<string, VarOrigin>,
): Resource[] {
  const source = ctx.playbook.source;
  const playAt: PathSegment[] = [play.index, 'ethereum_node'];
  const place = (issue: Issue): ConfigProblem => {
    const name = issue.path[0];
    const origin = typeof name === 'string' ? origins.get(name) : undefined;
    if (!origin) return source.problem(playAt, '', { key: true });
    const path = [...origin.path, ...issue.path.slice(1)];
    const column = issue.column === undefined ? undefined : scalarColumn(origin.source.sourceText(path), valueAt(vars, issue.path), issue.column);
    return origin.source.problem(path, '', { ...(issue.key ? { key: true } : {}), ...(column !== undefined ? { column } : {}) });
  };
  const problem = (issue: Issue, message: string): void => ctx.hostProblems.add(host, place(issue), (hosts) => `${message} (${hosts})`);
  const located = (issue: Issue, message: string): string => warningText({ ...place(issue), message });

  // Node variables the schema rejected are reported where they are written; building on them
  // would only repeat the mistake in other words.
  const nodeVars = Object.fromEntries(Object.entries(vars).filter(([name]) => Object.prototype.hasOwnProperty.call(NODE_VARIABLES, name)));
  if (!matchesSchema('inventoryVars', nodeVars)) return [];

  const profiles = ctx.inputs.profiles ?? DEFAULT_PROFILES;
  const defaultVersions = Object.fromEntries(
    [...Object.values(profiles.consensus), ...Object.values(profiles.execution)].map((profile) => [profile.name, profile.targetVersion]),
  );
  const result = nodeSpecFor(vars, host, { defaultVersions });
  for (const warning of result.warnings) ctx.warnings.push(located(warning, warning.message));
  for (const issue of result.problems) problem(issue, issue.message);
  if (!result.spec) return [];
  let spec: NodeSpec = result.spec;
  const selected = { consensus: profiles.consensus[spec.consensus.client], execution: profiles.execution[spec.execution.client] };

  let ok = true;
  for (const kind of ['consensus', 'execution'] as const) {
    const { version, client } = spec[kind];
    const profile = selected[kind];
    if ((compareVersions(version, profile.minVersion) ?? 0) < 0) {
      problem(
        { path: [kind, 'version'] },
        `${client} ${version} is older than ${profile.minVersion}, the oldest release nodeform's flags work with (they are checked against ${profile.targetVersion}): upgrade it`,
      );
      ok = false;
    }
  }
  let networkFiles: NetworkFile[] = [];
  // Without fetched releases (validate, which downloads nothing) a pinned iteration still renders,
  // its chain id known, its network files left out.
  if (result.networkSource?.kind === 'ephemery-release' && ctx.inputs.releases === undefined && result.networkSource.iteration === 'latest') {
    ctx.warnings.push(`${host}: network: ephemery with iteration latest is checked without its release (nothing is downloaded here)`);
    return [];
  }
  if (result.networkSource?.kind === 'ephemery-release' && ctx.inputs.releases !== undefined) {
    const { url, iteration } = result.networkSource;
    const release = ctx.inputs.releases[releaseKey(url, iteration)];
    if (release === undefined || typeof release === 'string') {
      problem({ path: ['network'] }, `cannot get the Ephemery release (${url}, iteration ${iteration})${release ? `: ${release}` : ''}`);
      return [];
    }
    const ephemery = customNetwork({ ...spec.network, iteration: release.iteration, chainId: undefined }, release.files);
    for (const message of ephemery.problems) problem({ path: ['network'] }, `Ephemery release ${release.iteration} ${message}`);
    if (ephemery.problems.length > 0) return [];
    spec = { ...spec, network: ephemery.network };
    // The host records the iteration it runs: a change of it is what triggers a reset of the chain.
    const dir = spec.network.files?.dir ?? '/etc/ethereum/ephemery';
    networkFiles = [...ephemery.files, { path: `${dir}/iteration`, base64: Buffer.from(`${release.iteration}\n`).toString('base64') }];
  }
  if (result.networkSource?.kind === 'directory') {
    const dir = resolveLocalPath(result.networkSource.path, ctx.inventory.baseDir, ctx.inventory.homeDir);
    const files = ctx.inputs.networkSources?.[dir];
    const at: Issue = { path: ['network', 'config_source'] };
    if (files === undefined || typeof files === 'string') {
      problem(at, `cannot read the directory ${dir}${files ? `: ${files}` : ''}`);
      return [];
    }
    const custom = customNetwork(spec.network, files);
    for (const message of custom.problems) problem(at, `${dir} ${message}`);
    if (custom.problems.length > 0) return [];
    spec = { ...spec, network: custom.network };
    networkFiles = custom.files;
  }
  if (!ok) return [];

  // The provider is chosen on the host's own network (its genesis is known only now, from the release).
  let held: string | undefined;
  let fleetFiles: Exclude<CheckpointFiles, { error: string }> | undefined;
  if (needsProviderChoice(spec)) {
    const probed = ctx.inputs.providers;
    if (probed === undefined || spec.checkpointSync.providers.some((url) => probed[url] === undefined)) {
      for (const url of spec.checkpointSync.providers) if (probed?.[url] === undefined) ctx.providersToProbe.set(url, spec.networkTuning);
    } else {
      const decision = decideCheckpoint(spec, probed);
      const notes = describeDecision(redactDecision(decision));
      if (decision.chosen) {
        spec = {
          ...spec,
          checkpointSync: { ...spec.checkpointSync, url: decision.chosen, alternatives: decision.alternatives, ...(decision.checkpoint ? { quorumCheckpoint: decision.checkpoint } : {}) },
        };
        if (spec.checkpointSync.source === 'fleet-cache' && decision.checkpoint) {
          const key = checkpointNetworkKey(spec.network);
          const got = ctx.inputs.checkpointFiles?.[key];
          if (got === undefined) {
            ctx.checkpointFilesToFetch.set(key, {
              networkKey: key,
              quorum: decision.checkpoint,
              providers: [decision.chosen, ...decision.alternatives],
              preset: spec.network.preset ?? 'mainnet',
              expiryHours: spec.cache.expiryHours,
              maxSizeMb: spec.cache.maxSizeMb,
              compression: spec.cache.compression,
              requestTimeoutSeconds: spec.networkTuning.requestTimeoutSeconds,
              ...(spec.network.genesis ? { genesisValidatorsRoot: spec.network.genesis.validatorsRoot } : {}),
            });
          } else if ('error' in got) {
            held = `no checkpoint files: ${got.error}`;
            notes.push(`held: ${spec.consensus.client} and its checkpoint files are left as they are until the fleet cache has a verified checkpoint`);
          } else {
            fleetFiles = got;
            const paths = fleetCachePaths(spec.cache.directory);
            const block = takesCheckpointBlock(spec.consensus.client) ? { blockFile: paths.block } : {};
            spec = { ...spec, checkpointSync: { ...spec.checkpointSync, stateFile: paths.state, ...block } };
            notes.push(
              `checkpoint files: finalized epoch ${got.checkpoint.epoch} root ${got.checkpoint.root} from the fleet cache (${got.source === 'download' ? 'downloaded this run' : 'cached on the controller'}), verified against the quorum`,
            );
          }
        }
      } else {
        held = `no trusted checkpoint: ${decision.reason ?? 'no quorum'}`;
        notes.push(`held: ${spec.consensus.client} and its checkpoint files are left as they are until the providers agree`);
      }
      ctx.checkpoints.set(host, { decision: redactDecision(decision), notes });
    }
  }

  const templates = ctx.inputs.templates;
  if (!templates) throw new Error('the node unit templates were not loaded (templates/systemd/ethereum-*.service.hbs)');
  let built: NodeResources;
  try {
    built = nodeResources(spec, selected, templates, networkFiles, [...new Set([...play.tags, 'node'])]);
  } catch (error) {
    if (!(error instanceof NodeformError)) throw error;
    problem({ path: [] }, error.message);
    return [];
  }

  if (result.networkSource?.kind === 'directory') {
    const copied = new Set(networkFiles.map((file) => file.path));
    const dir = `${spec.network.files?.dir ?? ''}/`;
    let complete = true;
    for (const kind of ['consensus', 'execution'] as const) {
      const rendering = built[kind];
      const words = [...rendering.argv, ...(rendering.initArgv ?? [])].map((word) => word.slice(word.indexOf('=') + 1));
      const missing = [...new Set(words.filter((word) => word.startsWith(dir) && !copied.has(word)))];
      for (const path of missing) {
        problem({ path: ['network', 'config_source'] }, `${result.networkSource.path} has no ${path.slice(dir.length)}, which ${spec[kind].client} needs`);
      }
      complete &&= missing.length === 0;
    }
    if (!complete) return [];
  }

  let managed = false;
  for (const kind of ['consensus', 'execution'] as const) {
    const owners = new Map(Object.entries(built[kind].managedFlags).map(([flag, setting]) => [bare(flag), setting]));
    spec[kind].extraArgs.forEach((word, index) => {
      const name = flagName(word);
      const setting = name === undefined ? undefined : owners.get(bare(name));
      if (name === undefined || setting === undefined) return;
      const origin: ArgOrigin = result.extraArgOrigins[kind][index] ?? { path: [] };
      problem(origin, managedMessage(name, setting, spec));
      managed = true;
    });
  }
  if (managed) return [];

  for (const kind of ['consensus', 'execution'] as const) {
    for (const entry of built[kind].notApplicable) {
      const path = entry.setting.split('.');
      const old = Object.entries(OLD_NODE_VARIABLES).find(([name, to]) => `${to.variable}.${to.key}` === entry.setting && vars[name] !== undefined);
      // Only what the operator wrote: a default the client cannot use is no news to them.
      if (valueAt(vars, path) === undefined && !old) continue;
      const client = spec[kind].client;
      ctx.notApplicable.add(host, (hosts) => located({ path: old ? [old[0]] : path }, `${entry.setting} does not apply to ${client} (${hosts}): ${entry.reason}`));
    }
  }

  const resources: Resource[] = [...built.resources];
  for (const kind of ['consensus', 'execution'] as const) {
    const install = spec[kind].install;
    if (!install || ctx.inputs.binaries === undefined) continue; // validate downloads nothing
    const bytes = ctx.inputs.binaries[installKey(install)];
    if (bytes === undefined || typeof bytes !== 'string') {
      problem({ path: [kind, 'install'] }, `cannot install ${spec[kind].client}: ${bytes?.error ?? 'it was not downloaded'}`);
      return [];
    }
    resources.push(bytesFile(spec[kind].binary, bytes, '0755', [...new Set([...play.tags, 'node'])]));
    // A new binary is a new release of the client: its service restarts onto it.
    const service = resources.find((r): r is UnitResource => r.kind === 'unit' && r.name === unitName(spec[kind].client));
    if (service) service.restartOn = [...service.restartOn, spec[kind].binary].sort();
  }
  for (const kind of ['consensus', 'execution'] as const) {
    const profile = selected[kind];
    resources.push({
      kind: 'binary',
      id: `binary:${spec[kind].binary}`,
      tags: [...new Set([...play.tags, 'node'])],
      path: spec[kind].binary,
      name: spec[kind].client,
      minVersion: profile.minVersion,
      targetVersion: profile.targetVersion,
    });
  }
  // Chain data can be wiped with the node's identity kept: by reset --wipe-data, and on Ephemery when a
  // new iteration (a new chain) arrives.
  const iterationFile = spec.network.name === 'ephemery' ? networkFiles.find((f) => f.path.endsWith('/iteration')) : undefined;
  const chainData = (kind: 'consensus' | 'execution') => built[kind].chainDataPaths.map((p) => `${spec[kind].dataDir}/${p}`.replace(/\/$/, ''));
  resources.push({
    kind: 'wipe',
    id: 'wipe:chain-data',
    tags: [...new Set([...play.tags, 'node'])],
    name: 'chain-data',
    ...(iterationFile ? { trigger: iterationFile.path } : {}),
    triggerLabel: 'ephemery iteration',
    stopUnits: [unitName(spec.consensus.client), unitName(spec.execution.client)],
    paths: [...chainData('consensus'), ...chainData('execution')],
    summary: `stop clients, wipe chain data keeping node identity, install new config, re-init ${built.execution.initArgv ? 'execution client' : 'clients'}, start`,
  });
  const fallback = checkpointFallback(spec, built, templates, held, [...new Set([...play.tags, 'node', 'checkpoint'])]);
  resources.push(...fallback);
  const cacheFiles = spec.checkpointSync.source === 'fleet-cache' && spec.checkpointSync.enabled ? fleetCacheResources(spec, fleetFiles, [...new Set([...play.tags, 'node', 'checkpoint'])]) : [];
  resources.push(...cacheFiles);

  if (held !== undefined) {
    // What the provider choice feeds: the checkpoint file and the consensus client's units (started without
    // a trusted checkpoint, it would sync from a provider nobody vouched for, or from genesis).
    const dependent = new Set([
      `file:${envFilePath(spec.consensus.client, 'checkpoint')}`,
      `unit:${unitName(spec.consensus.client)}`,
      `unit:${initUnitName(spec.consensus.client)}`,
      ...[...fallback, ...cacheFiles].map((r) => r.id),
    ]);
    for (const [index, resource] of resources.entries()) if (dependent.has(resource.id)) resources[index] = { ...resource, held };
  }
  const { file, line, column } = source.problem(playAt, '', { key: true }).position;
  const origin = `${file}:${line}:${column}`;
  return resources.map((resource) => ({ ...resource, origin }));
}

/**
 * The on-host fallback, for a node that starts from a provider and has more than one agreeing provider; its
 * config records the quorum (volatile: refreshed only when something else in it changes, so a finality that
 * moved on is not drift). Without a quorum it is still declared (held), so it is neither changed nor removed.
 */
function checkpointFallback(spec: NodeSpec, built: NodeResources, templates: NodeTemplates, held: string | undefined, tags: string[]): Resource[] {
  const cp = spec.checkpointSync;
  const envFile = envFilePath(spec.consensus.client, 'checkpoint');
  const env = built.resources.find((r): r is FileResource => r.kind === 'file' && r.path === envFile);
  if (env) env.hostNotes = [SWITCH_NOTE_PREFIX];
  // A provider URL with credentials or an API key in its query is a secret: the files naming it are not shown.
  const secret = urlsCarrySecrets(cp.providers);
  if (env && secret) env.secret = true;
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
function fleetCacheResources(spec: NodeSpec, files: Exclude<CheckpointFiles, { error: string }> | undefined, tags: string[]): Resource[] {
  const dir = spec.cache.directory;
  const paths = fleetCachePaths(dir);
  // Not fetched yet, or held: declared empty, so nothing is written and nothing is removed.
  const data = (path: string, bytes: { base64: string; sha256: string } | undefined) => bytesFile(path, bytes?.base64 ?? '', '0644', tags, bytes?.sha256 ?? '');
  const rule = `# Written by nodeform: checkpoint files of the fleet cache expire ${spec.cache.expiryHours}h after nodeform wrote them\n# (systemd-tmpfiles --clean; the next apply uploads a fresh one).\ne ${dir} - - - m:${spec.cache.expiryHours}h\n`;
  return [
    directory(dir, 'root', '0755', tags),
    data(paths.state, files?.state),
    ...(takesCheckpointBlock(spec.consensus.client) ? [data(paths.block, files?.block)] : []),
    textFile(paths.tmpfiles, rule, '0644', tags),
  ];
}

/** `--datadir` and `-datadir` are one flag to the Go clients. */
function bare(flag: string): string {
  return flag.replace(/^-+/, '');
}

function managedMessage(flag: string, setting: string, spec: NodeSpec): string {
  if (setting === 'jwt_path') return `${flag} is set by nodeform: both clients share the JWT at ${spec.jwtPath}; remove it from extra_args`;
  const variable = setting.startsWith('network.') ? 'network' : setting;
  if (Object.prototype.hasOwnProperty.call(NODE_VARIABLES, variable.split('.')[0]!)) return `${flag} is set by nodeform from ${variable}; set that instead`;
  return `${flag} is set by nodeform itself (${setting}); remove it from extra_args`;
}

/** Every network.config_source any host could use (inventory, play and -e vars), resolved: the loader reads these. */
export function configSourceDirectories(inventory: Inventory, playbook: Playbook, extraVars: Record<string, unknown>): string[] {
  const mappings = [
    ...Object.values(inventory.groups).map((group) => group.vars),
    ...Object.values(inventory.hosts).map((host) => host.vars),
    ...playbook.plays.filter((play) => play.ethereumNode).map((play) => play.vars),
    extraVars,
  ];
  const dirs = new Set<string>();
  for (const vars of mappings) {
    const source = valueAt(vars, ['network', 'config_source']);
    if (typeof source === 'string' && source !== '') dirs.add(resolveLocalPath(source, inventory.baseDir, inventory.homeDir));
  }
  return [...dirs];
}

/** Every Ephemery release a node could follow (inventory, play and -e vars): the loader fetches these. */
export function ephemeryReleases(inventory: Inventory, playbook: Playbook, extraVars: Record<string, unknown>): { url: string; iteration: number | 'latest' }[] {
  const mappings = [
    ...Object.values(inventory.groups).map((group) => group.vars),
    ...Object.values(inventory.hosts).map((host) => host.vars),
    ...playbook.plays.filter((play) => play.ethereumNode).map((play) => play.vars),
    extraVars,
  ];
  const wanted = new Map<string, { url: string; iteration: number | 'latest' }>();
  for (const vars of mappings) {
    const network = valueAt(vars, ['network']);
    const named = typeof network === 'string' ? network : valueAt(vars, ['network', 'name']);
    if (named !== 'ephemery') continue;
    const url = valueAt(vars, ['network', 'release_url']);
    const iteration = valueAt(vars, ['network', 'iteration']);
    const entry = {
      url: (typeof url === 'string' && url !== '' ? url : EPHEMERY_RELEASES_URL).replace(/\/+$/, ''),
      iteration: typeof iteration === 'number' ? iteration : ('latest' as const),
    };
    wanted.set(releaseKey(entry.url, entry.iteration), entry);
  }
  return [...wanted.values()];
}

/** Every client `install` any host could use (inventory, play and -e vars): the loader downloads these. */
export function clientInstalls(inventory: Inventory, playbook: Playbook, extraVars: Record<string, unknown>): { url: string; sha256: string; archivePath?: string }[] {
  const mappings = [
    ...Object.values(inventory.groups).map((group) => group.vars),
    ...Object.values(inventory.hosts).map((host) => host.vars),
    ...playbook.plays.filter((play) => play.ethereumNode).map((play) => play.vars),
    extraVars,
  ];
  const wanted = new Map<string, { url: string; sha256: string; archivePath?: string }>();
  for (const vars of mappings) {
    for (const kind of ['consensus', 'execution']) {
      const url = valueAt(vars, [kind, 'install', 'url']);
      const sha256 = valueAt(vars, [kind, 'install', 'sha256']);
      const archivePath = valueAt(vars, [kind, 'install', 'archive_path']);
      if (typeof url !== 'string' || typeof sha256 !== 'string') continue;
      const entry = { url, sha256, ...(typeof archivePath === 'string' ? { archivePath } : {}) };
      wanted.set(installKey(entry), entry);
    }
  }
  return [...wanted.values()];
}
