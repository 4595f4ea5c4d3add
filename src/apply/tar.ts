// A POSIX tar archive (ustar, with a pax header for a name too long for ustar) of regular files, in memory. Pure.
// The apply script extracts one such archive to write many files with one tar process (apply/script.ts).

const BLOCK = 512;

export interface TarFile {
  /** Relative name in the archive (no leading slash). */
  name: string;
  data: Buffer;
  /** Permission bits, e.g. 0o600. */
  mode: number;
  /**
   * Owner and group by name (at most 31 bytes each), which GNU tar run as root sets as it extracts (numeric ids 0:
   * a name the host does not know would give root, so the apply script checks them first). Without: root's.
   */
  owner?: { user: string; group: string };
}

/** Whether a user or group name fits a ustar header by name alone (a name all digits would be read as an id). */
export const tarOwnerName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(name) && name.length <= 31;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, prefix: string, size: number, mode: number, type: string, owner?: TarFile['owner']): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\u000000', 257, 'ascii');
  if (owner) {
    h.write(owner.user, 265, 32, 'ascii');
    h.write(owner.group, 297, 32, 'ascii');
  }
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0);

/** name split into ustar's prefix (155 bytes) and name (100 bytes) at a slash, or undefined when it cannot be. */
function ustarName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { prefix, name: rest };
  }
  return undefined;
}

/** A pax extended header that sets `path` for the next entry. */
function paxPath(name: string): Buffer[] {
  const body = (length: number) => `${length} path=${name}\n`;
  let length = Buffer.byteLength(body(0));
  while (Buffer.byteLength(body(length)) !== length) length = Buffer.byteLength(body(length));
  const data = Buffer.from(body(length));
  return [header('PaxHeader', '', data.length, 0o644, 'x'), data, padding(data.length)];
}

/** The archive's bytes: each file as a regular file entry, then the two zero blocks that end it. */
export function tarArchive(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const split = ustarName(f.name);
    if (!split) parts.push(...paxPath(f.name));
    const { prefix, name } = split ?? { prefix: '', name: f.name.slice(0, 100) };
    parts.push(header(name, prefix, f.data.length, f.mode, '0', f.owner), f.data, padding(f.data.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
