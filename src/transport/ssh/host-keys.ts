// Host keys as ssh checks them: which known_hosts files to trust, reading them once per run,
// the verdict on a presented key, and recording a new one for --accept-new.

import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { quote } from '../../shell/quote.js';
import { HopError } from './hop-error.js';
import {
  blobKeyType,
  checkHostKey,
  fingerprint,
  knownHostsLine,
  knownHostsName,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';
import type { SshTarget } from './ssh-config.js';

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

export interface Trust {
  files: string[];
  /** Where --accept-new records keys and where the hint says to put them. */
  recordTo: string;
}

export function hostKeyPreference(known: string[]): HostKeyAlgorithm[] {
  // A known ssh-rsa key is verified whichever RSA signature algorithm the handshake uses.
  const wanted = new Set(known.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])));
  return [...HOST_KEY_ALGORITHMS.filter((a) => wanted.has(a)), ...HOST_KEY_ALGORITHMS.filter((a) => !wanted.has(a))];
}

/** known_hosts files are read and parsed once per run, not once per host. */
export class KnownHostsCache {
  private readonly read = new Map<string, Promise<KnownHostEntry[]>>();

  entries(files: readonly string[]): Promise<KnownHostEntry[]> {
    const key = files.join('\0');
    let read = this.read.get(key);
    if (!read) {
      read = readKnownHosts(files);
      this.read.set(key, read);
      read.catch(() => this.read.delete(key));
    }
    return read;
  }

  /** Later connections read the file again, with a key just recorded in it. */
  forget(file: string): void {
    for (const cached of [...this.read.keys()]) if (cached.split('\0').includes(file)) this.read.delete(cached);
  }
}

/** Resolves when the presented key may be used (recording it first under --accept-new); throws HopError otherwise. */
export async function verifyHostKey(
  hop: SshTarget,
  label: string,
  key: Buffer,
  trust: Trust,
  entries: KnownHostEntry[],
  acceptNew: boolean | undefined,
  cache: KnownHostsCache,
): Promise<void> {
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
      if (!acceptNew) {
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
      cache.forget(trust.recordTo);
  }
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
