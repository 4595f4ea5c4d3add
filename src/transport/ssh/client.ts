// An ssh2 client's lifetime: ending one that may already be closed must not wait for a 'close' that came before.

import type { Writable } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as SshClient } from 'ssh2';

const { Client } = ssh2;

const closedClients = new WeakSet<SshClient>();

/** A new ssh2 client whose closing is remembered, so endClient returns at once for it later. */
export function newClient(): SshClient {
  const client = new Client();
  client.once('close', () => closedClients.add(client));
  return client;
}

export function endClient(client: SshClient): Promise<void> {
  return new Promise((resolve) => {
    if (closedClients.has(client)) return resolve();
    client.once('close', () => resolve());
    client.end();
  });
}

/**
 * ssh2 writes every SSH packet to its socket by itself: a 1 MiB chunk of an upload is 32 packets and 32 system
 * calls, each also running the TCP stack. The packets one turn of the event loop makes (a chunk of stdin, or what
 * the host's window adjustment lets go) are written together instead: the socket is corked while the turn runs and
 * uncorked when it ends (one writev). Returns what corks it for the current turn, for writes made outside a
 * socket event; a client whose socket cannot be reached is left as it is.
 */
export function batchPacketWrites(client: SshClient): () => void {
  // ssh2 keeps the socket (or the jump host's channel) it writes to as _sock; it has no public accessor.
  const sock = (client as unknown as { _sock?: Writable })._sock;
  if (!sock || typeof sock.cork !== 'function' || typeof sock.uncork !== 'function') return () => {};
  let corked = false;
  const uncork = (): void => {
    corked = false;
    sock.uncork();
  };
  const cork = (): void => {
    if (corked) return;
    corked = true;
    sock.cork();
    process.nextTick(uncork);
  };
  sock.prependListener('data', cork);
  return cork;
}
