// `iteration: latest` follows a new Ephemery iteration only once its chain has started: releases are published
// before their genesis time. The loader is given "now"; the plan says when the new iteration starts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Desired, FileResource } from '../../src/model/types.js';
import { loadProject } from '../../src/project/load.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';

let releases: ReleaseServer;
let work: string;
const GENESIS_162 = Number(releaseGenesis(162).genesisTime) * 1000;

beforeAll(async () => {
  releases = await startReleaseServer();
  releases.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  releases.archives.set('ephemery-162', await releaseArchive(releaseFiles(162)));
  releases.latest = 'ephemery-162';
  work = mkdtempSync(join(tmpdir(), 'nodeform-latest-'));
  writeFileSync(
    join(work, 'inventory.yaml'),
    `all:
  hosts:
    web1:
      network: { name: ephemery, iteration: latest, release_url: '${releases.url}/releases' }
      consensus: { client: lighthouse }
      execution: { client: geth }
      checkpoint_sync: { enabled: false }
`,
  );
  writeFileSync(join(work, 'playbook.yaml'), '- hosts: all\n  ethereum_node: true\n');
});

afterAll(async () => {
  await releases.close();
  rmSync(work, { recursive: true, force: true });
});

const load = (now: number) =>
  loadProject({ inventoryPath: join(work, 'inventory.yaml'), playbookPath: join(work, 'playbook.yaml'), cacheDir: join(work, 'cache'), env: {}, homeDir: work, now });

function iterationOf(desired: Desired): string | undefined {
  const file = desired.resources.find((r): r is FileResource => r.kind === 'file' && r.path === '/etc/ethereum/ephemery/iteration');
  return file && (file.encoding === 'base64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content);
}

describe('iteration: latest', () => {
  it('stays on the running iteration until the new one\'s genesis time, and the plan says when it starts', async () => {
    const { desired } = await load(GENESIS_162 - 2 * 3600_000);
    expect(iterationOf(desired[0]!)).toBe('161\n');
    expect(desired[0]!.notes).toContain(`ephemery iteration 162 starts at ${new Date(GENESIS_162).toISOString()}; staying on 161 until then`);
  });

  it('follows the new iteration once its genesis time has passed', async () => {
    const { desired } = await load(GENESIS_162);
    expect(iterationOf(desired[0]!)).toBe('162\n');
    expect(desired[0]!.notes ?? []).not.toContain(expect.stringMatching(/staying on/));
  });
});
