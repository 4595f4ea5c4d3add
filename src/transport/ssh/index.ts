// The SSH transport on ssh2: known_hosts checking, ssh-agent and key files, ~/.ssh/config, ProxyJump,
// become through sudo, and a pool that keeps one connection per host for a whole run.
//   pool.ts       TransportPool, openTransport (ssh or local per host)
//   connect.ts    connectSsh, jump hosts, the handshake and its error messages
//   auth.ts       agent and identity files
//   host-keys.ts  known_hosts files, verdicts, --accept-new recording (known-hosts.ts: the pure parser)
//   exec.ts       commands over one connection, and what a lost connection means for one in flight
//   options.ts    SshOptions (no ssh2 in it: the CLI can import it without loading ssh2)
//   ssh-config.ts ~/.ssh/config resolution

export { withKeyObject } from './auth.js';
export { connectSsh } from './connect.js';
export type { SshOptions } from './options.js';
export { openTransport, TransportPool } from './pool.js';
