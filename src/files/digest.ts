// sha256 of controller files that are streamed to hosts (`source:` copies, client binaries, checkpoint states),
// hashed once while read and cached by path, size and modification time in the controller's cache directory:
// a no-op plan of a 250 MB file reads nothing of it. I/O.
//
// Cache entry: <cacheDir>/digests/<sha256 of the real path, 32 hex>.json = { path, size, mtimeMs, ctimeMs, ino, sha256 }.
// An entry counts only when every one of path, size, mtime, ctime and inode still match (a write that keeps size
// and mtime still moves ctime). A file that changes while it is read is read again, once, then refused.

import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { mkdir, open, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalFile } from '../model/types.js';
import { sameFileState } from '../util/file-state.js';
import { sha256Hex } from '../util/sha256.js';

interface DigestEntry {
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha256: string;
}

const READ_CHUNK = 1024 * 1024;

/** What an upload compares to know it reads the bytes that were hashed (LocalFile.identity). */
export const identityOf = (info: Stats): NonNullable<LocalFile['identity']> => ({ mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino });

/** Whether a file stat()ed now is the one hashed: same size, modification and change times and inode. */
export const unchangedSince = (hashed: Pick<LocalFile, 'size' | 'identity'>, info: Stats): boolean => sameFileState(hashed, { size: info.size, identity: identityOf(info) });

const same = (entry: DigestEntry, path: string, info: Stats): boolean => entry.path === path && unchangedSince({ size: entry.size, identity: entry }, info);

/** The cached digest of the file at `real` as stat()ed now, when its cache entry is of that very state. */
async function cachedDigest(cacheFile: string, real: string, info: Stats): Promise<LocalFile | undefined> {
  const entry = await readFile(cacheFile, 'utf8').then((text) => JSON.parse(text) as DigestEntry, () => undefined);
  if (!entry || !same(entry, real, info) || !/^[0-9a-f]{64}$/.test(entry.sha256)) return undefined;
  return { path: real, size: info.size, sha256: entry.sha256, identity: identityOf(info) };
}

function entryFile(cacheDir: string, real: string): string {
  return join(cacheDir, 'digests', `${createHash('sha256').update(real).digest('hex').slice(0, 32)}.json`);
}

/** Why a path cannot be copied, in words for a problem message; undefined for a regular file. */
export function notRegular(info: Stats): string | undefined {
  if (info.isDirectory()) return 'it is a directory';
  if (info.isFIFO()) return 'it is a FIFO (named pipe), not a regular file';
  if (info.isSocket()) return 'it is a socket, not a regular file';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'it is a device, not a regular file';
  return info.isFile() ? undefined : 'it is not a regular file';
}

export class DigestError extends Error {
  override name = 'DigestError';
}

/**
 * The file's real path, size and sha256, from the cache when the file is unchanged, else read once (in 1 MiB
 * chunks: memory does not grow with the file). Throws DigestError for a path that is not a readable regular
 * file, and for one that keeps changing while it is read. `cacheDir` undefined: no cache. A file of up to
 * `bytesUpTo` bytes is read whole and comes with its bytes, hashed from them (no cache entry: they were read anyway).
 */
export async function fileDigest(path: string, cacheDir: string | undefined, bytesUpTo = -1): Promise<LocalFile & { bytes?: Buffer }> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    throw new DigestError(errnoText(error));
  }
  const cacheFile = cacheDir !== undefined ? entryFile(cacheDir, real) : undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    let handle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      throw new DigestError(errnoText(error));
    }
    try {
      const before = await handle.stat();
      const why = notRegular(before);
      if (why) throw new DigestError(why);
      if (before.size <= bytesUpTo) {
        const bytes = await handle.readFile();
        const after = await handle.stat();
        if (bytes.length !== after.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs) continue;
        return { path: real, size: bytes.length, sha256: sha256Hex(bytes), bytes };
      }
      const cached = cacheFile ? await cachedDigest(cacheFile, real, before) : undefined;
      if (cached) return cached;
      const hash = createHash('sha256');
      // Two buffers: the next chunk is read (in libuv's pool) while this one is hashed.
      const buffers = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)];
      let read = 0;
      let next = handle.read(buffers[0]!, 0, READ_CHUNK, 0);
      for (let turn = 1; ; turn++) {
        const { bytesRead, buffer } = await next;
        if (bytesRead === 0) break;
        read += bytesRead;
        next = handle.read(buffers[turn % 2]!, 0, READ_CHUNK, read);
        hash.update(buffer.subarray(0, bytesRead));
      }
      const after = await handle.stat();
      if (read !== after.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs) continue;
      const sha256 = hash.digest('hex');
      if (cacheFile) await remember(cacheFile, { path: real, size: after.size, mtimeMs: after.mtimeMs, ctimeMs: after.ctimeMs, ino: after.ino, sha256 });
      return { path: real, size: after.size, sha256, identity: identityOf(after) };
    } catch (error) {
      if (error instanceof DigestError) throw error;
      throw new DigestError(errnoText(error));
    } finally {
      await handle.close();
    }
  }
  throw new DigestError('it changed while it was read (twice): copy it when it is complete');
}

/**
 * The placeholder sha256 of a file whose digest is not known yet: a key of its real path, size and identity (the
 * same file unchanged gets the same one in every run, so a cut upload staged under it is found again), never 64 hex.
 */
export function pendingName(file: Pick<LocalFile, 'path' | 'size' | 'identity'>): string | undefined {
  if (file.identity === undefined) return undefined;
  const { mtimeMs, ctimeMs, ino } = file.identity;
  return `pending-${createHash('sha256').update(JSON.stringify([file.path, file.size, mtimeMs, ctimeMs, ino])).digest('hex').slice(0, 40)}`;
}

/**
 * fileDigest, or for a file of at least `deferFrom` bytes whose digest is not cached, at once a LocalFile with a
 * placeholder sha256 (pending) and, in `later`, the real one as fileDigest gives it (hashed meanwhile).
 */
export async function fileDigestOrLater(
  path: string,
  cacheDir: string | undefined,
  bytesUpTo: number,
  deferFrom: number,
): Promise<{ file: LocalFile & { bytes?: Buffer }; later?: Promise<LocalFile> }> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile() || info.size < deferFrom || info.size <= bytesUpTo) return { file: await fileDigest(path, cacheDir, bytesUpTo) };
  const real = await realpath(path).catch(() => path);
  const cached = cacheDir !== undefined ? await cachedDigest(entryFile(cacheDir, real), real, info) : undefined;
  if (cached) return { file: cached };
  const placeholder = { path: real, size: info.size, identity: identityOf(info) };
  return { file: { ...placeholder, sha256: pendingName(placeholder)!, pending: true }, later: fileDigest(path, cacheDir, bytesUpTo) };
}

/** Written whole or not at all; a cache that cannot be written only costs the next run a read. */
async function remember(file: string, entry: DigestEntry): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    await writeFile(tmp, JSON.stringify(entry) + '\n', { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // No cache this time.
  }
}

function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ELOOP') return 'a loop of symbolic links';
  if (code === 'EISDIR') return 'it is a directory';
  return (error as Error).message;
}
