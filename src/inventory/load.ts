// The one module of the inventory/render side that touches the file system: it reads the
// inventory, group_vars/host_vars, -e @files, the playbook and its templates, then hands the
// texts to the pure pipeline (project.ts). Problems come back all at once in a ConfigError.

import { readFileSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { readText, readVarsDirectory, type Unreadable } from '../files/read.js';
import type { NetworkTuningSpec } from '../clients/types.js';
import type { Desired, HostConnection } from '../model/types.js';
import type { CheckpointFiles, CheckpointFilesRequest } from '../node/checkpoint.js';
import type { ProviderResult } from '../providers/quorum.js';
import { FALLBACK_TEMPLATE_FILES } from '../node/checkpoint-fallback.js';
import { NETWORK_SOURCE_FILES } from '../node/defaults.js';
import type { NodeTemplates } from '../node/resources.js';
import { isInside, templateCandidates } from '../render/templates.js';
import { targetConnections, type InventoryHostEntry } from './desired.js';
import { extraVarFileReferences } from './extra-vars.js';
import { parseInventory, type Inventory } from './inventory.js';
import { clientInstalls, configSourceDirectories, ephemeryReleases, installKey, releaseKey, type NodeInputs } from './node-play.js';
import { defaultCacheDir } from '../network/cache.js';
import { templateReferences } from './playbook.js';
import { buildInventory, buildProject, parseSources, type ProjectSources } from './project.js';
import { problemInText, type SourceFile } from './source.js';

export interface LoadOptions {
  /** The inventory file, as the user gave it (messages show paths relative to it the same way). */
  inventoryPath: string;
  /** The playbook; without it, nodeform_playbook from the inventory's all.vars. */
  playbookPath?: string;
  /** Raw -e arguments: `key=value ...`, `{yaml or json}` or `@file.yaml` (relative to the working directory). */
  extraVars?: string[];
  /** --limit host pattern. */
  limit?: string;
  /** --tags and --skip-tags values; commas split. */
  tags?: string[];
  skipTags?: string[];
  /** Directories outside the playbook's and nodeform's own from which `template:` may also read (--template-dir). */
  templateDirs?: string[];
  /** Directory `-e @file` paths are relative to. Default: process.cwd(). */
  cwd?: string;
  /** Where downloaded network releases are kept. Default: $XDG_CACHE_HOME/nodeform or ~/.cache/nodeform. */
  cacheDir?: string;
  /**
   * Called with the hosts the run will handle as soon as the inventory, playbook and -e parse without a
   * problem, before templates are read and rendered: a plan starts connecting then. Never called when they have
   * problems, so a broken configuration contacts no host.
   */
  onHosts?: (connections: HostConnection[]) => void;
}

export interface LoadedProject {
  /** One entry per selected host, in inventory order. */
  desired: Desired[];
  inventory: Inventory;
  /** The playbook used (given, or from nodeform_playbook). */
  playbookPath: string;
  warnings: string[];
}

export interface ProjectValidation {
  /** Empty when the project is valid. */
  problems: ConfigProblem[];
  warnings: string[];
  /** What would be applied (empty when there are problems). */
  desired: Desired[];
}

export interface LoadedInventory {
  inventory: Inventory;
  /** Hosts selected by --limit (all without it), with connection and settings; -e applies. */
  hosts: InventoryHostEntry[];
  warnings: string[];
}

/** Reads everything and builds Desired[]; throws ConfigError listing every problem found. */
export async function loadProject(options: LoadOptions): Promise<LoadedProject> {
  const result = await readAndBuild(options);
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  return { desired: result.desired, inventory: result.inventory!, playbookPath: result.playbookPath!, warnings: result.warnings };
}

/** What `nodeform validate` runs: everything loadProject does; every problem found, none when valid. */
export async function validateProject(options: LoadOptions): Promise<ConfigProblem[]> {
  // Checking the configuration downloads nothing: nodes are checked without their network's release.
  return (await readAndBuild({ ...options, offline: true })).problems;
}

/** validateProject with the warnings and the Desired[] too (for a summary). Never throws ConfigError. */
export async function checkProject(options: LoadOptions): Promise<ProjectValidation> {
  const result = await readAndBuild({ ...options, offline: true });
  return { problems: result.problems, warnings: result.warnings, desired: result.problems.length > 0 ? [] : result.desired };
}

/** The inventory alone, for commands that need hosts but no playbook (reset). Throws ConfigError. */
export async function loadInventory(options: Pick<LoadOptions, 'inventoryPath' | 'extraVars' | 'limit' | 'cwd'>): Promise<LoadedInventory> {
  const sources = await readInventorySources(options.inventoryPath);
  if ('problem' in sources) throw new ConfigError([sources.problem]);
  if ('problems' in sources) throw new ConfigError(sources.problems);
  const extraVarFiles = await readExtraVarFiles(options.extraVars ?? [], options.cwd);
  const result = buildInventory(
    { ...sources, extraVarFiles },
    {
      baseDir: resolve(dirname(options.inventoryPath)),
      homeDir: homedir(),
      extraVars: options.extraVars ?? [],
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    },
  );
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  return { inventory: result.inventory, hosts: result.hosts, warnings: result.warnings };
}

interface ReadAndBuild {
  desired: Desired[];
  inventory?: Inventory;
  playbookPath?: string;
  problems: ConfigProblem[];
  warnings: string[];
}

async function readAndBuild(options: LoadOptions & { offline?: boolean }): Promise<ReadAndBuild> {
  const failed = (problem: ConfigProblem): ReadAndBuild => ({ desired: [], problems: [problem], warnings: [] });
  const inventorySources = await readInventorySources(options.inventoryPath);
  if ('problem' in inventorySources) return failed(inventorySources.problem);
  if ('problems' in inventorySources) return { desired: [], problems: inventorySources.problems, warnings: [] };
  const baseDir = resolve(dirname(options.inventoryPath));
  const homeDir = homedir();

  // The inventory may name the playbook; parsing is pure and cheap, so it is simply done again below.
  let playbookPath = options.playbookPath;
  const parsedInventory = parseInventory(inventorySources, { baseDir, homeDir });
  const playbookFromInventory = parsedInventory.inventory.playbook;
  if (playbookPath === undefined) {
    // A broken inventory may well name the playbook: its own problems come first.
    if (!playbookFromInventory && parsedInventory.fatal) {
      return { desired: [], problems: parsedInventory.problems, warnings: parsedInventory.warnings };
    }
    if (!playbookFromInventory) {
      return failed({
        position: { file: options.inventoryPath, line: 1, column: 1 },
        field: 'all.vars.nodeform_playbook',
        message: 'no playbook given: pass the playbook path on the command line, or set nodeform_playbook in all.vars of the inventory',
      });
    }
    playbookPath = playbookFromInventory.resolved;
  }
  const playbookText = await readText(playbookPath);
  if (typeof playbookText !== 'string') {
    if (options.playbookPath === undefined && playbookFromInventory) {
      const origin = playbookFromInventory.position;
      const text = origin.file === inventorySources.inventory.file ? inventorySources.inventory.text : '';
      return failed(
        problemInText({ file: origin.file, text }, origin.line, origin.column, playbookFromInventory.field, `cannot read playbook ${playbookPath}: ${playbookText.reason}`),
      );
    }
    return failed(unreadableProblem(playbookPath, 'playbook', playbookText));
  }
  const playbook: SourceFile = { file: playbookPath, text: playbookText };
  const extraVarFiles = await readExtraVarFiles(options.extraVars ?? [], options.cwd);
  // Parsed once here; every build below reuses it.
  const parsed = parseSources({ ...inventorySources, playbook, extraVarFiles }, { baseDir, homeDir, extraVars: options.extraVars ?? [] }, parsedInventory);
  const parsedPlaybook = parsed.playbook.playbook;
  if (options.onHosts && parsed.inventory.problems.length + parsed.playbook.problems.length + parsed.extra.problems.length === 0) {
    options.onHosts(
      targetConnections(parsedInventory.inventory, parsedPlaybook, {
        extraVars: parsed.extra.vars,
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
      }),
    );
  }

  const templates: Record<string, SourceFile | { refused: string }> = {};
  const builtinTemplates = join(projectRoot(), 'templates');
  for (const reference of templateReferences(parsedPlaybook)) {
    const found = await readTemplate(reference, resolve(playbookPath), builtinTemplates, (options.templateDirs ?? []).map((dir) => resolve(dir)));
    if (found) templates[reference] = found;
  }

  let node: NodeInputs | undefined;
  if (parsedPlaybook.plays.some((play) => play.ethereumNode)) {
    const extraVars = parsed.extra.vars;
    node = {
      templates: await readNodeTemplates(builtinTemplates),
      networkSources: await readNetworkSources(configSourceDirectories(parsedInventory.inventory, parsedPlaybook, extraVars)),
      ...(options.offline
        ? {}
        : {
            releases: await readEphemeryReleases(ephemeryReleases(parsedInventory.inventory, parsedPlaybook, extraVars), options.cacheDir),
            binaries: await readClientBinaries(clientInstalls(parsedInventory.inventory, parsedPlaybook, extraVars), options.cacheDir),
          }),
    };
  }
  const sources: ProjectSources = { ...inventorySources, playbook, templates, extraVarFiles, ...(node ? { node } : {}) };
  const projectOptions = {
    baseDir,
    homeDir,
    extraVars: options.extraVars ?? [],
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.tags !== undefined ? { tags: options.tags } : {}),
    ...(options.skipTags !== undefined ? { skipTags: options.skipTags } : {}),
  };
  let result = buildProject(sources, projectOptions, parsed);
  // Which providers the selected nodes use is known once their variables are resolved: probe exactly those
  // (once each, all at once), then build again with the answers. validate probes nothing.
  if (!options.offline && node && result.problems.length === 0 && result.providersToProbe.length > 0) {
    node.providers = await probeCheckpointProviders(result.providersToProbe);
    result = buildProject(sources, projectOptions, parsed);
  }
  // Fleet-cache nodes start from files: one verified download per network serves them all.
  if (!options.offline && node && result.problems.length === 0 && result.checkpointFilesToFetch.length > 0) {
    node.checkpointFiles = await fetchCheckpointFiles(result.checkpointFilesToFetch, options.cacheDir ?? defaultCacheDir(process.env));
    result = buildProject(sources, projectOptions, parsed);
  }
  return { ...result, playbookPath };
}

