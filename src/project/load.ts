// The one module of the inventory/render side that touches the file system: it reads the
// inventory, group_vars/host_vars, -e @files, the playbook and its templates, then hands the
// texts to the pure pipeline (project.ts). Problems come back all at once in a ConfigError.

import { readFileSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, NodeformError, type ConfigProblem } from '../errors.js';
import { readText, readVarsDirectory, type Unreadable } from '../files/read.js';
import type { VaultPassword } from '../inventory/vault.js';
import { LOCAL_INLINE_LIMIT, type CopySource, type Desired, type HostConnection, type LocalFile } from '../model/types.js';
import { defaultCacheDir } from '../fetch/cache.js';
import { fetchCheckpointFiles, fetchNodeNeeds } from '../fetch/node-inputs.js';
import { FALLBACK_TEMPLATE_FILES } from '../node/checkpoint-fallback.js';
import { MONITOR_TEMPLATE_FILES } from '../node/monitor-resources.js';
import type { NodeInputs } from '../node/inputs.js';
import { NETWORK_SOURCE_FILES } from '../node/defaults.js';
import type { NodeTemplates } from '../node/resources.js';
import { copyCandidates, copyNotFoundMessage, isInside, templateCandidates } from '../render/templates.js';
import { DigestError, fileDigest, fileDigestOrLater } from '../files/digest.js';
import { targetConnections, type InventoryHostEntry } from './desired.js';
import { extraVarFileReferences } from '../inventory/extra-vars.js';
import { parseInventory, type Inventory } from '../inventory/inventory.js';
import { copyReferences, templateReferences } from '../inventory/playbook.js';
import { parsePlaybookCached, type PlaybookCache } from './playbook-cache.js';
import { buildInventory, buildProjectSteps, parseSources, projectCheckpointFileNeeds, projectNeeds, projectNodeHosts, type ProjectOptions, type ProjectResult, type ProjectSources } from './project.js';
import { declaredNode, SILENT } from '../node/host-spec.js';
import type { NodeSpec } from '../clients/types.js';
import { problemInText, type SourceFile } from '../inventory/source.js';

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
  /** Ansible Vault passwords (--vault-password-file, --vault-id) for `!vault` values and encrypted files. */
  vault?: VaultPassword[];
  /** Directories outside the playbook's and nodeform's own from which `template:` may also read (--template-dir). */
  templateDirs?: string[];
  /** Directory `-e @file` paths are relative to. Default: process.cwd(). */
  cwd?: string;
  /** Where downloads (releases, binaries, checkpoint files) are kept. Default: defaultCacheDir(env), under homeDir. */
  cacheDir?: string;
  /** The environment the CLI was given (XDG_CACHE_HOME, HOME); the loader never reads process.env. */
  env?: Record<string, string | undefined>;
  /** For `~/` in paths. Default: env.HOME, else the OS's idea of it (pass it: the CLI knows). */
  homeDir?: string;
  /** One line per long download (an Ephemery release, a client binary, a checkpoint state), e.g. to stderr. */
  progress?: (line: string) => void;
  /**
   * The time of the run, ms since the epoch (the CLI passes its io's clock): `network.iteration: latest` follows
   * a new Ephemery release only once its genesis time has passed. Default: the time the load starts.
   */
  now?: number;
  /**
   * Called with the hosts the run will handle as soon as the inventory, playbook and -e parse without a
   * problem, before templates are read and rendered: a plan starts connecting then. Never called when they have
   * problems, so a broken configuration contacts no host.
   */
  onHosts?: (connections: HostConnection[]) => void;
  /**
   * apply --yes: a `source:` file of at least `from` bytes whose digest is not cached is not hashed before the build;
   * its LocalFile is pending (a placeholder sha256) and `later` gets the real one under the placeholder, hashed
   * meanwhile. The caller settles each host's desired state with them before its plan (withDigests).
   */
  deferDigests?: { from: number; later: Map<string, Promise<LocalFile>> };
  /**
   * The inventory's files (inventory, group_vars, host_vars) read as these texts instead of what is on disk,
   * by path: import checks the files it rewrote before writing them.
   */
  inventoryTexts?: Record<string, string>;
  /** The playbook given as text rather than a path (import's check uses a node play over all hosts). */
  playbookSource?: SourceFile;
  /** Where a playbook's parse is kept for the next run of the same code (the CLI's bundle gives it); none: parsed each time. */
  playbookCache?: PlaybookCache;
}

export interface LoadedProject {
  /** One entry per selected host, in inventory order. */
  desired: Desired[];
  /**
   * The declared node (before the network's release files) of each selected host with a node play, by host:
   * where its APIs listen, its clients and units, its monitoring settings (what `status` reads).
   */
  nodeSpecs: Record<string, NodeSpec>;
  inventory: Inventory;
  /** The playbook used (given, or from nodeform_playbook). */
  playbookPath: string;
  warnings: ConfigProblem[];
}

