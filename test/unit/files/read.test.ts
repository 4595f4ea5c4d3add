// Reading the user's files for real: FIFOs refused without hanging, bytes that are not UTF-8 placed at their
// line and column, group_vars/host_vars links followed and broken ones reported.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryProjects } from '../../support/temporary.js';
import { formatProblem } from '../../../src/errors.js';
import { firstInvalidUtf8, readText } from '../../../src/files/read.js';
import { loadInventory, validateProject } from '../../../src/project/load.js';

const project = temporaryProjects('nodeform-read-');

const INVENTORY = 'all:\n  hosts:\n    lab1:\n      ansible_host: 127.0.0.11\n  children:\n    beacon:\n      hosts:\n        lab1:\n';
const PLAYBOOK = '- hosts: all\n  files:\n    - path: /etc/demo.conf\n      content: "port = {{ port }}\\n"\n';
const problemsOf = async (dir: string, extra: Record<string, unknown> = {}) =>
  (await validateProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), ...extra })).map((p) => formatProblem(p).split('\n')[0]);

describe('firstInvalidUtf8', () => {
  it.each([
    ['plain ASCII', Buffer.from('a: 1\n'), undefined],
    ['multi-byte text', Buffer.from('name: Zoë 🐝\n'), undefined],
    ['a lone 0xff on line 2', Buffer.concat([Buffer.from('a: 1\nb: x'), Buffer.from([0xff]), Buffer.from('\n')]), { offset: 9, byte: 0xff, line: 2, column: 5 }],
    ['a cut multi-byte sequence at the end', Buffer.from([0x61, 0xe2, 0x82]), { offset: 1, byte: 0xe2, line: 1, column: 2 }],
    ['an overlong slash', Buffer.from([0xc0, 0xaf]), { offset: 0, byte: 0xc0, line: 1, column: 1 }],
    ['a UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80]), { offset: 0, byte: 0xed, line: 1, column: 1 }],
    ['after a multi-byte character', Buffer.from([0xc3, 0xab, 0x80]), { offset: 2, byte: 0x80, line: 1, column: 2 }],
  ])('%s', (_name, bytes, expected) => {
    expect(firstInvalidUtf8(bytes)).toEqual(expected);
  });
});

describe('readText', () => {
  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const dir = project({});
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    expect(await readText(join(dir, 'pipe.yaml'))).toEqual({ reason: 'it is a FIFO (named pipe), not a regular file: nodeform reads only regular files' });
    expect(await readText('/dev/null')).toEqual({ reason: expect.stringMatching(/it is a device/) });
  });
});

describe('the loader refuses what it cannot read, before any host', () => {
  it.each(['inventory.yaml', 'playbook.yaml', 'vars.yaml', 'group_vars/all.yaml', 'host_vars/lab1.yaml'])('a FIFO as %s', async (name) => {
    const dir = project({ 'inventory.yaml': INVENTORY, 'playbook.yaml': PLAYBOOK, 'vars.yaml': 'port: 1\n' });
    rmSync(join(dir, name), { force: true });
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    execFileSync('mkfifo', [join(dir, name)]);
    const problems = await problemsOf(dir, { extraVars: ['@' + join(dir, 'vars.yaml')] });
    expect(problems.join('\n')).toMatch(/FIFO \(named pipe\), not a regular file/);
  });

  it('places a byte that is not UTF-8 at its line and column', async () => {
    const dir = project({ 'inventory.yaml': Buffer.concat([Buffer.from('all:\n  hosts:\n    lab'), Buffer.from([0xe9]), Buffer.from(':\n')]), 'playbook.yaml': PLAYBOOK });
    expect(await problemsOf(dir)).toEqual([`${join(dir, 'inventory.yaml')}:3:8: cannot read inventory: it is not UTF-8 text: byte 0xe9 at line 3, column 8; save it as UTF-8`]);
  });
});

describe('group_vars and host_vars links', () => {
  it('follows a linked file and a linked directory (shared files linked in)', async () => {
    const dir = project({ 'inventory.yaml': INVENTORY, 'linked/common.yaml': 'port: 9000\n', 'linked/beacon/ports.yaml': 'rpc: 5052\n' });
    mkdirSync(join(dir, 'group_vars'));
    symlinkSync('../linked/common.yaml', join(dir, 'group_vars', 'all.yaml'));
    symlinkSync('../linked/beacon', join(dir, 'group_vars', 'beacon'));
    const loaded = await loadInventory({ inventoryPath: join(dir, 'inventory.yaml') });
    expect(loaded.inventory.groups.all!.vars).toMatchObject({ port: 9000 });
    expect(loaded.inventory.groups.beacon!.vars).toMatchObject({ rpc: 5052 });
  });

  it('reports a dangling link and a directory loop instead of skipping them', async () => {
    const dir = project({ 'inventory.yaml': INVENTORY, 'playbook.yaml': PLAYBOOK, 'group_vars/beacon/a.yaml': 'x: 1\n' });
    symlinkSync('../missing.yaml', join(dir, 'group_vars', 'all.yaml'));
    symlinkSync('..', join(dir, 'group_vars', 'beacon', 'again'));
    const problems = await problemsOf(dir);
    expect(problems).toEqual([
      `${join(dir, 'group_vars/all.yaml')}:1:1: cannot read vars file: a symbolic link to nothing (its target does not exist)`,
      expect.stringMatching(new RegExp(`^${join(dir, 'group_vars/beacon/again')}:1:1: cannot read vars file: a loop: it leads back to`)),
    ]);
  });
});

describe('templates stay inside the project', () => {
  const playbookWith = (template: string) => `- hosts: all\n  files:\n    - path: /etc/demo.conf\n      template: ${template}\n`;

  it('refuses a path out of the project, and a link out of it, before printing anything of it', async () => {
    const secret = project({ 'id_ed25519': '-----BEGIN OPENSSH PRIVATE KEY-----\n' });
    const dir = project({ 'inventory.yaml': INVENTORY, 'playbook.yaml': playbookWith(join(secret, 'id_ed25519')) });
    expect((await problemsOf(dir)).join('\n')).toMatch(/is outside the playbook's directory and nodeform's templates\/.*--template-dir DIR/);
    writeFileSync(join(dir, 'playbook.yaml'), playbookWith('key.hbs'));
    symlinkSync(join(secret, 'id_ed25519'), join(dir, 'key.hbs'));
    expect((await problemsOf(dir)).join('\n')).toMatch(/template 'key.hbs' is a link to .*id_ed25519, outside the playbook's directory/);
    // Allowed explicitly, it is read.
    const allowed = await validateProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), templateDirs: [secret] });
    expect(allowed).toEqual([]);
  });

  it('says a template it cannot read is unreadable, not missing', async () => {
    const dir = project({ 'inventory.yaml': INVENTORY, 'playbook.yaml': playbookWith('pipe.hbs') });
    execFileSync('mkfifo', [join(dir, 'pipe.hbs')]);
    expect((await problemsOf(dir)).join('\n')).toMatch(/cannot read template .*pipe.hbs: it is a FIFO/);
  });
});
