// A node, as an operator declares it, becomes plain resources: users, directories, the host-made JWT,
// the network's files, each client's config files and hardened systemd units. Pure.

import { settingArea, type EnvArea, type Setting } from '../clients/settings.js';
import type { ClientProfile, ClientRendering, NodeSpec } from '../clients/types.js';
import type { Resource, UserResource } from '../model/types.js';
import { bytesFile, directory, render, textFile, unit } from './builders.js';
import type { FallbackTemplates } from './checkpoint-fallback.js';
import type { MonitorTemplates } from './monitor-resources.js';
import { execStart } from './systemd.js';

/** The group both clients' users belong to, so each can read the shared JWT. */
export const ETHEREUM_GROUP = 'ethereum';
export const ETC_DIR = '/etc/ethereum';

export interface NodeTemplates {
  /** templates/systemd/ethereum-client.service.hbs */
  client: string;
  /** templates/systemd/ethereum-init.service.hbs */
  init: string;
  /** The on-host checkpoint fallback's script, service and timer (src/node/checkpoint-fallback.ts). */
  fallback?: FallbackTemplates;
  /** The on-host sync monitor's script, service and timer (src/node/monitor-resources.ts). */
  monitor?: MonitorTemplates;
}

/** A network file fetched by the controller (Ephemery release, custom network), bytes as base64. */
export interface NetworkFile {
  path: string;
  base64: string;
}

export interface NodeResources {
  resources: Resource[];
  /** Settings a client has no flag for, and other things the plan should say. */
  warnings: string[];
  consensus: ClientRendering;
  execution: ClientRendering;
  /** The consensus client's checkpoint file (environment file, or the YAML file it loads), when it has one. */
  checkpointFile?: string;
}

function user(name: string, home: string, tags: string[]): UserResource {
  return { kind: 'user', id: `user:${name}`, tags, name, system: true, group: name, groups: [ETHEREUM_GROUP], home, shell: '/usr/sbin/nologin' };
}

/** A client's environment file for one area of its flags: `/etc/ethereum/<client>.<area>.env`. */
export function envFilePath(client: string, area: EnvArea): string {
  return `${ETC_DIR}/${client}.${area}.env`;
}

type Area = EnvArea;

/**
 * The command line split by where each flag's setting goes (src/clients/settings.ts): cache settings, network
 * tuning and the checkpoint provider to environment files the unit reads (so `--tags cache` changes only the
 * cache file and restarts the client), the rest stays in the unit. A flag's value word (`--cache 2048`) moves with it.
 */
export function splitArgv(argv: readonly string[], managedFlags: Record<string, Setting>): Record<'base' | Area, string[]> {
  const out: Record<'base' | Area, string[]> = { base: [], cache: [], network: [], checkpoint: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const word = argv[i]!;
    const name = word.startsWith('-') ? word.split('=')[0]! : undefined;
    const owner = name !== undefined ? managedFlags[name] : undefined;
    const area = owner !== undefined ? settingArea(owner) : undefined;
    if (area === undefined) {
      out.base.push(word);
      continue;
    }
    out[area].push(word);
    const next = argv[i + 1];
    if (!word.includes('=') && next !== undefined && !next.startsWith('-')) {
      out[area].push(next);
      i += 1;
    }
  }
  return out;
}

export function unitName(client: string): string {
  return `${client}.service`;
}

export function initUnitName(client: string): string {
  return `${client}-init.service`;
}

