import { formatProblem } from '../../../src/errors.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KNOWN_VARIABLES, RESERVED_VARIABLES, inventorySchema, playbookSchema } from '../../../src/inventory/schema.js';
import { build, heads } from './helpers.js';

const schemaFile = (name: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../../schemas/${name}`, import.meta.url)), 'utf8'));

describe('schemas/ files', () => {
  // src/inventory/schema.ts is the source; regenerate with:
  // node --import tsx -e "import('./src/inventory/schema.ts').then(s=>{const fs=require('fs');fs.writeFileSync('schemas/inventory.schema.json',JSON.stringify(s.inventorySchema,null,2)+'\n');fs.writeFileSync('schemas/playbook.schema.json',JSON.stringify(s.playbookSchema,null,2)+'\n')})"
  it.each([
    ['inventory.schema.json', inventorySchema],
    ['playbook.schema.json', playbookSchema],
  ])('%s matches the schema the code validates with', (file, schema) => {
    expect(schemaFile(file)).toEqual(schema);
  });

  it('docs/variables.md names every known and reserved variable', () => {
    const docs = readFileSync(fileURLToPath(new URL('../../../docs/variables.md', import.meta.url)), 'utf8');
    for (const name of [...Object.keys(KNOWN_VARIABLES), ...RESERVED_VARIABLES]) expect(docs, name).toContain(`\`${name}\``);
  });

  it('describes every known variable for editors', () => {
    for (const [name, known] of Object.entries(KNOWN_VARIABLES)) expect(known.schema.description, name).toEqual(expect.any(String));
  });
});

const host = (vars: string): string => `all:\n  hosts:\n    lab1:\n${vars.replace(/^/gm, '      ')}\n`;

