// The loader against real files: the valid Ansible-shape fixture, the demo playbook, and the
// ways reading can fail. Temporary projects are written to a fresh directory per test.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { temporaryProjects } from '../../support/temporary.js';
import { ConfigError, formatProblem } from '../../../src/errors.js';
import { checkProject, loadInventory, loadProject, projectRoot, validateProject } from '../../../src/project/load.js';
import { LOCAL_INLINE_LIMIT, type FileResource, type UnitResource } from '../../../src/model/types.js';

const fixture = fileURLToPath(new URL('../../fixtures/valid/ansible/', import.meta.url));
const inventoryPath = join(fixture, 'inventory.yaml');
const JWT = ['jwt_secret=0xabc'];

const project = temporaryProjects('nodeform-load-');

describe('the valid Ansible-shape fixture', () => {
  it('loads with the playbook named by nodeform_playbook, relative to the inventory', async () => {
    const loaded = await loadProject({ inventoryPath, extraVars: JWT });
    expect(loaded.playbookPath).toBe(join(fixture, 'playbook.yaml'));
    expect(loaded.warnings).toEqual([]);
    // `controller` is in the inventory but no play targets it.
    expect(loaded.desired.map((d) => d.host)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(loaded.inventory.hostNames).toEqual(['controller', 'node-1', 'node-2', 'node-3']);
  });

  it('names the hosts to connect to before rendering: exactly those built, with the same connections', async () => {
    const seen: unknown[][] = [];
    const { desired } = await loadProject({ inventoryPath, extraVars: JWT, onHosts: (c) => seen.push(c) });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual(desired.map((d) => d.connection));
    const limited: unknown[][] = [];
    await loadProject({ inventoryPath, extraVars: JWT, limit: 'node-2:controller', onHosts: (c) => limited.push(c) });
    expect(limited[0]).toEqual([expect.objectContaining({ name: 'node-2' })]);
  });

  it('names no host when the inventory, playbook or -e has a problem (nothing is contacted)', async () => {
    const dir = project({
      'inventory.yaml': 'all:\n  hosts:\n    a: { ansible_host: 127.0.0.1 }\n',
      'playbook.yaml': '- name: p\n  hosts: all\n  filez: []\n',
    });
    const seen: unknown[] = [];
    await expect(loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), onHosts: (c) => seen.push(c) })).rejects.toThrow(
      ConfigError,
    );
    await expect(
      loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), extraVars: ['{broken'], onHosts: (c) => seen.push(c) }),
    ).rejects.toThrow(ConfigError);
    expect(seen).toEqual([]);
  });

  it('builds connections from ansible_* and nodeform_* variables, paths relative to the inventory', async () => {
    const { desired } = await loadProject({ inventoryPath, extraVars: JWT });
    const [node1, node2, node3] = desired;
    expect(node1!.connection).toEqual({
      name: 'node-1',
      address: '127.0.0.21',
      port: 2201,
      user: 'deploy',
      identityFiles: [join(fixture, 'keys/deploy_ed25519')],
      become: true,
      becomeUser: 'root',
      knownHostsFiles: [join(fixture, 'known_hosts')],
      connection: 'ssh',
    });
    expect(node2!.connection).toMatchObject({ address: '127.0.0.22', port: 2202 });
    expect(node3!.connection).toMatchObject({
      address: '127.0.0.23',
      become: false,
      proxyJump: 'jump@127.0.0.2:2222',
      identityFiles: [expect.stringMatching(/\/\.ssh\/node3$/), join(fixture, 'keys/node3_backup')],
    });
    expect(node1!.settings).toEqual({ stateDir: '/srv/nodeform', keepGenerations: 3 });
    expect(node2!.settings).toEqual({ stateDir: '/var/lib/nodeform', keepGenerations: 3 });
  });

  it('resolves variables through groups, group_vars (file and directory) and host_vars', async () => {
    const { desired } = await loadProject({ inventoryPath, extraVars: JWT });
    const pick = (i: number) => {
      const { role, client, network, beacon_port, metrics_port, checkpoint_sync_url } = desired[i]!.vars;
      return { role, client, network, beacon_port, metrics_port, checkpoint_sync_url };
    };
    const checkpoint = 'https://checkpoint.ephemery.invalid';
    // node-1 is in beacon and execution (both depth 2): execution is later alphabetically.
    expect(pick(0)).toEqual({ role: 'execution-node', client: 'geth', network: 'ephemery', beacon_port: 9000, metrics_port: 9100, checkpoint_sync_url: checkpoint });
    expect(pick(1)).toEqual({ role: 'beacon-node', client: 'lighthouse', network: 'ephemery', beacon_port: 9000, metrics_port: 8008, checkpoint_sync_url: checkpoint });
    expect(pick(2)).toEqual({ role: 'execution-node', client: 'geth', network: 'ephemery', beacon_port: 5052, metrics_port: 8008, checkpoint_sync_url: checkpoint });
  });

  it('renders the template beside the playbook and merges the repeated declaration', async () => {
    const { desired } = await loadProject({ inventoryPath, extraVars: JWT });
    const conf = desired[0]!.resources.find((r): r is FileResource => r.id === 'file:/etc/eth/node.conf')!;
    expect(conf.content).toBe(
      '# node-1 (execution-node)\nnetwork = ephemery\nclient = geth\ncheckpoint = https://checkpoint.ephemery.invalid\nmetrics = 9100\ngroups = beacon ephemery execution \n',
    );
    expect(conf.tags).toEqual(['base', 'config', 'beacon']);
    const jwt = desired[0]!.resources.find((r): r is FileResource => r.id === 'file:/etc/eth/jwt.hex')!;
    expect(jwt).toMatchObject({ secret: true, mode: '0600', owner: 'eth', content: '0xabc' });
    const unit = desired[0]!.resources.find((r): r is UnitResource => r.kind === 'unit')!;
    expect(unit.content).toContain('ExecStart=/usr/local/bin/geth --config /etc/eth/node.conf');
    expect(desired[0]!.resources.map((r) => r.id)).toEqual([
      'user:eth',
      'dir:/etc/eth',
      'dir:/var/lib/eth',
      'file:/etc/eth/jwt.hex',
      'file:/etc/eth/node.conf',
      'unit:eth-node.service',
    ]);
  });

  it('--tags, --skip-tags and --limit narrow the result', async () => {
    const { desired } = await loadProject({ inventoryPath, extraVars: JWT, limit: 'beacon', tags: ['debug,service'] });
    expect(desired.map((d) => [d.host, d.resources.map((r) => r.id)])).toEqual([
      ['node-1', ['file:/etc/eth/beacon.env', 'unit:eth-node.service']],
      ['node-2', ['unit:eth-node.service']],
    ]);
    const skipped = await loadProject({ inventoryPath, extraVars: JWT, skipTags: ['base'] });
    expect(skipped.desired.map((d) => d.resources.length)).toEqual([0, 0, 0]);
  });

  it('without the variable the playbook needs, validation says which and where', async () => {
    const problems = await validateProject({ inventoryPath });
    expect(problems.map((p) => formatProblem(p).split('\n')[0]!.replace(fixture, ''))).toEqual([
      "playbook.yaml:24:19: [0].files[1].content: variable 'jwt_secret' is not defined for hosts node-1, node-2 and node-3: define it in the inventory, group_vars, host_vars, play vars or -e (or use {{#if jwt_secret}} for optional values)",
    ]);
    await expect(loadProject({ inventoryPath })).rejects.toBeInstanceOf(ConfigError);
  });

  it('checkProject returns warnings and Desired too', async () => {
    const checked = await checkProject({ inventoryPath, extraVars: JWT });
    expect(checked.problems).toEqual([]);
    expect(checked.desired).toHaveLength(3);
  });

  it('loadInventory gives hosts with connections, without a playbook', async () => {
    const { hosts } = await loadInventory({ inventoryPath, limit: 'all:!ephemery', extraVars: ['ansible_user=ops'] });
    expect(hosts).toEqual([
      {
        name: 'controller',
        connection: expect.objectContaining({ connection: 'local', user: 'ops' }),
        settings: { stateDir: '/var/lib/nodeform', keepGenerations: 3 },
        vars: expect.objectContaining({ ansible_connection: 'local' }),
      },
    ]);
    await expect(loadInventory({ inventoryPath, limit: 'nope' })).rejects.toThrow("--limit:1:1: limit: unknown host or group 'nope'");
  });
});

