// Large files from a local source: on a real host, through a proxy that cuts the connection mid-upload. A cut
// upload resumes where it stopped (only the missing bytes cross), and no partial file is ever visible at the
// target path; a changed large file is backed up and reset restores it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf, pendingName } from '../../src/files/digest.js';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { startProxy } from './proxy.js';
import { nodeform, writeInventory, writePlaybook } from './support.js';

let lab: Lab;
let host: LabHost;
const work = mkdtempSync(join(tmpdir(), 'nodeform-bigfiles-'));
const STATE = '/var/lib/nodeform-big';
const TARGET = '/srv/big/data.bin';
const SIZE = 24 * 1024 * 1024;

beforeAll(async () => {
  lab = await startLab({ name: 'bigfiles', count: 1, slot: 13 });
  host = lab.hosts[0]!;
}, 180_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
});

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A playbook beside the bytes it copies (source: is relative to the playbook). */
function project(name: string, bytes: Buffer): string {
  const playbook = writePlaybook(lab, name, [{ name: 'big', hosts: 'all', directories: [{ path: '/srv/big' }], files: [{ path: TARGET, source: `${name}.bin`, mode: '0640' }] }]);
  writeFileSync(join(lab.dir, `${name}.bin`), bytes);
  return playbook;
}

/** Watches the target path on the host every 10 ms until stopped: every size it was seen with. */
function watchTarget(): { stop: () => Promise<number[]> } {
  const stopFile = `/run/watch-${Date.now()}`;
  const watching = lab.sh(host, `while [ ! -e ${stopFile} ]; do [ -e ${TARGET} ] && stat -c %s ${TARGET}; sleep 0.01; done; rm -f ${stopFile}`);
  return {
    stop: async () => {
      await lab.sh(host, `touch ${stopFile}`);
      const seen = (await watching).stdout.split('\n').filter(Boolean).map(Number);
      return seen;
    },
  };
}

async function hostSha(path: string): Promise<string> {
  return (await lab.sh(host, `sha256sum < ${path} | cut -c1-64`)).stdout.trim();
}

describe('large files from a local source', () => {
  it('a cut upload resumes where it stopped, and no partial file is ever visible at the target path', async () => {
    const bytes = randomBytes(SIZE);
    const playbook = project('cut', bytes);
    const direct = writeInventory(lab, 'cut-direct', { vars: { nodeform_state_dir: STATE } });
    const listen = { host: slotAddress(lab.slot, 200), port: 2200 };
    const proxied = writeInventory(lab, 'cut-proxied', { vars: { nodeform_state_dir: STATE }, hosts: { [host.name]: { ansible_host: listen.host, ansible_port: listen.port } } });
    // The proxy's known_hosts entry: the host's key under [address]:port.
    const key = readFileSync(lab.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${host.address} `))!.split(' ').slice(1).join(' ');
    writeFileSync(lab.knownHosts, `${readFileSync(lab.knownHosts, 'utf8').trimEnd()}\n[${listen.host}]:${listen.port} ${key}\n`);

    const watch = watchTarget();
    const cut = await startProxy({ target: { host: host.address, port: host.port }, listen, cutAfterBytes: { direction: 'up', bytes: 10 * 1024 * 1024 } });
    const first = await nodeform('apply', '-i', proxied, playbook, '--yes');
    await cut.close();
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect((await lab.sh(host, `test -e ${TARGET}`)).code).toBe(1);
    // The first apply hashed the file as it sent it: the cut upload waits under its placeholder name (files/digest.ts
    // pendingName); the second, which knows its digest, resumes it from there.
    const source = realpathSync(join(lab.dir, 'cut.bin'));
    const placeholder = pendingName({ path: source, size: SIZE, identity: identityOf(statSync(source)) })!;
    expect((await lab.sh(host, `ls -A ${STATE}/staging`)).stdout).toBe(`${placeholder}.part\n`);
    const part = Number((await lab.sh(host, `stat -c %s ${STATE}/staging/${placeholder}.part`)).stdout);
    expect(part).toBeGreaterThan(1024 * 1024);
    expect(part).toBeLessThan(SIZE);

    // Through a proxy that only counts: the rest of the file crosses, not the whole.
    const counting = await startProxy({ target: { host: host.address, port: host.port }, listen });
    const second = await nodeform('apply', '-i', proxied, playbook, '--yes');
    await counting.close();
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(counting.bytesUp).toBeGreaterThan(SIZE - part);
    expect(counting.bytesUp).toBeLessThan(SIZE - part + 1024 * 1024);

    const seen = await watch.stop();
    // Whenever the target existed, it was the whole file (it appears by one rename).
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((size) => size === SIZE), `sizes seen at ${TARGET}: ${[...new Set(seen)].join(', ')}`).toBe(true);
    expect(await hostSha(TARGET)).toBe(sha(bytes));
    expect((await lab.sh(host, `stat -c %a ${TARGET}`)).stdout).toBe('640\n');
    // The upload was moved into place: nothing left in staging, no temp file beside the target.
    expect((await lab.sh(host, `ls -A /srv/big; ls -A ${STATE}/staging`)).stdout).toBe('data.bin\n');
    expect((await nodeform('plan', '-i', direct, playbook, '--detailed-exitcode')).code).toBe(0);
  }, 300_000);

  it('a changed large file is backed up before it is replaced, and reset --to previous restores it', async () => {
    const before = await hostSha(TARGET);
    const bytes = randomBytes(SIZE / 2);
    const playbook = project('changed', bytes);
    const inventory = writeInventory(lab, 'changed', { vars: { nodeform_state_dir: STATE } });
    const plan = await nodeform('plan', '-i', inventory, playbook);
    // No text diff of a large file: its size and hash, before and after.
    expect(plan.stdout).toContain(`sha256:${before.slice(0, 12)} (${SIZE} bytes) -> sha256:${sha(bytes).slice(0, 12)} (${SIZE / 2} bytes)`);
    const apply = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await hostSha(TARGET)).toBe(sha(bytes));
    expect((await lab.sh(host, `test -f ${STATE}/blobs/${before}`)).code).toBe(0);
    const reset = await nodeform('reset', '-i', inventory, '--to', 'previous', '--yes');
    expect(reset.code, reset.stdout + reset.stderr).toBe(0);
    expect(await hostSha(TARGET)).toBe(before);
  }, 300_000);
});
