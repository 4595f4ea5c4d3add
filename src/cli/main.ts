// run(argv, io) -> exit code. The one place errors become exit codes; only main() touches the process.

import { randomBytes } from 'node:crypto';
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ConfigError, NodeformError, formatProblem } from '../errors.js';
import { importInventory, importVars } from '../node/import.js';
import { defaultCacheDir } from '../fetch/cache.js';
import { loadInventory, loadProject, validateProject } from '../project/load.js';
import type { HostPlan, Plan } from '../model/plan.js';
import { hasChanges } from '../model/plan.js';
import type { Desired, HostConnection } from '../model/types.js';
import { formatPlan, painter } from '../plan/format.js';
import { formatProviderGroups, providerGroups } from '../plan/providers-table.js';
import { applyAll, planAll, planResetAll, planWipeDataAll, type HostResult, type Planned } from '../apply/run.js';
import type { TransportPool } from '../transport/ssh.js';
import { HELP, VERSION } from './help.js';
import type { CliIO } from './io.js';
import { readSavedPlan, savedPlanMismatches, type Inputs, type SavedPlan } from './saved-plan.js';

const OPTIONS = {
  inventory: { type: 'string', short: 'i' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  limit: { type: 'string', short: 'l' },
  tags: { type: 'string', short: 't' },
  'skip-tags': { type: 'string' },
  forks: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  plan: { type: 'string' },
  'detailed-exitcode': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'lock-timeout': { type: 'string' },
  'accept-new': { type: 'boolean' },
  'known-hosts': { type: 'string', multiple: true },
  'ssh-config': { type: 'string' },
  to: { type: 'string' },
  'no-color': { type: 'boolean' },
  write: { type: 'boolean' },
  'wipe-data': { type: 'boolean' },
  'prune-data': { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Context {
  io: CliIO;
  values: Values;
  positionals: string[];
  color: boolean;
}

const list = (text: string | undefined) => (text ? text.split(',').map((t) => t.trim()).filter(Boolean) : undefined);

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new NodeformError('USAGE', `--${name} takes a whole number, not "${value}"`);
  return n;
}

function requireInventory(ctx: Context): string {
  const inventory = ctx.values.inventory;
  if (!inventory) throw new NodeformError('USAGE', `${ctx.positionals[0]} needs an inventory: -i INVENTORY (see nodeform --help)`);
  return resolve(ctx.io.cwd, inventory);
}

function inputsOf(ctx: Context): Inputs {
  const playbook = ctx.positionals[1];
  return {
    inventoryPath: requireInventory(ctx),
    playbookPath: playbook ? resolve(ctx.io.cwd, playbook) : undefined,
    extraVars: ctx.values['extra-vars'] ?? [],
    limit: ctx.values.limit,
    tags: list(ctx.values.tags),
    skipTags: list(ctx.values['skip-tags']),
  };
}

async function load(ctx: Context, inputs: Inputs, onHosts?: (connections: HostConnection[]) => void): Promise<Desired[]> {
  const project = await loadProject({ ...inputs, cwd: ctx.io.cwd, cacheDir: defaultCacheDir(ctx.io.env), ...(onHosts ? { onHosts } : {}) });
  for (const warning of project.warnings) ctx.io.stderr(`warning: ${formatProblem(warning)}\n`);
  if (project.desired.length === 0) throw new NodeformError('USAGE', 'no host matches: check --limit and the playbook\'s hosts patterns');
  return project.desired;
}

/** Hosts without a playbook (reset, history): what they hold is read from their own record. */
async function loadHosts(ctx: Context): Promise<Desired[]> {
  const inputs = inputsOf(ctx);
  const loaded = await loadInventory({ ...inputs, cwd: ctx.io.cwd });
  for (const warning of loaded.warnings) ctx.io.stderr(`warning: ${formatProblem(warning)}\n`);
  if (loaded.hosts.length === 0) throw new NodeformError('USAGE', 'no host matches: check --limit');
  return loaded.hosts.map((h) => ({ host: h.name, connection: h.connection, settings: h.settings, vars: h.vars, resources: [] }));
}

/** The run's SSH connections; ssh2 is loaded only by commands that connect. */
async function pool(ctx: Context): Promise<TransportPool> {
  const { TransportPool } = await import('../transport/ssh.js');
  const knownHosts = (ctx.values['known-hosts'] ?? []).map((f) => resolve(ctx.io.cwd, f));
  const options: ConstructorParameters<typeof TransportPool>[0] = { acceptNew: ctx.values['accept-new'] === true };
  if (ctx.values['ssh-config']) options.sshConfigPath = resolve(ctx.io.cwd, ctx.values['ssh-config']);
  if (ctx.io.env.HOME) options.homeDir = ctx.io.env.HOME;
  const transports = new TransportPool(options);
  if (knownHosts.length === 0) return transports;
  // --known-hosts adds to each host's own list.
  const get = transports.get.bind(transports);
  transports.get = (conn) => get({ ...conn, knownHostsFiles: [...conn.knownHostsFiles, ...knownHosts] });
  return transports;
}

function forks(ctx: Context): number {
  return Math.max(1, positiveInt(ctx.values.forks, 'forks', 100));
}

function planOf(planned: Planned[], kind: Plan['kind']): Plan {
  return { formatVersion: 1, kind, hosts: planned.map((p) => p.plan) };
}

async function confirm(ctx: Context, question: string): Promise<boolean> {
  if (ctx.values.yes) return true;
  if (!ctx.io.isTTY || !ctx.io.prompt) {
    throw new NodeformError('USAGE', 'refusing to change hosts without --yes: there is no terminal to ask for confirmation');
  }
  const answer = await ctx.io.prompt(`${question} Only "yes" is accepted: `);
  return answer.trim() === 'yes';
}

function runIdentity(): { runId: string; controller: string } {
  return { runId: randomBytes(4).toString('hex'), controller: `${userInfo().username}@${hostname()}` };
}

function reportResults(ctx: Context, results: HostResult[]): number {
  const paint = painter(ctx.color);
  const style = { applied: 'green', unchanged: 'dim', failed: 'red', drifted: 'red', locked: 'red', unreachable: 'red' } as const;
  for (const r of results) {
    const gen = r.generation !== undefined ? ` (generation ${r.generation}, ${(r.durationMs / 1000).toFixed(1)}s)` : '';
    ctx.io.stdout(`${r.host}: ${paint(style[r.status], r.status)}${gen}${r.error ? `: ${r.error}` : ''}\n`);
  }
  const order = ['applied', 'unchanged', 'drifted', 'locked', 'failed', 'unreachable'] as const;
  const tally = order.map((status) => [status, results.filter((r) => r.status === status).length] as const).filter(([, n]) => n > 0);
  ctx.io.stdout(`Summary: ${tally.map(([s, n]) => `${n} ${s}`).join(', ')}.\n`);
  return results.some((r) => !['applied', 'unchanged'].includes(r.status)) ? 1 : 0;
}

function printPlan(ctx: Context, plan: Plan): void {
  if (ctx.values.json) ctx.io.stdout(`${JSON.stringify(plan, null, 2)}\n`);
  else ctx.io.stdout(formatPlan(plan, { color: ctx.color }));
}

async function cmdValidate(ctx: Context): Promise<number> {
  const inputs = inputsOf(ctx);
  const problems = await validateProject({ ...inputs, cwd: ctx.io.cwd });
  if (problems.length > 0) throw new ConfigError(problems);
  ctx.io.stdout(`valid: ${inputs.inventoryPath}${inputs.playbookPath ? ` and ${inputs.playbookPath}` : ''}\n`);
  return 0;
}

/** Loads, connects and plans every selected host; the pool stays open for an apply to reuse. */
async function planSelected(ctx: Context, inputs: Inputs, transports: TransportPool): Promise<Planned[]> {
  // The SSH handshakes (round trips, and the hosts' own work) run while templates are read and rendered: as many
  // hosts as the forks will take first.
  const width = forks(ctx);
  const desired = await load(ctx, inputs, (connections) => connections.slice(0, width).forEach((c) => void transports.get(c)));
  // --tags narrows what is declared, so nothing outside the selection counts as undeclared.
  const narrowed = Boolean(inputs.tags?.length || inputs.skipTags?.length);
  return planAll(desired, (c) => transports.get(c), width, { removeUndeclared: !narrowed, pruneData: ctx.values['prune-data'] === true });
}

async function cmdPlan(ctx: Context): Promise<number> {
  const inputs = inputsOf(ctx);
  const transports = await pool(ctx);
  try {
    const plan = planOf(await planSelected(ctx, inputs, transports), 'apply');
    printPlan(ctx, plan);
    if (ctx.values.out) {
      const saved: SavedPlan = { ...plan, createdAt: new Date().toISOString(), inputs };
      await writeFile(resolve(ctx.io.cwd, ctx.values.out), `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
      ctx.io.stderr(`plan saved to ${ctx.values.out}; apply it with: nodeform apply --plan ${ctx.values.out}\n`);
    }
    if (plan.hosts.some((h) => h.error)) return 1;
    return ctx.values['detailed-exitcode'] && hasChanges(plan) ? 2 : 0;
  } finally {
    await transports.closeAll();
  }
}

async function applyPlanned(ctx: Context, planned: Planned[], kind: Plan['kind'], action: string, transports: TransportPool): Promise<number> {
  const plan = planOf(planned, kind);
  printPlan(ctx, plan);
  const code = await applyShown(ctx, planned, plan, action, transports);
  // Held items are not converged: a pipeline must see that, though everything else was applied.
  const holding = plan.hosts.filter((h) => h.held?.length).map((h) => h.host);
  if (holding.length === 0) return code;
  ctx.io.stderr(`${holding.length} host(s) held items back (${holding.join(', ')}): see "held" in the plan above; run again once the checkpoint providers agree\n`);
  return code === 0 ? 1 : code;
}

async function applyShown(ctx: Context, planned: Planned[], plan: Plan, action: string, transports: TransportPool): Promise<number> {
  const unreachable = planned.filter((p) => p.plan.error).length;
  if (!hasChanges(plan)) return unreachable ? reportResults(ctx, await applyAll(planned, (c) => transports.get(c), applyOptions(ctx, action))) : 0;
  const hosts = planned.filter((p) => p.plan.changes.length > 0).length;
  if (!(await confirm(ctx, `\nApply these changes to ${hosts} host(s)?`))) {
    ctx.io.stderr('Nothing changed.\n');
    return 1;
  }
  return reportResults(ctx, await applyAll(planned, (c) => transports.get(c), applyOptions(ctx, action)));
}

function applyOptions(ctx: Context, action: string) {
  return {
    ...runIdentity(),
    action,
    forks: forks(ctx),
    lockTimeoutSeconds: positiveInt(ctx.values['lock-timeout'], 'lock-timeout', 60),
  };
}

async function cmdApply(ctx: Context): Promise<number> {
  if (ctx.values.plan) return cmdApplySaved(ctx, resolve(ctx.io.cwd, ctx.values.plan));
  const transports = await pool(ctx);
  try {
    return await applyPlanned(ctx, await planSelected(ctx, inputsOf(ctx), transports), 'apply', 'apply', transports);
  } finally {
    await transports.closeAll();
  }
}

/** A saved plan is applied as it was shown: its preconditions are checked on each host under the lock. */
async function cmdApplySaved(ctx: Context, file: string): Promise<number> {
  const saved = readSavedPlan(file, await readFile(file, 'utf8'));
  const desired = await load(ctx, saved.inputs);
  const byHost = new Map(desired.map((d) => [d.host, d]));
  const planned: Planned[] = [];
  for (const host of saved.hosts) {
    const d = byHost.get(host.host);
    if (!d) throw new NodeformError('DRIFT', `${file}: host ${host.host} is no longer in the inventory's selection; make a new plan`);
    const mismatches = savedPlanMismatches(host, d);
    if (mismatches.length) {
      throw new NodeformError('DRIFT', `${file}: the declared state changed since the plan was made (${mismatches.join('; ')}); make a new plan`);
    }
    planned.push({ desired: d, plan: host });
  }
  const transports = await pool(ctx);
  try {
    return await applyPlanned(ctx, planned, 'apply', 'apply', transports);
  } finally {
    await transports.closeAll();
  }
}

async function cmdReset(ctx: Context): Promise<number> {
  if (ctx.values['wipe-data']) return cmdWipeData(ctx);
  const to = ctx.values.to ?? 'previous';
  if (to !== 'previous' && to !== 'original') throw new NodeformError('USAGE', `--to takes previous or original, not "${to}"`);
  const desired = await loadHosts(ctx);
  const transports = await pool(ctx);
  try {
    const planned = await planResetAll(desired, (c) => transports.get(c), forks(ctx), to);
    return await applyPlanned(ctx, planned, 'reset', `reset-${to}`, transports);
  } finally {
    await transports.closeAll();
  }
}

/** reset --wipe-data: the old scripts' `--reset --force`, with a plan shown first. */
async function cmdWipeData(ctx: Context): Promise<number> {
  if (ctx.values.to) throw new NodeformError('USAGE', '--wipe-data resets chain data only; it does not take --to');
  const desired = await load(ctx, inputsOf(ctx));
  const transports = await pool(ctx);
  try {
    const planned = await planWipeDataAll(desired, (c) => transports.get(c), forks(ctx));
    // --force is the old scripts' word for not asking; --yes works too.
    const asking = { ...ctx, values: { ...ctx.values, yes: ctx.values.yes || ctx.values.force } };
    return await applyPlanned(asking, planned, 'reset', 'wipe-data', transports);
  } finally {
    await transports.closeAll();
  }
}

async function cmdHistory(ctx: Context): Promise<number> {
  const desired = await loadHosts(ctx);
  const transports = await pool(ctx);
  try {
    const planned = await planResetAll(desired, (c) => transports.get(c), forks(ctx), 'previous');
    const rows = planned.map((p) => ({ host: p.desired.host, error: p.plan.error, generations: p.facts?.record.generations ?? [] }));
    if (ctx.values.json) {
      ctx.io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    } else {
      for (const row of rows) {
        ctx.io.stdout(`${row.host}\n`);
        if (row.error) ctx.io.stdout(`  error: ${row.error}\n`);
        else if (row.generations.length === 0) ctx.io.stdout('  no generations\n');
        for (const g of row.generations) {
          const state = g.complete ? 'complete' : 'INCOMPLETE (cut off; the next apply converges)';
          ctx.io.stdout(`  ${String(g.id).padStart(4)}  ${g.action.padEnd(15)} ${g.startedAt}  ${String(g.changes).padStart(3)} change(s)  ${g.controller}  ${state}\n`);
        }
      }
    }
    return rows.some((r) => r.error) ? 1 : 0;
  } finally {
    await transports.closeAll();
  }
}

/** The inventory file and its group_vars/ and host_vars/ YAML files. */
async function inventoryFiles(inventoryPath: string): Promise<string[]> {
  const files = [inventoryPath];
  for (const sub of ['group_vars', 'host_vars']) {
    const dir = join(dirname(inventoryPath), sub);
    const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
    for (const e of entries) if (e.isFile() && /\.ya?ml$/.test(e.name)) files.push(join(e.parentPath, e.name));
  }
  return files;
}

/** Rewrites an inventory that uses the old scripts' variable names into nodeform's settings. */
async function cmdImport(ctx: Context): Promise<number> {
  const inventoryPath = requireInventory(ctx);
  let changed = 0;
  for (const file of await inventoryFiles(inventoryPath)) {
    const text = await readFile(file, 'utf8');
    const result = file === inventoryPath ? importInventory(text, file) : importVars(text, file);
    for (const change of result.changes) ctx.io.stderr(`${change}\n`);
    if (result.changes.length === 0) continue;
    changed += 1;
    if (ctx.values.write) {
      await copyFile(file, `${file}.bak`);
      await writeFile(file, result.text);
      ctx.io.stderr(`rewrote ${file} (the old one is ${file}.bak)\n`);
    } else {
      ctx.io.stdout(`# ${file}\n${result.text}`);
    }
  }
  if (changed === 0) ctx.io.stderr('nothing to import: no old variable names found\n');
  else if (!ctx.values.write) ctx.io.stderr('nothing was written; rerun with --write to rewrite the files in place (keeping .bak copies)\n');
  return 0;
}

/** Asks every checkpoint provider the selected nodes use, cross-checks them, and shows the choice. */
async function cmdProviders(ctx: Context): Promise<number> {
  const desired = await load(ctx, inputsOf(ctx));
  const groups = providerGroups(desired);
  if (groups.length === 0) {
    throw new NodeformError('USAGE', 'no selected host checkpoint-syncs from providers: nothing to ask (see checkpoint_sync in docs/node.md)');
  }
  if (ctx.values.json) ctx.io.stdout(`${JSON.stringify(groups, null, 2)}\n`);
  else ctx.io.stdout(formatProviderGroups(groups, { color: ctx.color }));
  return groups.every((g) => g.decision.chosen) ? 0 : 1;
}

const COMMANDS: Record<string, (ctx: Context) => Promise<number>> = {
  import: cmdImport,
  providers: cmdProviders,
  validate: cmdValidate,
  plan: cmdPlan,
  apply: cmdApply,
  reset: cmdReset,
  history: cmdHistory,
};

export async function run(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\nSee nodeform --help.\n`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout(`nodeform ${VERSION}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || !command) {
    io.stdout(HELP);
    return command || values.help ? 0 : 1;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    io.stderr(`error: unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(', ')}. See nodeform --help.\n`);
    return 1;
  }
  const color = io.isTTY && !values['no-color'] && !io.env.NO_COLOR;
  try {
    return await handler({ io, values, positionals, color });
  } catch (error) {
    if (error instanceof ConfigError) io.stderr(`${error.message}\n${error.problems.length} problem(s) found; no host was changed.\n`);
    else if (error instanceof NodeformError) io.stderr(`error: ${error.message}\n`);
    else io.stderr(`internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}

export function main(): void {
  const io: CliIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
    prompt: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`internal error: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

export type { HostPlan };
