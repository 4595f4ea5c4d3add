// An ssh2 client's lifetime: ending one that may already be closed must not wait for a 'close' that came before.

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
