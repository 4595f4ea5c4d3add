// What every command gets, and the steps several commands share: loading the project or the inventory's hosts,
// the run's SSH connections, the confirmation.

import type { UploadProgress } from '../apply/upload.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { NodeformError } from '../errors.js';
import { loadInventory, loadProject, type LoadOptions } from '../project/load.js';
import type { Plan } from '../model/plan.js';
import type { Desired, HostConnection } from '../model/types.js';
import type { NodeSpec } from '../clients/types.js';
import { defaultCacheDir } from '../fetch/cache.js';
import type { Planned, ProbeRun } from '../apply/run.js';
import { lockHolder } from '../facts/parse.js';
import type { TransportPool } from '../transport/ssh/index.js';
import type { Views } from '../views/index.js';
import type { EventSink } from './events.js';
import { usageError, type CommandLine } from './arguments.js';
import { shardHosts } from '../rollout/batches.js';
import type { Outcome } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { Inputs } from '../plan/saved-plan.js';
import type { VaultPassword } from '../inventory/vault.js';
import type { PlaybookCache } from '../project/playbook-cache.js';

export interface CommandContext {
  io: CliIO;
  line: CommandLine;
  views: Views;
  /** --events ndjson. */
  events?: EventSink;
  /** The command line as given (bench records it in its report, -e values left out). */
  argv?: readonly string[];
}

export type Command = (ctx: CommandContext) => Promise<Outcome>;

/** The inventory; parseCommandLine made sure there is one unless the command is apply --plan. */
export function inventoryPath(line: CommandLine): string {
  if (line.inventoryPath === undefined) throw new NodeformError('INTERNAL', `${line.command} ran without an inventory`);
  return line.inventoryPath;
}

export function inputsOf(line: CommandLine): Inputs {
  return {
    inventoryPath: inventoryPath(line),
    playbookPath: line.playbookPath,
    extraVars: line.extraVars,
    limit: line.limit,
    tags: line.tags,
    skipTags: line.skipTags,
  };
}

/**
 * --shard I/N: this run's share of the selected hosts (rollout/batches.ts shardHosts: by name, so every shard
 * job computes the same split alone). A shard may be empty (more shards than hosts): it has nothing to do.
 */
export function inShard<T>(ctx: CommandContext, items: readonly T[], name: (item: T) => string): T[] {
  if (!ctx.line.shard) return [...items];
  const taken = new Set(shardHosts(items.map(name), ctx.line.shard));
  return items.filter((item) => taken.has(name(item)));
}

/**
 * The selected hosts' desired state (this shard's share of them); refuses a selection without hosts.
 * `onNodeSpecs` is given the node hosts' declared nodes.
 */
export async function loadDesired(
  ctx: CommandContext,
  inputs: Inputs,
  onHosts?: (connections: HostConnection[]) => void,
  onNodeSpecs?: (specs: Record<string, NodeSpec>) => void,
  deferDigests?: LoadOptions['deferDigests'],
): Promise<Desired[]> {
  const project = await loadProject({
    ...inputs,
    ...(await loaderEnvironment(ctx)),
    ...(deferDigests ? { deferDigests } : {}),
    // Downloads (releases, binaries, checkpoint states) say what they fetch; the cache makes later runs quiet.
    progress: (line) => ctx.views.diagnostics.progress(line),
    ...(onHosts ? { onHosts: (connections: HostConnection[]) => onHosts(inShard(ctx, connections, (c) => c.name)) } : {}),
  });
  ctx.views.diagnostics.warnings(project.warnings);
  onNodeSpecs?.(project.nodeSpecs);
  if (project.desired.length === 0) throw usageError('no host matches: check --limit and the playbook\'s hosts patterns');
  const desired = inShard(ctx, project.desired, (d) => d.host);
  ctx.events?.started(desired.map((d) => d.host));
  return desired;
}

/** Hosts without a playbook (reset, history, drift): what they hold is read from their own record. */
export async function loadHosts(ctx: CommandContext): Promise<Desired[]> {
  const loaded = await loadInventory({ ...inputsOf(ctx.line), ...(await loaderEnvironment(ctx)) });
  ctx.views.diagnostics.warnings(loaded.warnings);
  if (loaded.hosts.length === 0) throw usageError('no host matches: check --limit');
  const hosts = loaded.hosts.map((h) => ({ host: h.name, connection: h.connection, settings: h.settings, vars: h.vars, resources: [] }));
  const selected = inShard(ctx, hosts, (d) => d.host);
  ctx.events?.started(selected.map((d) => d.host));
  return selected;
}

/** What the loader may know of the process: given here, so it reads no environment of its own. */
export async function loaderEnvironment(
  ctx: CommandContext,
): Promise<{ cwd: string; env: CliIO['env']; homeDir: string; cacheDir: string; templateDirs: string[]; vault: VaultPassword[]; now: number; playbookCache?: PlaybookCache }> {
  return {
    ...(ctx.io.playbookCache ? { playbookCache: ctx.io.playbookCache } : {}),
    now: ctx.io.now?.() ?? Date.now(),
    cwd: ctx.io.cwd,
    env: ctx.io.env,
    homeDir: homeDirectory(ctx.io.env),
    cacheDir: defaultCacheDir(ctx.io.env, homeDirectory(ctx.io.env)),
    templateDirs: ctx.line.templateDirs,
    vault: await readVaultPasswords(ctx.line.vaultPasswordFiles),
  };
}

