// Which transport a host gets (ssh, or local for `ansible_connection: local`), and one per host for a whole run.

import type { HostConnection } from '../../model/types.js';
import { openLocal } from '../local.js';
import type { Transport } from '../types.js';
import { connectSsh, Connector } from './connect.js';
import type { SshOptions } from './options.js';

/** Opens the transport a host's connection asks for: ssh, or local for `ansible_connection: local`. */
export async function openTransport(conn: HostConnection, options: SshOptions): Promise<Transport> {
  return conn.connection === 'local' ? openLocal(conn, options.localUser) : connectSsh(conn, options);
}

/**
 * One connection per host for a whole run, opened on first use. Jump hosts are shared between the
 * hosts behind them, so a fleet behind one bastion costs one bastion connection.
 */
export class TransportPool {
  private readonly transports = new Map<string, Promise<Transport>>();
  private readonly connector: Connector;

  constructor(private readonly options: SshOptions) {
    this.connector = new Connector(options);
  }

  /** The host's transport, keyed by inventory name. A failed connect is not cached, so a later get retries. */
  get(conn: HostConnection): Promise<Transport> {
    const existing = this.transports.get(conn.name);
    if (existing) return existing;
    const opening =
      conn.connection === 'local' ? Promise.resolve(openLocal(conn, this.options.localUser)) : this.connector.connect(conn, async () => {});
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