export interface ProjectValidation {
  /** Empty when the project is valid. */
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
  /** What would be applied (empty when there are problems). */
  desired: Desired[];
}

export interface LoadedInventory {
  inventory: Inventory;
  /** Hosts selected by --limit (all without it), with connection and settings; -e applies. */
  hosts: InventoryHostEntry[];
  warnings: ConfigProblem[];
}

/** Reads everything and builds Desired[]; throws ConfigError listing every problem found. */
export async function loadProject(options: LoadOptions): Promise<LoadedProject> {
  const result = await readAndBuild(options);
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  return { desired: result.desired, nodeSpecs: result.nodeSpecs, inventory: result.inventory!, playbookPath: result.playbookPath!, warnings: result.warnings };
}

/**
 * What `status` needs: the selected hosts and their declared nodes, checked as validate checks them, with
 * nothing downloaded or probed (the Ephemery iteration and the checkpoint are read from the hosts). Throws
 * ConfigError. Configuration warnings are left to validate and plan.
 */
export async function loadNodeTargets(options: LoadOptions): Promise<{ desired: Desired[]; nodeSpecs: Record<string, NodeSpec> }> {
  const result = await readAndBuild({ ...options, offline: true });
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  return { desired: result.desired, nodeSpecs: result.nodeSpecs };
}

/** What `nodeform validate` runs: everything loadProject does; every problem found, none when valid. */
export async function validateProject(options: LoadOptions): Promise<ConfigProblem[]> {
  // Checking the configuration downloads and probes nothing: nodes are checked without their network's release.
  return (await readAndBuild({ ...options, offline: true })).problems;
}

/** validateProject with the warnings and the Desired[] too (for a summary). Never throws ConfigError. */
export async function checkProject(options: LoadOptions): Promise<ProjectValidation> {
  const result = await readAndBuild({ ...options, offline: true });
  return { problems: result.problems, warnings: result.warnings, desired: result.problems.length > 0 ? [] : result.desired };
}

/** The inventory alone, for commands that need hosts but no playbook (reset). Throws ConfigError. */
export async function loadInventory(options: Pick<LoadOptions, 'inventoryPath' | 'extraVars' | 'limit' | 'cwd' | 'env' | 'homeDir' | 'vault'>): Promise<LoadedInventory> {
  const sources = await readInventorySources(options.inventoryPath, options.vault);
  if ('problem' in sources) throw new ConfigError([sources.problem]);
  if ('problems' in sources) throw new ConfigError(sources.problems);
  const extraVarFiles = await readExtraVarFiles(options.extraVars ?? [], options.cwd, options.vault);
  const result = buildInventory(
    { ...sources, extraVarFiles },
    {
      baseDir: resolve(dirname(options.inventoryPath)),
      homeDir: homeDirOf(options),
      extraVars: options.extraVars ?? [],
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    },
  );
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  return { inventory: result.inventory, hosts: result.hosts, warnings: result.warnings };
}

