import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where downloads (network releases, client binaries) are kept on the controller. */
export function defaultCacheDir(env: Record<string, string | undefined>): string {
  return join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'nodeform');
}