// [inventory text, expected first lines of the problems]
const inventoryCases: [string, string, string[]][] = [
  ['a valid host', host('ansible_host: 127.0.0.1\nansible_port: 22'), []],
  // Each would reach ssh as its address (issue 11 item 13): a command substitution, a second line, an option.
  ['address with $(...)', host('ansible_host: "$(reboot)"'), [expect.stringMatching(/^inventory\.yaml:4:21: all\.hosts\.lab1\.ansible_host: must be a host name, an ~\/\.ssh\/config alias, or an IPv4 or IPv6 address/)] as never],
  ['address with a newline', host('ansible_host: "lab1\\nlab2"'), [expect.stringMatching(/^inventory\.yaml:4:21: all\.hosts\.lab1\.ansible_host: must be a host name/)] as never],
  ['address as an ssh option', host('nodeform_host: -oProxyCommand=id'), [expect.stringMatching(/^inventory\.yaml:4:22: all\.hosts\.lab1\.nodeform_host: must be a host name/)] as never],
  ['port as string', host('ansible_port: "22"'), ['inventory.yaml:4:21: all.hosts.lab1.ansible_port: must be an integer port from 1 to 65535 (got "22")']],
  ['port 0', host('ansible_port: 0'), ['inventory.yaml:4:21: all.hosts.lab1.ansible_port: must be an integer port from 1 to 65535 (got 0)']],
  ['port 1.5', host('nodeform_port: 1.5'), ['inventory.yaml:4:22: all.hosts.lab1.nodeform_port: must be an integer port from 1 to 65535 (got 1.5)']],
  ['typo with suggestion', host('nodeform_idenity_file: k'), ["inventory.yaml:4:7: all.hosts.lab1.nodeform_idenity_file: unknown variable 'nodeform_idenity_file' (did you mean 'nodeform_identity_file'?)"]],
  [
    'unknown name without suggestion',
    host('nodeform_colour: red'),
    ["inventory.yaml:4:7: all.hosts.lab1.nodeform_colour: unknown variable 'nodeform_colour'; names starting with ansible_ or nodeform_ are connection settings, see docs/variables.md"],
  ],
  ['own variables are free', host('demo_port: 9000\ndemo: { nested: [1, 2] }'), []],
  ['variable name with a dash', host('demo-port: 1'), ["inventory.yaml:4:7: all.hosts.lab1.demo-port: variable names hold letters, digits and '_' and do not start with a digit (got \"demo-port\")"]],
  ['reserved name', host('groups: [a]'), ["inventory.yaml:4:7: all.hosts.lab1.groups: 'groups' is set by nodeform for templates; choose another variable name"]],
  ['become yes', host('ansible_become: yes'), []],
  ['become maybe', host('ansible_become: maybe'), ['inventory.yaml:4:23: all.hosts.lab1.ansible_become: must be true or false (got "maybe")']],
  ['connection docker', host('ansible_connection: docker'), ['inventory.yaml:4:27: all.hosts.lab1.ansible_connection: must be ssh or local (got "docker")']],
  ['become method su', host('ansible_become_method: su'), ['inventory.yaml:4:30: all.hosts.lab1.ansible_become_method: must be sudo: nodeform becomes another user with sudo -n only (got "su")']],
  ['keep generations 0', host('nodeform_keep_generations: 0'), ['inventory.yaml:4:34: all.hosts.lab1.nodeform_keep_generations: must be an integer from 1 to 1000 (got 0)']],
  ['proxy jump with a space', host('nodeform_proxy_jump: "a b"'), ['inventory.yaml:4:28: all.hosts.lab1.nodeform_proxy_jump: must be a jump host list like user@host:port[,user@next] (got "a b")']],
  ['identity files as a list', host('nodeform_identity_file: [a, b]'), []],
  ['identity files empty list', host('nodeform_identity_file: []'), ['inventory.yaml:4:31: all.hosts.lab1.nodeform_identity_file: must be a path or a list of paths (got a list)']],
  ['state dir with ..', host('nodeform_state_dir: /var/../tmp'), ["inventory.yaml:4:27: all.hosts.lab1.nodeform_state_dir: must not contain '..' segments: write the path it leads to"]],
  ['user with a space', host('ansible_user: "a b"'), [expect.stringContaining('inventory.yaml:4:21: all.hosts.lab1.ansible_user: must be a POSIX user or group name')] as never],
  ['unknown group key', 'all:\n  host:\n    lab1:\n', ["inventory.yaml:2:3: all.host: unknown key 'host' (did you mean 'hosts'?)"]],
  ['unknown group key, no suggestion', 'all:\n  members: {}\n', ["inventory.yaml:2:3: all.members: unknown key 'members'; expected one of: hosts, children, vars"]],
  ['hosts as a list', 'all:\n  hosts: [lab1]\n', ['inventory.yaml:2:10: all.hosts: must be a mapping of host names to their variables (got a list)']],
  ['vars as a string', 'all:\n  vars: x\n', ['inventory.yaml:2:9: all.vars: must be a mapping of variable names to values (got "x")']],
  ['group name with a space', 'all:\n  children:\n    "web servers":\n', [`inventory.yaml:3:5: all.children.web servers: must hold only letters, digits, '_', '.', '-' and start with a letter or digit (got "web servers")`]],
  ['inventory as a list', '- lab1\n', ['inventory.yaml:1:1: the inventory must be a mapping of groups, starting with all: (got a list)']],
  ['empty inventory', '', ['inventory.yaml:1:1: the inventory must be a mapping of groups, starting with all: (got nothing)']],
  [
    'all problems at once',
    host('ansible_port: abc\nansible_hots: x\nnodeform_become: 3'),
    [
      'inventory.yaml:4:21: all.hosts.lab1.ansible_port: must be an integer port from 1 to 65535 (got "abc")',
      "inventory.yaml:5:7: all.hosts.lab1.ansible_hots: unknown variable 'ansible_hots' (did you mean 'ansible_host'?)",
      'inventory.yaml:6:24: all.hosts.lab1.nodeform_become: must be true or false (got 3)',
    ],
  ],
  ['group contains itself', 'all:\n  children:\n    a:\n      children:\n        a:\n', ["inventory.yaml:5:9: all.children.a.children.a: group 'a' contains itself (through a -> a)"]],
  ['all as a child', 'all:\n  children:\n    a:\n      children:\n        all:\n', ["inventory.yaml:5:9: all.children.a.children.all: group 'all' contains itself (through all -> a -> all)"]],
  ['a group named like a host', 'all:\n  hosts: { x: }\n  children:\n    x:\n', ["inventory.yaml:4:5: all.children.x: 'x' is both a host and a group name (the host is at inventory.yaml:2:12); rename one of them"]],
];