describe('the demo playbook', () => {
  // The lab's inventory shape: root login, addresses and ports, nothing demo-specific.
  const labInventory = `all:
  vars: { ansible_user: root, nodeform_playbook: ${join(projectRoot(), 'playbooks', 'demo.yaml')} }
  hosts:
    lab-1: { ansible_host: 127.0.1.11, ansible_port: 22 }
    lab-2: { ansible_host: 127.0.1.12, ansible_port: 22 }
    lab-3: { ansible_host: 127.0.1.13, ansible_port: 22 }
`;

  it('builds for three lab hosts without any extra variables', async () => {
    const dir = project({ 'inventory.yaml': labInventory });
    const { desired, warnings } = await loadProject({ inventoryPath: join(dir, 'inventory.yaml') });
    expect(warnings).toEqual([]);
    expect(desired.map((d) => d.host)).toEqual(['lab-1', 'lab-2', 'lab-3']);
    for (const d of desired) {
      expect(d.resources.map((r) => r.id)).toEqual([
        'user:demo',
        'dir:/etc/demo',
        'dir:/var/lib/demo',
        'file:/etc/demo/README',
        'file:/etc/demo/demo.conf',
        'unit:demo.service',
      ]);
    }
    const [lab1] = desired;
    expect(lab1!.resources.find((r) => r.kind === 'user')).toMatchObject({ name: 'demo', system: true });
    expect(lab1!.resources.find((r) => r.id === 'dir:/var/lib/demo')).toMatchObject({ owner: 'demo', group: 'demo' });
    const conf = lab1!.resources.find((r): r is FileResource => r.id === 'file:/etc/demo/demo.conf')!;
    expect(conf.content).toContain('name = lab-1\n');
    expect(conf.content).toContain('listen = 127.0.1.11:8080\n');
    const unit = lab1!.resources.find((r): r is UnitResource => r.kind === 'unit')!;
    expect(unit).toMatchObject({ name: 'demo.service', enabled: true, active: true, restartOn: ['/etc/demo/demo.conf'] });
    expect(unit.content).toMatch(/^User=demo$/m);
    expect(unit.content).toMatch(/^NoNewPrivileges=yes$/m);
    expect(unit.content).toMatch(/^ExecStart=\/bin\/sh -c '.*while true; do sleep 3600; done'$/m);
    expect(unit.content).toMatch(/^WantedBy=multi-user.target$/m);
  });

  it('a host variable or -e changes demo.conf', async () => {
    const dir = project({ 'inventory.yaml': labInventory.replace('lab-2: { ansible_host: 127.0.1.12,', 'lab-2: { demo_port: 9000, ansible_host: 127.0.1.12,') });
    const { desired } = await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), extraVars: ['demo_greeting=hi'] });
    const conf = (i: number) => desired[i]!.resources.find((r): r is FileResource => r.id === 'file:/etc/demo/demo.conf')!.content;
    expect(conf(1)).toContain('listen = 127.0.1.12:9000\n');
    expect(conf(0)).toContain('greeting = hi\n');
  });

  it('finds its templates in nodeform\'s templates/ when copied beside an inventory', async () => {
    const { readFileSync } = await import('node:fs');
    const dir = project({
      'inventory.yaml': labInventory.replace(/nodeform_playbook: [^ }]+/, 'nodeform_playbook: demo.yaml'),
      'demo.yaml': readFileSync(join(projectRoot(), 'playbooks', 'demo.yaml'), 'utf8'),
    });
    const { desired } = await loadProject({ inventoryPath: join(dir, 'inventory.yaml') });
    expect(desired).toHaveLength(3);
  });
});

