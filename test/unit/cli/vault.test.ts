// Ansible Vault in an inventory: `!vault` values and a whole encrypted group_vars file, opened with the
// passwords --vault-password-file and --vault-id give (fixtures made by the real ansible-vault), refused at
// their place without one. Nothing here contacts a host.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import type { FileResource } from '../../../src/model/types.js';
import { loadProject } from '../../../src/project/load.js';

const fixtures = fileURLToPath(new URL('../../fixtures/vault/', import.meta.url));
let dir: string;

const cli = (...args: string[]) => runCli(dir, args);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodeform-vault-'));
  mkdirSync(join(dir, 'group_vars'));
  writeFileSync(join(dir, 'inventory.yaml'), `all:\n  vars:\n    nodeform_state_dir: ${dir}/state\n  hosts:\n    here: { ansible_connection: local }\n`);
  // Values encrypted one by one (strings.yaml), and a whole file encrypted (whole-file.yaml: webhook_token).
  copyFileSync(join(fixtures, 'strings.yaml'), join(dir, 'group_vars', 'all.yaml'));
  mkdirSync(join(dir, 'group_vars', 'ungrouped'));
  copyFileSync(join(fixtures, 'whole-file.yaml'), join(dir, 'group_vars', 'ungrouped', 'secrets.yaml'));
  writeFileSync(
    join(dir, 'playbook.yaml'),
    `- hosts: all\n  files:\n    - path: ${dir}/out/secrets.env\n      secret: true\n      content: "JWT={{ jwt_secret }}\\nTOKEN={{ webhook_token }}\\nHOOK={{ webhook }}\\n"\n`,
  );
  copyFileSync(join(fixtures, 'password'), join(dir, 'password'));
  copyFileSync(join(fixtures, 'password-prod'), join(dir, 'password-prod'));
});

describe('Ansible Vault', () => {
  it('opens !vault values and an encrypted vars file with the passwords given', async () => {
    const password = readFileSync(join(dir, 'password'), 'utf8').trimEnd();
    const prod = readFileSync(join(dir, 'password-prod'), 'utf8').trimEnd();
    const loaded = await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), homeDir: dir, vault: [{ secret: password }, { id: 'prod', secret: prod }] });
    const file = loaded.desired[0]!.resources.find((r): r is FileResource => r.kind === 'file')!;
    expect(file.content).toBe('JWT=s3cr3t-jwt\nTOKEN=tok-123\nHOOK=multi\nline\nvalue\n');
  });

  it('validate: valid with --vault-password-file and --vault-id, refused without, each value at its place', async () => {
    expect((await cli('validate', '-i', 'inventory.yaml', 'playbook.yaml', '--vault-password-file', 'password', '--vault-id', 'prod@password-prod')).code).toBe(0);
    const without = await cli('validate', '-i', 'inventory.yaml', 'playbook.yaml', '--json');
    expect(without.code).toBe(3);
    const diagnostics = JSON.parse(without.stdout).diagnostics as { code: string; file: string; line: number; field: string; message: string }[];
    const vault = diagnostics.filter((d) => d.code === 'config.vault');
    expect(vault.map((d) => [d.file.slice(dir.length + 1), d.line, d.field])).toEqual([
      ['group_vars/all.yaml', 3, 'group_vars.all.jwt_secret'],
      ['group_vars/all.yaml', 10, 'group_vars.all.webhook'],
      ['group_vars/all.yaml', 17, 'group_vars.all.sixteen'],
      ['group_vars/ungrouped/secrets.yaml', 1, ''],
    ]);
    expect(vault[1]!.message).toBe("this value is encrypted with Ansible Vault and was not opened: no password was given (vault id 'prod'); pass --vault-id prod@FILE or --vault-password-file FILE");
    // A wrong password is told apart from none.
    const wrong = await cli('validate', '-i', 'inventory.yaml', 'playbook.yaml', '--vault-password-file', 'password-prod');
    expect(wrong.stderr).toMatch(/group_vars\.all\.jwt_secret: this value is encrypted with Ansible Vault and was not opened: no password given opens it; check/);
  });

  it('runs an executable password file and uses what it prints, as ansible-playbook does', async () => {
    writeFileSync(join(dir, 'client.sh'), `#!/bin/sh\ncat '${join(dir, 'password')}'\n`);
    chmodSync(join(dir, 'client.sh'), 0o755);
    const r = await cli('validate', '-i', 'inventory.yaml', 'playbook.yaml', '--vault-password-file', 'client.sh', '--vault-id', 'prod@password-prod');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const missing = await cli('validate', '-i', 'inventory.yaml', 'playbook.yaml', '--vault-password-file', 'nope');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`cannot read the vault password file ${join(dir, 'nope')}: no such file`);
  });

  it('places a problem inside an encrypted file without printing its decrypted line', async () => {
    // whole-file-bad.yaml opens to `webhook_token: tok-456` and `ansible_port: 0` (a port out of range).
    copyFileSync(join(fixtures, 'whole-file-bad.yaml'), join(dir, 'group_vars', 'ungrouped', 'secrets.yaml'));
    const r = await cli('validate', '-i', 'inventory.yaml', 'playbook.yaml', '--vault-password-file', 'password', '--vault-id', 'prod@password-prod');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('group_vars/ungrouped/secrets.yaml:2:15: group_vars.ungrouped.ansible_port: must be an integer port from 1 to 65535 (got 0)\n');
    expect(r.stderr).not.toContain('tok-456');
    expect(r.stderr).not.toContain('ansible_port: 0');
  });
});