describe('inventory validation', () => {
  it.each(inventoryCases)('%s', (_name, inventory, expected) => {
    expect(heads(build({ inventory }).problems)).toEqual(expected);
  });

  it('reserved names are all refused', () => {
    for (const name of RESERVED_VARIABLES) {
      expect(heads(build({ inventory: host(`${name}: 1`) }).problems)).toHaveLength(1);
    }
  });

  it('ignored Ansible variables load, with a warning when they would have mattered', () => {
    const result = build({ inventory: host('ansible_python_interpreter: /usr/bin/python3\nansible_ssh_pass: secret\nansible_ssh_common_args: -o X=y') });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual([
      'inventory.yaml:5:7: all.hosts.lab1.ansible_ssh_pass: ignored: passwords are not used: nodeform logs in with keys or the SSH agent and becomes root with sudo -n',
      'inventory.yaml:6:7: all.hosts.lab1.ansible_ssh_common_args: ignored: extra ssh arguments are not passed on: put options in ~/.ssh/config, or use nodeform_proxy_jump for jump hosts',
    ]);
  });

  it('group_vars files are checked with their own file and field names', () => {
    const result = build({ inventory: 'all:\n  children:\n    g:\n      hosts: { h: }\n', groupVars: { 'g.yaml': 'x: 1\nansible_port: huge\n' } });
    expect(heads(result.problems)).toEqual(['group_vars/g.yaml:2:15: group_vars.g.ansible_port: must be an integer port from 1 to 65535 (got "huge")']);
  });

  it('a group_vars file must be a mapping', () => {
    const result = build({ inventory: 'all:\n  hosts: { h: }\n', hostVars: { 'h.yaml': '- a\n' } });
    expect(heads(result.problems)).toEqual(['host_vars/h.yaml:1:1: host_vars.h: must be a mapping of variable names to values (got a list)']);
  });

  it('vars files for groups or hosts not in the inventory are a warning', () => {
    const result = build({ inventory: 'all:\n  hosts: { h: }\n', groupVars: { 'nope.yaml': 'x: 1\n' }, hostVars: { 'gone.yaml': 'x: 1\n' } });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual([
      "group_vars/nope.yaml: no group 'nope' in the inventory, so these variables are not used",
      "host_vars/gone.yaml: no host 'gone' in the inventory, so these variables are not used",
    ]);
  });

  it('a host listed twice with different values is fine, with a warning', () => {
    const result = build({ inventory: 'all:\n  hosts:\n    h: { x: 1 }\n  children:\n    g:\n      hosts:\n        h: { x: 2 }\n' });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual(['inventory.yaml:7:17: host h sets x again with a different value (first at inventory.yaml:3:13); the later one wins']);
  });

  it.each([
    ['the inventory', { inventory: 'all:\n  children:\n    beacon:\n      hosts: [lab1\n', playbook: '- hosts: beacon\n' }],
    [
      'a group_vars file',
      {
        inventory: 'all:\n  hosts: { h: }\n',
        groupVars: { 'all.yaml': 'port: [1\n' },
        playbook: '- hosts: all\n  files: [{ path: /a, content: "{{port}}" }]\n',
      },
    ],
  ])('a syntax error in %s is reported alone, without the problems it would cause downstream', (_name, project) => {
    expect(build(project).problems).toHaveLength(1);
  });

  it('a broken -e is reported alone too', () => {
    const result = build({ inventory: 'all:\n  hosts: { h: }\n', playbook: '- hosts: all\n  files: [{ path: /a, content: "{{port}}" }]\n' }, { extraVars: ['{port: [1'] });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.position.file).toBe('-e #1');
  });
});