describe('loading failures', () => {
  it.each([
    [{ 'inventory.yaml': 'all:\n  hosts: { h: }\n' }, 'inventory.yaml:1:1: all.vars.nodeform_playbook: no playbook given: pass the playbook path on the command line, or set nodeform_playbook in all.vars of the inventory'],
    [{ 'inventory.yaml': 'all:\n  vars:\n    nodeform_playbook: gone.yaml\n' }, 'inventory.yaml:3:24: all.vars.nodeform_playbook: cannot read playbook gone.yaml: no such file'],
    [{ 'inventory.yaml': 'all:\n  hosts: { h: }\n', 'group_vars/all.yaml': 'nodeform_playbook: missing.yaml\n' }, 'group_vars/all.yaml:1:20: group_vars.all.nodeform_playbook: cannot read playbook missing.yaml: no such file'],
  ])('%j', async (files, expected) => {
    const dir = project(files);
    const problems = await validateProject({ inventoryPath: join(dir, 'inventory.yaml') });
    // Paths under the temporary directory are shown relative to it.
    expect(problems.map((p) => formatProblem(p).split('\n')[0]!.replaceAll(`${dir}/`, ''))).toEqual([expected]);
  });

  it('a broken inventory without a playbook argument reports the inventory\'s problems', async () => {
    const dir = project({ 'inventory.yaml': 'all:\n  vars:\n    nodeform_playbook: [x\n' });
    const problems = await validateProject({ inventoryPath: join(dir, 'inventory.yaml') });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^YAML syntax: /);
  });

  it('a missing inventory', async () => {
    const problems = await validateProject({ inventoryPath: '/nonexistent/inventory.yaml' });
    expect(problems.map((p) => formatProblem(p))).toEqual(['/nonexistent/inventory.yaml:1:1: cannot read inventory: no such file']);
  });

  it('a missing playbook given on the command line', async () => {
    const dir = project({ 'inventory.yaml': 'all:\n  hosts: { h: }\n' });
    const problems = await validateProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'nope.yaml') });
    expect(problems.map((p) => p.message)).toEqual(['cannot read playbook: no such file']);
  });

  it('reads group_vars and host_vars as Ansible does: extensions, directories, hidden files skipped', async () => {
    const dir = project({
      'inventory.yaml': 'all:\n  hosts: { h: }\n  children:\n    g:\n      hosts: { h: }\n',
      'playbook.yaml': '- hosts: all\n',
      'group_vars/all': 'a: noext\n',
      'group_vars/g.json': '{"b": "json"}',
      'group_vars/g/x.yml': 'c: dir\n',
      'group_vars/g/sub/y.yaml': 'd: nested\n',
      'group_vars/.hidden.yaml': 'e: hidden\n',
      'group_vars/g.yaml~': 'f: backup\n',
      'group_vars/g.txt': 'g: text\n',
      'host_vars/h.yaml': 'h: host\n',
    });
    const { desired } = await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml') });
    expect(desired[0]!.vars).toEqual({ a: 'noext', b: 'json', c: 'dir', d: 'nested', h: 'host' });
  });

  it('-e @file is read relative to cwd', async () => {
    const dir = project({ 'inventory.yaml': 'all:\n  hosts: { h: }\n', 'playbook.yaml': '- hosts: all\n', 'extra.yaml': 'x: 1\n' });
    const { desired } = await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), extraVars: ['@extra.yaml'], cwd: dir });
    expect(desired[0]!.vars.x).toBe(1);
    const problems = await validateProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), extraVars: ['@nope.yaml'], cwd: dir });
    expect(problems.map((p) => formatProblem(p).split('\n')[0])).toEqual(["-e #1:1:2: extra_vars: cannot read extra vars file 'nope.yaml': no such file"]);
  });

  it('problems from every file come back together', async () => {
    const dir = project({
      'inventory.yaml': 'all:\n  hosts:\n    h: { ansible_port: 0 }\n',
      'group_vars/all.yaml': 'ansible_hots: x\n',
      'playbook.yaml': '- hosts: all\n  files: [{ path: rel, content: x }]\n',
    });
    const error = await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => `${p.position.file.replace(`${dir}/`, '')}:${p.field}`)).toEqual([
      'inventory.yaml:all.hosts.h.ansible_port',
      'group_vars/all.yaml:group_vars.all.ansible_hots',
      'playbook.yaml:[0].files[0].path',
    ]);
  });

  it('projectRoot is the directory holding nodeform\'s package.json', () => {
    expect(projectRoot()).toBe(fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, ''));
  });
});

