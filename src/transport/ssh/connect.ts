// Opening SSH connections: ~/.ssh/config, ProxyJump chains (jump connections shared by the hosts behind
// them), the handshake with host key checking and authentication, and messages that say what to fix.

import type { Readable } from 'node:stream';
import type { AnyAuthMethod, ClientChannel, Client as SshClient } from 'ssh2';
import { NodeformError, TransportError } from '../../errors.js';
import type { HostConnection } from '../../model/types.js';
import type { Transport } from '../types.js';
import { authAttempts, IdentityCache, type Identities } from './auth.js';
import { endClient, newClient } from './client.js';
import { SshTransport } from './exec.js';
import { HopError } from './hop-error.js';
import { hostKeyPreference, KnownHostsCache, verifyHostKey, type Trust } from './host-keys.js';
import { knownKeyTypes, type KnownHostEntry } from './known-hosts.js';
import { DEFAULT_DEAD_LINK_TIMEOUT_MS, keepalive, type SshOptions } from './options.js';
import { expandPath, loadSshConfig, resolveTarget, type SshConfigFile, type SshEnv, type SshTarget, type TargetRequest } from './ssh-config.js';

const MAX_JUMP_DEPTH = 8;

/** Opens one SSH connection for a host (through its jump hosts, if any). */
export async function connectSsh(conn: HostConnection, options: SshOptions): Promise<Transport> {
  const connector = new Connector(options);
  try {
    return await connector.connect(conn, () => connector.close());
  } catch (err) {
    await connector.close();
    throw err;
  }
}

export class Connector {
  private readonly env: SshEnv;
  private config?: Promise<SshConfigFile>;
  /** Jump connections by chain and trust, so concurrent hosts behind one bastion share it. */
  private readonly jumps = new Map<string, Promise<SshClient>>();
  private readonly knownHosts = new KnownHostsCache();
  private readonly identities = new IdentityCache();

  constructor(private readonly options: SshOptions) {
    this.env = { home: options.homeDir, localUser: options.localUser };
  }

