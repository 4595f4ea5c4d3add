// The loader fetches only what the selected hosts need: --limit and --tags narrow the Ephemery releases,
// client binaries and checkpoint providers it asks for (local HTTP servers count every request).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkProject, loadProject, type LoadOptions } from '../../src/project/load.js';
import { releaseArchive, releaseFiles, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';
import { startProviderServer, type ProviderServer } from '../support/provider-server.js';

let releases: ReleaseServer;
let provider1: ProviderServer;
let provider2: ProviderServer;
let work: string;
let inventoryPath: string;

const GETH_SHA = 'ab'.repeat(32);

beforeAll(async () => {
  releases = await startReleaseServer();
  releases.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  releases.archives.set('ephemery-162', await releaseArchive(releaseFiles(162)));
  [provider1, provider2] = await Promise.all([startProviderServer(), startProviderServer()]);
  work = mkdtempSync(join(tmpdir(), 'nodeform-needs-'));
  const base = `${releases.url}/releases`;
  // web1 follows iteration 161 with provider 1; web2 iteration 162 with provider 2 and a binary to install.
  writeFileSync(
    join(work, 'inventory.yaml'),
    `all:
  hosts:
    web1:
      network: { name: ephemery, iteration: 161, release_url: '${base}' }
      consensus: { client: lighthouse }
      execution: { client: geth }
      checkpoint_sync: { providers: ['${provider1.url}'] }
    web2:
      network: { name: ephemery, iteration: 162, release_url: '${base}' }
      consensus: { client: lighthouse }
      execution: { client: geth, install: { url: '${releases.url}/bin/geth', sha256: '${GETH_SHA}' } }
      checkpoint_sync: { providers: ['${provider2.url}'] }
`,
  );
  writeFileSync(
    join(work, 'playbook.yaml'),
    `- hosts: all
  tags: [demo]
  files:
    - path: /etc/demo.conf
      content: "demo\\n"
      mode: "0644"
- hosts: all
  tags: [eth]
  ethereum_node: true
`,
  );
  inventoryPath = join(work, 'inventory.yaml');
});

afterAll(async () => {
  await Promise.all([releases.close(), provider1.close(), provider2.close()]);
  rmSync(work, { recursive: true, force: true });
});

let cacheDir: string;
beforeEach(() => {
  cacheDir = mkdtempSync(join(work, 'cache-'));
  releases.requests.length = 0;
  provider1.requests.length = 0;
  provider2.requests.length = 0;
});

const load = (options: Partial<LoadOptions>) => loadProject({ inventoryPath, playbookPath: join(work, 'playbook.yaml'), cacheDir, env: {}, homeDir: work, ...options });

describe('what the loader fetches', () => {
  it('--limit one host: only its release and its provider are asked; the other host\'s release, binary and provider never', async () => {
    const progress: string[] = [];
    const loaded = await load({ limit: 'web1', progress: (line) => progress.push(line) });
    expect(loaded.desired.map((d) => d.host)).toEqual(['web1']);
    expect(releases.requests).toEqual(['/releases/download/ephemery-161/testnet-all.tar.gz']);
    expect(provider1.requests.length).toBeGreaterThan(0);
    expect(provider2.requests).toEqual([]);
    expect(progress).toEqual([`downloading the Ephemery release ${releases.url}/releases/download/ephemery-161/testnet-all.tar.gz`]);
    // web1's node was built on its release, with the provider chosen from the answers.
    expect(loaded.desired[0]!.resources.some((r) => r.kind === 'file' && r.path === '/etc/ethereum/ephemery/iteration')).toBe(true);
    expect(loaded.desired[0]!.checkpoint?.chosen).toBe(provider1.url);
  });

  it('without --limit, both hosts\' releases, the binary and both providers are asked, each once', async () => {
    await expect(load({})).rejects.toThrow(/cannot install geth/);
    expect([...releases.requests].sort()).toEqual(['/bin/geth', '/releases/download/ephemery-161/testnet-all.tar.gz', '/releases/download/ephemery-162/testnet-all.tar.gz']);
    expect(provider2.requests.length).toBeGreaterThan(0);
  });

  it('--tags that deselect the node play: nothing is fetched or probed', async () => {
    const loaded = await load({ tags: ['demo'] });
    expect(loaded.desired.map((d) => d.resources.map((r) => r.id))).toEqual([['file:/etc/demo.conf'], ['file:/etc/demo.conf']]);
    expect(releases.requests).toEqual([]);
    expect(provider1.requests).toEqual([]);
    expect(provider2.requests).toEqual([]);
    const skipped = await load({ skipTags: ['eth'], limit: 'web1' });
    expect(skipped.desired[0]!.resources.map((r) => r.id)).toEqual(['file:/etc/demo.conf']);
    expect(releases.requests).toEqual([]);
  });

  it('--tags that select part of the node play (cache) still fetch what that part is built from', async () => {
    const loaded = await load({ tags: ['cache'], limit: 'web1' });
    expect(loaded.desired[0]!.resources.map((r) => r.id)).toContain('file:/etc/ethereum/geth.cache.env');
    expect(releases.requests).toEqual(['/releases/download/ephemery-161/testnet-all.tar.gz']);
  });

  it('validate (checkProject) fetches and probes nothing', async () => {
    const checked = await checkProject({ inventoryPath, playbookPath: join(work, 'playbook.yaml'), cacheDir, env: {}, homeDir: work });
    expect(checked.problems).toEqual([]);
    expect(releases.requests).toEqual([]);
    expect(provider1.requests).toEqual([]);
    expect(provider2.requests).toEqual([]);
  });
});
