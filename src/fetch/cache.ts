import { join } from 'node:path';

/**
 * Where downloads (network releases, client binaries) are kept on the controller: $XDG_CACHE_HOME/nodeform, or
 * ~/.cache/nodeform. The caller gives the environment and the home directory (the CLI's, never this process's).
 */
export function defaultCacheDir(env: Record<string, string | undefined>, homeDir: string): string {
  return join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homeDir, '.cache'), 'nodeform');
}
