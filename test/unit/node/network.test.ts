// Custom networks: the config_source directory's files become files on the host and fill the
// chain id and bootnodes; the loader reads the directory from disk.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NetworkSpec } from '../../../src/clients/types.js';
import { formatProblem } from '../../../src/errors.js';
import { checkProject } from '../../../src/project/load.js';
import type { FileResource, UnitResource } from '../../../src/model/types.js';
import { networkFiles } from '../../../src/node/defaults.js';
import { customNetwork, iterationToFollow, upcomingIterationNote } from '../../../src/node/network.js';
import { BASE_DIR, buildNode, heads, nodeHost } from './helpers.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const GENESIS = JSON.stringify({ config: { chainId: 1337 } });
const ENR = 'enr:-Iq4QJk4WqRkjsX5c2CXtOra6HnxN';
const ENODE = 'enode://0f2c@10.0.0.1:30303';
const spec = (more: Partial<NetworkSpec> = {}): NetworkSpec => ({ name: 'custom', files: networkFiles('custom'), bootnodesCl: [], bootnodesEl: [], ...more });
const files = (more: Record<string, string> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries({ 'config.yaml': 'PRESET_BASE: mainnet\n', 'genesis.ssz': '\u0000\u0001', 'genesis.json': GENESIS, ...more }).map(([k, v]) => [k, b64(v)]));

describe('customNetwork', () => {
  it('copies the files it knows to /etc/ethereum/custom and takes the chain id from genesis.json', () => {
    const result = customNetwork(spec(), files({ 'deposit_contract_block.txt': '0\n' }));
    expect(result.problems).toEqual([]);
    expect(result.network.chainId).toBe(1337);
    expect(result.files.map((f) => f.path)).toEqual([
      '/etc/ethereum/custom/config.yaml',
      '/etc/ethereum/custom/genesis.ssz',
      '/etc/ethereum/custom/genesis.json',
      '/etc/ethereum/custom/deposit_contract_block.txt',
    ]);
  });

  it.each([
    ['boot_enr.yaml', { 'boot_enr.yaml': `- ${ENR}\n- "${ENR}2"\n` }, [ENR, `${ENR}2`], []],
    ['bootstrap_nodes.txt', { 'bootstrap_nodes.txt': `# comment\n${ENR}\n\n${ENR}3\n` }, [ENR, `${ENR}3`], []],
    ['boot_enr.yaml first', { 'boot_enr.yaml': `- ${ENR}\n`, 'bootstrap_nodes.txt': `${ENR}9\n` }, [ENR], []],
    ['boot_enode.txt', { 'boot_enode.txt': `${ENODE},${ENODE}2\n` }, [], [ENODE, `${ENODE}2`]],
  ])('bootnodes from %s', (_name, extra, cl, el) => {
    const result = customNetwork(spec(), files(extra));
    expect([result.network.bootnodesCl, result.network.bootnodesEl]).toEqual([cl, el]);
  });

  it('bootnodes in the variables win over the files', () => {
    const result = customNetwork(spec({ bootnodesCl: ['enr:-mine'], bootnodesEl: ['enode://mine'] }), files({ 'boot_enr.yaml': `- ${ENR}\n`, 'boot_enode.txt': ENODE }));
    expect([result.network.bootnodesCl, result.network.bootnodesEl]).toEqual([['enr:-mine'], ['enode://mine']]);
  });

  it.each([
    ['missing files', spec(), { 'genesis.json': b64(GENESIS) }, ['has no config.yaml, genesis.ssz: a custom network needs config.yaml, genesis.ssz, genesis.json']],
    ['genesis.json that is not JSON', spec(), files({ 'genesis.json': '{' }), [expect.stringMatching(/^genesis.json is not valid JSON: /)]],
    ['no chain id anywhere', spec(), files({ 'genesis.json': '{"config":{}}' }), ['genesis.json has no config.chainId: set network.chain_id']],
    ['chain ids that disagree', spec({ chainId: 5 }), files(), ['genesis.json says chain id 1337, network.chain_id says 5: they must agree']],
    ['boot_enr.yaml that is not a list', spec(), files({ 'boot_enr.yaml': 'a: b\n' }), ['boot_enr.yaml must be a YAML list of ENRs']],
  ])('%s', (_name, network, given, problems) => {
    expect(customNetwork(network, given).problems).toEqual(problems);
  });
});