interface ReadAndBuild {
  desired: Desired[];
  nodeSpecs: Record<string, NodeSpec>;
  inventory?: Inventory;
  playbookPath?: string;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

async function readAndBuild(options: LoadOptions & { offline?: boolean }): Promise<ReadAndBuild> {
  const failed = (problem: ConfigProblem): ReadAndBuild => ({ desired: [], nodeSpecs: {}, problems: [problem], warnings: [] });
  // Phase 1, read: every file, parsed once.
  const read = await readInventorySources(options.inventoryPath, options.vault);
  if ('problem' in read) return failed(read.problem);
  if ('problems' in read) return { desired: [], nodeSpecs: {}, problems: read.problems, warnings: [] };
  const inventorySources = options.inventoryTexts ? withTexts(read, options.inventoryTexts) : read;
  const baseDir = resolve(dirname(options.inventoryPath));
  const homeDir = homeDirOf(options);

  // The inventory may name the playbook; parsing is pure and cheap, so it is simply done again below.
  let playbookPath = options.playbookSource?.file ?? options.playbookPath;
  const parsedInventory = parseInventory(inventorySources, { baseDir, homeDir });
  const playbookFromInventory = parsedInventory.inventory.playbook;
  if (playbookPath === undefined) {
    // A broken inventory may well name the playbook: its own problems come first.
    if (!playbookFromInventory && parsedInventory.fatal) {
      return { desired: [], nodeSpecs: {}, problems: parsedInventory.problems, warnings: parsedInventory.warnings };
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
  const playbookText = options.playbookSource?.text ?? (await readText(playbookPath));
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
  const playbook: SourceFile = { file: playbookPath, text: playbookText, ...(options.vault?.length ? { vault: options.vault } : {}) };
  const extraVarFiles = await readExtraVarFiles(options.extraVars ?? [], options.cwd, options.vault);
  const parsed = parseSources(
    { ...inventorySources, playbook, extraVarFiles },
    { baseDir, homeDir, extraVars: options.extraVars ?? [] },
    parsedInventory,
    parsePlaybookCached(playbook, options.playbookCache),
  );
  const parsedPlaybook = parsed.playbook.playbook;
  let connecting = false;
  if (options.onHosts && parsed.inventory.problems.length + parsed.playbook.problems.length + parsed.extra.problems.length === 0) {
    connecting = true;
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

  // `source:` files: found (confined like templates), hashed once (cached by path, size and mtime), never read whole.
  const copies: Record<string, CopySource> = {};
  for (const reference of copyReferences(parsedPlaybook)) {
    copies[reference] = await findCopy(reference, resolve(playbookPath), (options.templateDirs ?? []).map((dir) => resolve(dir)), cacheDirOrUndefined(options), options.deferDigests);
  }

  const projectOptions: ProjectOptions = {
    baseDir,
    homeDir,
    extraVars: options.extraVars ?? [],
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.tags !== undefined ? { tags: options.tags } : {}),
    ...(options.skipTags !== undefined ? { skipTags: options.skipTags } : {}),
  };
  let node: NodeInputs | undefined;
  if (parsedPlaybook.plays.some((play) => play.ethereumNode)) {
    // Phase 2, pure: what the selected nodes need from outside (--limit and --tags narrow it).
    const needs = projectNeeds(parsed, projectOptions);
    // Phase 3, I/O: fetch it all, once. validate downloads and probes nothing; local directories it reads.
    node = { templates: await readNodeTemplates(builtinTemplates), networkSources: await readNetworkSources(needs.networkSourceDirs) };
    if (!options.offline) {
      const fetchContext = { cacheDir: cacheDirOf(options), now: options.now ?? Date.now(), ...(options.progress ? { progress: options.progress } : {}) };
      Object.assign(node, await fetchNodeNeeds(needs, fetchContext));
      // The fleet cache's files depend on which providers agree: a second pure round, then its fetch.
      const files = projectCheckpointFileNeeds(parsed, projectOptions, node);
      if (files.length > 0) node.checkpointFiles = await fetchCheckpointFiles(files, fetchContext);
    }
  }
  // Phase 4, pure and once: the desired state.
  const sources: ProjectSources = { ...inventorySources, playbook, templates, copies, extraVarFiles, ...(node ? { node } : {}) };
  // The hosts' SSH handshakes (started above) go on while the hosts are built: each needs a few round trips, so
  // the build pauses now and then to let I/O run; with nothing in flight it runs straight through.
  const steps = buildProjectSteps(sources, projectOptions, parsed);
  let result: ProjectResult;
  for (;;) {
    const step = steps.next();
    if (step.done) {
      result = step.value;
      break;
    }
    if (connecting) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const nodeSpecs: Record<string, NodeSpec> = {};
  for (const { host, vars } of projectNodeHosts(parsed, projectOptions)) {
    const spec = nodeSpecs[host] === undefined ? declaredNode(vars, host, node ?? {}, SILENT)?.spec : undefined;
    if (spec) nodeSpecs[host] = spec;
  }
  return { ...result, nodeSpecs, playbookPath };
}

/** The operator's home directory (for `~/` in paths): given by the caller, which reads it from its environment. */
/** The home directory for `~/` in paths, as the caller gave it (the loader reads no environment of its own). */
function homeDirOf(options: Pick<LoadOptions, 'homeDir' | 'env'>): string | undefined {
  return options.homeDir ?? options.env?.HOME;
}

function cacheDirOf(options: Pick<LoadOptions, 'cacheDir' | 'env' | 'homeDir'>): string {
  if (options.cacheDir !== undefined) return options.cacheDir;
  const home = homeDirOf(options);
  const env = options.env ?? {};
  if (home === undefined && env.XDG_CACHE_HOME === undefined) {
    throw new NodeformError('INTERNAL', 'the loader was given no cacheDir, homeDir or HOME: it has nowhere to keep downloads');
  }
  return defaultCacheDir(env, home ?? '');
}

/** The cache directory when one can be had (the digest cache is an optimisation: without it files are hashed every run). */
function cacheDirOrUndefined(options: Pick<LoadOptions, 'cacheDir' | 'env' | 'homeDir'>): string | undefined {
  try {
    return cacheDirOf(options);
  } catch {
    return undefined;
  }
}

/**
 * A `source:` file: inside the playbook's directory (or a --template-dir) once its links are followed, a regular
 * file, hashed; its bytes only when small (LOCAL_INLINE_LIMIT), so a plan can show a diff of them.
 */
async function findCopy(reference: string, playbookFile: string, allowedDirs: string[], cacheDir: string | undefined, defer?: LoadOptions['deferDigests']): Promise<CopySource> {
  const lookup = copyCandidates(reference, playbookFile, allowedDirs);
  if ('refused' in lookup) return lookup;
  const candidate = lookup.candidates[0]!;
  const real = await realpath(candidate.path).catch(() => undefined);
  if (real === undefined) return { refused: copyNotFoundMessage(reference) };
  const root = await realpath(candidate.root).catch(() => candidate.root);
  if (!isInside(root, real) && !allowedDirs.some((dir) => isInside(dir, real))) {
    return { refused: `source '${reference}' is a link to ${real}, outside the playbook's directory: allow it with --template-dir DIR` };
  }
  try {
    // A small file comes with its bytes, hashed from them; a larger one is hashed (or found in the digest cache) only.
    if (defer) {
      const { file: found, later } = await fileDigestOrLater(real, cacheDir, LOCAL_INLINE_LIMIT, defer.from);
      if (later) {
        // Said as a refused copy is (here it fails the hosts that declare it, when their state is settled).
        const named = later.catch((error: unknown) => {
          throw new DigestError(`cannot copy source '${reference}' (${real}): ${(error as Error).message}; source: takes one regular file`);
        });
        named.catch(() => {}); // seen by whoever settles with it
        defer.later.set(found.sha256, named);
      }
      const { bytes, ...file } = found;
      return bytes === undefined ? { file } : { file, base64: bytes.toString('base64') };
    }
    const { bytes, ...file } = await fileDigest(real, cacheDir, LOCAL_INLINE_LIMIT);
    return bytes === undefined ? { file } : { file, base64: bytes.toString('base64') };
  } catch (error) {
    return { refused: `cannot copy source '${reference}' (${real}): ${error instanceof DigestError ? error.message : (error as Error).message}; source: takes one regular file` };
  }
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
    monitor: {
      script: await read(MONITOR_TEMPLATE_FILES.script),
      service: await read(MONITOR_TEMPLATE_FILES.service),
      timer: await read(MONITOR_TEMPLATE_FILES.timer),
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
export async function readInventorySources(
  inventoryPath: string,
  vault: readonly VaultPassword[] = [],
): Promise<Pick<ProjectSources, 'inventory' | 'groupVars' | 'hostVars'> | { problem: ConfigProblem } | { problems: ConfigProblem[] }> {
  const text = await readText(inventoryPath);
  if (typeof text !== 'string') return { problem: unreadableProblem(inventoryPath, 'inventory', text) };
  const dir = dirname(inventoryPath);
  const groupVars = await readVarsDirectory(join(dir, 'group_vars'));
  const hostVars = await readVarsDirectory(join(dir, 'host_vars'));
  // A vars file that was meant to be read and was not would change every host's settings in silence.
  const unreadable = [...groupVars.unreadable, ...hostVars.unreadable];
  if (unreadable.length > 0) return { problems: unreadable.map((entry) => unreadableProblem(entry.path, 'vars file', entry)) };
  const withVault = <T extends SourceFile>(file: T): T => (vault.length > 0 ? { ...file, vault } : file);
  return { inventory: withVault({ file: inventoryPath, text }), groupVars: groupVars.files.map(withVault), hostVars: hostVars.files.map(withVault) };
}

/** The inventory's files with the texts given in place of what was read. */
function withTexts<T extends { inventory: SourceFile; groupVars?: VarsFileLike[]; hostVars?: VarsFileLike[] }>(sources: T, texts: Record<string, string>): T {
  const replaced = <F extends SourceFile>(file: F): F => (texts[file.file] !== undefined ? { ...file, text: texts[file.file]! } : file);
  return {
    ...sources,
    inventory: replaced(sources.inventory),
    ...(sources.groupVars ? { groupVars: sources.groupVars.map(replaced) } : {}),
    ...(sources.hostVars ? { hostVars: sources.hostVars.map(replaced) } : {}),
  };
}

type VarsFileLike = SourceFile & { name: string };

/** A file that could not be used, placed at the bad byte when there is one. */
function unreadableProblem(file: string, what: string, why: Unreadable): ConfigProblem {
  return { position: { file, line: why.line ?? 1, column: why.column ?? 1 }, field: '', message: `cannot read ${what}: ${why.reason}` };
}

async function readExtraVarFiles(args: string[], cwd: string | undefined, vault: readonly VaultPassword[] = []): Promise<Record<string, SourceFile | string>> {
  const files: Record<string, SourceFile | string> = {};
  for (const name of extraVarFileReferences(args)) {
    const text = await readText(cwd !== undefined ? resolve(cwd, name) : name);
    files[name] = typeof text === 'string' ? { file: name, text, ...(vault.length > 0 ? { vault } : {}) } : text.reason;
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