/** The fleet cache's checkpoint files per network, from the controller's cache or downloaded and verified now. */
async function fetchCheckpointFiles(wanted: CheckpointFilesRequest[], cacheDir: string): Promise<Record<string, CheckpointFiles>> {
  const { cachedCheckpoint } = await import('../providers/checkpoint-cache.js');
  const files: Record<string, CheckpointFiles> = {};
  for (const request of wanted) {
    try {
      const got = await cachedCheckpoint({ cacheDir, ...request });
      const read = async (file: { path: string; sha256: string }) => ({ base64: (await readFile(file.path)).toString('base64'), sha256: file.sha256 });
      files[request.networkKey] = { checkpoint: got.checkpoint, source: got.source, state: await read(got.state), block: await read(got.block) };
    } catch (error) {
      files[request.networkKey] = { error: (error as Error).message };
    }
  }
  return files;
}

/** Every provider once; providers wanted with different network_tuning are probed in separate rounds. */
async function probeCheckpointProviders(wanted: { url: string; tuning: NetworkTuningSpec }[]): Promise<Record<string, ProviderResult>> {
  const { probeProviders } = await import('../providers/probe.js');
  const rounds = new Map<string, { tuning: NetworkTuningSpec; urls: string[] }>();
  for (const { url, tuning } of wanted) {
    const key = JSON.stringify(tuning);
    const round = rounds.get(key) ?? { tuning, urls: [] };
    round.urls.push(url);
    rounds.set(key, round);
  }
  const answers = await Promise.all([...rounds.values()].map(({ tuning, urls }) => probeProviders(urls, {}, tuning)));
  return Object.fromEntries(answers.flat().map((result) => [result.url, result]));
}

