// Plays with `ethereum_node: true`: each host's node, step by step: its spec on its network
// (host-spec.ts), the client profiles' rendering (resources.ts), the checkpoint choice (checkpoint-choice.ts)
// and the checkpoint resources (checkpoint-resources.ts). Every problem is placed where the variable was
// written: inventory, group_vars, host_vars, play vars or -e. Everything from outside comes in NodeInputs,
// fetched before the build (needs.ts says what): nothing here asks for more. Pure.

import { flagName } from '../clients/args.js';
import type { Setting } from '../clients/settings.js';
import type { NodeSpec } from '../clients/types.js';
import { NodeformError, type ConfigProblem } from '../errors.js';
import type { HostProblems, HostWarnings } from '../inventory/host-problems.js';
import type { Inventory, VarOrigin } from '../inventory/inventory.js';
import type { Play, Playbook } from '../inventory/playbook.js';
import { NODE_VARIABLES } from './schema.js';
import { isSelectedByTags, type TagFilter } from '../inventory/tags.js';
import type { PathSegment } from '../inventory/source.js';
import { asWarning } from '../inventory/warnings.js';
import { chooseCheckpoint } from './checkpoint-choice.js';
import { checkpointFallback, fleetCacheResources } from './checkpoint-resources.js';
import { resolveNode, type Issue, type NodeReport } from './host-spec.js';
import { installKey, type NodeInputs } from './inputs.js';
import { localFile, stateOnlyUnit } from './builders.js';
import { OLD_FALLBACK_SERVICE } from './checkpoint-fallback.js';
import { monitorResources } from './monitor-resources.js';
import { initUnitName, envFilePath, nodeResources, unitName, type NodeResources } from './resources.js';
import { OLD_NODE_VARIABLES, type ArgOrigin } from './spec.js';
import type { CheckpointDecision, Resource, UnitResource } from '../model/types.js';

export interface NodePlayContext {
  inventory: Inventory;
  playbook: Playbook;
  inputs: NodeInputs;
  hostProblems: HostProblems;
  /** Warnings with their place (old variable names, overridden settings). */
  warnings: ConfigProblem[];
  /** Settings a client has no flag for, said once with the hosts named. */
  notApplicable: HostWarnings;
  /** Each host's checkpoint provider decision and what the plan says about it. */
  checkpoints: Map<string, { decision: CheckpointDecision; notes: string[] }>;
  /** What the plan says about each host's network (an Ephemery iteration not started yet). */
  networkNotes: Map<string, string[]>;
}

/**
 * The tags a node play's resources carry besides the play's and `node`: an environment file's area, both areas
 * on the client units (resources.ts), `checkpoint` on the fallback and the fleet cache (checkpoint-resources.ts),
 * `monitoring` on the on-host monitor (monitor-resources.ts); both on the directories those two share.
 */
export const NODE_TAG_SETS: readonly (readonly string[])[] = [[], ['cache'], ['network'], ['cache', 'network'], ['checkpoint'], ['monitoring'], ['checkpoint', 'monitoring']];

/** The tags of a node play's resource: the play's, `node`, and the resource's own areas (NODE_TAG_SETS), once each. */
const nodeTags = (play: Play, ...extra: readonly string[]): string[] => [...new Set([...play.tags, 'node', ...extra])];

/** Whether --tags/--skip-tags select anything of a node play: when not, the node is neither fetched for nor built. */
export function nodePlaySelected(play: Play, filter: TagFilter): boolean {
  return NODE_TAG_SETS.some((extra) => isSelectedByTags(nodeTags(play, ...extra), filter));
}

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

