// SSH transport on ssh2: known_hosts checking, ssh-agent and key files, ~/.ssh/config, ProxyJump,
// become through sudo, and a pool that keeps one connection per host for a whole run.

import { createPrivateKey } from 'node:crypto';
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ClientChannel, Client as SshClient, ParsedKey } from 'ssh2';
import { NodeformError, TransportError, type ErrorCode } from '../errors.js';
import type { HostConnection } from '../model/types.js';
import { becomeCommand, checkBecome, ExecRecord, newStats, signalExitCode, toBuffer, truncateCommand } from './common.js';
import {
  blobKeyType,
  checkHostKey,
  fingerprint,
  knownHostsLine,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';
import { openLocal } from './local.js';
import { command, quote } from '../shell/quote.js';
import { expandPath, loadSshConfig, resolveTarget, type SshConfigFile, type SshEnv, type SshTarget, type TargetRequest } from './ssh-config.js';
import type { ExecOptions, ExecResult, Transport, TransportStats } from './types.js';

const { Client, utils } = ssh2;

export interface SshOptions {
  /** Trust and record host keys seen for the first time (--accept-new). A changed key is refused regardless. */
  acceptNew?: boolean;
  /** Home directory for `~`, ~/.ssh/config, ~/.ssh/known_hosts and default keys; os.homedir() when unset. */
  homeDir?: string;
  /** The ssh config file; `<home>/.ssh/config` when unset. */
  sshConfigPath?: string;
  /** ssh-agent socket; $SSH_AUTH_SOCK when unset, null for no agent. */
  agentSocket?: string | null;
  /** Covers TCP connect, handshake and authentication of each hop. Default 15 s. */
  connectTimeoutMs?: number;
  /** SSH keepalive period; the connection counts as lost after keepaliveCountMax unanswered ones. Default 15 s. */
  keepaliveIntervalMs?: number;
  /** Default 3. */
  keepaliveCountMax?: number;
}

/** sshd's default MaxSessions: more concurrent channels on one connection are refused, so execs queue. */
const MAX_SESSIONS = 10;
const OPEN_RETRIES = 50;
const OPEN_RETRY_MS = 20;
const MAX_JUMP_DEPTH = 8;
/** ssh2's own preference order; hosts' known key types are moved to the front of it. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;
type HostKeyAlgorithm = (typeof HOST_KEY_ALGORITHMS)[number];

/** Opens one SSH connection for a host (through its jump hosts, if any). */
export async function connectSsh(conn: HostConnection, options: SshOptions = {}): Promise<Transport> {
  const connector = new Connector(options);
  try {
    return await connector.connect(conn, () => connector.close());
  } catch (err) {
    await connector.close();
    throw err;
  }
}

/** Opens the transport a host's connection asks for: ssh, or local for `ansible_connection: local`. */
export async function openTransport(conn: HostConnection, options: SshOptions = {}): Promise<Transport> {
  return conn.connection === 'local' ? openLocal(conn) : connectSsh(conn, options);
}

/**
 * One connection per host for a whole run, opened on first use. Jump hosts are shared between the
 * hosts behind them, so a fleet behind one bastion costs one bastion connection.
 */
export class TransportPool {
  private readonly transports = new Map<string, Promise<Transport>>();
  private readonly connector: Connector;

  constructor(options: SshOptions = {}) {
    this.connector = new Connector(options);
  }

  /** The host's transport, keyed by inventory name. A failed connect is not cached, so a later get retries. */
  get(conn: HostConnection): Promise<Transport> {
    const existing = this.transports.get(conn.name);
    if (existing) return existing;
    const opening =
      conn.connection === 'local' ? Promise.resolve(openLocal(conn)) : this.connector.connect(conn, async () => {});
    this.transports.set(conn.name, opening);
    opening.catch(() => {
      if (this.transports.get(conn.name) === opening) this.transports.delete(conn.name);
    });
    return opening;
  }

  async closeAll(): Promise<void> {
    const opened = [...this.transports.values()];
    this.transports.clear();
    await Promise.allSettled(opened.map(async (t) => (await t).close()));
    await this.connector.close();
  }
}

// ---------------------------------------------------------------- connecting

/** A failure of one hop, turned into a TransportError for whichever host was being reached. */
class HopError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode = 'TRANSPORT',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Trust {
  files: string[];
  /** Where --accept-new records keys and where the hint says to put them. */
  recordTo: string;
}

class Connector {
  private readonly env: SshEnv;
  private config?: Promise<SshConfigFile>;
  /** Jump connections by chain and trust, so concurrent hosts behind one bastion share it. */
  private readonly jumps = new Map<string, Promise<SshClient>>();
  /** known_hosts files and identities are read and parsed once per run, not once per host. */
  private readonly knownHosts = new Map<string, Promise<KnownHostEntry[]>>();
  private readonly identities = new Map<string, Promise<Identities>>();

  constructor(private readonly options: SshOptions) {
    this.env = { home: options.homeDir ?? homedir(), localUser: localUser() };
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
      const extraTrust = conn.knownHostsFiles.map((f) => expandPath(f, this.env));
      let via: SshClient | undefined;
      const path: string[] = [];
      for (const hop of chain) {
        path.push(`${hop.user}@${hop.hostname}:${hop.port}`);
        via = await this.jump(`${path.join(',')}|${extraTrust.join(':')}`, hop, via, extraTrust);
      }
      const client = await this.open(target, via, extraTrust, false);
      return new SshTransport(conn, client, target.user, onClose);
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
    const [entries, identities] = await Promise.all([this.readKnownHosts(trust.files), this.loadIdentities(hop)]);
    const sock = via ? await forward(via, hop, label, this.timeout) : undefined;
    return this.handshake(hop, label, sock, trust, entries, identities);
  }

  private readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
    const key = files.join('\0');
    let read = this.knownHosts.get(key);
    if (!read) {
      read = readKnownHosts(files);
      this.knownHosts.set(key, read);
      read.catch(() => this.knownHosts.delete(key));
    }
    return read;
  }

  private loadIdentities(hop: SshTarget): Promise<Identities> {
    const key = `${hop.defaultIdentities ? 1 : 0}\0${hop.identityFiles.join('\0')}`;
    let loaded = this.identities.get(key);
    if (!loaded) {
      loaded = loadIdentities(hop);
      this.identities.set(key, loaded);
    }
    return loaded;
  }

  private get timeout(): number {
    return this.options.connectTimeoutMs ?? 15_000;
  }

  private handshake(
    hop: SshTarget,
    label: string,
    sock: Readable | undefined,
    trust: Trust,
    entries: KnownHostEntry[],
    identities: Identities,
  ): Promise<SshClient> {
    const agent = this.options.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : this.options.agentSocket;
    const methods: AnyAuthMethod[] = [
      ...(agent ? [{ type: 'agent' as const, username: hop.user, agent }] : []),
      ...identities.keys.map((k) => ({ type: 'publickey' as const, username: hop.user, key: k.key })),
    ];
    const offered = [...(agent ? [`ssh-agent (${agent})`] : []), ...identities.keys.map((k) => k.path)];
    const notes = [...identities.notes];
    return new Promise((resolve, reject) => {
      const client = new Client();
      client.once('close', () => closedClients.add(client));
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
          keepaliveInterval: this.options.keepaliveIntervalMs ?? 15_000,
          keepaliveCountMax: this.options.keepaliveCountMax ?? 3,
          algorithms: { serverHostKey: hostKeyPreference(knownKeyTypes(entries, hop.hostname, hop.port)) },
          hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
            this.verifyHostKey(hop, label, key, trust, entries).then(
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

  private async verifyHostKey(hop: SshTarget, label: string, key: Buffer, trust: Trust, entries: KnownHostEntry[]): Promise<void> {
    const verdict = checkHostKey(entries, hop.hostname, hop.port, key);
    const presented = `${blobKeyType(key) ?? 'unknown'} ${fingerprint(key)}`;
    switch (verdict.status) {
      case 'known':
        return;
      case 'revoked':
        throw new HopError(`${label}: host key ${presented} is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect`, 'HOSTKEY');
      case 'changed': {
        const { file, line } = verdict.entry;
        throw new HopError(
          `${label}: HOST KEY CHANGED. The host now presents ${presented}, but ${file}:${line} lists a different ` +
            `${verdict.entry.keyType} key (${fingerprint(verdict.entry.key)}) for it. Someone may be intercepting the ` +
            `connection, or the host was reinstalled. If the change is expected, remove the old entry ` +
            `(ssh-keygen -R ${quote(knownHostsName(hop.hostname, hop.port))} -f ${quote(file)}) and connect again; ` +
            `--accept-new never replaces a changed key.`,
          'HOSTKEY',
        );
      }
      case 'unknown':
        if (!this.options.acceptNew) {
          const others = verdict.otherTypes.length ? ` (known_hosts lists it only with ${verdict.otherTypes.join(', ')} keys)` : '';
          throw new HopError(
            `${label}: unknown host key ${presented}${others}. Check the fingerprint with the host's owner, then trust it with ` +
              `\`ssh-keyscan -p ${hop.port} ${quote(hop.hostname)} >> ${quote(trust.recordTo)}\`, or rerun with --accept-new.`,
            'HOSTKEY',
          );
        }
        await recordHostKey(trust.recordTo, knownHostsLine(hop.hostname, hop.port, key, hop.hashKnownHosts)).catch((err: Error) => {
          throw new HopError(`${label}: cannot record the new host key in ${trust.recordTo}: ${err.message}`, 'HOSTKEY', { cause: err });
        });
        // Later connections read the file again, with this key in it.
        for (const cached of [...this.knownHosts.keys()]) if (cached.split('\0').includes(trust.recordTo)) this.knownHosts.delete(cached);
    }
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

function hostKeyPreference(known: string[]): HostKeyAlgorithm[] {
  // A known ssh-rsa key is verified whichever RSA signature algorithm the handshake uses.
  const wanted = new Set(known.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])));
  return [...HOST_KEY_ALGORITHMS.filter((a) => wanted.has(a)), ...HOST_KEY_ALGORITHMS.filter((a) => !wanted.has(a))];
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

async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const entries: KnownHostEntry[] = [];
  for (const file of files) {
    try {
      entries.push(...parseKnownHosts(await readFile(file, 'utf8'), file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new HopError(`cannot read known_hosts file ${file}: ${(err as Error).message}`, 'CONFIG', { cause: err });
      }
    }
  }
  return entries;
}

async function recordHostKey(file: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Keep the new entry on its own line even when the file's last line has no newline.
  let prefix = '';
  const handle = await open(file, 'a+', 0o600);
  try {
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
  } finally {
    await handle.close();
  }
  await appendFile(file, `${prefix}${line}\n`);
}

interface Identities {
  keys: { path: string; key: ParsedKey }[];
  /** Why listed identity files could not be offered; shown when authentication fails. */
  notes: string[];
}

async function loadIdentities(hop: SshTarget): Promise<Identities> {
  const result: Identities = { keys: [], notes: [] };
  for (const path of hop.identityFiles) {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !hop.defaultIdentities) {
        result.notes.push(`identity file ${path}: ${(err as Error).message}`);
      }
      continue;
    }
    const parsed = utils.parseKey(data);
    if (parsed instanceof Error) {
      result.notes.push(
        /no passphrase given/.test(parsed.message)
          ? `identity file ${path} is encrypted and nodeform cannot ask for its passphrase: load it into ssh-agent (ssh-add ${quote(path)})`
          : `identity file ${path} cannot be read as a private key: ${parsed.message}`,
      );
      continue;
    }
    // OpenSSH's format can hold several keys; ssh2 returns an array then and, like ssh, we use the first.
    const key = (Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed) as ParsedKey;
    if (!key.isPrivateKey()) {
      result.notes.push(`identity file ${path} holds a public key, not a private one`);
      continue;
    }
    result.keys.push({ path, key: withKeyObject(key) });
  }
  return result;
}

/**
 * ssh2 keeps a private key as PEM text and hands that to crypto.sign, which parses it again for every
 * signature (about 1.7 ms for ed25519 here, against 0.1 ms with a parsed key): one per host at login. The
 * key's PEM slot gets the parsed KeyObject instead, which crypto.sign takes as well. ssh2 does not export the
 * slot's symbol; when it is not found (another ssh2 version) the key is left as it is.
 */
export function withKeyObject(key: ParsedKey): ParsedKey {
  const slot = Object.getOwnPropertySymbols(key).find((s) => s.description === 'Private key PEM');
  const holder = key as unknown as Record<symbol, unknown>;
  const pem = slot ? holder[slot] : undefined;
  if (slot && typeof pem === 'string') {
    try {
      holder[slot] = createPrivateKey(pem);
    } catch {
      // leave ssh2's own handling (and its error message) in place
    }
  }
  return key;
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

const closedClients = new WeakSet<SshClient>();

function endClient(client: SshClient): Promise<void> {
  return new Promise((resolve) => {
    if (closedClients.has(client)) return resolve();
    client.once('close', () => resolve());
    client.end();
  });
}

// ---------------------------------------------------------------- the transport

class SshTransport implements Transport {
  readonly host: string;
  readonly stats: TransportStats = newStats();
  /** Why the connection is gone, once it is, and the error that said so. */
  private lost?: string;
  private lostCause?: Error;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly conn: HostConnection,
    private readonly client: SshClient,
    private readonly loginUser: string,
    private readonly onClose: () => Promise<void>,
  ) {
    this.host = conn.name;
    client.on('error', (err: Error) => {
      this.lost ??= err.message;
      this.lostCause ??= err;
    });
    client.on('close', () => {
      this.lost ??= 'the host closed the connection';
    });
  }

  async exec(commandLine: string, options: ExecOptions = {}): Promise<ExecResult> {
    // sshd ignores signal requests and closing the channel leaves the command running, so the host's own
    // coreutils timeout kills it there. It gets a second more than the timer in run(), which decides the outcome.
    const limited =
      options.timeoutMs === undefined
        ? commandLine
        : command(['timeout', '-s', 'KILL', String(options.timeoutMs / 1000 + 1), 'sh', '-c', commandLine]);
    const line = becomeCommand(limited, this.loginUser, this.conn);
    const shown = truncateCommand(commandLine);
    await this.acquire();
    try {
      if (this.lost) throw new TransportError(this.host, `connection lost: ${this.lost}`, { command: shown, cause: this.lostCause });
      const result = await this.run(line, commandLine, shown, options);
      checkBecome(this.host, result, line !== limited, this.loginUser, shown);
      return result;
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    this.lost ??= 'the transport was closed';
    await endClient(this.client);
    await this.onClose();
  }

  private acquire(): Promise<void> {
    if (this.active < MAX_SESSIONS) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private run(line: string, commandLine: string, shown: string, options: ExecOptions): Promise<ExecResult> {
    const stdin = toBuffer(options.stdin);
    const record = new ExecRecord(this.stats, line, stdin, options.onStdout);
    return new Promise((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const fail = (message: string, cause?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new TransportError(this.host, message, { command: shown, cause }));
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          fail(`command timed out after ${options.timeoutMs} ms and was killed`);
          channel?.close();
        }, options.timeoutMs);
      }
      const onChannel = (err: Error | undefined, stream: ClientChannel): void => {
        if (err) return fail(this.lost ? `connection lost: ${this.lost}` : `cannot start the command: ${err.message}`, this.lostCause ?? err);
        if (settled) return void stream.close();
        channel = stream;
        let exitCode: number | undefined;
        let closed = false;
        let stderrEnded = false;
        const finish = (): void => {
          if (!closed || !stderrEnded || settled) return;
          if (exitCode === undefined) {
            return fail(
              this.lost ? `connection lost while the command ran: ${this.lost}` : 'the host closed the session without an exit status',
              this.lostCause,
            );
          }
          settled = true;
          clearTimeout(timer);
          resolve(record.result(commandLine, exitCode));
        };
        stream.on('data', record.out);
        stream.stderr.on('data', record.err);
        stream.stderr.on('end', () => {
          stderrEnded = true;
          finish();
        });
        stream.on('exit', (code: number | null, signal?: string) => {
          exitCode = code ?? signalExitCode(signal ?? 'SIGKILL');
        });
        stream.on('close', () => {
          closed = true;
          finish();
        });
        stream.on('error', (e: Error) => fail(`the session failed: ${e.message}`, e));
        stream.end(stdin);
      };
      // sshd frees a session slot a moment after its channel closed, so a burst of execs can be refused
      // a session even below MaxSessions; such refusals are retried for a while.
      const open = (attempt: number): void => {
        try {
          this.client.exec(line, (err, stream) => {
            const refused = (err as { reason?: number } | undefined)?.reason !== undefined;
            if (refused && attempt < OPEN_RETRIES && !settled && !this.lost) setTimeout(() => open(attempt + 1), OPEN_RETRY_MS);
            else onChannel(err, stream);
          });
        } catch (err) {
          fail(`connection lost: ${this.lost ?? (err as Error).message}`, err);
        }
      };
      open(1);
    });
  }
}