/**
 * Ansible Vault passwords as ansible-playbook reads them: a file's first line, or, when the file is executable,
 * what the script prints (a password client asking a secret store). The passwords stay in memory.
 */
async function readVaultPasswords(files: CommandLine['vaultPasswordFiles']): Promise<VaultPassword[]> {
  const passwords: VaultPassword[] = [];
  for (const { id, path } of files) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) throw usageError(`cannot read the vault password file ${path}: ${info.code === 'ENOENT' ? 'no such file' : info.message}`);
    let text: string;
    if ((info.mode & 0o111) !== 0) {
      const run = await execFileText(path, id !== undefined ? ['--vault-id', id] : []);
      if (run.error) throw usageError(`the vault password script ${path} failed: ${run.error}`);
      text = run.stdout;
    } else {
      text = await readFile(path, 'utf8');
    }
    const secret = text.split(/\r?\n/)[0] ?? '';
    if (secret === '') throw usageError(`the vault password file ${path} is empty`);
    passwords.push({ secret, ...(id !== undefined ? { id } : {}) });
  }
  return passwords;
}

function execFileText(file: string, args: string[]): Promise<{ stdout: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) =>
      resolve(error ? { stdout: '', error: stderr.trim() || error.message } : { stdout }),
    );
  });
}

/** The controller's own state (a rollout's run record, status's history): $XDG_STATE_HOME/nodeform, or ~/.local/state/nodeform. */
export function controllerStateDir(env: CliIO['env']): string {
  return join(env.XDG_STATE_HOME || join(homeDirectory(env), '.local', 'state'), 'nodeform');
}

/** Where status keeps each host's sync history and alert state: $XDG_STATE_HOME/nodeform/status, or ~/.local/state/nodeform/status. */
export function statusHistoryDir(env: CliIO['env']): string {
  return join(controllerStateDir(env), 'status');
}

function homeDirectory(env: CliIO['env']): string {
  return env.HOME || homedir();
}

/** The run's SSH connections; ssh2 is loaded only by commands that connect. */
export async function openPool(ctx: CommandContext): Promise<TransportPool> {
  const { TransportPool } = await import('../transport/ssh/index.js');
  // The transport reads nothing of the process: its environment, home and account come from here.
  return new TransportPool({
    env: ctx.io.env,
    homeDir: homeDirectory(ctx.io.env),
    localUser: localAccount(ctx.io.env),
    acceptNew: ctx.line.acceptNew,
    // --known-hosts adds to each host's own list.
    knownHostsFiles: ctx.line.knownHostsFiles,
    ...(ctx.line.sshConfigPath !== undefined ? { sshConfigPath: ctx.line.sshConfigPath } : {}),
    ...(ctx.line.deadLinkTimeoutSeconds !== undefined ? { deadLinkTimeoutMs: ctx.line.deadLinkTimeoutSeconds * 1000 } : {}),
  });
}

/** The account nodeform runs as, as ssh takes it (the password database), or $USER where there is no entry. */
function localAccount(env: CliIO['env']): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'root';
  }
}

/** Runs `use` with the run's connections and closes them whatever happens. */
export async function withPool<T>(ctx: CommandContext, use: (transports: TransportPool) => Promise<T>): Promise<T> {
  const transports = await openPool(ctx);
  try {
    return await use(transports);
  } finally {
    await transports.closeAll();
  }
}

export function planOf(planned: readonly Planned[], kind: Plan['kind']): Plan {
  return { formatVersion: 1, kind, hosts: planned.map((p) => p.plan) };
}

/** --yes, or "yes" typed at the terminal; never asks without one. */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  if (ctx.line.yes) return true;
  if (!ctx.io.isTTY || !ctx.io.prompt) {
    throw usageError('refusing to change hosts without --yes: there is no terminal to ask for confirmation');
  }
  const answer = await ctx.io.prompt(`${question} Only "yes" is accepted: `);
  return answer.trim() === 'yes';
}

/** A large file's upload says how far it got this often (on stderr), once it has taken as long. */
const UPLOAD_PROGRESS_MS = 10_000;

/** Where an apply's long uploads say how far they got: the diagnostics' progress lines. */
export function uploadProgressOf(ctx: CommandContext): UploadProgress {
  return { everyMs: UPLOAD_PROGRESS_MS, line: (text) => ctx.views.diagnostics.progress(text) };
}

/** How the command probes its hosts: --forks and --lock-timeout, and a progress line when a probe waits for a lock. */
export function probeRunOf(ctx: CommandContext, forks = ctx.line.forks): ProbeRun {
  const seconds = ctx.line.lockTimeoutSeconds;
  return {
    forks,
    lockTimeoutSeconds: seconds,
    onLockWait: (host, lock) => ctx.views.diagnostics.progress(`${host}: waiting up to ${seconds} s (--lock-timeout) for ${lockHolder(lock)} to finish`),
  };
}

/** Who is applying: recorded in the host lock and each generation. */
export function runIdentity(): { runId: string; controller: string } {
  return { runId: randomBytes(4).toString('hex'), controller: `${userInfo().username}@${hostname()}` };
}
