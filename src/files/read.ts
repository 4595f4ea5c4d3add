// Reading the user's files (inventory, group_vars/host_vars, -e @files, playbook, templates): only regular
// files, only UTF-8, links followed, and whatever cannot be read said with the reason. I/O.

import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { VarsFile } from '../inventory/inventory.js';

/** Why a file could not be used; line and column (from 1) when the fault is at a place in it. */
export interface Unreadable {
  reason: string;
  line?: number;
  column?: number;
}

/**
 * A regular file's text. A FIFO, socket or device is refused without waiting on it (opened non-blocking,
 * checked on the open handle), and bytes that are not UTF-8 are refused at their line and column rather
 * than turned into U+FFFD.
 */
export async function readText(path: string): Promise<string | Unreadable> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { reason: errnoReason(error) };
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return { reason: 'it is a directory' };
    if (!info.isFile()) return { reason: `it is ${fileKind(info)}, not a regular file: nodeform reads only regular files` };
    const bytes = await handle.readFile();
    const invalid = firstInvalidUtf8(bytes);
    if (invalid) {
      return { reason: `it is not UTF-8 text: byte 0x${invalid.byte.toString(16).padStart(2, '0')} at line ${invalid.line}, column ${invalid.column}; save it as UTF-8`, line: invalid.line, column: invalid.column };
    }
    return bytes.toString('utf8');
  } catch (error) {
    return { reason: errnoReason(error) };
  } finally {
    await handle.close();
  }
}

function errnoReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ELOOP') return 'a loop of symbolic links';
  return (error as Error).message;
}

function fileKind(info: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF), with its place. */
export function firstInvalidUtf8(bytes: Uint8Array): { offset: number; byte: number; line: number; column: number } | undefined {
  let line = 1;
  let column = 1;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    let length = 0;
    let min = 0;
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) [length, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [length, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [length, min] = [4, 0x10000];
    let valid = length > 0 && i + length <= bytes.length;
    let code = length === 1 ? b : b & (0xff >> (length + 1));
    for (let k = 1; valid && k < length; k++) {
      const next = bytes[i + k]!;
      if ((next & 0xc0) !== 0x80) valid = false;
      code = (code << 6) | (next & 0x3f);
    }
    if (valid && length > 1 && (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))) valid = false;
    if (!valid) return { offset: i, byte: b, line, column };
    if (b === 0x0a) {
      line++;
      column = 1;
    } else {
      column++;
    }
    i += length;
  }
  return undefined;
}

export interface VarsDirectory {
  files: VarsFile[];
  /** Entries that should have been read and could not be: a dangling link, a loop, an unreadable file. */
  unreadable: { path: string; reason: string; line?: number; column?: number }[];
}

const VARS_EXTENSIONS = new Set(['.yaml', '.yml', '.json', '']);

function isVarsFileName(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('~') && VARS_EXTENSIONS.has(extname(name));
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * group_vars/ or host_vars/ as Ansible reads it: `<name>.yaml|.yml|.json` (or no extension), or a
 * directory `<name>/` whose files (recursively, sorted by path) all belong to <name>. Symbolic links are
 * followed (shared files linked in are a common layout); a link that leads nowhere, a directory loop and a
 * file that cannot be read are reported, never skipped in silence.
 */
export async function readVarsDirectory(dir: string): Promise<VarsDirectory> {
  const result: VarsDirectory = { files: [], unreadable: [] };
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const visited = new Set<string>();
  const top = await realpath(dir).catch(() => dir);
  visited.add(top);
  for (const entry of [...entries].sort(byName)) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const kind = await entryKind(path, entry, result);
    if (kind === 'directory') await readTree(entry.name, path, visited, result);
    else if (kind === 'file' && isVarsFileName(entry.name)) await readVarsFile(basename(entry.name, extname(entry.name)), path, result);
  }
  return result;
}

async function readTree(owner: string, dir: string, visited: Set<string>, result: VarsDirectory): Promise<void> {
  const real = await realpath(dir).catch(() => dir);
  if (visited.has(real)) {
    result.unreadable.push({ path: dir, reason: `a loop: it leads back to ${real}, already read` });
    return;
  }
  visited.add(real);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    result.unreadable.push({ path: dir, reason: errnoReason(error) });
    return;
  }
  for (const entry of [...entries].sort(byName)) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const kind = await entryKind(path, entry, result);
    if (kind === 'directory') await readTree(owner, path, visited, result);
    else if (kind === 'file' && isVarsFileName(entry.name)) await readVarsFile(owner, path, result);
  }
  visited.delete(real);
}

/** What an entry is once links are followed; a broken link is recorded and gives undefined. */
async function entryKind(
  path: string,
  entry: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean },
  result: VarsDirectory,
): Promise<'directory' | 'file' | undefined> {
  // Anything else that is not a directory is a "file" here: readText refuses a FIFO or device by name.
  if (!entry.isSymbolicLink()) return entry.isDirectory() ? 'directory' : 'file';
  try {
    const info = await stat(path);
    return info.isDirectory() ? 'directory' : 'file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    result.unreadable.push({ path, reason: code === 'ENOENT' ? 'a symbolic link to nothing (its target does not exist)' : errnoReason(error) });
    return undefined;
  }
}

async function readVarsFile(owner: string, path: string, result: VarsDirectory): Promise<void> {
  const text = await readText(path);
  if (typeof text === 'string') result.files.push({ name: owner, file: path, text });
  else result.unreadable.push({ path, ...text });
}
