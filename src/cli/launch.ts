// Starts the CLI from the single-file build (dist/nodeform.cjs, made by `npm run build`) with V8's code cache.
// Node 20 has no compile cache of its own (module.enableCompileCache is Node 22): resolving ~100 modules and
// compiling them took most of a plan's CPU time. One file, compiled from a cache written by an earlier run of
// the same command, starts in a fraction of that.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { defaultCacheDir } from '../fetch/cache.js';
import type { MainOptions } from './main.js';

export interface Compiled {
  exports: unknown;
  /** 'used': compiled from the cache; 'rejected': V8 refused the cache (then it is rewritten); 'none': no cache. */
  cache: 'used' | 'rejected' | 'none';
  /** Writes the cache when there was none or V8 refused it; call once the work is done (it holds what ran). */
  saveCache(): void;
  /** The identity of the file run (its size, mtime and inode, the Node version and platform). */
  key: string;
}

/**
 * Runs a CommonJS file as `require` would, compiling it with the cache `<cacheDir>/<label>-<key>.v8`.
 * The key covers the file's identity (size, mtime, inode) and the Node version and platform: V8 itself checks
 * only the source's length, so a rebuilt file of the same size must never meet an old cache.
 */
export function loadCompiled(file: string, cacheDir: string | undefined, label: string): Compiled {
  // V8 drops the bytecode of a function not run in its last few full GCs. A run that makes many (a 250 MB upload)
  // then saved a cache without the code its start ran, half its size, and every later run compiled that code
  // again (about 30 ms). Kept, the cache holds what ran. Set before compiling: V8 checks a cache against its flags.
  setFlagsFromString('--no-flush-bytecode');
  const source = readFileSync(file, 'utf8');
  const stat = statSync(file, { bigint: true });
  const key = createHash('sha256')
    .update(`${process.version} ${process.platform} ${process.arch} ${file} ${stat.size} ${stat.mtimeNs} ${stat.ino}`)
    .digest('hex')
    .slice(0, 16);
  const cacheFile = cacheDir === undefined ? undefined : join(cacheDir, `${label}-${key}.v8`);
  let cachedData: Buffer | undefined;
  if (cacheFile !== undefined) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache yet: compiled from source, saved afterwards.
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: typeof module, f: string, d: string) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file));
  const cache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  return {
    exports: module.exports,
    key,
    cache,
    saveCache() {
      if (cacheFile === undefined || cache === 'used') return;
      try {
        mkdirSync(dirname(cacheFile), { recursive: true });
        // Another run may be writing the same cache: each writes its own file and renames it into place.
        const temp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
        for (const name of readdirSync(dirname(cacheFile))) {
          if (name.startsWith(`${label}-`) && name.endsWith('.v8') && join(dirname(cacheFile), name) !== cacheFile) {
            rmSync(join(dirname(cacheFile), name), { force: true });
          }
        }
      } catch {
        // A cache that cannot be written only costs the next run its speed.
      }
    },
  };
}

/** One cache per command: each holds the functions its command ran. */
export function cacheLabel(argv: readonly string[]): string {
  const command = argv.find((a) => !a.startsWith('-'));
  return command !== undefined && /^[a-z][a-z-]{0,30}$/.test(command) ? command : 'other';
}

/** bin/nodeform.js: the bundle when there is one (an installed or built package), else the compiled modules. */
export async function startCli(argv: readonly string[]): Promise<void> {
  const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'nodeform.cjs');
  if (!existsSync(bundle)) {
    const { main } = await import('./main.js');
    main();
    return;
  }
  const cacheDir = defaultCacheDir(process.env, homedir());
  const compiled = loadCompiled(bundle, join(cacheDir, 'code'), cacheLabel(argv));
  process.once('exit', () => compiled.saveCache());
  // A playbook's parse is kept for the next run of this same bundle (src/project/playbook-cache.ts).
  (compiled.exports as { main(options?: MainOptions): void }).main({ playbookCache: { dir: join(cacheDir, 'parse'), codeKey: compiled.key } });
}
