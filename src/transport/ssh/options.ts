// What a caller can tune about SSH connections; one object shared by the pool, connect and exec.
// The transport reads nothing of the process it runs in: environment, home and local account come in here.

export interface SshOptions {
  /** The environment as the caller's io has it; SSH_AUTH_SOCK names the ssh-agent (none when unset). */
  env: Readonly<Record<string, string | undefined>>;
  /** Home directory for `~`, ~/.ssh/config, ~/.ssh/known_hosts and default keys. */
  homeDir: string;
  /** The local account: the login user when neither inventory nor ssh config names one, ssh config's %u, and local become. */
  localUser: string;
  /** Trust and record host keys seen for the first time (--accept-new). A changed key is refused regardless. */
  acceptNew?: boolean;
  /** known_hosts files checked for every host besides its own nodeform_known_hosts_file (--known-hosts). */
  knownHostsFiles?: string[];
  /** The ssh config file; `<home>/.ssh/config` when unset. */
  sshConfigPath?: string;
  /** Covers TCP connect, handshake and authentication of each hop. Default 15 s. */
  connectTimeoutMs?: number;
  /**
   * A connection whose host has answered nothing for this long counts as lost (a frozen link that never
   * closes). SSH keepalives go out every quarter of it. Default 15 s.
   */
  deadLinkTimeoutMs?: number;
}

export const DEFAULT_DEAD_LINK_TIMEOUT_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 3;

/**
 * ssh2's keepalive settings for a dead-link timeout. ssh2 gives up when a keepalive is due with
 * countMax already unanswered, so the connection is declared lost at most (countMax + 1) intervals
 * after the host last answered.
 */
export function keepalive(deadLinkTimeoutMs: number): { keepaliveInterval: number; keepaliveCountMax: number } {
  return {
    keepaliveInterval: Math.max(1, Math.floor(deadLinkTimeoutMs / (KEEPALIVE_COUNT_MAX + 1))),
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
  };
}
