import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { describe, expect, it } from 'vitest';
import { NodeformError } from '../../../src/errors.js';
import { expandPath, loadSshConfig, parseProxyJump, resolveTarget, type TargetRequest } from '../../../src/transport/ssh/ssh-config.js';

const env = { home: '/home/op', localUser: 'op' };
const CONFIG = `
Host bastion
  HostName 10.1.0.1
  User jump
  Port 2201
  IdentityFile ~/.ssh/jump_key

Host web-* !web-bad
  HostName %h.internal
  User deploy
  IdentityFile ~/.ssh/web
  ProxyJump bastion

Host direct
  ProxyJump none

Host *.corp
  UserKnownHostsFile ~/.ssh/corp_known_hosts "/etc/x y"
  HashKnownHosts yes

Host badport
  Port twenty-two

Match exec "touch /tmp/nodeform-must-not-run"
  User from-exec

Host *
  IdentityFile %d/.ssh/all_%r
`;
const file = { path: '/home/op/.ssh/config', config: SSHConfig.parse(CONFIG) };
const resolve = (request: TargetRequest) => resolveTarget(file, request, env);

describe('resolveTarget', () => {
  it.each([
    [
      'alias with HostName token, User, IdentityFile and ProxyJump',
      { address: 'web-1' },
      {
        hostname: 'web-1.internal',
        port: 22,
        user: 'deploy',
        identityFiles: ['/home/op/.ssh/web', '/home/op/.ssh/all_deploy'],
        defaultIdentities: false,
        proxyJump: [{ host: 'bastion', port: undefined, user: undefined }],
      },
    ],
    [
      'inventory values win over ssh config',
      { address: 'web-1', port: 2222, user: 'root', identityFiles: ['~/inventory_key'] },
      { hostname: 'web-1.internal', port: 2222, user: 'root', identityFiles: ['/home/op/inventory_key'] },
    ],
    [
      'an empty inventory identity list falls back to ssh config',
      { address: 'bastion', identityFiles: [] },
      { hostname: '10.1.0.1', port: 2201, user: 'jump', identityFiles: ['/home/op/.ssh/jump_key', '/home/op/.ssh/all_jump'] },
    ],
    [
      'a negated pattern keeps the block out',
      { address: 'web-bad' },
      { hostname: 'web-bad', user: 'op', proxyJump: [], identityFiles: ['/home/op/.ssh/all_op'] },
    ],
    ['ProxyJump none', { address: 'direct' }, { hostname: 'direct', proxyJump: [] }],
    [
      'inventory ProxyJump overrides ssh config',
      { address: 'web-1', proxyJump: 'admin@10.9.9.9:2022' },
      { proxyJump: [{ host: '10.9.9.9', port: 2022, user: 'admin' }] },
    ],
    ['inventory ProxyJump none disables it', { address: 'web-1', proxyJump: 'none' }, { proxyJump: [] }],
    [
      'UserKnownHostsFile and HashKnownHosts',
      { address: 'db.corp' },
      { userKnownHostsFiles: ['/home/op/.ssh/corp_known_hosts', '/etc/x y'], hashKnownHosts: true },
    ],
    ['Match exec never runs', { address: 'plain' }, { user: 'op', userKnownHostsFiles: undefined, hashKnownHosts: false }],
  ] as const)('%s', (_name, request, expected) => {
    expect(resolve(request)).toMatchObject(expected);
  });

  it('uses OpenSSH default identities when nothing names one', () => {
    const target = resolveTarget({ path: 'x', config: SSHConfig.parse('') }, { address: 'h' }, env);
    expect(target).toMatchObject({
      hostname: 'h',
      port: 22,
      user: 'op',
      defaultIdentities: true,
      identityFiles: ['/home/op/.ssh/id_rsa', '/home/op/.ssh/id_ecdsa', '/home/op/.ssh/id_ed25519'],
    });
  });

  it('rejects a bad Port with the config path', () => {
    expect(() => resolve({ address: 'badport' })).toThrow(/\/home\/op\/\.ssh\/config: Port "twenty-two" for badport/);
  });
});

describe('parseProxyJump', () => {
  it.each([
    ['bastion', [{ host: 'bastion', port: undefined, user: undefined }]],
    ['u@bastion:2200', [{ host: 'bastion', port: 2200, user: 'u' }]],
    ['ssh://u@bastion:2200', [{ host: 'bastion', port: 2200, user: 'u' }]],
    ['u@[::1]:22', [{ host: '::1', port: 22, user: 'u' }]],
    ['a, b@c:3', [{ host: 'a', port: undefined, user: undefined }, { host: 'c', port: 3, user: 'b' }]],
    ['none', []],
    ['NONE', []],
  ])('%s', (spec, expected) => {
    expect(parseProxyJump(spec)).toEqual(expected);
  });

  it.each(['a:99999', 'a:b', '', 'a,,b', 'u@'])('rejects %j', (spec) => {
    expect(() => parseProxyJump(spec)).toThrow(NodeformError);
  });
});

describe('expandPath', () => {
  it.each([
    ['~', '/home/op'],
    ['~/.ssh/id', '/home/op/.ssh/id'],
    ['%d/k_%u', '/home/op/k_op'],
    ['/abs/100%%', '/abs/100%'],
    ['relative/~x', 'relative/~x'],
    ['%z stays', '%z stays'],
  ])('%s', (path, expected) => {
    expect(expandPath(path, env)).toBe(expected);
  });
});

describe('loadSshConfig', () => {
  it('reads a file, and a missing one is empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nodeform-sshcfg-'));
    try {
      await writeFile(join(dir, 'config'), 'Host x\n  HostName y\n');
      const loaded = await loadSshConfig(join(dir, 'config'));
      expect(resolveTarget(loaded, { address: 'x' }, env).hostname).toBe('y');
      const missing = await loadSshConfig(join(dir, 'nope'));
      expect(resolveTarget(missing, { address: 'x' }, env).hostname).toBe('x');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
