// ~/.ssh/config resolution (through the ssh-config package) merged with inventory values.
// Inventory values win over ssh config, as in Ansible, where they become ssh's command-line options.

import { readFile } from 'node:fs/promises';
import SSHConfig from 'ssh-config';
import { NodeformError } from '../../errors.js';

/** Whose home `~` means and who the default login user is. */
export interface SshEnv {
  home: string;
  localUser: string;
}

export interface SshConfigFile {
  /** For messages. */
  path: string;
  config: SSHConfig;
}

/** One hop of a ProxyJump chain, as written: `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export interface JumpSpec {
  host: string;
  port?: number;
  user?: string;
}

/** What the caller asks to reach, before ssh config is applied. Unset fields fall back to ssh config. */
export interface TargetRequest {
  address: string;
  port?: number;
  user?: string;
  /** Empty or absent: take IdentityFile from ssh config, or OpenSSH's defaults. */
  identityFiles?: readonly string[];
  /** Overrides ProxyJump from ssh config; `none` disables it. */
  proxyJump?: string;
}

/** Everything needed to open one SSH connection. */
export interface SshTarget {
  /** The address or alias asked for. */
  alias: string;
  hostname: string;
  port: number;
  user: string;
  /** Absolute paths, in the order to try. */
  identityFiles: string[];
  /** The identity files are OpenSSH's defaults, so missing ones are not worth a mention. */
  defaultIdentities: boolean;
  /** Hops to pass through, the first one connected to directly; empty for a direct connection. */
  proxyJump: JumpSpec[];
  /** UserKnownHostsFile from ssh config, expanded; undefined when not set. */
  userKnownHostsFiles?: string[];
  /** Record new keys hashed (HashKnownHosts yes). */
  hashKnownHosts: boolean;
}

const DEFAULT_IDENTITIES = ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ed25519'];

/** Reads an ssh config file; a missing file is an empty config, as for ssh. */
export async function loadSshConfig(path: string): Promise<SshConfigFile> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new NodeformError('CONFIG', `cannot read ssh config ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return { path, config: SSHConfig.parse(text) };
}

export function resolveTarget(file: SshConfigFile, request: TargetRequest, env: SshEnv): SshTarget {
  // Match exec would run shell commands from the config file; nodeform treats such blocks as not matching.
  const computed = file.config.compute(request.address, { ignoreCase: true, matchExec: false });
  const one = (key: string): string | undefined => {
    const value = computed[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const many = (key: string): string[] | undefined => {
    const value = computed[key];
    return value === undefined ? undefined : ([] as string[]).concat(value);
  };

  const hostname = expandTokens(one('hostname') ?? request.address, { h: request.address });
  const port = request.port ?? parsePort(one('port'), file.path, request.address);
  const user = request.user ?? one('user') ?? env.localUser;
  const tokens = { h: hostname, r: user, u: env.localUser, d: env.home };

  const fromConfig = many('identityfile');
  const explicit = request.identityFiles?.length ? request.identityFiles : fromConfig;
  const identityFiles = (explicit ?? DEFAULT_IDENTITIES).map((p) => expandPath(p, env, tokens));

  const jump = request.proxyJump ?? one('proxyjump');
  const knownHosts = many('userknownhostsfile');
  return {
    alias: request.address,
    hostname,
    port,
    user,
    identityFiles,
    defaultIdentities: explicit === undefined,
    proxyJump: jump === undefined ? [] : parseProxyJump(jump),
    userKnownHostsFiles: knownHosts?.map((p) => expandPath(p, env, tokens)),
    hashKnownHosts: one('hashknownhosts')?.toLowerCase() === 'yes',
  };
}

function parsePort(value: string | undefined, path: string, host: string): number {
  if (value === undefined) return 22;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new NodeformError('CONFIG', `${path}: Port ${JSON.stringify(value)} for ${host} is not a port number (1-65535)`);
  }
  return port;
}

/** Parses a ProxyJump value: comma-separated hops, or `none`. */
export function parseProxyJump(spec: string): JumpSpec[] {
  if (spec.trim().toLowerCase() === 'none') return [];
  return spec.split(',').map((hop) => parseJumpSpec(hop.trim(), spec));
}

function parseJumpSpec(hop: string, whole: string): JumpSpec {
  const match = /^(?:ssh:\/\/)?(?:([^@/]+)@)?(\[[^\]]+\]|[^:/@[\]]+)(?::(\d+))?\/?$/.exec(hop);
  const host = match?.[2]?.replace(/^\[(.*)\]$/, '$1');
  const port = match?.[3] === undefined ? undefined : Number(match[3]);
  if (!match || !host || (port !== undefined && (port < 1 || port > 65535))) {
    throw new NodeformError('CONFIG', `ProxyJump ${JSON.stringify(whole)}: cannot parse hop ${JSON.stringify(hop)}; expected [user@]host[:port]`);
  }
  return { host, port, user: match[1] };
}

/** Expands a leading `~` and ssh_config's %d %u %h %r %% tokens. */
export function expandPath(path: string, env: SshEnv, tokens: Record<string, string> = {}): string {
  const expanded = expandTokens(path, { d: env.home, u: env.localUser, ...tokens });
  if (expanded === '~') return env.home;
  return expanded.startsWith('~/') ? `${env.home}/${expanded.slice(2)}` : expanded;
}

function expandTokens(value: string, tokens: Record<string, string>): string {
  return value.replace(/%(.)/g, (whole, letter: string) => (letter === '%' ? '%' : (tokens[letter] ?? whole)));
}
