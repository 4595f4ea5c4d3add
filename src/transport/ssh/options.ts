// What a caller can tune about SSH connections; one object shared by the pool, connect and exec.

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
