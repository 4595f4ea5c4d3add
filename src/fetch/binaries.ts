// Client binaries for `install`: downloaded once per controller, checked against the declared sha256,
// cached by that hash; a member of a .tar.gz is taken out when the release is an archive.

import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { NodeformError } from '../errors.js';
import type { InstallSpec } from '../clients/types.js';
import { get } from './ephemery.js';
import { sha256Hex } from '../util/sha256.js';


async function download(url: string, timeoutMs: number): Promise<Buffer> {
  const res = await get(url, timeoutMs);
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  if (res.status !== 200) throw new NodeformError('CONFIG', `${url} answered ${res.status}`);
  return Buffer.concat(chunks);
}

/** The download, from the cache when its hash is known, else fetched and checked. */
async function cachedDownload(install: InstallSpec, cacheDir: string, timeoutMs: number, onDownload?: () => void): Promise<Buffer> {
  const dir = join(cacheDir, 'binaries');
  const path = join(dir, install.sha256);
  const cached = await readFile(path).catch(() => undefined);
  if (cached && sha256Hex(cached) === install.sha256) return cached;
  onDownload?.();
  const bytes = await download(install.url, timeoutMs);
  const got = sha256Hex(bytes);
  if (got !== install.sha256) {
    throw new NodeformError('CONFIG', `${install.url} has sha256 ${got}, not the declared ${install.sha256}: nothing was installed; check the URL and the hash`);
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return bytes;
}

/** The executable's bytes for an install spec; `onDownload` is called when it is not in the cache. */
export async function fetchBinary(install: InstallSpec, cacheDir: string, timeoutMs = 300_000, onDownload?: () => void): Promise<Buffer> {
  const bytes = await cachedDownload(install, cacheDir, timeoutMs, onDownload);
  if (!install.archivePath) return bytes;
  const work = await mkdtemp(join(cacheDir, 'binaries', 'extract-'));
  try {
    const archive = join(work, 'archive.tar.gz');
    await writeFile(archive, bytes);
    const member = install.archivePath.replace(/^\.\//, '');
    await tar.x({ file: archive, cwd: work, filter: (p) => p.replace(/^\.\//, '') === member, strict: true });
    return await readFile(join(work, member)).catch(() => {
      throw new NodeformError('CONFIG', `${install.url} has no ${install.archivePath}: check install.archive_path`);
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