/** The resources of one node; `profiles` are the client profiles by name. */
export function nodeResources(
  node: NodeSpec,
  profiles: { consensus: ClientProfile; execution: ClientProfile },
  templates: NodeTemplates,
  networkFiles: NetworkFile[],
  tags: string[],
): NodeResources {
  const cl = node.consensus;
  const el = node.execution;
  const consensus = profiles.consensus.render(node);
  const execution = profiles.execution.render(node);
  const warnings = [
    ...consensus.notApplicable.map((n) => `${n.setting} does not apply to ${cl.client}: ${n.reason}`),
    ...execution.notApplicable.map((n) => `${n.setting} does not apply to ${el.client}: ${n.reason}`),
  ];

  const resources: Resource[] = [user(el.user, el.dataDir, tags), user(cl.user, cl.dataDir, tags)];
  resources.push(directory(ETC_DIR, 'root', '0755', tags));
  const dataDirs = new Map<string, string>();
  for (const [spec, rendering] of [[el, execution], [cl, consensus]] as const) {
    for (const dir of [spec.dataDir, ...rendering.dataDirs]) dataDirs.set(dir, spec.user);
  }
  // 0700: the client's own; Nimbus also resets its data dir to 0700 at every start.
  for (const [dir, owner] of dataDirs) resources.push(directory(dir, owner, '0700', tags));

  resources.push({
    kind: 'file',
    id: `file:${node.jwtPath}`,
    tags,
    path: node.jwtPath,
    content: '',
    encoding: 'utf8',
    sha256: '',
    mode: '0640',
    owner: 'root',
    group: ETHEREUM_GROUP,
    secret: true,
    generate: 'hex32',
  });

  const networkPaths: string[] = [];
  if (node.network.files) {
    resources.push(directory(node.network.files.dir, 'root', '0755', tags));
    for (const f of networkFiles) {
      networkPaths.push(f.path);
      resources.push(bytesFile(f.path, f.base64, '0644', tags));
    }
  }

  const clientFiles = (r: ClientRendering) => r.files.map((f) => textFile(f.path, f.content, f.mode, tags));
  const elFiles = clientFiles(execution);
  const clFiles = clientFiles(consensus);
  resources.push(...elFiles, ...clFiles);

  /**
   * The client's cache, network and (consensus) checkpoint environment files, tagged so --tags cache /
   * network / checkpoint pick them. The checkpoint file is not a restart trigger: a provider matters only
   * when the client starts from an empty database, so a changed choice waits for the next start.
   */
  const envFiles = (client: string, rendering: ClientRendering, withCheckpoint: boolean) => {
    const split = splitArgv(rendering.argv, rendering.managedFlags);
    const initSplit = rendering.initArgv ? splitArgv(rendering.initArgv, rendering.managedFlags) : undefined;
    // Variables the client reads itself (a secret kept off its command line), by the area of their setting.
    const variables = (area: Area) => (rendering.environment ?? []).filter((v) => settingArea(v.setting) === area).map((v) => `${v.name}=${v.value}\n`);
    const file = (area: 'cache' | 'network' | 'checkpoint', words: string[], what: string) => {
      const variable = `NODEFORM_${area.toUpperCase()}_ARGS`;
      // Words hold no whitespace (numbers, flags and URLs): systemd splits an unbraced $VAR on whitespace.
      const args = area !== 'checkpoint' || words.length > 0 ? `${variable}=${words.join(' ')}\n` : '';
      const content = `# Written by nodeform: ${client}'s ${what}.\n${args}${variables(area).join('')}`;
      return textFile(envFilePath(client, area), content, '0644', [...new Set([...tags, area])]);
    };
    const cache = file('cache', split.cache, 'cache flags (nodeform apply --tags cache changes only these)');
    const network = file('network', split.network, 'network flags (nodeform apply --tags network changes only these)');
    const checkpointWords = [...split.checkpoint, ...(initSplit?.checkpoint ?? [])];
    const checkpointVariables = variables('checkpoint').length > 0;
    // A client that loads its checkpoint settings from a YAML file (Prysm's --config-file): that file instead,
    // named on its command line; the unit does not read it as an environment file.
    const config = withCheckpoint ? rendering.checkpointConfig : undefined;
    const configPath = `${ETC_DIR}/${client}.checkpoint.yaml`;
    const checkpoint = config
      ? textFile(
          configPath,
          `# Written by nodeform: ${client}'s checkpoint provider, a YAML file ${client} loads (${config.flag}); the on-host fallback, nodeform-checkpoint-fallback, may switch it.\n${config.entries.map((e) => `${e.name}: ${e.value}\n`).join('')}`,
          '0644',
          [...new Set([...tags, 'checkpoint'])],
        )
      : withCheckpoint && (checkpointWords.length > 0 || checkpointVariables)
        ? file('checkpoint', checkpointWords, 'checkpoint provider (the on-host fallback, nodeform-checkpoint-fallback, may switch it)')
        : undefined;
    resources.push(cache, network, ...(checkpoint ? [checkpoint] : []));
    return {
      argv: config ? [...split.base, `${config.flag}=${configPath}`] : split.base,
      initArgv: initSplit ? [...initSplit.base, ...initSplit.cache, ...initSplit.network] : undefined,
      initEnv: initSplit && initSplit.checkpoint.length > 0 && checkpoint ? checkpoint.path : undefined,
      envFiles: [cache.path, network.path],
      checkpointFile: checkpoint?.path,
      hasCheckpointArgs: split.checkpoint.length > 0,
      /** The unit reads the checkpoint file: for its words ($NODEFORM_CHECKPOINT_ARGS) or its variables. */
      readsCheckpointFile: split.checkpoint.length > 0 || checkpointVariables,
    };
  };
  const elEnv = envFiles(el.client, execution, false);
  const clEnv = envFiles(cl.client, consensus, true);

  /** A one-shot init (geth/erigon genesis init, Nimbus trustedNodeSync) run only while chain data is absent. */
  const initUnit = (spec: typeof cl | typeof el, rendering: ClientRendering, env: typeof clEnv): string[] => {
    if (!rendering.initArgv || !env.initArgv) return [];
    const name = initUnitName(spec.client);
    const chainData = `${spec.dataDir}/${rendering.chainDataPaths[0] ?? ''}`.replace(/\/$/, '');
    const execLine = env.initEnv ? `${execStart(env.initArgv)} $NODEFORM_CHECKPOINT_ARGS` : execStart(env.initArgv);
    const content = render(
      templates.init,
      { client: spec.client, user: spec.user, dataDir: spec.dataDir, chainData, execStart: execLine, environmentFiles: env.initEnv ? [env.initEnv] : [] },
      name,
    );
    // Static and oneshot: never enabled, inactive between runs; the client's unit pulls it in.
    resources.push(unit(name, content, { enabled: false, active: false, restartOn: [], tags }));
    return [name];
  };
  const unitTags = [...new Set([...tags, 'cache', 'network'])];

  const elUnit = unitName(el.client);
  const elInit = initUnit(el, execution, elEnv);
  const clInit = initUnit(cl, consensus, clEnv);
  const base = { targetVersion: '', wants: [] as string[], after: [] as string[], requires: [] as string[] };
  const elContent = render(
    templates.client,
    {
      ...base,
      label: 'Ethereum execution client',
      client: el.client,
      targetVersion: profiles.execution.targetVersion,
      user: el.user,
      execStart: `${execStart(elEnv.argv)} $NODEFORM_CACHE_ARGS $NODEFORM_NETWORK_ARGS`,
      environmentFiles: elEnv.envFiles,
      readWritePaths: [el.dataDir],
      timeoutStopSec: 300,
      requires: elInit,
      after: elInit,
    },
    elUnit,
  );
  resources.push(unit(elUnit, elContent, { enabled: true, active: true, restartOn: [...elFiles.map((f) => f.path), ...elEnv.envFiles, ...networkPaths], tags: unitTags }));

  const clUnit = unitName(cl.client);
  const clContent = render(
    templates.client,
    {
      ...base,
      label: 'Ethereum consensus client',
      client: cl.client,
      targetVersion: profiles.consensus.targetVersion,
      user: cl.user,
      execStart: `${execStart(clEnv.argv)} $NODEFORM_CACHE_ARGS $NODEFORM_NETWORK_ARGS${clEnv.hasCheckpointArgs ? ' $NODEFORM_CHECKPOINT_ARGS' : ''}`,
      environmentFiles: [...clEnv.envFiles, ...(clEnv.readsCheckpointFile && clEnv.checkpointFile ? [clEnv.checkpointFile] : [])],
      readWritePaths: [cl.dataDir],
      timeoutStopSec: 180,
      // Ordered after the execution client: the engine API must be there first.
      wants: [elUnit],
      after: [elUnit, ...clInit],
      requires: clInit,
    },
    clUnit,
  );
  resources.push(unit(clUnit, clContent, { enabled: true, active: true, restartOn: [...clFiles.map((f) => f.path), ...clEnv.envFiles, ...networkPaths], tags: unitTags }));

  return { resources, warnings, consensus, execution, ...(clEnv.checkpointFile ? { checkpointFile: clEnv.checkpointFile } : {}) };
}