describe('source: a local file copied byte for byte', () => {
  const inventory = 'all:\n  hosts:\n    a: { ansible_host: 127.0.0.1 }\n    b: { ansible_host: 127.0.0.2 }\n';
  const playbook = (source: string) => `- name: p\n  hosts: all\n  files:\n    - path: /opt/x/data.bin\n      source: ${source}\n      mode: "0755"\n`;
  const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x7b, 0x7b, 0x78, 0x7d, 0x7d, 0x0a]); // not UTF-8, and "{{x}}" left alone
  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('a small file is held as its bytes (never templated, binary-safe), the same for every host', async () => {
    const dir = project({ 'inventory.yaml': inventory, 'playbook.yaml': playbook('files/data.bin'), 'files/data.bin': binary });
    const { desired } = await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), cacheDir: join(dir, 'cache') });
    for (const d of desired) {
      const file = d.resources.find((r): r is FileResource => r.kind === 'file')!;
      expect(Buffer.from(file.content, file.encoding).equals(binary)).toBe(true);
      expect(file).toMatchObject({ sha256: sha(binary), mode: '0755', encoding: 'base64' });
      expect(file.local).toBeUndefined();
    }
  });

  it('a large file is a reference (path, size, sha256), never its bytes; its digest is cached by path, size and mtime', async () => {
    const big = Buffer.alloc(LOCAL_INLINE_LIMIT + 1, 0xab);
    const dir = project({ 'inventory.yaml': inventory, 'playbook.yaml': playbook('big.bin'), 'big.bin': big });
    const options = { inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), cacheDir: join(dir, 'cache') };
    const { desired } = await loadProject(options);
    const file = desired[0]!.resources.find((r): r is FileResource => r.kind === 'file')!;
    expect(file.content).toBe('');
    // Its identity (times, inode) lets an upload vouch that it sends what was hashed (apply/upload.ts).
    const info = statSync(join(dir, 'big.bin'));
    expect(file.local).toEqual({ path: realpathSync(join(dir, 'big.bin')), size: big.length, sha256: sha(big), identity: { mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino } });
    expect(file.sha256).toBe(sha(big));
    const entries = readdirSync(join(dir, 'cache', 'digests'));
    expect(entries).toHaveLength(1);
    // The cache answers while path, size, mtime, ctime and inode hold: a forged entry for this very file is believed...
    const entryPath = join(dir, 'cache', 'digests', entries[0]!);
    const entry = JSON.parse(readFileSync(entryPath, 'utf8')) as { sha256: string };
    writeFileSync(entryPath, JSON.stringify({ ...entry, sha256: 'ee'.repeat(32) }));
    expect((await loadProject(options)).desired[0]!.resources.find((r): r is FileResource => r.kind === 'file')!.sha256).toBe('ee'.repeat(32));
    // ...and a change of the file, even of the same size with its mtime put back, makes it hash again.
    const changed = Buffer.alloc(big.length, 0xcd);
    const { mtime } = statSync(join(dir, 'big.bin'));
    writeFileSync(join(dir, 'big.bin'), changed);
    utimesSync(join(dir, 'big.bin'), mtime, mtime);
    expect((await loadProject(options)).desired[0]!.resources.find((r): r is FileResource => r.kind === 'file')!.sha256).toBe(sha(changed));
  });

  it('a FIFO is refused at once, naming file, line and field', async () => {
    const dir = project({ 'inventory.yaml': inventory, 'playbook.yaml': playbook('pipe') });
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const problems = await validateProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml') });
    expect(problems.map((p) => formatProblem(p).split('\n')[0]!.replace(`${dir}/`, ''))).toEqual([
      `playbook.yaml:5:15: [0].files[0].source: cannot copy source 'pipe' (${realpathSync(dir)}/pipe): it is a FIFO (named pipe), not a regular file; source: takes one regular file`,
    ]);
  });

  it('a link out of the playbook directory is refused like a path out of it', async () => {
    const outside = project({ 'secret.key': 'private' });
    const dir = project({ 'inventory.yaml': inventory, 'playbook.yaml': playbook('key') });
    symlinkSync(join(outside, 'secret.key'), join(dir, 'key'));
    const problems = await validateProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml') });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^source 'key' is a link to .*secret\.key, outside the playbook's directory: allow it with --template-dir DIR$/);
    // Allowed explicitly, it is copied.
    const allowed = await checkProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), templateDirs: [outside] });
    expect(allowed.problems).toEqual([]);
  });
});

