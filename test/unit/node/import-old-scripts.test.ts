// nodeform import of an inventory written for the old node scripts (test/fixtures/import/old-scripts: the
// inventory, group_vars/ and host_vars/ as they had them, with every variable they used): each variable is
// mapped to a setting with its value, or named in a warning saying what to do; every `{{ }}` reference is
// resolved or reported; and the result passes the checks `nodeform validate` runs.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { run } from '../../../src/cli/main.js';
import { hostVariables, parseInventory, type InventorySources } from '../../../src/inventory/inventory.js';
import { importSources, importVars } from '../../../src/node/import.js';
import { IMPORT_WARNINGS } from '../../../src/node/old-scripts.js';
import { readInventorySources } from '../../../src/project/load.js';
import { outputSchemaErrors } from '../../support/output-schema.js';

const fixture = fileURLToPath(new URL('../../fixtures/import/old-scripts/', import.meta.url));
const URL_EPHEMERY = 'https://checkpoint-sync.ephemery.ethpandaops.io';

async function sources(inventory: string): Promise<InventorySources> {
  const read = await readInventorySources(inventory);
  if ('problem' in read || 'problems' in read) throw new Error(`cannot read ${inventory}`);
  return read;
}

/** Every variable set anywhere in the inventory's files (connection variables aside), with where it is. */
function variablesOf(all: InventorySources): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (map: YAMLMap, file: string) => {
    for (const pair of map.items) {
      const name = String((pair.key as { value: unknown }).value);
      if (!name.startsWith('ansible_')) found.set(name, [...(found.get(name) ?? []), file]);
    }
  };
  const walk = (group: unknown, file: string) => {
    if (!isMap(group)) return;
    const vars = group.get('vars', true);
    if (isMap(vars)) add(vars, file);
    const hosts = group.get('hosts', true);
    if (isMap(hosts)) for (const pair of hosts.items) if (isMap(pair.value)) add(pair.value, file);
    const children = group.get('children', true);
    if (isMap(children)) for (const child of children.items) walk(child.value, file);
  };
  const root = parseDocument(all.inventory.text).contents;
  if (isMap(root)) for (const pair of root.items) walk(pair.value, all.inventory.file);
  for (const file of [...(all.groupVars ?? []), ...(all.hostVars ?? [])]) {
    const vars = parseDocument(file.text).contents;
    if (isMap(vars)) add(vars, file.file);
  }
  return found;
}

const N1 = 'ephemery-node1';
const N2 = 'ephemery-node2';

// Old variable -> the setting it becomes, and that setting's value on each host that had the variable.
const MAPPED: [string, string, Record<string, unknown>][] = [
  ['el', 'execution.client', { [N1]: 'geth', [N2]: 'nethermind' }],
  ['cl', 'consensus.client', { [N1]: 'lighthouse', [N2]: 'teku' }],
  ['cl_client_name', 'consensus.client', { [N1]: 'lighthouse' }],
  ['use_checkpoint_sync', 'checkpoint_sync.enabled', { [N1]: true, [N2]: true }],
  ['checkpoint_sync_url', 'checkpoint_sync.url', { [N1]: URL_EPHEMERY, [N2]: URL_EPHEMERY }],
  ['cl_extra_opts', 'consensus.extra_args', { [N1]: ['--execution-timeout-multiplier=5', '--disable-backfill-rate-limiting'], [N2]: ['--logging=INFO'] }],
  ['el_extra_opts', 'execution.extra_args', { [N1]: ['--verbosity=3'], [N2]: ['--verbosity=3'] }],
  ['cl_client_port', 'consensus.ports.http', { [N1]: 5052 }],
  ['cl_p2p_port', 'consensus.ports.p2p', { [N1]: 9000 }],
  ['cl_metrics_port', 'consensus.ports.metrics', { [N1]: 5054 }],
  ['el_client_port', 'execution.ports.http', { [N1]: 8545 }],
  ['el_p2p_port', 'execution.ports.p2p', { [N1]: 30303 }],
  ['el_engine_port', 'execution.ports.engine', { [N1]: 8551 }],
  ['el_metrics_port', 'execution.ports.metrics', { [N1]: 6060 }],
  ['cl_data_dir', 'consensus.data_dir', { [N1]: '/opt/ephemery/data/lighthouse', [N2]: '/opt/ephemery/data/teku' }],
  ['el_data_dir', 'execution.data_dir', { [N1]: '/opt/ephemery/data/geth', [N2]: '/opt/ephemery/data/nethermind' }],
  ['monitoring_enabled', 'monitoring.metrics', { [N1]: true, [N2]: true }],
];