/** Places an issue among the host's variables: at the variable's origin, or at the play's ethereum_node. */
export function issuePlacer(
  playbook: Playbook,
  play: Play,
  vars: Record<string, unknown>,
  origins: Map<string, VarOrigin>,
): (issue: Issue) => Omit<ConfigProblem, 'message'> {
  const playAt: PathSegment[] = [play.index, 'ethereum_node'];
  return (issue) => {
    const name = issue.path[0];
    const origin = typeof name === 'string' ? origins.get(name) : undefined;
    if (!origin) return playbook.source.problem(playAt, '', { key: true });
    const path = [...origin.path, ...issue.path.slice(1)];
    const column = issue.column === undefined ? undefined : scalarColumn(origin.source.sourceText(path), valueAt(vars, issue.path), issue.column);
    return origin.source.problem(path, '', { ...(issue.key ? { key: true } : {}), ...(column !== undefined ? { column } : {}) });
  };
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
  const place = issuePlacer(ctx.playbook, play, vars, origins);
  const problem = (issue: Issue, message: string): void => ctx.hostProblems.add(host, place(issue), (hosts) => `${message} (${hosts})`);
  const located = (issue: Issue, message: string): ConfigProblem => asWarning({ ...place(issue), message });
  const report: NodeReport = { problem, warning: (issue, message) => ctx.warnings.push(located(issue, message)) };

  const resolved = resolveNode(vars, host, ctx.inputs, ctx.inventory, report);
  if (!resolved) return [];
  const { declared, profiles: selected, networkFiles } = resolved;
  if (resolved.notes.length > 0) ctx.networkNotes.set(host, resolved.notes);

  // The provider is chosen on the host's own network (its genesis is known only now, from the release).
  const choice = chooseCheckpoint(resolved.spec, ctx.inputs);
  const spec: NodeSpec = choice.spec;
  const { held, fleetFiles } = choice;
  if (choice.decision) ctx.checkpoints.set(host, { decision: choice.decision, notes: choice.notes });

  const templates = ctx.inputs.templates;
  if (!templates) throw new Error('the node unit templates were not loaded (templates/systemd/ethereum-*.service.hbs)');
  let built: NodeResources;
  try {
    built = nodeResources(spec, selected, templates, networkFiles, nodeTags(play));
  } catch (error) {
    if (!(error instanceof NodeformError)) throw error;
    problem({ path: [] }, error.message);
    return [];
  }

  if (declared.networkSource?.kind === 'directory') {
    const copied = new Set(networkFiles.map((file) => file.path));
    const dir = `${spec.network.files?.dir ?? ''}/`;
    let complete = true;
    for (const kind of ['consensus', 'execution'] as const) {
      const rendering = built[kind];
      const words = [...rendering.argv, ...(rendering.initArgv ?? [])].map((word) => word.slice(word.indexOf('=') + 1));
      const missing = [...new Set(words.filter((word) => word.startsWith(dir) && !copied.has(word)))];
      for (const path of missing) {
        problem({ path: ['network', 'config_source'] }, `${declared.networkSource.path} has no ${path.slice(dir.length)}, which ${spec[kind].client} needs`);
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
      const origin: ArgOrigin = declared.extraArgOrigins[kind][index] ?? { path: [] };
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
      ctx.notApplicable.add(host, located({ path: old ? [old[0]] : path }, ''), (hosts) => `${entry.setting} does not apply to ${client} (${hosts}): ${entry.reason}`);
    }
  }

  // A secret (a provider's credentials) that this client can take only on its command line: say so, per host.
  for (const kind of ['consensus', 'execution'] as const) {
    for (const entry of built[kind].argvSecrets ?? []) {
      const client = spec[kind].client;
      const path = vars.checkpoint_sync !== undefined ? ['checkpoint_sync'] : [];
      ctx.notApplicable.add(host, located({ path }, ''), (hosts) => `${entry.setting} would put a secret on ${client}'s command line (${hosts}): ${entry.reason}`);
    }
  }

  const resources: Resource[] = [...built.resources];
  for (const kind of ['consensus', 'execution'] as const) {
    const install = spec[kind].install;
    if (!install || ctx.inputs.binaries === undefined) continue; // validate downloads nothing
    const binary = ctx.inputs.binaries[installKey(install)];
    if (binary === undefined || 'error' in binary) {
      problem({ path: [kind, 'install'] }, `cannot install ${spec[kind].client}: ${binary?.error ?? 'it was not downloaded'}`);
      return [];
    }
    resources.push(localFile(spec[kind].binary, binary, '0755', nodeTags(play)));
    // A new binary is a new release of the client: its service restarts onto it.
    const service = resources.find((r): r is UnitResource => r.kind === 'unit' && r.name === unitName(spec[kind].client));
    if (service) service.restartOn = [...service.restartOn, spec[kind].binary].sort();
  }
  for (const kind of ['consensus', 'execution'] as const) {
    const profile = selected[kind];
    resources.push({
      kind: 'binary',
      id: `binary:${spec[kind].binary}`,
      tags: nodeTags(play),
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
    tags: nodeTags(play),
    name: 'chain-data',
    ...(iterationFile ? { trigger: iterationFile.path } : {}),
    triggerLabel: 'ephemery iteration',
    stopUnits: [unitName(spec.consensus.client), unitName(spec.execution.client)],
    paths: [...chainData('consensus'), ...chainData('execution')],
    summary: `stop clients, wipe chain data keeping node identity, install new config, re-init ${built.execution.initArgv ? 'execution client' : 'clients'}, start`,
  });
  const fallback = checkpointFallback(spec, built, templates, held, nodeTags(play, 'checkpoint'));
  resources.push(...fallback);
  // The old scripts' own fallback rewrote the client's checkpoint flags in place: beside nodeform it would undo
  // what nodeform declares. Stopped and disabled where a host has it; its file is not nodeform's and stays.
  resources.push(stateOnlyUnit(OLD_FALLBACK_SERVICE, { enabled: false, active: false }, nodeTags(play, 'checkpoint')));
  const cacheFiles = spec.checkpointSync.source === 'fleet-cache' && spec.checkpointSync.enabled ? fleetCacheResources(spec, fleetFiles, nodeTags(play, 'checkpoint')) : [];
  resources.push(...cacheFiles);
  if (templates.monitor) resources.push(...monitorResources(spec, host, templates.monitor, nodeTags(play, 'monitoring')));

  if (held !== undefined) {
    // What the provider choice feeds: the checkpoint file and the consensus client's units (started without
    // a trusted checkpoint, it would sync from a provider nobody vouched for, or from genesis).
    const dependent = new Set([
      `file:${built.checkpointFile ?? envFilePath(spec.consensus.client, 'checkpoint')}`,
      `unit:${unitName(spec.consensus.client)}`,
      `unit:${initUnitName(spec.consensus.client)}`,
      ...[...fallback, ...cacheFiles].map((r) => r.id),
    ]);
    for (const [index, resource] of resources.entries()) if (dependent.has(resource.id)) resources[index] = { ...resource, held };
  }
  const { file, line, column } = source.problem([play.index, 'ethereum_node'], '', { key: true }).position;
  const origin = `${file}:${line}:${column}`;
  return resources.map((resource) => ({ ...resource, origin }));
}

/** `--datadir` and `-datadir` are one flag to the Go clients. */
function bare(flag: string): string {
  return flag.replace(/^-+/, '');
}

function managedMessage(flag: string, setting: Setting, spec: NodeSpec): string {
  if (setting === 'jwt_path') return `${flag} is set by nodeform: both clients share the JWT at ${spec.jwtPath}; remove it from extra_args`;
  const variable = setting.startsWith('network.') ? 'network' : setting;
  if (Object.prototype.hasOwnProperty.call(NODE_VARIABLES, variable.split('.')[0]!)) return `${flag} is set by nodeform from ${variable}; set that instead`;
  return `${flag} is set by nodeform itself (${setting}); remove it from extra_args`;
}
