// Whether two looks at a controller file saw it in the same state. Pure.
import type { LocalFile } from '../model/types.js';

/** Same size, modification and change times and inode (a write that keeps size and mtime still moves ctime); both identities known. */
export function sameFileState(a: Pick<LocalFile, 'size' | 'identity'>, b: Pick<LocalFile, 'size' | 'identity'>): boolean {
  const [x, y] = [a.identity, b.identity];
  return x !== undefined && y !== undefined && a.size === b.size && x.ino === y.ino && x.mtimeMs === y.mtimeMs && x.ctimeMs === y.ctimeMs;
}
