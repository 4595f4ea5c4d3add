import { formatProblem } from '../../../src/errors.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Desired, FileResource, UnitResource } from '../../../src/model/types.js';
import { build, heads } from '../inventory/helpers.js';

const INVENTORY = `all:
  vars: { port: 8080 }
  hosts:
    lab1: { ansible_host: 127.0.0.11 }
    lab2: { ansible_host: 127.0.0.12, port: 9090 }
  children:
    beacon:
      hosts: { lab1: }
`;

const file = (desired: Desired | undefined, path: string): FileResource =>
  desired?.resources.find((r): r is FileResource => r.kind === 'file' && r.path === path) as FileResource;

describe('buildDesired', () => {
  it('renders per host with inventory_hostname, groups, group_names and hostvars', () => {
    const playbook = `- hosts: all
  files:
    - path: /etc/x.conf
      content: |
        {{inventory_hostname}} {{inventory_hostname_short}} port={{port}}
        groups={{#each group_names}}{{this}};{{/each}} beacon={{#each groups.beacon}}{{this}}{{/each}}
        peer={{hostvars.lab2.ansible_host}}
`;
    const inventory = INVENTORY.replace('lab1: { ansible_host', 'lab1.example.org: { ansible_host').replace('hosts: { lab1: }', 'hosts: { lab1.example.org: }');
    const result = build({ inventory, playbook });
    expect(heads(result.problems)).toEqual([]);
    expect(file(result.desired[0], '/etc/x.conf').content).toBe(
      'lab1.example.org lab1 port=8080\ngroups=beacon; beacon=lab1.example.org\npeer=127.0.0.12\n',
    );
    expect(file(result.desired[1], '/etc/x.conf').content).toBe('lab2 lab2 port=9090\ngroups= beacon=lab1.example.org\npeer=127.0.0.12\n');
  });

  it('computes sha256 of the exact bytes and places units under /etc/systemd/system', () => {
    const playbook = '- hosts: lab1\n  files:\n    - { path: /etc/a, content: "é\\n" }\n  units:\n    - { name: a.service, content: "[Unit]\\n", restart_on: [/etc/a] }\n';
    const [desired] = build({ inventory: INVENTORY, playbook }).desired;
    const sha = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
    expect(file(desired, '/etc/a')).toMatchObject({ id: 'file:/etc/a', content: 'é\n', encoding: 'utf8', sha256: sha('é\n') });
    const unit = desired!.resources.find((r) => r.kind === 'unit') as UnitResource;
    expect(unit).toMatchObject({ id: 'unit:a.service', path: '/etc/systemd/system/a.service', sha256: sha('[Unit]\n'), restartOn: ['/etc/a'] });
  });

  it('a unit without content or template is state only: no content, only the state it gives; declared twice differently is an error', () => {
    const playbook = '- hosts: lab1\n  units:\n    - { name: old.service, enabled: false, active: false }\n    - { name: other.service, active: false }\n';
    const [desired] = build({ inventory: INVENTORY, playbook }).desired;
    const units = desired!.resources.filter((r): r is UnitResource => r.kind === 'unit');
    expect(units.map(({ origin: _origin, ...u }) => u)).toEqual([
      { kind: 'unit', id: 'unit:old.service', tags: [], name: 'old.service', path: '/etc/systemd/system/old.service', content: '', sha256: '', stateOnly: true, enabled: false, active: false, restartOn: [] },
      { kind: 'unit', id: 'unit:other.service', tags: [], name: 'other.service', path: '/etc/systemd/system/other.service', content: '', sha256: '', stateOnly: true, active: false, restartOn: [] },
    ].sort((a, b) => a.name.localeCompare(b.name)));
    const twice = build({ inventory: INVENTORY, playbook: '- hosts: lab1\n  units: [{ name: old.service, enabled: false }]\n- hosts: lab1\n  units: [{ name: old.service, content: x }]\n' });
    expect(heads(twice.problems)).toEqual([expect.stringContaining('unit old.service is declared twice for host lab1 with different')]);
  });

  it('orders resources users, directories, files, units, each by name or path (parents first)', () => {
    const playbook = `- hosts: lab1
  units: [{ name: b.service, content: x }, { name: a.service, content: x }]
  files: [{ path: /etc/z, content: x }, { path: /etc/a/b, content: x }]
  directories: [{ path: /etc/a/b/c }, { path: /etc/a }, { path: /etc/a-b }]
  users: [{ name: zed }, { name: amy }]
`;
    const [desired] = build({ inventory: INVENTORY, playbook }).desired;
    expect(desired!.resources.map((r) => r.id)).toEqual([
      'user:amy',
      'user:zed',
      'dir:/etc/a',
      'dir:/etc/a-b',
      'dir:/etc/a/b/c',
      'file:/etc/a/b',
      'file:/etc/z',
      'unit:a.service',
      'unit:b.service',
    ]);
  });

  it('one Desired per selected host, in inventory order, with connection and settings', () => {
    const result = build({ inventory: INVENTORY, playbook: '- hosts: beacon\n- hosts: lab2\n' });
    expect(result.desired.map((d) => d.host)).toEqual(['lab1', 'lab2']);
    expect(result.desired[0]).toMatchObject({
      connection: { name: 'lab1', address: '127.0.0.11', connection: 'ssh' },
      settings: { stateDir: '/var/lib/nodeform', keepGenerations: 5 },
      vars: { port: 8080, ansible_host: '127.0.0.11' },
      resources: [],
    });
  });

  it('hosts no play targets are left out', () => {
    expect(build({ inventory: INVENTORY, playbook: '- hosts: beacon\n' }).desired.map((d) => d.host)).toEqual(['lab1']);
  });

  it('identical declarations in two plays merge, their tags joined', () => {
    const playbook = `- hosts: all
  tags: [a]
  files: [{ path: /etc/x, content: same }]
- hosts: beacon
  files: [{ path: /etc/x, content: same, tags: [b] }]
`;
    const result = build({ inventory: INVENTORY, playbook });
    expect(result.problems).toEqual([]);
    expect(file(result.desired[0], '/etc/x').tags).toEqual(['a', 'b']);
    expect(file(result.desired[0], '/etc/x').origin).toBe('playbook.yaml:3:11');
  });

  it('the same path rendered differently per host conflicts only where it differs', () => {
    const playbook = `- hosts: all
  files: [{ path: /etc/x, content: "{{port}}" }]
- hosts: all
  files: [{ path: /etc/x, content: "8080" }]
`;
    expect(heads(build({ inventory: INVENTORY, playbook }).problems)).toEqual([
      'playbook.yaml:4:19: [1].files[0].path: /etc/x is declared twice for host lab2 with different content (first at playbook.yaml:2:11)',
    ]);
  });

  it.each([
    ['mode', '{ path: /etc/x, content: a, mode: "0600" }', '{ path: /etc/x, content: a }', 'mode'],
    ['owner and secret', '{ path: /etc/x, content: a, owner: a, secret: true, mode: "0644" }', '{ path: /etc/x, content: a }', 'owner, secret'],
  ])('files differing in %s conflict', (_name, first, second, what) => {
    const playbook = `- hosts: lab1\n  files: [${first}]\n- hosts: lab1\n  files: [${second}]\n`;
    expect(heads(build({ inventory: INVENTORY, playbook }).problems)).toEqual([
      `playbook.yaml:4:19: [1].files[0].path: /etc/x is declared twice for host lab1 with different ${what} (first at playbook.yaml:2:11)`,
    ]);
  });

  it.each([
    ['users', 'users: [{ name: u }]', 'users: [{ name: u, system: false }]', 'user u is declared twice for host lab1 with different system, shell'],
    ['directories', 'directories: [{ path: /d }]', 'directories: [{ path: /d, owner: u }]', '/d is declared twice for host lab1 with different owner'],
    ['units', 'units: [{ name: u.service, content: a }]', 'units: [{ name: u.service, content: a, active: false }]', 'unit u.service is declared twice for host lab1 with different active'],
  ])('%s declared twice differently conflict', (_name, first, second, message) => {
    const playbook = `- hosts: lab1\n  ${first}\n- hosts: lab1\n  ${second}\n`;
    const problems = build({ inventory: INVENTORY, playbook }).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain(message);
  });

  it('one path cannot be a file and a directory, or a file and a unit', () => {
    const playbook = `- hosts: lab1
  directories: [{ path: /etc/x }]
  files: [{ path: /etc/x, content: a }, { path: /etc/systemd/system/u.service, content: a }]
  units: [{ name: u.service, content: a }]
`;
    expect(heads(build({ inventory: INVENTORY, playbook }).problems)).toEqual([
      'playbook.yaml:3:19: [0].files[0].path: /etc/x is declared as a file and as a directory (at playbook.yaml:2:17) for host lab1',
      'playbook.yaml:4:19: [0].units[0].name: /etc/systemd/system/u.service is declared as a unit and as a file (at playbook.yaml:3:41) for host lab1',
    ]);
  });

  it('restart_on may name a file declared in another play for the same host', () => {
    const playbook = '- hosts: all\n  files: [{ path: /etc/a, content: x }]\n- hosts: lab1\n  units: [{ name: a.service, content: x, restart_on: [/etc/a/] }]\n';
    expect(build({ inventory: INVENTORY, playbook }).problems).toEqual([]);
  });

  it('restart_on must name a file the same host gets', () => {
    const playbook = '- hosts: lab2\n  files: [{ path: /etc/a, content: x }]\n- hosts: all\n  units: [{ name: a.service, content: x, restart_on: [/etc/a] }]\n';
    expect(heads(build({ inventory: INVENTORY, playbook }).problems)).toEqual([
      'playbook.yaml:4:55: [1].units[0].restart_on[0]: /etc/a is not a file this playbook declares for host lab1; declare it under files or remove it from restart_on',
    ]);
  });

  it('a directory is not a file for restart_on', () => {
    const playbook = '- hosts: lab1\n  directories: [{ path: /etc/a }]\n  units: [{ name: a.service, content: x, restart_on: [/etc/a] }]\n';
    expect(build({ inventory: INVENTORY, playbook }).problems).toHaveLength(1);
  });

  describe('tags', () => {
    const playbook = `- hosts: lab1
  tags: [base]
  files:
    - { path: /etc/a, content: a, tags: [config] }
    - { path: /etc/b, content: b }
    - { path: /etc/c, content: c, tags: [never, debug] }
    - { path: /etc/d, content: d, tags: [always] }
`;
    it.each([
      [[], [], ['/etc/a', '/etc/b', '/etc/d']],
      [['config'], [], ['/etc/a', '/etc/d']],
      // An inherited play tag requests a `never` item too, as in Ansible.
      [['base'], [], ['/etc/a', '/etc/b', '/etc/c', '/etc/d']],
      [['debug'], [], ['/etc/c', '/etc/d']],
      [[], ['config'], ['/etc/b', '/etc/d']],
      [[], ['base'], []],
      [['config'], ['always'], ['/etc/a']],
    ])('--tags %j --skip-tags %j', (tags, skipTags, paths) => {
      const [desired] = build({ inventory: INVENTORY, playbook }, { tags, skipTags }).desired;
      expect(desired!.resources.map((r) => (r.kind === 'file' ? r.path : r.id))).toEqual(paths);
    });

    it('restart_on is checked against every declared file, whatever the tags', () => {
      const units = `${playbook}  units: [{ name: u.service, content: x, restart_on: [/etc/a], tags: [svc] }]\n`;
      const result = build({ inventory: INVENTORY, playbook: units }, { tags: ['svc'] });
      expect(result.problems).toEqual([]);
      expect(result.desired[0]!.resources.map((r) => r.id)).toEqual(['file:/etc/d', 'unit:u.service']);
    });
  });

  describe('templates', () => {
    it('template files render with the host variables', () => {
      const playbook = '- hosts: all\n  files: [{ path: /etc/a, template: a.hbs }]\n';
      const result = build({ inventory: INVENTORY, playbook, templates: { 'a.hbs': 'port {{port}}\n' } });
      expect(result.desired.map((d) => file(d, '/etc/a').content)).toEqual(['port 8080\n', 'port 9090\n']);
    });

    it('an undefined variable in a template file points into that file, once for all hosts', () => {
      const playbook = '- hosts: all\n  files: [{ path: /etc/a, template: a.hbs }]\n';
      const result = build({ inventory: INVENTORY, playbook, templates: { 'a.hbs': 'ok\n  x = {{node.port}}\n' } });
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({
        position: { file: 'templates/a.hbs', line: 2, column: 9 },
        field: '[0].files[0].template',
        excerpt: '      x = {{node.port}}\n            ^',
      });
      expect(result.problems[0]!.message).toMatch(/^variable 'node.port' is not defined for hosts lab1 and lab2: /);
    });

    it('only the hosts missing the variable are named', () => {
      const playbook = '- hosts: all\n  files: [{ path: /etc/a, content: "{{ansible_port}}" }]\n';
      const inventory = INVENTORY.replace('lab2: { ansible_host: 127.0.0.12,', 'lab2: { ansible_port: 22, ansible_host: 127.0.0.12,');
      expect(build({ inventory, playbook }).problems[0]!.message).toMatch(/for host lab1:/);
    });

    it('a syntax error in a template is reported once, in the template', () => {
      const playbook = '- hosts: all\n  files: [{ path: /etc/a, template: a.hbs }, { path: /etc/b, template: a.hbs }]\n';
      const result = build({ inventory: INVENTORY, playbook, templates: { 'a.hbs': 'line\nbad {{#if x}} no end\n' } });
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]!.position.file).toBe('templates/a.hbs');
      expect(result.problems[0]!.message).toMatch(/^handlebars syntax error/);
    });

    it('a missing template file is reported at the reference, once', () => {
      const playbook = '- hosts: all\n  files: [{ path: /etc/a, template: nope.hbs }]\n';
      expect(heads(build({ inventory: INVENTORY, playbook }).problems)).toEqual([
        "playbook.yaml:2:37: [0].files[0].template: template 'nope.hbs' not found next to the playbook or in nodeform's templates/ directory",
      ]);
    });

    it.each([
      ['a block scalar', '      content: |\n        first\n        {{missing}}\n', 5, 11],
      ['a plain scalar', '      content: a {{missing}}\n', 3, 20],
      ['a quoted scalar', '      content: "a {{missing}}"\n', 3, 21],
    ])('undefined variables in inline content point into %s', (_name, content, line, column) => {
      const playbook = `- hosts: lab1\n  files:\n    - path: /etc/a\n${content}`;
      const result = build({ inventory: INVENTORY, playbook });
      expect(result.problems).toHaveLength(1);
      const position = result.problems[0]!.position;
      expect([position.line, position.column]).toEqual([line + 1, column]);
    });

    it('the default helper makes a variable optional', () => {
      const playbook = '- hosts: all\n  files: [{ path: /etc/a, content: "{{default demo_port 1}}/{{default port 2}}" }]\n';
      expect(build({ inventory: INVENTORY, playbook }).desired.map((d) => file(d, '/etc/a').content)).toEqual(['1/8080', '1/9090']);
    });

    it('no HTML escaping', () => {
      const playbook = '- hosts: lab1\n  files: [{ path: /etc/a, content: "{{v}}" }]\n';
      expect(file(build({ inventory: INVENTORY, playbook }, { extraVars: ['{"v": "<a&\\"b\\">"}'] }).desired[0], '/etc/a').content).toBe('<a&"b">');
    });
  });

  describe('host patterns in plays', () => {
    it('an unknown group is an error pointing at the term, quoted or not', () => {
      const playbook = '- hosts: beacon:nope\n- hosts: "all:&nope2"\n- hosts: [lab1, nope3]\n';
      expect(heads(build({ inventory: INVENTORY, playbook }).problems)).toEqual([
        "playbook.yaml:1:17: [0].hosts: unknown host or group 'nope': it is not in the inventory",
        "playbook.yaml:2:16: [1].hosts: unknown host or group 'nope2': it is not in the inventory",
        "playbook.yaml:3:17: [2].hosts[1]: unknown host or group 'nope3': it is not in the inventory",
      ]);
    });

    it('a play matching no host and a glob matching nothing are warnings', () => {
      const result = build({ inventory: INVENTORY, playbook: '- name: web\n  hosts: web-*\n' });
      expect(result.problems).toEqual([]);
      expect(result.warnings.map(formatProblem)).toEqual([
        "playbook.yaml:2:10: [0].hosts: 'web-*' matches no host or group",
        "playbook.yaml:2:10: [0].hosts: play 'web' matches no hosts",
      ]);
    });
  });
});