/** Each Ephemery release any host follows, fetched once (the cache makes later runs free of downloads). */
async function readEphemeryReleases(
  wanted: { url: string; iteration: number | 'latest' }[],
  cacheDir: string | undefined,
): Promise<NonNullable<NodeInputs['releases']>> {
  const releases: NonNullable<NodeInputs['releases']> = {};
  if (wanted.length === 0) return releases;
  // Loaded only when a release is wanted: the HTTP and tar code is a large part of start-up.
  const { fetchRelease } = await import('../network/fetch.js');
  for (const { url, iteration } of wanted) {
    try {
      const release = await fetchRelease({ releaseUrl: url, iteration, cacheDir: cacheDir ?? defaultCacheDir(process.env) });
      releases[releaseKey(url, iteration)] = {
        iteration: release.iteration,
        files: Object.fromEntries([...release.files].map(([name, bytes]) => [name, bytes.toString('base64')])),
      };
    } catch (error) {
      releases[releaseKey(url, iteration)] = (error as Error).message;
    }
  }
  return releases;
}

/** Each client binary an `install` names, downloaded once and checked. */
async function readClientBinaries(
  wanted: { url: string; sha256: string; archivePath?: string }[],
  cacheDir: string | undefined,
): Promise<NonNullable<NodeInputs['binaries']>> {
  const binaries: NonNullable<NodeInputs['binaries']> = {};
  if (wanted.length === 0) return binaries;
  const { fetchBinary } = await import('../network/binaries.js');
  for (const install of wanted) {
    try {
      binaries[installKey(install)] = (await fetchBinary(install, cacheDir ?? defaultCacheDir(process.env))).toString('base64');
    } catch (error) {
      binaries[installKey(install)] = { error: (error as Error).message };
    }
  }
  return binaries;
}

/**
 * A playbook's template from the first candidate that exists, once its links are followed inside the directory
 * it was found in (a link out of the project is refused like a path out of it); undefined when none exists.
 */
