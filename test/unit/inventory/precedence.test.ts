// Variable precedence, table-driven: each case is an inventory (plus vars files and -e) and the
// value `x` must resolve to for one host. Lowest first: all < parent group < child group
// (by depth; siblings alphabetically, or by ansible_group_priority) < host < play vars < -e;
// at each inventory level, group_vars/host_vars files merge after inline vars.
import { describe, expect, it } from 'vitest';
import { hostVariables } from '../../../src/inventory/inventory.js';
import { build, heads, type Project } from './helpers.js';

interface Case {
  name: string;
  project: Project;
  extraVars?: string[];
  host: string;
  expected: unknown;
}

const cases: Case[] = [
  {
    name: 'all.vars applies when nothing else sets it',
    project: { inventory: 'all:\n  vars: { x: all }\n  hosts: { h: }\n' },
    host: 'h',
    expected: 'all',
  },
  {
    name: 'a group beats all',
    project: { inventory: 'all:\n  vars: { x: all }\n  children:\n    g:\n      hosts: { h: }\n      vars: { x: g }\n' },
    host: 'h',
    expected: 'g',
  },
  {
    name: 'a child group beats its parent',
    project: {
      inventory: 'all:\n  children:\n    parent:\n      vars: { x: parent }\n      children:\n        child:\n          hosts: { h: }\n          vars: { x: child }\n',
    },
    host: 'h',
    expected: 'child',
  },
  {
    name: 'the parent applies to hosts of the child that do not override it',
    project: {
      inventory: 'all:\n  children:\n    parent:\n      vars: { x: parent }\n      children:\n        child:\n          hosts: { h: }\n          vars: { y: child }\n',
    },
    host: 'h',
    expected: 'parent',
  },
  {
    name: 'depth wins over names: a deeper group beats a shallower one named later',
    project: {
      inventory:
        'all:\n  children:\n    zeta:\n      hosts: { h: }\n      vars: { x: zeta }\n    alpha:\n      children:\n        beta:\n          hosts: { h: }\n          vars: { x: beta }\n',
    },
    host: 'h',
    expected: 'beta',
  },
  {
    name: 'siblings at equal depth merge alphabetically: the later name wins',
    project: {
      inventory: 'all:\n  children:\n    b_group:\n      hosts: { h: }\n      vars: { x: b }\n    a_group:\n      hosts: { h: }\n      vars: { x: a }\n',
    },
    host: 'h',
    expected: 'b',
  },
  {
    name: 'ansible_group_priority orders siblings before names do',
    project: {
      inventory:
        'all:\n  children:\n    b_group:\n      hosts: { h: }\n      vars: { x: b }\n    a_group:\n      hosts: { h: }\n      vars: { x: a, ansible_group_priority: 10 }\n',
    },
    host: 'h',
    expected: 'a',
  },
  {
    name: 'depth is the longest path from all (a group under two parents)',
    project: {
      inventory:
        'all:\n  children:\n    top:\n      vars: { x: top }\n      children:\n        mid:\n          children:\n            shared:\n              hosts: { h: }\n    shared:\n      vars: { x: shared }\n    zz:\n      hosts: { h: }\n      vars: { x: zz }\n',
    },
    host: 'h',
    expected: 'shared',
  },
  {
    name: 'host vars beat every group',
    project: { inventory: 'all:\n  vars: { x: all }\n  children:\n    g:\n      hosts:\n        h: { x: host }\n      vars: { x: g }\n' },
    host: 'h',
    expected: 'host',
  },
  {
    name: 'a host listed twice merges its vars, the later listing winning',
    project: { inventory: 'all:\n  hosts:\n    h: { x: first, y: 1 }\n  children:\n    g:\n      hosts:\n        h: { x: second }\n' },
    host: 'h',
    expected: 'second',
  },
  {
    name: 'group_vars/all.yaml merges after inline all.vars',
    project: { inventory: 'all:\n  vars: { x: inline }\n  hosts: { h: }\n', groupVars: { 'all.yaml': 'x: file\n' } },
    host: 'h',
    expected: 'file',
  },
  {
    name: 'group_vars of a group merge after its inline vars',
    project: { inventory: 'all:\n  children:\n    g:\n      hosts: { h: }\n      vars: { x: inline }\n', groupVars: { 'g.yml': 'x: file\n' } },
    host: 'h',
    expected: 'file',
  },
  {
    name: 'group_vars files do not lift a parent above a child',
    project: {
      inventory: 'all:\n  children:\n    parent:\n      children:\n        child:\n          hosts: { h: }\n          vars: { x: child-inline }\n',
      groupVars: { 'parent.yaml': 'x: parent-file\n' },
    },
    host: 'h',
    expected: 'child-inline',
  },
  {
    name: 'files of a group_vars directory merge in name order',
    project: {
      inventory: 'all:\n  children:\n    g:\n      hosts: { h: }\n',
      groupVars: { 'g/10-first.yaml': 'x: first\n', 'g/20-second.yaml': 'x: second\n' },
    },
    host: 'h',
    expected: 'second',
  },
  {
    name: 'host_vars merge after inline host vars',
    project: { inventory: 'all:\n  hosts:\n    h: { x: inline }\n', hostVars: { 'h.yaml': 'x: file\n' } },
    host: 'h',
    expected: 'file',
  },
  {
    name: 'host_vars beat group_vars',
    project: { inventory: 'all:\n  hosts: { h: }\n', groupVars: { 'all.yaml': 'x: group\n' }, hostVars: { 'h.yaml': 'x: host\n' } },
    host: 'h',
    expected: 'host',
  },
  {
    name: '-e key=value beats host vars',
    project: { inventory: 'all:\n  hosts:\n    h: { x: host }\n' },
    extraVars: ['x=extra'],
    host: 'h',
    expected: 'extra',
  },
  {
    name: 'later -e arguments beat earlier ones',
    project: { inventory: 'all:\n  hosts: { h: }\n' },
    extraVars: ['x=one', 'x=two'],
    host: 'h',
    expected: 'two',
  },
  {
    name: '-e @file.yaml beats host vars and keeps YAML types',
    project: { inventory: 'all:\n  hosts:\n    h: { x: host }\n', extraVarFiles: { 'extra.yaml': 'x: [1, 2]\n' } },
    extraVars: ['@extra.yaml'],
    host: 'h',
    expected: [1, 2],
  },
  {
    name: '-e with inline JSON',
    project: { inventory: 'all:\n  hosts: { h: }\n' },
    extraVars: ['{"x": {"deep": true}}'],
    host: 'h',
    expected: { deep: true },
  },
  {
    name: 'values replace, never deep-merge (Ansible hash_behaviour=replace)',
    project: { inventory: 'all:\n  vars:\n    x: { a: 1, b: 2 }\n  hosts:\n    h: { x: { a: 3 } }\n' },
    host: 'h',
    expected: { a: 3 },
  },
  {
    name: 'top-level groups are children of all',
    project: { inventory: 'all:\n  vars: { x: all }\nsolo:\n  hosts: { h: }\n  vars: { x: solo }\n' },
    host: 'h',
    expected: 'solo',
  },
];

