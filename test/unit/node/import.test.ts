// nodeform import: old node variable names rewritten into the new settings, comments and order
// kept, and every host keeps exactly the node it had (same Desired, resource for resource).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { importInventory, importVars } from '../../../src/node/import.js';
import { buildNode, heads } from './helpers.js';

// [name, old inventory, new inventory, changes]
const rewrites: [string, string, string, string[]][] = [
  ['nothing old', 'all:\n  vars:\n    network: mainnet\n  hosts:\n    a:\n', 'all:\n  vars:\n    network: mainnet\n  hosts:\n    a:\n', []],
  [
    'client names, in place, comments kept',
    'all:\n  vars:\n    network: mainnet   # the chain\n    # which clients\n    cl_client_name: teku   # beacon\n    el_client_name: besu\n    ansible_user: root\n  hosts:\n    a:\n',
    'all:\n  vars:\n    network: mainnet # the chain\n    # which clients\n    consensus:\n      client: teku # beacon\n    execution:\n      client: besu\n    ansible_user: root\n  hosts:\n    a:\n',
    ['inventory.yaml:5:5: all.vars.cl_client_name -> consensus.client', 'inventory.yaml:6:5: all.vars.el_client_name -> execution.client'],
  ],
  [
    'extra opts become a list, checkpoint settings one mapping',
    'all:\n  vars:\n    use_checkpoint_sync: yes\n    checkpoint_sync_url: https://cp.example\n    cl_extra_opts: "--graffiti \'a b\' --x=1"\n',
    'all:\n  vars:\n    checkpoint_sync:\n      enabled: true\n      url: https://cp.example\n    consensus:\n      extra_args: [ --graffiti, a b, --x=1 ]\n',
    [
      'inventory.yaml:3:5: all.vars.use_checkpoint_sync -> checkpoint_sync.enabled',
      'inventory.yaml:4:5: all.vars.checkpoint_sync_url -> checkpoint_sync.url',
      'inventory.yaml:5:5: all.vars.cl_extra_opts -> consensus.extra_args',
    ],
  ],
  [
    'an extra opts string that cannot be split stays a string (and validation says why)',
    'all:\n  vars:\n    el_extra_opts: "--a; b"\n',
    'all:\n  vars:\n    execution:\n      extra_args: --a; b\n',
    ['inventory.yaml:3:5: all.vars.el_extra_opts -> execution.extra_args'],
  ],
  [
    'merged into a mapping that is already there',
    'all:\n  vars:\n    consensus: { client: lighthouse }\n    cl_extra_opts: --x\n    cl_client_name: teku\n',
    'all:\n  vars:\n    consensus: { client: lighthouse, extra_args: [ --x ] }\n',
    ['inventory.yaml:4:5: all.vars.cl_extra_opts -> consensus.extra_args', 'inventory.yaml:5:5: all.vars.cl_client_name -> consensus.client (it had no effect: consensus.client is set)'],
  ],
  [
    'a group mapping takes what its hosts inherited from old names above',
    'all:\n  vars:\n    cl_extra_opts: --x\n  children:\n    g:\n      vars:\n        consensus: { client: nimbus }\n      hosts:\n        a:\n',
    'all:\n  vars:\n    consensus:\n      extra_args: [ --x ]\n  children:\n    g:\n      vars:\n        consensus: { client: nimbus, extra_args: [ --x ] }\n      hosts:\n        a:\n',
    ['inventory.yaml:3:5: all.vars.cl_extra_opts -> consensus.extra_args', 'inventory.yaml:7:9: all.children.g.vars.consensus now holds extra_args, which its hosts inherited from old names above'],
  ],
  [
    'a host-level old name keeps the group-level settings it combined with',
    'all:\n  vars:\n    cl_client_name: teku\n    cl_extra_opts: --x\n  hosts:\n    a:\n      cl_client_name: prysm\n',
    'all:\n  vars:\n    consensus:\n      client: teku\n      extra_args: [ --x ]\n  hosts:\n    a:\n      consensus:\n        client: prysm\n        extra_args: [ --x ]\n',
    [
      'inventory.yaml:3:5: all.vars.cl_client_name -> consensus.client',
      'inventory.yaml:4:5: all.vars.cl_extra_opts -> consensus.extra_args',
      'inventory.yaml:7:7: all.hosts.a.cl_client_name -> consensus.client',
      'inventory.yaml:7:7: all.hosts.a.consensus also holds extra_args, which its hosts inherit (a mapping here replaces the one above)',
    ],
  ],
  [
    'a host in two sibling groups gets its own combination',
    'all:\n  children:\n    clients:\n      vars:\n        consensus_client: teku\n      hosts:\n        a:\n    extras:\n      vars:\n        cl_extra_opts: --x\n      hosts:\n        a:\n',
    'all:\n  children:\n    clients:\n      vars:\n        consensus:\n          client: teku\n      hosts:\n        a:\n          consensus:\n            client: teku\n            extra_args: [ --x ]\n    extras:\n      vars:\n        consensus:\n          extra_args: [ --x ]\n      hosts:\n        a:\n',
    [
      'inventory.yaml:5:9: all.children.clients.vars.consensus_client -> consensus.client',
      'inventory.yaml:7:9: all.children.clients.hosts.a.consensus written out in full: host a\'s groups combine it differently in the new form',
      'inventory.yaml:10:9: all.children.extras.vars.cl_extra_opts -> consensus.extra_args',
    ],
  ],
];

