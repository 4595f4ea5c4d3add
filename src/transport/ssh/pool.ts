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
  /** The transports opened so far, to see whether one's connection is gone without waiting on its promise. */
  private readonly opened = new Map<string, Transport>();
  private readonly retired: Transport[] = [];
  private readonly connector: Connector;

  constructor(private readonly options: SshOptions) {
    this.connector = new Connector(options);
  }

  /**
   * The host's transport, keyed by inventory name. A failed connect is not cached, so a later get retries; nor is a
   * connection that was lost since (the host closed it, keepalives went unanswered): a later get opens a new one, so
   * a long run (a rollout's gates, status --watch) gets past a dropped link. A command in flight when it dropped
   * still ends as it did (its outcome unknown); nothing is run again here.
   */
  get(conn: HostConnection): Promise<Transport> {
    const existing = this.transports.get(conn.name);
    const known = this.opened.get(conn.name);
    if (existing && known?.lost === undefined) return existing;
    if (known) {
      this.retired.push(known);
      this.opened.delete(conn.name);
    }
    const opening =
      conn.connection === 'local' ? Promise.resolve(openLocal(conn, this.options.localUser)) : this.connector.connect(conn, async () => {});
    this.transports.set(conn.name, opening);
    opening.then(
      (transport) => {
        if (this.transports.get(conn.name) === opening) this.opened.set(conn.name, transport);
      },
      () => {
        if (this.transports.get(conn.name) === opening) this.transports.delete(conn.name);
      },
    );
    return opening;
  }

  async closeAll(): Promise<void> {
    const opened = [...this.transports.values()];
    const retired = this.retired.splice(0);
    this.transports.clear();
    this.opened.clear();
    await Promise.allSettled([...opened.map(async (t) => (await t).close()), ...retired.map((t) => t.close())]);
    await this.connector.close();
  }
}
