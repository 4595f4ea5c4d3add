import { describe, expect, it } from 'vitest';
import { hostConnection, hostSettings, resolveLocalPath } from '../../../src/inventory/inventory.js';

const inventory = { baseDir: '/srv/inv', homeDir: '/home/op' };

describe('hostConnection', () => {
  it('defaults: the inventory name, ssh, no become', () => {
    expect(hostConnection('lab1', {}, inventory)).toEqual({
      name: 'lab1',
      address: 'lab1',
      identityFiles: [],
      become: false,
      becomeUser: 'root',
      knownHostsFiles: [],
      connection: 'ssh',
    });
  });

  it.each([
    ['ansible_host', { ansible_host: '10.0.0.1' }, { address: '10.0.0.1' }],
    ['ansible_ssh_host (old name)', { ansible_ssh_host: '10.0.0.2' }, { address: '10.0.0.2' }],
    ['nodeform_host wins over ansible_host', { ansible_host: 'a', nodeform_host: 'b' }, { address: 'b' }],
    ['ansible_port', { ansible_port: 2222 }, { port: 2222 }],
    ['ansible_ssh_port (old name)', { ansible_ssh_port: 2223 }, { port: 2223 }],
    ['nodeform_port wins', { ansible_port: 1, nodeform_port: 2 }, { port: 2 }],
    ['ansible_user', { ansible_user: 'deploy' }, { user: 'deploy' }],
    ['nodeform_user wins', { ansible_user: 'a', nodeform_user: 'b' }, { user: 'b' }],
    ['ansible_ssh_user (old name)', { ansible_ssh_user: 'c' }, { user: 'c' }],
    ['key relative to the inventory', { ansible_ssh_private_key_file: 'keys/id' }, { identityFiles: ['/srv/inv/keys/id'] }],
    ['key under ~', { ansible_private_key_file: '~/.ssh/id' }, { identityFiles: ['/home/op/.ssh/id'] }],
    ['absolute key', { ansible_ssh_private_key_file: '/k' }, { identityFiles: ['/k'] }],
    ['several nodeform keys, winning over ansible', { ansible_ssh_private_key_file: '/a', nodeform_identity_file: ['/b', 'c'] }, { identityFiles: ['/b', '/srv/inv/c'] }],
    ['become true', { ansible_become: true }, { become: true }],
    ['become yes', { ansible_become: 'yes' }, { become: true }],
    ['become False', { ansible_become: 'False' }, { become: false }],
    ['nodeform_become wins', { ansible_become: true, nodeform_become: false }, { become: false }],
    ['become user', { ansible_become_user: 'geth' }, { becomeUser: 'geth' }],
    ['proxy jump', { nodeform_proxy_jump: 'j@h:22' }, { proxyJump: 'j@h:22' }],
    ['known hosts', { nodeform_known_hosts_file: 'kh' }, { knownHostsFiles: ['/srv/inv/kh'] }],
    ['local connection', { ansible_connection: 'local' }, { connection: 'local' }],
    ['smart means ssh', { ansible_connection: 'smart' }, { connection: 'ssh' }],
    ['wrong types are ignored (already reported by validation)', { ansible_port: 'abc', ansible_host: 5 }, { address: 'lab1' }],
  ])('%s', (_name, vars, expected) => {
    expect(hostConnection('lab1', vars, inventory)).toMatchObject(expected);
  });

  it('no port key at all when none is set (so ~/.ssh/config decides)', () => {
    expect('port' in hostConnection('lab1', {}, inventory)).toBe(false);
    expect('user' in hostConnection('lab1', {}, inventory)).toBe(false);
  });
});

describe('hostSettings', () => {
  it.each([
    [{}, { stateDir: '/var/lib/nodeform', keepGenerations: 5 }],
    [{ nodeform_state_dir: '/srv/nf/', nodeform_keep_generations: 9 }, { stateDir: '/srv/nf', keepGenerations: 9 }],
    [{ nodeform_state_dir: 'relative', nodeform_keep_generations: 0 }, { stateDir: '/var/lib/nodeform', keepGenerations: 5 }],
  ])('%j -> %j', (vars, expected) => {
    expect(hostSettings(vars)).toEqual(expected);
  });
});

describe('resolveLocalPath', () => {
  it.each([
    ['k', '/srv/inv/k'],
    ['../k', '/srv/k'],
    ['/abs', '/abs'],
    ['~', '/home/op'],
    ['~/x', '/home/op/x'],
    ['~other/x', '/srv/inv/~other/x'],
  ])('%s -> %s', (path, expected) => {
    expect(resolveLocalPath(path, '/srv/inv', '/home/op')).toBe(expected);
  });
});
