// Downloads an Ephemery release once per controller, verifies it and caches it on disk.

import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { Agent, interceptors, request } from 'undici';
import { NodeformError } from '../errors.js';
import { RELEASE_FILES, tagOf, verifyRelease, type Release } from './release.js';
import { sha256Hex } from '../util/sha256.js';


/**
 * Where "latest" is asked, for a releases URL like https://github.com/OWNER/REPO/releases: GitHub's API
 * for github.com, else <url>/latest answering JSON with tag_name (as a mirror or a test server does).
 */
export function latestUrl(releasesUrl: string): string {
  const gh = /^https:\/\/github\.com\/([^/]+)\/([^/]+)\/releases\/?$/.exec(releasesUrl);
  return gh ? `https://api.github.com/repos/${gh[1]}/${gh[2]}/releases/latest` : `${releasesUrl.replace(/\/$/, '')}/latest`;
}

export function archiveUrl(releasesUrl: string, tag: string): string {
  return `${releasesUrl.replace(/\/$/, '')}/download/${tag}/testnet-all.tar.gz`;
}

// GitHub serves release assets through redirects.
const dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));

export async function get(url: string, timeoutMs: number): Promise<{ body: Readable; status: number }> {
  try {
    const res = await request(url, { dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, headers: { 'user-agent': 'nodeform' } });
    return { body: res.body as unknown as Readable, status: res.statusCode };
  } catch (error) {
    throw new NodeformError('CONFIG', `cannot fetch ${url}: ${(error as Error).message}`, { cause: error });
  }
}

export async function latestTag(releaseUrl: string, timeoutMs = 30_000): Promise<string> {
  const url = latestUrl(releaseUrl);
  const res = await get(url, timeoutMs);
  const text = await new Response(Readable.toWeb(res.body) as ReadableStream).text();
  if (res.status !== 200) throw new NodeformError('CONFIG', `${url} answered ${res.status}; set network.iteration to a number to pin one`);
  const tag = (JSON.parse(text) as { tag_name?: unknown }).tag_name;
  if (typeof tag !== 'string') throw new NodeformError('CONFIG', `${url} has no tag_name`);
  return tag;
}

async function readCached(dir: string): Promise<Map<string, Buffer> | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, '.verified'), 'utf8')) as Record<string, string>;
    const files = new Map<string, Buffer>();
    for (const [name, sha] of Object.entries(manifest)) {
      const bytes = await readFile(join(dir, name));
      if (sha256Hex(bytes) !== sha) return undefined; // damaged: fetch again
      files.set(name, bytes);
    }
    return files;
  } catch {
    return undefined;
  }
}

export interface FetchOptions {
  releaseUrl: string;
  iteration: 'latest' | number;
  cacheDir: string;
  timeoutMs?: number;
  /** Called with the archive's URL when it is downloaded (not when the cache has it). */
  onDownload?: (url: string) => void;
}

/** The release, from the cache when it was already downloaded and verified, else downloaded once. */
export async function fetchRelease(options: FetchOptions): Promise<Release> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const tag = options.iteration === 'latest' ? await latestTag(options.releaseUrl, timeoutMs) : tagOf(options.iteration);
  const dir = join(options.cacheDir, 'ephemery', tag);
  const cached = await readCached(dir);
  if (cached) return verifyRelease(tag, cached);

  const url = archiveUrl(options.releaseUrl, tag);
  options.onDownload?.(url);
  const res = await get(url, timeoutMs);
  if (res.status !== 200) {
    res.body.resume();
    throw new NodeformError('CONFIG', `${url} answered ${res.status}: is ${tag} released?`);
  }
  // A staging dir of its own: several runs (or several loads in one process) may fetch at once.
  await mkdir(join(options.cacheDir, 'ephemery'), { recursive: true });
  const staging = await mkdtemp(`${dir}.tmp-`);
  const wanted = new Set<string>(RELEASE_FILES);
  try {
    // Only top-level files the clients need; nothing else in the archive is written anywhere.
    await pipeline(res.body, tar.x({ cwd: staging, filter: (path) => wanted.has(path.replace(/^\.\//, '')), strict: true }));
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new NodeformError('CONFIG', `${url}: not a readable tar.gz (${(error as Error).message})`, { cause: error });
  }
  const files = new Map<string, Buffer>();
  for (const name of await readdir(staging)) files.set(name, await readFile(join(staging, name)));
  const release = verifyRelease(tag, files);
  const manifest = Object.fromEntries([...files].map(([name, bytes]) => [name, sha256Hex(bytes)]));
  await writeFile(join(staging, '.verified'), `${JSON.stringify(manifest, null, 2)}\n`);
  if (await readCached(dir)) {
    await rm(staging, { recursive: true, force: true }); // another run cached it meanwhile
    return release;
  }
  // What is at dir now is damaged or partial: moved aside by one rename, then removed. Never emptied in place:
  // another run may rename its good copy there meanwhile, and a removal walking it would fail (ENOTEMPTY) or take it.
  const aside = `${staging}.old`;
  await rename(dir, aside).then(
    () => rm(aside, { recursive: true, force: true }),
    () => {}, // nothing there (or another run moved it first)
  );
  try {
    await rename(staging, dir);
  } catch {
    await rm(staging, { recursive: true, force: true }); // lost a race to another run's rename: its copy is as good
  }
  return release;
}
