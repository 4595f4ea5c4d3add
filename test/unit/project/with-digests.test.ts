// withDigests: a host's desired state made whole with the digests of its pending local files (apply --yes hashes
// them while the hosts are probed), refused when a digest is of another state of the file than the one declared.
import { describe, expect, it } from 'vitest';
import type { Desired, FileResource, LocalFile } from '../../../src/model/types.js';
import { withDigests } from '../../../src/project/desired.js';

const identity = { mtimeMs: 1000.5, ctimeMs: 1001.5, ino: 42 };
const pending: LocalFile = { path: '/srv/files/state.ssz', size: 250_000_000, sha256: `pending-${'a'.repeat(40)}`, identity, pending: true };
const real: LocalFile = { path: '/srv/files/state.ssz', size: 250_000_000, sha256: 'b'.repeat(64), identity };
const file = (local: LocalFile, path = '/var/lib/x/state.ssz'): FileResource => ({
  kind: 'file', id: `file:${path}`, tags: [], path, content: '', encoding: 'base64', sha256: local.sha256, local, mode: '0644', owner: 'root', group: 'root', secret: false,
});
const small: FileResource = { ...file({ path: '/srv/files/a', size: 3, sha256: 'c'.repeat(64) }, '/etc/a'), local: undefined, content: 'YWJj' };
const desired = (resources: Desired['resources']): Desired => ({ host: 'web-1', resources } as unknown as Desired);

describe('withDigests', () => {
  it('puts each pending local file\'s real sha256 in its resource, and leaves every other resource as it was', () => {
    const before = desired([small, file(pending)]);
    const after = withDigests(before, new Map([[pending.sha256, real]]));
    expect(after.resources[0]).toBe(small);
    expect(after.resources[1]).toEqual({ ...file(pending), sha256: real.sha256, local: real });
    expect((after.resources[1] as FileResource).local?.pending).toBeUndefined();
    // The state given is not changed; one without pending files comes back as it is.
    expect((before.resources[1] as FileResource).sha256).toBe(pending.sha256);
    const none = desired([small]);
    expect(withDigests(none, new Map())).toBe(none);
  });

  it('refuses a digest of the file in another state (changed between its stat and its hash), naming it', () => {
    for (const changed of [{ ...real, size: real.size + 1 }, { ...real, identity: { ...identity, mtimeMs: 2000 } }, { ...real, identity: { ...identity, ino: 7 } }, { ...real, identity: undefined }]) {
      expect(() => withDigests(desired([file(pending)]), new Map([[pending.sha256, changed]]))).toThrow(
        '/var/lib/x/state.ssz: its source /srv/files/state.ssz changed while it was hashed: apply again once it is complete',
      );
    }
    expect(() => withDigests(desired([file(pending)]), new Map())).toThrow('was never made');
  });
});
