// The staged upload under real sh (a local transport): a file is streamed from the controller into
// STATE/staging, a cut one resumes from what arrived, a damaged one is removed, and nothing but a complete
// file of the right sha256 ever gets its final name.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_UPLOAD_SHORT, STAGE_BLOCK_BYTES, stageCommand } from '../../src/apply/script.js';
import { uploadEarly, uploadStaged } from '../../src/apply/upload.js';
import { fileDigest, fileDigestOrLater, pendingName } from '../../src/files/digest.js';
import type { HostConnection } from '../../src/model/types.js';
import { TransportError } from '../../src/errors.js';
import { openLocal } from '../../src/transport/local.js';
import type { Transport } from '../../src/transport/types.js';

const root = mkdtempSync(join(tmpdir(), 'nodeform-upload-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const connection: HostConnection = { name: 'here', address: 'localhost', identityFiles: [], become: false, becomeUser: 'root', knownHostsFiles: [], connection: 'local' };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function controllerFile(name: string, size: number): { path: string; bytes: Buffer; sha256: string } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  const path = join(root, name);
  writeFileSync(path, bytes);
  return { path, bytes, sha256: sha(bytes) };
}

describe('staged uploads', () => {
  it('streams a local file into STATE/staging under its sha256, then finds it there and sends nothing', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const file = controllerFile('a.bin', 3 * 1024 * 1024 + 5);
    const transport = openLocal(connection, userInfo().username);
    const local = { path: file.path, size: file.bytes.length, sha256: file.sha256 };
    const first = await uploadStaged(transport, state, new Map([[file.sha256, { local }]]));
    expect(first).toEqual({ sent: file.bytes.length, resumed: 0 });
    expect(readFileSync(join(state, 'staging', file.sha256)).equals(file.bytes)).toBe(true);
    expect(readdirSync(join(state, 'staging'))).toEqual([file.sha256]);
    const sentBefore = transport.stats.bytesSent;
    const again = await uploadStaged(transport, state, new Map([[file.sha256, { local }]]));
    expect(again).toEqual({ sent: 0, resumed: file.bytes.length });
    expect(transport.stats.bytesSent - sentBefore).toBeLessThan(1000); // the query only
  });

  it('a cut upload keeps what arrived under .part (never the final name), and the next one sends only the rest', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const file = controllerFile('b.bin', 2 * 1024 * 1024);
    const transport = openLocal(connection, userInfo().username);
    const cutAt = 700_001;
    // The input ends early, as when the connection drops: the host keeps the bytes it got.
    const cut = await transport.exec(stageCommand(state, file.sha256, 0, file.bytes.length, false), { stdin: Readable.from([file.bytes.subarray(0, cutAt)]) });
    expect(cut.exitCode, cut.stderr).toBe(EXIT_UPLOAD_SHORT);
    expect(cut.stderr).toContain(`ended at byte ${cutAt} of ${file.bytes.length}`);
    expect(existsSync(join(state, 'staging', file.sha256))).toBe(false);
    expect(statSync(join(state, 'staging', `${file.sha256}.part`)).size).toBe(cutAt);

    const sentBefore = transport.stats.bytesSent;
    const resumed = await uploadStaged(transport, state, new Map([[file.sha256, { local: { path: file.path, size: file.bytes.length, sha256: file.sha256 } }]]));
    expect(resumed).toEqual({ sent: file.bytes.length - cutAt, resumed: cutAt });
    const sent = transport.stats.bytesSent - sentBefore;
    expect(sent).toBeGreaterThanOrEqual(file.bytes.length - cutAt);
    expect(sent).toBeLessThan(file.bytes.length - cutAt + 4000); // the rest and two command lines, not the whole file
    expect(readFileSync(join(state, 'staging', file.sha256)).equals(file.bytes)).toBe(true);
    expect(existsSync(join(state, 'staging', `${file.sha256}.part`))).toBe(false);
  });

  it('a part that is not a prefix of the file fails the hash: it is removed, never named as the upload, and the next upload starts over', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const file = controllerFile('c.bin', 1024 * 1024);
    const transport = openLocal(connection, userInfo().username);
    const staging = join(state, 'staging');
    await transport.exec(`mkdir -p '${staging}'`);
    writeFileSync(join(staging, `${file.sha256}.part`), Buffer.alloc(1000, 0xee)); // another file's bytes
    const staged = new Map([[file.sha256, { local: { path: file.path, size: file.bytes.length, sha256: file.sha256 } }]]);
    const damaged = await uploadStaged(transport, state, staged);
    expect(damaged.failure?.message).toMatch(/arrived damaged/);
    expect(readdirSync(staging)).toEqual([]);
    const fresh = await uploadStaged(transport, state, staged);
    expect(fresh).toEqual({ sent: file.bytes.length, resumed: 0 });
    expect(readFileSync(join(staging, file.sha256)).equals(file.bytes)).toBe(true);
  });

  it('a file read as it was hashed (same size, times and inode) is vouched for by the controller: the host writes it without hashing it', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const file = controllerFile('v.bin', 2 * 1024 * 1024 + 3);
    const local = await fileDigest(file.path, undefined);
    expect(local.identity).toBeDefined();
    const transport = openLocal(connection, userInfo().username);
    const commands: string[] = [];
    const exec = transport.exec.bind(transport);
    transport.exec = (line, options) => (commands.push(line), exec(line, options));
    expect(await uploadStaged(transport, state, new Map([[file.sha256, { local }]]))).toEqual({ sent: file.bytes.length, resumed: 0 });
    expect(readFileSync(join(state, 'staging', file.sha256)).equals(file.bytes)).toBe(true);
    // The upload's hash argument: 0, the host does not hash (a resumed upload or a file without identity: 1, above);
    // then the placeholder name a cut upload of this file would have had before its digest was known.
    expect(commands.at(-1)!).toMatch(new RegExp(` ${file.bytes.length} 0 pending-[0-9a-f]{40}$`));
  });

  it('a file changed since it was hashed is refused by the host: the part is removed, nothing is named as the upload', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const file = controllerFile('w.bin', 1024 * 1024);
    const local = await fileDigest(file.path, undefined);
    // The same size, other bytes: only its times say it changed.
    writeFileSync(file.path, Buffer.alloc(file.bytes.length, 1));
    const transport = openLocal(connection, userInfo().username);
    const report = await uploadStaged(transport, state, new Map([[file.sha256, { local }]]));
    expect(report.failure?.message).toMatch(/changed on the controller while it was sent/);
    expect(readdirSync(join(state, 'staging'))).toEqual([]);
  });

  it('bytes the controller did not vouch for (cut before its line, or the line missing) never get the upload\'s name', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const file = controllerFile('x.bin', 1024 * 1024);
    const transport = openLocal(connection, userInfo().username);
    // Cut before the controller's line: the host never renames it, whatever it holds.
    const cut = await transport.exec(stageCommand(state, file.sha256, 0, file.bytes.length, false), { stdin: Readable.from([file.bytes.subarray(0, 1000)]) });
    expect(cut.exitCode, cut.stderr).toBe(EXIT_UPLOAD_SHORT);
    // The whole file but no line after it: not vouched for, not kept under its name.
    const unvouched = await transport.exec(stageCommand(state, file.sha256, 0, file.bytes.length, false), { stdin: Readable.from([file.bytes]) });
    expect(unvouched.exitCode).toBe(1);
    expect(unvouched.stderr).toMatch(/arrived damaged/);
    expect(readdirSync(join(state, 'staging'))).toEqual([]);
  });

  // A link that froze mid-upload leaves the cut upload's command running on the host (its sshd never heard the end),
  // its dd holding the bytes of a block not yet written; when its session finally ends, dd writes them out.
  it.each([
    ['resumes after the part it wrote', STAGE_BLOCK_BYTES * 1.5, STAGE_BLOCK_BYTES],
    ['starts over before it wrote a block', STAGE_BLOCK_BYTES / 2, 0],
  ])('an upload cut but still running on the host (a frozen session): a later one %s and is never touched by it', async (_, arrived, written) => {
    const state = mkdtempSync(join(root, 'state-'));
    const file = controllerFile('f.bin', 3 * 1024 * 1024);
    const staged = join(state, 'staging', file.sha256);
    const transport = openLocal(connection, userInfo().username);
    const input = new PassThrough();
    const frozen = transport.exec(stageCommand(state, file.sha256, 0, file.bytes.length, false), { stdin: input });
    input.write(file.bytes.subarray(0, arrived));
    for (let i = 0; !existsSync(`${staged}.part`) || statSync(`${staged}.part`).size < written; i++) {
      if (i > 1000) throw new Error(`the part never reached ${written} bytes`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const later = await uploadStaged(transport, state, new Map([[file.sha256, { local: { path: file.path, size: file.bytes.length, sha256: file.sha256 } }]]));
    expect(later).toEqual({ sent: file.bytes.length - written, resumed: written });
    expect(readFileSync(staged).equals(file.bytes)).toBe(true);
    // The frozen session ends: its command writes what it held, and it must not land in the finished upload.
    input.end();
    const ended = await frozen;
    expect(ended.exitCode).toBe(1);
    expect(ended.stderr).toContain(`a later upload of ${file.sha256} took the place of this one on the host: apply again`);
    expect(readFileSync(staged).equals(file.bytes)).toBe(true);
    expect(readdirSync(join(state, 'staging'))).toEqual([file.sha256]);
  });

  it('bytes held in memory go the same way', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const bytes = Buffer.from('x'.repeat(600_000));
    const transport = openLocal(connection, userInfo().username);
    const report = await uploadStaged(transport, state, new Map([[sha(bytes), { bytes }]]));
    expect(report).toEqual({ sent: bytes.length, resumed: 0 });
    expect(readFileSync(join(state, 'staging', sha(bytes))).equals(bytes)).toBe(true);
  });

  it('a connection lost while an upload runs is reported as what it is: the host\'s files as they were (not an unknown outcome), code TRANSPORT', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const bytes = Buffer.from('y'.repeat(600_000));
    const local = openLocal(connection, userInfo().username);
    // The host's end goes away while the upload's command runs (the lab's hardening test does it with a frozen link).
    const losing = (after: 'query' | 'upload'): Transport => ({
      ...local,
      stats: local.stats,
      exec: async (line, options) => {
        const upload = line.includes(`dd bs=${STAGE_BLOCK_BYTES} `);
        if ((after === 'query') !== upload) {
          throw new TransportError('here', 'outcome unknown: the connection was lost while the command ran (the host closed the connection); run plan to see what changed', { code: 'OUTCOME_UNKNOWN', lost: 'the host closed the connection' });
        }
        return local.exec(line, options);
      },
    });
    const during = await uploadStaged(losing('upload'), state, new Map([[sha(bytes), { bytes }]]));
    expect(during.failure).toMatchObject({
      code: 'TRANSPORT',
      message: `the connection was lost during the upload of a ${bytes.length}-byte file (sha256 ${sha(bytes)}) (the host closed the connection): nothing on the host was changed but ${state}/staging, where what arrived waits; apply again to resume`,
    });
    expect(during.failure?.exitCode).toBeUndefined();
    const asking = await uploadStaged(losing('query'), state, new Map([[sha(bytes), { bytes }]]));
    expect(asking.failure?.code).toBe('TRANSPORT');
    expect(asking.failure?.message).toMatch(/^the connection was lost while asking what the host holds of the uploads \(the host closed the connection\): nothing on the host was changed/);
    // Any other transport error is the caller's (a connection that never opened is unreachable).
    const refused: Transport = { ...local, stats: local.stats, exec: async () => Promise.reject(new TransportError('here', 'cannot connect: refused')) };
    await expect(uploadStaged(refused, state, new Map([[sha(bytes), { bytes }]]))).rejects.toThrow('cannot connect: refused');
  });

  it('a long upload says how far it got, every so often while it runs, and stops saying so when it ends', async () => {
    const state = mkdtempSync(join(root, 'state-'));
    const file = controllerFile('progress.bin', 24 * 1024 * 1024);
    const transport = openLocal(connection, userInfo().username);
    const lines: string[] = [];
    const local = { path: file.path, size: file.bytes.length, sha256: file.sha256 };
    const report = await uploadStaged(transport, state, new Map([[file.sha256, { local }]]), { progress: { everyMs: 1, line: (text) => lines.push(text) } });
    expect(report).toEqual({ sent: file.bytes.length, resumed: 0 });
    expect(lines.length).toBeGreaterThan(0);
    const shape = new RegExp(`^here: uploading ${file.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (\\d+\\.\\d) of 24\\.0 MiB \\((\\d+)%\\), \\d+\\.\\d MiB/s$`);
    const percents = lines.map((line) => {
      const m = shape.exec(line);
      expect(m, line).not.toBeNull();
      return Number(m![2]);
    });
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(Math.max(...percents)).toBeLessThanOrEqual(100);
    const after = lines.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(lines.length, 'no line once the upload ended').toBe(after);
  });

  describe('a local file uploaded while it is hashed (apply --yes)', () => {
    it('goes under its placeholder name and is named by the sha256 the controller says after the bytes', async () => {
      const state = mkdtempSync(join(root, 'state-'));
      const file = controllerFile('early.bin', 3 * 1024 * 1024 + 1);
      const { file: local, later } = await fileDigestOrLater(file.path, undefined, 0, 1024);
      expect(local).toMatchObject({ pending: true, sha256: pendingName(local), size: file.bytes.length });
      expect(local.sha256).toMatch(/^pending-[0-9a-f]{40}$/);
      const transport = openLocal(connection, userInfo().username);
      expect(await uploadEarly(transport, state, local, later!)).toEqual({ sent: file.bytes.length, resumed: 0 });
      expect(readdirSync(join(state, 'staging'))).toEqual([file.sha256]);
      expect(readFileSync(join(state, 'staging', file.sha256)).equals(file.bytes)).toBe(true);
    });

    it('cut, it is resumed by the next apply that knows the digest: only the rest is sent, no part is left behind', async () => {
      const state = mkdtempSync(join(root, 'state-'));
      const file = controllerFile('early-cut.bin', 2 * 1024 * 1024);
      const { file: local } = await fileDigestOrLater(file.path, undefined, 0, 1024);
      const transport = openLocal(connection, userInfo().username);
      const cutAt = 900_001;
      const cut = await transport.exec(stageCommand(state, local.sha256, 0, file.bytes.length, false), { stdin: Readable.from([file.bytes.subarray(0, cutAt)]) });
      expect(cut.exitCode, cut.stderr).toBe(EXIT_UPLOAD_SHORT);
      expect(readdirSync(join(state, 'staging'))).toEqual([`${local.sha256}.part`]);
      // The next run: the digest is known (cached), the part found under the placeholder name.
      const known = await fileDigest(file.path, undefined);
      expect(await uploadStaged(transport, state, new Map([[file.sha256, { local: known }]]))).toEqual({ sent: file.bytes.length - cutAt, resumed: cutAt });
      expect(readdirSync(join(state, 'staging'))).toEqual([file.sha256]);
      expect(readFileSync(join(state, 'staging', file.sha256)).equals(file.bytes)).toBe(true);
    });

    it('an upload from the start removes a cut part of the same file under its placeholder name', async () => {
      const state = mkdtempSync(join(root, 'state-'));
      const file = controllerFile('early-again.bin', 1024 * 1024 + 7);
      const { file: local } = await fileDigestOrLater(file.path, undefined, 0, 1024);
      const known = await fileDigest(file.path, undefined);
      const transport = openLocal(connection, userInfo().username);
      // A part under the placeholder name longer than the file: not a prefix of it, so the upload starts over.
      const staging = join(state, 'staging');
      await transport.exec(`mkdir -p '${staging}' && head -c ${file.bytes.length + 10} /dev/zero > '${staging}/${local.sha256}.part'`);
      expect(await uploadStaged(transport, state, new Map([[file.sha256, { local: known }]]))).toEqual({ sent: file.bytes.length, resumed: 0 });
      expect(readdirSync(staging)).toEqual([file.sha256]);
    });

    it('a digest of the file in another state than the bytes sent: the host keeps nothing', async () => {
      const state = mkdtempSync(join(root, 'state-'));
      const file = controllerFile('early-changed.bin', 1024 * 1024);
      const { file: local } = await fileDigestOrLater(file.path, undefined, 0, 1024);
      const transport = openLocal(connection, userInfo().username);
      const other = Promise.resolve({ ...local, sha256: file.sha256, pending: undefined, identity: { ...local.identity!, ino: local.identity!.ino + 1 } });
      const report = await uploadEarly(transport, state, local, other);
      expect(report.failure?.message).toContain('changed on the controller while it was sent');
      expect(readdirSync(join(state, 'staging'))).toEqual([]);
    });
  });
});
