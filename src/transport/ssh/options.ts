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
  /** The ssh config file; `<home>/.ssh/config` when unset. */
  sshConfigPath?: string;
  /** Covers TCP connect, handshake and authentication of each hop. Default 15 s. */
  connectTimeoutMs?: number;
  /** SSH keepalive period; the connection counts as lost after keepaliveCountMax unanswered ones. Default 15 s. */
  keepaliveIntervalMs?: number;
  /** Default 3. */
  keepaliveCountMax?: number;
}