describe('a custom network through the pipeline', () => {
  const network = '{ name: custom, config_source: ./devnet }';
  const dir = `${BASE_DIR}/devnet`;

  it('puts the files on the host, restarts the clients when they change, and points the clients there', () => {
    const text = (more: Record<string, string> = {}) => Object.fromEntries(Object.entries({ 'config.yaml': 'A: 1\n', 'genesis.ssz': 'ssz', 'genesis.json': GENESIS, 'boot_enr.yaml': `- ${ENR}\n`, ...more }));
    const result = buildNode({ inventory: nodeHost({ network }), networkSources: { [dir]: text() } });
    expect(heads(result.problems)).toEqual([]);
    const resources = result.desired[0]!.resources;
    const file = resources.find((r): r is FileResource => r.id === 'file:/etc/ethereum/custom/genesis.ssz');
    expect(file).toMatchObject({ encoding: 'base64', content: b64('ssz'), mode: '0644', owner: 'root', tags: ['node'] });
    const geth = resources.find((r): r is UnitResource => r.id === 'unit:geth.service')!;
    expect(geth.content).toContain('--networkid 1337');
    expect(geth.restartOn).toContain('/etc/ethereum/custom/genesis.json');
    const lighthouse = resources.find((r): r is UnitResource => r.id === 'unit:lighthouse.service')!;
    expect(lighthouse.content).toContain('--testnet-dir /etc/ethereum/custom');
    expect(lighthouse.content).toContain(`--boot-nodes ${ENR}`);
  });

  it.each([
    ['an unreadable directory', { [dir]: 'no such directory' }, [`inventory.yaml:4:47: all.hosts.lab1.network.config_source: cannot read the directory ${dir}: no such directory (host lab1)`]],
    ['a directory not read at all', {}, [`inventory.yaml:4:47: all.hosts.lab1.network.config_source: cannot read the directory ${dir} (host lab1)`]],
    [
      'a directory without genesis.ssz',
      { [dir]: { 'config.yaml': 'A: 1\n', 'genesis.json': GENESIS } },
      [`inventory.yaml:4:47: all.hosts.lab1.network.config_source: ${dir} has no genesis.ssz: a custom network needs config.yaml, genesis.ssz, genesis.json (host lab1)`],
    ],
  ])('%s is a problem at config_source', (_name, networkSources, expected) => {
    expect(heads(buildNode({ inventory: nodeHost({ network }), networkSources }).problems)).toEqual(expected);
  });

  it('a file a client needs beyond the three is asked for by name', () => {
    const networkSources = { [dir]: { 'config.yaml': 'A: 1\n', 'genesis.ssz': 'ssz', 'genesis.json': GENESIS } };
    expect(heads(buildNode({ inventory: nodeHost({ network, execution: '{ client: nethermind }' }), networkSources }).problems)).toEqual([
      'inventory.yaml:4:47: all.hosts.lab1.network.config_source: ./devnet has no chainspec.json, which nethermind needs (host lab1)',
    ]);
  });
});

describe('the loader reads config_source from disk', () => {
  const temporary: string[] = [];
  afterEach(() => {
    for (const d of temporary.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const project = (files: Record<string, string>): string => {
    const root = mkdtempSync(join(tmpdir(), 'nodeform-node-'));
    temporary.push(root);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(root, name, '..'), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    return root;
  };
  const inventory = 'all:\n  hosts:\n    lab1:\n      network: { name: custom, config_source: net }\n      consensus: { client: teku }\n      execution: { client: besu }\n';

  it('relative to the inventory, only the files it knows', async () => {
    const root = project({
      'inventory.yaml': inventory,
      'playbook.yaml': '- hosts: all\n  ethereum_node: true\n',
      'net/config.yaml': 'A: 1\n',
      'net/genesis.ssz': 'ssz',
      'net/genesis.json': GENESIS,
      'net/besu.json': '{}',
      'net/README': 'not copied',
    });
    const result = await checkProject({ inventoryPath: join(root, 'inventory.yaml'), playbookPath: join(root, 'playbook.yaml') });
    expect(result.problems.map(formatProblem)).toEqual([]);
    const paths = result.desired[0]!.resources.filter((r): r is FileResource => r.kind === 'file').map((r) => r.path);
    expect(paths.filter((p) => !p.endsWith('.env') && !p.includes('/nodeform/'))).toEqual(['/etc/ethereum/custom/besu.json', '/etc/ethereum/custom/config.yaml', '/etc/ethereum/custom/genesis.json', '/etc/ethereum/custom/genesis.ssz', '/etc/ethereum/jwt.hex']);
  });

  it('a missing directory is a problem at the value', async () => {
    const root = project({ 'inventory.yaml': inventory, 'playbook.yaml': '- hosts: all\n  ethereum_node: true\n' });
    const result = await checkProject({ inventoryPath: join(root, 'inventory.yaml'), playbookPath: join(root, 'playbook.yaml') });
    expect(result.problems.map((p) => formatProblem(p).split('\n')[0]!.replace(`${root}/`, ''))).toEqual([
      `inventory.yaml:4:47: all.hosts.lab1.network.config_source: cannot read the directory ${root}/net: no such directory (host lab1)`,
    ]);
  });
});

describe('iterationToFollow (iteration: latest)', () => {
  const GENESIS = 1_720_000_000;
  it.each([
    ['before the new chain starts: the one before, and when the new one starts', GENESIS * 1000 - 1, { iteration: 161, upcoming: { iteration: 162, genesisTime: GENESIS } }],
    ['at its genesis time: the new one', GENESIS * 1000, { iteration: 162 }],
    ['after it: the new one', GENESIS * 1000 + 86_400_000, { iteration: 162 }],
  ])('%s', (_name, now, expected) => {
    expect(iterationToFollow(162, GENESIS, now)).toEqual(expected);
  });

  it('a release whose genesis time cannot be read is followed', () => {
    expect(iterationToFollow(162, undefined, 0)).toEqual({ iteration: 162 });
  });

  it('the note names both iterations and the start in UTC', () => {
    expect(upcomingIterationNote({ iteration: 162, genesisTime: GENESIS }, 161)).toBe('ephemery iteration 162 starts at 2024-07-03T09:46:40.000Z; staying on 161 until then');
  });
});
