// Client binaries for `install`: downloaded once per controller (streamed to the cache, hashed as they arrive),
// checked against the declared sha256, cached by that hash; a member of a .tar.gz is taken out once and kept
// beside the download. The result is the file in the cache, never its bytes in memory: the apply streams it to
// the hosts that lack it (src/apply/upload.ts).

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { NodeformError } from '../errors.js';
import type { InstallSpec } from '../clients/types.js';
import { fileDigest } from '../files/digest.js';
import type { LocalFile } from '../model/types.js';
import { get } from './ephemery.js';

/** Streams url into path (through a temp name), returning its sha256. */
async function download(url: string, path: string, timeoutMs: number): Promise<string> {
  const res = await get(url, timeoutMs);
  if (res.status !== 200) {
    res.body.resume();
    throw new NodeformError('CONFIG', `${url} answered ${res.status}`);
  }
  const hash = createHash('sha256');
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(res.body, hashing, createWriteStream(tmp));
    const got = hash.digest('hex');
    await rename(tmp, path);
    return got;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The download in the cache, checked by its hash (digest cached by path, size and mtime); fetched when missing or wrong. */
async function cachedDownload(install: InstallSpec, cacheDir: string, timeoutMs: number, onDownload?: () => void): Promise<LocalFile> {
  const dir = join(cacheDir, 'binaries');
  const path = join(dir, install.sha256);
  const cached = await fileDigest(path, cacheDir).catch(() => undefined);
  if (cached?.sha256 === install.sha256) return cached;
  onDownload?.();
  await mkdir(dir, { recursive: true });
  const got = await download(install.url, path, timeoutMs);
  if (got !== install.sha256) {
    await rm(path, { force: true });
    throw new NodeformError('CONFIG', `${install.url} has sha256 ${got}, not the declared ${install.sha256}: nothing was installed; check the URL and the hash`);
  }
  return fileDigest(path, cacheDir);
}

/** The executable for an install spec, as a file in the cache; `onDownload` is called when it is not in the cache. */
export async function fetchBinary(install: InstallSpec, cacheDir: string, timeoutMs = 300_000, onDownload?: () => void): Promise<LocalFile> {
  const archive = await cachedDownload(install, cacheDir, timeoutMs, onDownload);
  if (!install.archivePath) return archive;
  const member = install.archivePath.replace(/^\.\//, '');
  // Taken out once per archive and member, and kept: the name says which.
  const extracted = join(cacheDir, 'binaries', `${install.sha256}.${createHash('sha256').update(member).digest('hex').slice(0, 16)}`);
  const kept = await fileDigest(extracted, cacheDir).catch(() => undefined);
  if (kept) return kept;
  const work = await mkdtemp(join(cacheDir, 'binaries', 'extract-'));
  try {
    await tar.x({ file: archive.path, cwd: work, filter: (p) => p.replace(/^\.\//, '') === member, strict: true });
    await rename(join(work, member), extracted).catch(() => {
      throw new NodeformError('CONFIG', `${install.url} has no ${install.archivePath}: check install.archive_path`);
    });
    return await fileDigest(extracted, cacheDir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
