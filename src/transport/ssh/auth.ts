// Authentication as ssh does it: the agent first, then the identity files, each explained when it cannot be used.

import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ParsedKey } from 'ssh2';
import { quote } from '../../shell/quote.js';
import type { SshTarget } from './ssh-config.js';

const { utils } = ssh2;

export interface Identities {
  keys: { path: string; key: ParsedKey }[];
  /** Why listed identity files could not be offered; shown when authentication fails. */
  notes: string[];
}

/** What one hop's login will try, in order, and what to say about it when the host accepts none. */
export interface AuthAttempts {
  methods: AnyAuthMethod[];
  /** The agent and key files offered, for the failure message. */
  offered: string[];
  /** Grows during the handshake (an unusable agent is noted, not fatal). */
  notes: string[];
}

export function authAttempts(user: string, agent: string | undefined, identities: Identities): AuthAttempts {
  return {
    methods: [
      ...(agent ? [{ type: 'agent' as const, username: user, agent }] : []),
      ...identities.keys.map((k) => ({ type: 'publickey' as const, username: user, key: k.key })),
    ],
    offered: [...(agent ? [`ssh-agent (${agent})`] : []), ...identities.keys.map((k) => k.path)],
    notes: [...identities.notes],
  };
}

/** Identity files are read and parsed once per run, not once per host. */
export class IdentityCache {
  private readonly loaded = new Map<string, Promise<Identities>>();

  identities(hop: SshTarget): Promise<Identities> {
    const key = `${hop.defaultIdentities ? 1 : 0}\0${hop.identityFiles.join('\0')}`;
    let loaded = this.loaded.get(key);
    if (!loaded) {
      loaded = loadIdentities(hop);
      this.loaded.set(key, loaded);
    }
    return loaded;
  }
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
