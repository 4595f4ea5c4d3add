import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/errors.js';
import { parsePlaybook, templateReferences } from '../../../src/inventory/playbook.js';

const parse = (text: string) => parsePlaybook({ file: 'playbook.yaml', text });
const heads = (text: string) => parse(text).problems.map((p) => formatProblem(p).split('\n')[0]);
const play = (body: string) => `- hosts: all\n${body}`;

describe('playbook parsing', () => {
  it('applies defaults', () => {
    const { playbook, problems } = parse(
      play(
        '  users:\n    - name: svc\n    - name: alice\n      system: false\n  directories:\n    - path: /etc/x/\n  files:\n    - path: /etc/x/a\n      content: a\n    - path: /etc/x/s\n      content: s\n      secret: true\n  units:\n    - name: x.service\n      content: c\n',
      ),
    );
    expect(problems).toEqual([]);
    const declarations = playbook.plays[0]!.declarations.map(({ at: _at, origin: _origin, ...rest }) => rest);
    expect(declarations).toEqual([
      { kind: 'user', tags: [], name: 'svc', system: true, groups: [], shell: '/usr/sbin/nologin' },
      { kind: 'user', tags: [], name: 'alice', system: false, groups: [], shell: '/bin/bash' },
      { kind: 'directory', tags: [], path: '/etc/x', mode: '0755', owner: 'root', group: 'root' },
      { kind: 'file', tags: [], path: '/etc/x/a', source: { inline: 'a' }, mode: '0644', owner: 'root', group: 'root', secret: false },
      { kind: 'file', tags: [], path: '/etc/x/s', source: { inline: 's' }, mode: '0600', owner: 'root', group: 'root', secret: true },
      { kind: 'unit', tags: [], name: 'x.service', source: { inline: 'c' }, enabled: true, active: true, restartOn: [] },
    ]);
  });

  it('records origin, tags (play + item) and normalises modes', () => {
    const { playbook } = parse('- hosts: all\n  tags: [base, shared]\n  files:\n    - path: /etc/a\n      template: a.hbs\n      mode: "640"\n      tags: "x, shared"\n');
    expect(playbook.plays[0]!.declarations[0]).toMatchObject({ origin: 'playbook.yaml:4:7', tags: ['base', 'shared', 'x'], mode: '0640', source: { template: 'a.hbs' } });
  });

  it('accepts hosts as a list and keeps where each pattern is', () => {
    const { playbook } = parse('- hosts: [beacon, "execution:!lab2"]\n');
    expect(playbook.plays[0]!.patterns).toEqual([
      { text: 'beacon', at: [0, 'hosts', 0] },
      { text: 'execution:!lab2', at: [0, 'hosts', 1] },
    ]);
  });

  it('a unit with only enabled and/or active manages only its state: no content source, the others left as they are', () => {
    const { playbook, problems } = parse(play('  units:\n    - { name: old.service, enabled: false, active: false }\n    - { name: other.service, active: false }\n'));
    expect(problems).toEqual([]);
    const [both, one] = playbook.plays[0]!.declarations;
    expect(both).toMatchObject({ kind: 'unit', name: 'old.service', enabled: false, active: false, restartOn: [] });
    expect(both).not.toHaveProperty('source');
    expect(one).toMatchObject({ kind: 'unit', name: 'other.service', active: false });
    expect(one).not.toHaveProperty('enabled');
    expect(templateReferences(playbook)).toEqual([]);
  });

  it('lists template references once each', () => {
    const { playbook } = parse(play('  files:\n    - { path: /a, template: t.hbs }\n    - { path: /b, template: t.hbs }\n  units:\n    - { name: u.service, template: u.hbs }\n'));
    expect(templateReferences(playbook)).toEqual(['t.hbs', 'u.hbs']);
  });

  it.each([
    ['not a list', 'hosts: all\n', ['playbook.yaml:1:1: the playbook must be a YAML list of plays (- name: ..., hosts: ...) (got a mapping)']],
    ['empty', '', ['playbook.yaml:1:1: the playbook must be a YAML list of plays (- name: ..., hosts: ...) (got nothing)']],
    ['a play that is a string', '- all\n', ['playbook.yaml:1:3: [0]: a play must be a mapping with hosts and resources (got "all")']],
    ['hosts only separators', '- hosts: ":,"\n', ['playbook.yaml:1:10: [0].hosts: must not be empty: give a host pattern like all']],
    ['hosts empty list', '- hosts: []\n', ['playbook.yaml:1:10: [0].hosts: must be a non-empty host pattern, like all or beacon:&ephemery (got a list)']],
    ['typo in an item', play('  files:\n    - pth: /a\n      content: x\n'), ["playbook.yaml:3:7: [0].files[0].pth: unknown key 'pth' (did you mean 'path'?)"]],
    ['files not a list', play('  files: {path: /a}\n'), ['playbook.yaml:2:10: [0].files: must be a list of files (got a mapping)']],
    ['neither content nor template', play('  files:\n    - path: /a\n'), ['playbook.yaml:3:7: [0].files[0].content: a file needs content (inline), template (a handlebars file) or source (a local file copied as is)']],
    ['content not a string', play('  files:\n    - path: /a\n      content: 42\n'), ['playbook.yaml:4:16: [0].files[0].content: must be a string (got 42)']],
    ['enabled not boolean', play('  units:\n    - name: a.service\n      content: x\n      enabled: yes\n'), ['playbook.yaml:5:16: [0].units[0].enabled: must be true or false (got "yes")']],
    ['unit name with a slash', play('  units:\n    - name: ../a.service\n      content: x\n'), ['playbook.yaml:3:13: [0].units[0].name: must be a systemd unit name ending in .service, .timer, .socket, .path or .target (got "../a.service")']],
    ['timer, socket, path, target units are fine', play('  units:\n    - { name: a.timer, content: x }\n    - { name: a.socket, content: x }\n    - { name: a.path, content: x }\n    - { name: a.target, content: x }\n    - { name: a@x.service, content: x }\n'), []],
    ['a unit with neither content, template, enabled nor active', play('  units:\n    - name: a.service\n'), ["playbook.yaml:3:7: [0].units[0].content: a unit needs content (inline) or template (a file); or, to manage only the state of a unit whose file is not nodeform's, enabled and/or active alone"]],
    ['a state-only unit with restart_on', play('  units:\n    - { name: a.service, enabled: false, restart_on: [/etc/a] }\n'), ["playbook.yaml:3:42: [0].units[0].restart_on: a unit without content or template manages only its state (enabled, active): restart_on needs the unit file to be nodeform's; give content or template, or remove restart_on"]],
    ['restart_on with a relative path', play('  units:\n    - name: a.service\n      content: x\n      restart_on: [etc/a]\n'), ['playbook.yaml:5:20: [0].units[0].restart_on[0]: must be an absolute path: start it with / (got "etc/a")']],
    ['user home relative', play('  users:\n    - name: a\n      home: home/a\n'), ['playbook.yaml:4:13: [0].users[0].home: must be an absolute path: start it with / (got "home/a")']],
    ['user groups with a bad name', play('  users:\n    - name: a\n      groups: [ok, "b c"]\n'), [expect.stringContaining('playbook.yaml:4:20: [0].users[0].groups[1]: must be a POSIX user or group name')]],
    ['group too long', play(`  directories:\n    - path: /a\n      group: ${'g'.repeat(33)}\n`), [expect.stringContaining('playbook.yaml:4:14: [0].directories[0].group: must be a POSIX')]],
    ['connection vars in play vars', play('  vars:\n    ansible_user: root\n'), ["playbook.yaml:3:5: [0].vars.ansible_user: 'ansible_user' is a connection setting: set it in the inventory (host, group or group_vars), not in play vars"]],
    ['reserved play vars', play('  vars:\n    inventory_hostname: x\n'), ["playbook.yaml:3:5: [0].vars.inventory_hostname: 'inventory_hostname' is set by nodeform for templates; choose another variable name"]],
    ['tags not strings', play('  tags: [1]\n'), ['playbook.yaml:2:10: [0].tags[0]: must be a string (got 1)']],
    [
      'every problem at once',
      play('  files:\n    - path: a\n      content: x\n      mode: 644\n    - path: /b\n      owner: "x y"\n      content: y\n'),
      [
        'playbook.yaml:5:13: [0].files[0].mode: must be a quoted string: write "644" (a bare 644 is a YAML number)',
        "playbook.yaml:7:14: [0].files[1].owner: must be a POSIX user or group name: letters, digits, '_', '.', '-', starting with a letter or '_', at most 32 characters (got \"x y\")",
      ],
    ],
  ])('%s', (_name, text, expected) => {
    expect(heads(text)).toEqual(expected);
  });

  it('an Ansible play with tasks is refused with the keys nodeform knows', () => {
    expect(heads('- hosts: all\n  tasks:\n    - debug: msg=hi\n')).toEqual([
      "playbook.yaml:2:3: [0].tasks: unknown key 'tasks'; expected one of: name, hosts, tags, vars, users, directories, files, units, ethereum_node",
    ]);
  });
});