  async connect(conn: HostConnection, onClose: () => Promise<void>): Promise<Transport> {
    try {
      this.config ??= loadSshConfig(this.options.sshConfigPath ?? `${this.env.home}/.ssh/config`);
      const chain = resolveChain(await this.config, {
        address: conn.address,
        port: conn.port,
        user: conn.user,
        identityFiles: conn.identityFiles,
        proxyJump: conn.proxyJump,
      }, this.env);
      const target = chain.pop() as SshTarget;
      const extraTrust = [...conn.knownHostsFiles, ...(this.options.knownHostsFiles ?? [])].map((f) => expandPath(f, this.env));
      let via: SshClient | undefined;
      const path: string[] = [];
      for (const hop of chain) {
        path.push(`${hop.user}@${hop.hostname}:${hop.port}`);
        via = await this.jump(`${path.join(',')}|${extraTrust.join(':')}`, hop, via, extraTrust);
      }
      const client = await this.open(target, via, extraTrust, false);
      return new SshTransport(conn, client, target.user, onClose, this.deadLinkTimeout);
    } catch (err) {
      if (err instanceof HopError) throw new TransportError(conn.name, err.message, { code: err.code, cause: err.cause });
      if (err instanceof NodeformError) throw err;
      throw new TransportError(conn.name, `cannot connect: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const jumps = [...this.jumps.values()];
    this.jumps.clear();
    // Later hops ride on earlier ones: close the most recently opened first.
    for (const jump of jumps.reverse()) {
      const client = await jump.catch(() => undefined);
      if (client) await endClient(client);
    }
  }

  private jump(key: string, hop: SshTarget, via: SshClient | undefined, extraTrust: string[]): Promise<SshClient> {
    const existing = this.jumps.get(key);
    if (existing) return existing;
    const opening = this.open(hop, via, extraTrust, true);
    this.jumps.set(key, opening);
    const forget = (): void => {
      if (this.jumps.get(key) === opening) this.jumps.delete(key);
    };
    opening.then((client) => client.once('close', forget), forget);
    return opening;
  }

  private async open(hop: SshTarget, via: SshClient | undefined, extraTrust: string[], isJump: boolean): Promise<SshClient> {
    const where = `${hop.hostname}:${hop.port}`;
    const label = isJump ? `jump host ${hop.alias} (${where})` : where;
    const userFiles = hop.userKnownHostsFiles ?? [`${this.env.home}/.ssh/known_hosts`, `${this.env.home}/.ssh/known_hosts2`];
    const trust: Trust = { files: [...extraTrust, ...userFiles], recordTo: extraTrust[0] ?? (userFiles[0] as string) };
    const [entries, identities] = await Promise.all([this.knownHosts.entries(trust.files), this.identities.identities(hop)]);
    const sock = via ? await forward(via, hop, label, this.timeout) : undefined;
    return this.handshake(hop, label, sock, trust, entries, identities);
  }

  private get timeout(): number {
    return this.options.connectTimeoutMs ?? 15_000;
  }

  private get deadLinkTimeout(): number {
    return this.options.deadLinkTimeoutMs ?? DEFAULT_DEAD_LINK_TIMEOUT_MS;
  }

  private handshake(
    hop: SshTarget,
    label: string,
    sock: Readable | undefined,
    trust: Trust,
    entries: KnownHostEntry[],
    identities: Identities,
  ): Promise<SshClient> {
    const agent = this.options.env.SSH_AUTH_SOCK;
    const { methods, offered, notes } = authAttempts(hop.user, agent, identities);
    return new Promise((resolve, reject) => {
      const client = newClient();
      let refusal: HopError | undefined;
      let ready = false;
      const fail = (err: HopError): void => {
        if (ready) return;
        reject(refusal ?? err);
        client.end();
      };
      client.on('ready', () => {
        ready = true;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        // An unusable agent is not fatal: ssh2 goes on with the key files, as ssh does.
        if (err.level === 'agent') {
          notes.push(`ssh-agent at ${agent}: ${err.message}`);
          return;
        }
        fail(describeConnectError(err, hop, label, this.timeout, offered, notes));
      });
      client.on('close', () => fail(new HopError(`${label}: the connection closed during the SSH handshake`)));
      try {
        client.connect({
          host: hop.hostname,
          port: hop.port,
          sock,
          username: hop.user,
          readyTimeout: this.timeout,
          ...keepalive(this.deadLinkTimeout),
          algorithms: { serverHostKey: hostKeyPreference(knownKeyTypes(entries, hop.hostname, hop.port)) },
          hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
            verifyHostKey(hop, label, key, trust, entries, this.options.acceptNew, this.knownHosts).then(
              () => verify(true),
              (err: HopError) => {
                refusal = err;
                verify(false);
              },
            );
          },
          // Agent first, then key files, as ssh does; ssh2 takes `false` as "nothing left" though its types omit it.
          authHandler: (_left, _partial, next) => next(methods.shift() ?? (false as unknown as AnyAuthMethod)),
        });
        // Every exchange is a small request waiting on a small answer: with Nagle's algorithm on, each
        // channel open or exec after the first waited ~40 ms for the host's delayed ACK.
        client.setNoDelay(true);
      } catch (err) {
        fail(new HopError(`${label}: ${(err as Error).message}`, 'TRANSPORT', { cause: err }));
      }
    });
  }
}

function resolveChain(file: SshConfigFile, request: TargetRequest, env: SshEnv, depth = 0): SshTarget[] {
  const target = resolveTarget(file, request, env);
  const [first, ...rest] = target.proxyJump;
  if (!first) return [target];
  if (depth >= MAX_JUMP_DEPTH) {
    throw new NodeformError('CONFIG', `ProxyJump for ${request.address} nests more than ${MAX_JUMP_DEPTH} deep; is there a loop in ${file.path}?`);
  }
  // Like `ssh -J a,b`: the first hop may have its own ProxyJump; each later hop is reached through the one before.
  const chain = resolveChain(file, { address: first.host, port: first.port, user: first.user }, env, depth + 1);
  for (const hop of rest) chain.push(resolveTarget(file, { address: hop.host, port: hop.port, user: hop.user, proxyJump: 'none' }, env));
  chain.push(target);
  return chain;
}

function forward(via: SshClient, hop: SshTarget, label: string, timeoutMs: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new HopError(`${label}: timed out after ${timeoutMs} ms waiting for the jump host to open a connection`));
    }, timeoutMs);
    try {
      via.forwardOut('127.0.0.1', 0, hop.hostname, hop.port, (err, channel) => {
        clearTimeout(timer);
        if (done) {
          channel?.close();
          return;
        }
        done = true;
        if (err) reject(new HopError(`${label}: the jump host could not connect to it: ${err.message}`, 'TRANSPORT', { cause: err }));
        else resolve(channel);
      });
    } catch (err) {
      clearTimeout(timer);
      reject(new HopError(`${label}: the jump host connection is gone: ${(err as Error).message}`, 'TRANSPORT', { cause: err }));
    }
  });
}

function describeConnectError(
  err: Error & { level?: string; code?: string },
  hop: SshTarget,
  label: string,
  timeoutMs: number,
  offered: readonly string[],
  notes: readonly string[],
): HopError {
  const cause = { cause: err };
  if (err.level === 'client-timeout') {
    return new HopError(`${label}: timed out after ${timeoutMs} ms connecting (is the host up and the port right?)`, 'TRANSPORT', cause);
  }
  if (err.level === 'client-authentication') {
    const why = notes.length ? `\n  ${notes.join('\n  ')}` : '';
    const what = offered.length ? `none of the keys offered (${offered.join(', ')})` : 'no keys: no ssh-agent and no usable identity file';
    return new HopError(
      `${label}: authentication failed for user ${hop.user}: the host accepted ${what}.${why}\n` +
        `  Check the user name and that its ~/.ssh/authorized_keys holds one of the keys.`,
      'TRANSPORT',
      cause,
    );
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return new HopError(`${label}: connection refused (is sshd running and listening on port ${hop.port}?)`, 'TRANSPORT', cause);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new HopError(`${label}: cannot resolve host name ${hop.hostname}`, 'TRANSPORT', cause);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
      return new HopError(`${label}: cannot connect (${err.code}: ${err.message})`, 'TRANSPORT', cause);
  }
  return new HopError(`${label}: SSH connection failed: ${err.message}`, 'TRANSPORT', cause);
}