// Variables no setting takes: the warning (with what to do) that names each.
const WARNED: [string, RegExp][] = [
  ['validator_enabled', /validator_enabled: nodeform does not run validators; remove it, or keep running your validator client as you do now$/],
  ['mev_boost_enabled', /mev_boost_enabled: nodeform does not run MEV-Boost; remove it, or keep running MEV-Boost/],
  ['jwt_secret_path', /jwt_secret_path: nodeform keeps the Engine API JWT at \/etc\/ethereum\/jwt\.hex.*; remove jwt_secret_path$/],
  ['prometheus_port', /prometheus_port: nodeform runs no Prometheus server: .*point your Prometheus at those, then remove prometheus_port$/],
  ['clear_database', /clear_database: nodeform never clears chain data on apply; .*nodeform reset --wipe-data; remove clear_database$/],
  ['ephemery_base_dir', /ephemery_base_dir: the old scripts built their paths from it; .*remove it$/],
  ['ephemery_data_dir', /ephemery_data_dir: nodeform keeps each client's chain data in consensus\.data_dir and execution\.data_dir .*then remove ephemery_data_dir$/],
  ['ephemery_config_dir', /ephemery_config_dir: nodeform writes the network's files under \/etc\/ethereum\/<network>\/ itself.*remove ephemery_config_dir$/],
];

// Already nodeform's own name, kept as it is.
const KEPT: [string, string, unknown][] = [['network', 'network', 'ephemery']];

function valueAt(vars: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), vars);
}

async function cli(cwd: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY: false, env: { HOME: cwd }, cwd });
  return { code, stdout, stderr };
}