describe('variable precedence', () => {
  it.each(cases)('$name', ({ project, extraVars, host, expected }) => {
    const result = build(project, { extraVars: extraVars ?? [] });
    expect(heads(result.problems)).toEqual([]);
    const desired = result.desired.find((d) => d.host === host);
    expect(desired?.vars.x).toEqual(expected);
  });

  it('play vars sit between host vars and -e when rendering', () => {
    const inventory = 'all:\n  hosts:\n    h: { x: host, y: host }\n';
    const playbook = '- hosts: all\n  vars: { x: play, y: play }\n  files:\n    - path: /etc/x\n      content: "{{x}} {{y}}"\n';
    const [desired] = build({ inventory, playbook }, { extraVars: ['y=extra'] }).desired;
    const file = desired!.resources[0]!;
    expect(file.kind === 'file' && file.content).toBe('play extra');
    // Play vars are the play's own: Desired.vars holds inventory and -e only.
    expect(desired!.vars.x).toBe('host');
  });

  it('hostVariables gives the same answer without -e', () => {
    const { inventory } = build({ inventory: 'all:\n  vars: { x: all }\n  children:\n    g:\n      hosts:\n        h: { x: host }\n' });
    expect(hostVariables(inventory, 'h')).toEqual({ x: 'host' });
    expect(hostVariables(inventory, 'h', { x: 'e' })).toEqual({ x: 'e' });
  });
});
