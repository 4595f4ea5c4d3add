// A node, as an operator declares it, becomes plain resources: users, directories, the host-made JWT,
// the network's files, each client's config files and hardened systemd units. Pure.

import { createHash } from 'node:crypto';
import type { ClientProfile, ClientRendering, NodeSpec } from '../clients/types.js';
import type { DirectoryResource, FileResource, Resource, UnitResource, UserResource } from '../model/types.js';
import { renderString } from '../render/handlebars.js';
import { execStart } from './systemd.js';

/** The group both clients' users belong to, so each can read the shared JWT. */
export const ETHEREUM_GROUP = 'ethereum';
export const ETC_DIR = '/etc/ethereum';

export interface NodeTemplates {
  /** templates/systemd/ethereum-client.service.hbs */
  client: string;
  /** templates/systemd/ethereum-init.service.hbs */
  init: string;
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
}

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

function user(name: string, home: string, tags: string[]): UserResource {
  return { kind: 'user', id: `user:${name}`, tags, name, system: true, group: name, groups: [ETHEREUM_GROUP], home, shell: '/usr/sbin/nologin' };
}

function directory(path: string, owner: string, mode: string, tags: string[]): DirectoryResource {
  return { kind: 'directory', id: `dir:${path}`, tags, path, mode, owner, group: owner === 'root' ? 'root' : owner };
}

function textFile(path: string, content: string, mode: string, tags: string[]): FileResource {
  return { kind: 'file', id: `file:${path}`, tags, path, content, encoding: 'utf8', sha256: sha256(content), mode, owner: 'root', group: 'root', secret: false };
}

function unit(name: string, content: string, options: { enabled: boolean; active: boolean; restartOn: string[]; tags: string[] }): UnitResource {
  return {
    kind: 'unit',
    id: `unit:${name}`,
    tags: options.tags,
    name,
    path: `/etc/systemd/system/${name}`,
    content,
    sha256: sha256(content),
    enabled: options.enabled,
    active: options.active,
    restartOn: [...new Set(options.restartOn)].sort(),
  };
}

function render(template: string, context: Record<string, unknown>, what: string): string {
  const out = renderString(template, context);
  if (!out.ok) throw new Error(`built-in template for ${what}: ${out.failure.message}`);
  return out.text;
}

/** Which tag a setting's flags belong to: `--tags cache` and `--tags network` apply only those. */
export function settingArea(setting: string): 'cache' | 'network' | undefined {
  if (setting.startsWith('cache.')) return 'cache';
  if (setting.startsWith('network_tuning.') || setting === 'consensus.peers' || setting === 'execution.peers') return 'network';
  return undefined;
}

/**
 * The command line split in three: the flags of cache settings and of network tuning go to environment
 * files the unit reads (so `--tags cache` changes only the cache file and restarts the client), the rest
 * stays in the unit. A flag's value word (`--cache 2048`) moves with it.
 */
export function splitArgv(argv: readonly string[], managedFlags: Record<string, string>): { base: string[]; cache: string[]; network: string[] } {
  const out = { base: [] as string[], cache: [] as string[], network: [] as string[] };
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
      const bytes = Buffer.from(f.base64, 'base64');
      networkPaths.push(f.path);
      resources.push({ kind: 'file', id: `file:${f.path}`, tags, path: f.path, content: f.base64, encoding: 'base64', sha256: sha256(bytes), mode: '0644', owner: 'root', group: 'root', secret: false });
    }
  }

  const clientFiles = (r: ClientRendering) => r.files.map((f) => textFile(f.path, f.content, f.mode, tags));
  const elFiles = clientFiles(execution);
  const clFiles = clientFiles(consensus);
  resources.push(...elFiles, ...clFiles);

  /** A one-shot init (geth/erigon genesis init, Nimbus trustedNodeSync) run only while chain data is absent. */
  const initUnit = (spec: typeof cl | typeof el, rendering: ClientRendering): string[] => {
    if (!rendering.initArgv) return [];
    const name = initUnitName(spec.client);
    const chainData = `${spec.dataDir}/${rendering.chainDataPaths[0] ?? ''}`.replace(/\/$/, '');
    const content = render(templates.init, { client: spec.client, user: spec.user, dataDir: spec.dataDir, chainData, execStart: execStart(rendering.initArgv) }, name);
    // Static and oneshot: never enabled, inactive between runs; the client's unit pulls it in.
    resources.push(unit(name, content, { enabled: false, active: false, restartOn: [], tags }));
    return [name];
  };
  /** The client's cache and network environment files, tagged so --tags cache / --tags network pick them. */
  const envFiles = (client: string, rendering: ClientRendering) => {
    const split = splitArgv(rendering.argv, rendering.managedFlags);
    const file = (area: 'cache' | 'network', words: string[]) => {
      const variable = `NODEFORM_${area.toUpperCase()}_ARGS`;
      // Words hold no whitespace (numbers and flags): systemd splits an unbraced $VAR on whitespace.
      const content = `# Written by nodeform: ${client}'s ${area} flags (nodeform apply --tags ${area} changes only these).\n${variable}=${words.join(' ')}\n`;
      return textFile(`${ETC_DIR}/${client}.${area}.env`, content, '0644', [...new Set([...tags, area])]);
    };
    const cache = file('cache', split.cache);
    const network = file('network', split.network);
    resources.push(cache, network);
    return { argv: [...split.base], envFiles: [cache.path, network.path] };
  };
  const elEnv = envFiles(el.client, execution);
  const clEnv = envFiles(cl.client, consensus);
  const unitTags = [...new Set([...tags, 'cache', 'network'])];

  const elUnit = unitName(el.client);
  const elInit = initUnit(el, execution);
  const clInit = initUnit(cl, consensus);
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
      execStart: `${execStart(clEnv.argv)} $NODEFORM_CACHE_ARGS $NODEFORM_NETWORK_ARGS`,
      environmentFiles: clEnv.envFiles,
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

  return { resources, warnings, consensus, execution };
}