describe('import of an inventory of the old scripts', async () => {
  const inventory = join(fixture, 'inventory.yaml');
  const old = await sources(inventory);
  const results = importSources(old, dirname(inventory));
  const changes = results.flatMap((r) => r.result.changes);
  const warnings = results.flatMap((r) => r.result.warnings);
  const after = parseInventory(
    {
      inventory: { file: old.inventory.file, text: results[0]!.result.text },
      groupVars: (old.groupVars ?? []).map((v) => ({ ...v, text: results.find((r) => r.file === v.file)!.result.text })),
      hostVars: (old.hostVars ?? []).map((v) => ({ ...v, text: results.find((r) => r.file === v.file)!.result.text })),
    },
    { baseDir: fixture },
  ).inventory;

  it('the fixture holds every variable the old scripts used, each accounted for below', () => {
    const names = [...variablesOf(old).keys()].sort();
    expect(names).toHaveLength(26);
    expect(names).toEqual([...MAPPED.map(([n]) => n), ...WARNED.map(([n]) => n), ...KEPT.map(([n]) => n)].sort());
  });

  it('monitoring_enabled says that nodeform-monitor.timer replaces the old checkpoint-monitor.service, and what to do with that', () => {
    const line = changes.find((l) => l.includes('monitoring_enabled -> monitoring.metrics'));
    expect(line).toMatch(/checkpoint-monitor\.service is replaced by nodeform's on-host monitor, nodeform-monitor\.timer \(monitoring\.monitor, on by default/);
    expect(line).toMatch(/the first apply stops and disables checkpoint-monitor\.service where a host has it \(its file stays; nodeform reset starts it again\)\)$/);
  });

  it.each(MAPPED)('%s is mapped to %s, with its value', (name, setting, values) => {
    const lines = changes.filter((line) => line.includes(`${name} -> ${setting}`));
    expect(lines.length).toBe(variablesOf(old).get(name)!.length);
    for (const [host, value] of Object.entries(values)) expect(valueAt(hostVariables(after, host), setting)).toEqual(value);
    for (const host of after.hostNames) expect(hostVariables(after, host)[name]).toBeUndefined();
    expect(warnings.filter((line) => line.includes(`.${name}: `) || line.includes(`: ${name}: `))).toEqual([]);
  });

  it.each(WARNED)('%s is named in a warning that says what to do', (name, advice) => {
    const lines = warnings.filter((line) => new RegExp(`(: |\\.)${name}: `).test(line));
    expect(lines.length).toBe(variablesOf(old).get(name)!.length);
    for (const line of lines) expect(line).toMatch(advice);
    expect(changes.filter((line) => line.includes(`${name} -> `))).toEqual([]);
  });

  it.each(KEPT)('%s is nodeform\'s own name already: kept', (name, setting, value) => {
    for (const host of after.hostNames) expect(valueAt(hostVariables(after, host), setting)).toEqual(value);
    expect([...changes, ...warnings].filter((line) => line.includes(`${name}:`) || line.includes(`${name} ->`))).toEqual([]);
  });

  it('resolves every {{ }} reference to a variable of the inventory, saying so', () => {
    const references = [old.inventory, ...(old.groupVars ?? []), ...(old.hostVars ?? [])].flatMap((f) => f.text.match(/\{\{[^}]*\}\}\S*/g) ?? []);
    expect(references.length).toBe(7);
    expect(results.map((r) => r.result.text).join('\n')).not.toContain('{{');
    expect(changes.filter((line) => / resolved to /.test(line))).toHaveLength(references.length);
    expect(changes).toContain(`${join(fixture, 'host_vars/ephemery-node1.yaml')}:12:14: el_data_dir: {{ ephemery_data_dir }}/geth resolved to /opt/ephemery/data/geth`);
    expect(changes).toContain(`${join(fixture, 'group_vars/all.yaml')}:7:18: jwt_secret_path: {{ ephemery_base_dir }}/jwt.hex resolved to /opt/ephemery/jwt.hex`);
  });

  it('the imported files pass validate, and import says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-import-'));
    cpSync(fixture, dir, { recursive: true });
    const copy = join(dir, 'inventory.yaml');
    const shown = await cli(dir, 'import', '-i', copy, '--json');
    expect(shown.code).toBe(0);
    const document = JSON.parse(shown.stdout) as { valid: boolean; diagnostics: { severity: string; message: string }[] };
    expect(outputSchemaErrors('import', document)).toBe('');
    expect(document.valid).toBe(true);
    // Only what validate says of any Ephemery node that follows the latest iteration, as the old scripts did.
    const latest = (host: string) => `host ${host}: ephemery with iteration latest is checked without its release (nothing is downloaded here)`;
    expect(document.diagnostics.map((d) => [d.severity, d.message])).toEqual([
      ['warning', latest(N1)],
      ['warning', latest(N2)],
    ]);
    const written = await cli(dir, 'import', '-i', copy, '--write');
    expect(written.code).toBe(0);
    expect(written.stderr).toMatch(/the imported inventory validates \(checked as nodeform validate checks a node play over all its hosts\)\n$/);
    // validate itself, on the written files, with a node play over every host.
    writeFileSync(join(dir, 'nodes.yaml'), '- name: nodes\n  hosts: all\n  ethereum_node: true\n');
    const validate = await cli(dir, 'validate', '-i', copy, join(dir, 'nodes.yaml'));
    const where = `${join(dir, 'group_vars/all.yaml')}:3:10: group_vars.all.network`;
    expect(validate).toEqual({
      code: 0,
      stdout: `valid: ${copy} and ${join(dir, 'nodes.yaml')}\n`,
      stderr: `warning: ${where}: ${latest(N1)}\nwarning: ${where}: ${latest(N2)}\n`,
    });
    expect(readFileSync(`${copy}.bak`, 'utf8')).toBe(old.inventory.text);
  });
});