describe('importInventory', () => {
  it.each(rewrites)('%s', (_name, before, after, changes) => {
    const result = importInventory(before, 'inventory.yaml');
    expect(result.text).toBe(after);
    expect(result.changes).toEqual(changes);
    // Importing again changes nothing.
    expect(result.warnings).toEqual([]);
    expect(importInventory(result.text, 'inventory.yaml')).toEqual({ text: result.text, changes: [], warnings: [] });
  });

  it('refuses YAML it cannot read, with the position', () => {
    expect(() => importInventory('all:\n  vars: [\n', 'inventory.yaml')).toThrow(ConfigError);
    try {
      importInventory('all:\n\tvars: {}\n', 'inventory.yaml');
    } catch (error) {
      expect(heads((error as ConfigError).problems)[0]).toMatch(/^inventory.yaml:2:1: /);
    }
  });
});

describe('importVars (group_vars and host_vars files)', () => {
  it.each([
    ['cl_client_name: lighthouse\nel_client_name: geth\n', 'consensus:\n  client: lighthouse\nexecution:\n  client: geth\n', 2],
    ['# node\nuse_checkpoint_sync: false\nother: 1\n', '# node\ncheckpoint_sync:\n  enabled: false\nother: 1\n', 1],
    ['network: mainnet\n', 'network: mainnet\n', 0],
  ])('%j', (before, after, changes) => {
    const result = importVars(before, 'group_vars/all.yaml');
    expect(result.text).toBe(after);
    expect(result.changes).toHaveLength(changes);
    if (changes > 0) expect(result.changes[0]).toMatch(/^group_vars\/all\.yaml:\d+:1: /);
  });
});

// Old inventories and what they must keep meaning: buildDesired of the old and the imported text agree.
const fleets: [string, string][] = [
  [
    'one host, every old name',
    `all:
  vars:
    network: { name: ephemery, iteration: 161 }
    use_checkpoint_sync: true
    checkpoint_sync_url: https://checkpoint-sync.ephemery.ethpandaops.io
  hosts:
    lab1:
      cl_client_name: lighthouse
      el_client_name: geth
      cl_extra_opts: "--graffiti 'lab one' --disable-upnp"
      el_extra_opts: [--verbosity, "4"]
`,
  ],
  [
    'groups of client pairs with shared options above',
    `all:
  vars:
    network: mainnet
    cl_extra_opts: --disable-upnp
    execution_client: geth
    use_checkpoint_sync: no
  children:
    lh:
      vars:
        consensus_client: lighthouse
      hosts:
        a:
        b:
          el_client_name: nethermind
    tk:
      vars:
        cl_client_name: teku
        cl_extra_opts: --logging=INFO
      hosts:
        c:
`,
  ],
  [
    'a host in two sibling groups and new settings mixed in',
    `all:
  vars:
    network: { name: ephemery, iteration: 161 }
    monitoring: { metrics: true }
  children:
    clients:
      vars:
        consensus_client: prysm
        el_client_name: besu
        consensus: { peers: 40 }
      hosts:
        a:
        b:
    extras:
      vars:
        cl_extra_opts: --verbosity=debug
        checkpoint_sync_url: https://ephemery.beaconstate.ethstaker.cc
      hosts:
        b:
`,
  ],
];

describe('an old inventory and its imported form build the same hosts', () => {
  it.each(fleets)('%s', (_name, inventory) => {
    const before = buildNode({ inventory });
    const imported = importInventory(inventory, 'inventory.yaml');
    const after = buildNode({ inventory: imported.text });
    expect(heads(before.problems)).toEqual([]);
    expect(heads(after.problems)).toEqual([]);
    expect(before.warnings.length).toBeGreaterThan(0);
    expect(after.warnings).toEqual([]);
    const resources = (result: typeof before) => result.desired.map((d) => ({ host: d.host, resources: d.resources.map(({ origin: _origin, ...r }) => r) }));
    expect(resources(after)).toEqual(resources(before));
    expect(after.desired.length).toBeGreaterThan(0);
  });
});