describe('source: for a secret', () => {
  const inventory = 'all:\n  hosts:\n    a: { ansible_host: 127.0.0.1 }\n';
  const playbook = '- name: p\n  hosts: all\n  files:\n    - path: /etc/x/key\n      source: key.bin\n      secret: true\n';

  it('a small one is held (it travels inside the apply script, like any secret)', async () => {
    const dir = project({ 'inventory.yaml': inventory, 'playbook.yaml': playbook, 'key.bin': Buffer.from([1, 2, 3]) });
    const { desired } = await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), cacheDir: join(dir, 'cache') });
    expect(desired[0]!.resources.find((r): r is FileResource => r.kind === 'file')).toMatchObject({ secret: true, mode: '0600', content: Buffer.from([1, 2, 3]).toString('base64') });
  });

  it('a large one is refused: it would be an upload named by its hash', async () => {
    const dir = project({ 'inventory.yaml': inventory, 'playbook.yaml': playbook, 'key.bin': Buffer.alloc(LOCAL_INLINE_LIMIT + 1) });
    const problems = await validateProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml') });
    expect(problems.map((p) => formatProblem(p).split('\n')[0]!.replace(`${dir}/`, ''))).toEqual([
      `playbook.yaml:5:15: [0].files[0].source: a secret copied from source 'key.bin' may be at most ${LOCAL_INLINE_LIMIT} bytes (it is ${LOCAL_INLINE_LIMIT + 1}): secrets travel inside the apply script, never as an upload named by its hash`,
    ]);
  });
});