async function readTemplate(reference: string, playbookFile: string, builtinTemplates: string, allowedDirs: string[]): Promise<SourceFile | { refused: string } | undefined> {
  const lookup = templateCandidates(reference, playbookFile, builtinTemplates, allowedDirs);
  if ('refused' in lookup) return lookup;
  for (const candidate of lookup.candidates) {
    const real = await realpath(candidate.path).catch(() => undefined);
    if (real === undefined) continue;
    const root = await realpath(candidate.root).catch(() => candidate.root);
    if (!isInside(root, real) && !allowedDirs.some((dir) => isInside(dir, real))) {
      return { refused: `template '${reference}' is a link to ${real}, outside the playbook's directory and nodeform's templates/: allow it with --template-dir DIR` };
    }
    const text = await readText(candidate.path);
    if (typeof text === 'string') return { file: candidate.path, text };
    return { refused: `cannot read template ${candidate.path}: ${text.reason}` };
  }
  return undefined;
}

/** The unit templates of ethereum_node plays, from nodeform's own templates/systemd/. */
async function readNodeTemplates(builtinTemplates: string): Promise<NodeTemplates> {
  const read = async (name: string): Promise<string> => {
    const path = join(builtinTemplates, name);
    const text = await readText(path);
    if (typeof text !== 'string') throw new Error(`nodeform's own template ${path} is missing (${text.reason}): the installation is broken`);
    return text;
  };
  return {
    client: await read('systemd/ethereum-client.service.hbs'),
    init: await read('systemd/ethereum-init.service.hbs'),
    fallback: {
      script: await read(FALLBACK_TEMPLATE_FILES.script),
      service: await read(FALLBACK_TEMPLATE_FILES.service),
      timer: await read(FALLBACK_TEMPLATE_FILES.timer),
    },
  };
}

/** The files nodeform knows in each config_source directory, as base64; a string says why a directory could not be read. */
async function readNetworkSources(dirs: string[]): Promise<Record<string, Record<string, string> | string>> {
  const sources: Record<string, Record<string, string> | string> = {};
  for (const dir of dirs) {
    const info = await stat(dir).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      sources[dir] = info.code === 'ENOENT' ? 'no such directory' : info.message;
      continue;
    }
    if (!info.isDirectory()) {
      sources[dir] = 'not a directory';
      continue;
    }
    const files: Record<string, string> = {};
    let unreadable: string | undefined;
    for (const name of NETWORK_SOURCE_FILES) {
      const bytes = await readFile(join(dir, name)).catch((error: NodeJS.ErrnoException) => error);
      if (!(bytes instanceof Error)) files[name] = bytes.toString('base64');
      else if (bytes.code !== 'ENOENT') unreadable ??= `cannot read ${name}: ${bytes.message}`;
    }
    sources[dir] = unreadable ?? files;
  }
  return sources;
}

/**
 * The inventory file and its group_vars/ and host_vars/ files, read as Ansible does (readVarsDirectory); problems
 * when one cannot be read. Exported for `nodeform import`, which rewrites exactly the files loaded here.
 */
export async function readInventorySources(  inventoryPath: string,
): Promise<Pick<ProjectSources, 'inventory' | 'groupVars' | 'hostVars'> | { problem: ConfigProblem } | { problems: ConfigProblem[] }> {
  const text = await readText(inventoryPath);
  if (typeof text !== 'string') return { problem: unreadableProblem(inventoryPath, 'inventory', text) };
  const dir = dirname(inventoryPath);
  const groupVars = await readVarsDirectory(join(dir, 'group_vars'));
  const hostVars = await readVarsDirectory(join(dir, 'host_vars'));
  // A vars file that was meant to be read and was not would change every host's settings in silence.
  const unreadable = [...groupVars.unreadable, ...hostVars.unreadable];
  if (unreadable.length > 0) return { problems: unreadable.map((entry) => unreadableProblem(entry.path, 'vars file', entry)) };
  return { inventory: { file: inventoryPath, text }, groupVars: groupVars.files, hostVars: hostVars.files };
}

/** A file that could not be used, placed at the bad byte when there is one. */
function unreadableProblem(file: string, what: string, why: Unreadable): ConfigProblem {
  return { position: { file, line: why.line ?? 1, column: why.column ?? 1 }, field: '', message: `cannot read ${what}: ${why.reason}` };
}

async function readExtraVarFiles(args: string[], cwd?: string): Promise<Record<string, SourceFile | string>> {
  const files: Record<string, SourceFile | string> = {};
  for (const name of extraVarFileReferences(args)) {
    const text = await readText(cwd !== undefined ? resolve(cwd, name) : name);
    files[name] = typeof text === 'string' ? { file: name, text } : text.reason;
  }
  return files;
}

let root: string | undefined;

/**
 * nodeform's own directory (holding package.json, templates/, playbooks/, schemas/), found from
 * this module's location so it is the same from src/ (tsx, tests) and from dist/.
 */
export function projectRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (manifest.name === 'nodeform') return (root = dir);
    } catch {
      // no package.json here: keep going up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find nodeform\'s package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