describe('what import cannot do, it says', () => {
  it.each(Object.entries(IMPORT_WARNINGS))('%s: left where it is, with what to do', (name, advice) => {
    const result = importVars(`${name}: 1\n`, 'group_vars/all.yaml');
    expect(result).toEqual({ text: `${name}: 1\n`, changes: [], warnings: [`group_vars/all.yaml:1:1: ${name}: ${advice}`] });
    expect(advice).toMatch(/remove/);
  });


  it('a reference it cannot resolve is left with the reason: a fact, an expression, one that differs between hosts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-import-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      `all:\n  vars:\n    network: mainnet\n    el: geth\n    cl: lighthouse\n    home_dir: "{{ ansible_env.HOME }}"\n    el_data_dir: "{{ base | default('/data') }}/geth"\n    cl_data_dir: "{{ base }}/lighthouse"\n  hosts:\n    a: { base: /srv/a }\n    b: { base: /srv/b }\n`,
    );
    const [result] = importSources(await sources(inventory), dir);
    expect(result!.result.warnings).toEqual([
      `${inventory}:6:5: all.vars.home_dir: not a nodeform setting: left as your own variable (templates may use it; the node play does not read it); remove it if only the old scripts used it`,
      `${inventory}:6:15: all.vars.home_dir: {{ ansible_env.HOME }} left as it is: {{ ansible_env.HOME }} is a Jinja expression, which nodeform does not evaluate: write the value it had`,
      `${inventory}:7:5: all.vars.el_data_dir: left as it is, not made execution.data_dir: its Jinja reference could not be resolved (see above): write the directory on the host`,
      `${inventory}:7:18: all.vars.el_data_dir: {{ base | default('/data') }}/geth left as it is: {{ base | default('/data') }} is a Jinja expression, which nodeform does not evaluate: write the value it had`,
      `${inventory}:8:5: all.vars.cl_data_dir: left as it is, not made consensus.data_dir: its Jinja reference could not be resolved (see above): write the directory on the host`,
      `${inventory}:8:18: all.vars.cl_data_dir: {{ base }}/lighthouse left as it is: it means different things for the hosts that see it (a: /srv/a/lighthouse, b: /srv/b/lighthouse): write the value at each host`,
      `${inventory}:10:10: all.hosts.a.base: not a nodeform setting: left as your own variable (templates may use it; the node play does not read it); remove it if only the old scripts used it`,
      `${inventory}:11:10: all.hosts.b.base: not a nodeform setting: left as your own variable (templates may use it; the node play does not read it); remove it if only the old scripts used it`,
    ]);
  });

  it('a client nodeform does not run is not mapped, and says which it runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-import-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, 'all:\n  vars:\n    el: reth\n    cl: prysm\n  hosts:\n    a:\n');
    const [result] = importSources(await sources(inventory), dir);
    expect(result!.result.changes).toEqual([`${inventory}:4:5: all.vars.cl -> consensus.client`]);
    expect(result!.result.warnings).toEqual([
      `${inventory}:3:5: all.vars.el: left as it is, not made execution.client: nodeform runs geth, nethermind, besu, erigon as the execution client, not "reth": choose one and write execution: { client: NAME }, then remove this`,
    ]);
  });

  it('an imported inventory that does not validate: import says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-import-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, 'all:\n  vars:\n    network: mainnet\n    el: geth\n    cl: lighthouse\n    cl_extra_opts: "--datadir=/data/lighthouse"\n  hosts:\n    a:\n');
    const shown = await cli(dir, 'import', '-i', inventory);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toContain('the imported inventory does not validate yet (checked as nodeform validate checks a node play over all its hosts); fix these:\n');
    expect(shown.stderr).toMatch(/inventory\.yaml:\d+:\d+: .*--datadir is set by nodeform from consensus\.data_dir; set that instead/);
    const json = JSON.parse((await cli(dir, 'import', '-i', inventory, '--json')).stdout) as { valid: boolean; diagnostics: { severity: string; message: string }[] };
    expect(json.valid).toBe(false);
    expect(json.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([expect.stringContaining('--datadir is set by nodeform from consensus.data_dir')]);
  });
});
