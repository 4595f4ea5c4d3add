// What the selected nodes need from outside, computed without I/O from their resolved specs: --limit and
// --tags narrow it, duplicates are asked once, a host whose node variables have problems needs nothing,
// and the fleet cache's files are asked (round two) only once the providers agree.
import { describe, expect, it } from 'vitest';
import { parseSources, projectCheckpointFileNeeds, projectNeeds, type ProjectOptions } from '../../../src/project/project.js';
import type { ProviderResult } from '../../../src/node/quorum.js';
import { BASE_DIR, NODE_TEMPLATES } from './helpers.js';

const SHA = 'cd'.repeat(32);
const INVENTORY = `all:
  vars:
    consensus: { client: lighthouse }
    execution: { client: geth }
  hosts:
    a:
      network: { name: ephemery, iteration: 161, release_url: 'https://mirror.example/releases' }
      checkpoint_sync: { providers: ['https://p1.example', 'https://p2.example'] }
    b:
      network: { name: ephemery, iteration: 161, release_url: 'https://mirror.example/releases/' }
      checkpoint_sync: { providers: ['https://p2.example'] }
    c:
      network: { name: custom, config_source: ./networks/devnet }
      execution: { client: geth, install: { url: 'https://bin.example/geth', sha256: '${SHA}' } }
    d:
      network: { name: ephemery }
      checkpoint_sync: { enabled: false }
    clash:
      network: { name: ephemery, iteration: 170 }
      consensus: { client: lighthouse, ports: { http: 8545 } }
`;
const PLAYBOOK = `- hosts: all
  tags: [base]
  files:
    - path: /etc/motd
      content: "hi\\n"
      mode: "0644"
- hosts: all
  tags: [eth]
  ethereum_node: true
`;

function needs(options: Partial<ProjectOptions> = {}, inventory = INVENTORY) {
  const all: ProjectOptions = { baseDir: BASE_DIR, homeDir: '/home/op', extraVars: [], ...options };
  const parsed = parseSources({ inventory: { file: 'inventory.yaml', text: inventory }, playbook: { file: 'playbook.yaml', text: PLAYBOOK } }, all);
  return { parsed, all, needs: projectNeeds(parsed, all) };
}

describe('round one: releases, binaries, providers, config_source directories', () => {
  it('the selected hosts\' needs, each once', () => {
    expect(needs().needs).toEqual({
      networkSourceDirs: [`${BASE_DIR}/networks/devnet`],
      releases: [
        { url: 'https://mirror.example/releases', iteration: 161 },
        { url: 'https://github.com/ephemery-testnet/ephemery-genesis/releases', iteration: 'latest' },
      ],
      binaries: [{ url: 'https://bin.example/geth', sha256: SHA }],
      providers: [
        { url: 'https://p1.example', tuning: expect.objectContaining({ maxConcurrentRequests: 8 }) },
        { url: 'https://p2.example', tuning: expect.objectContaining({ maxConcurrentRequests: 8 }) },
      ],
    });
  });

  it.each<[string, Partial<ProjectOptions>, { releases: number; binaries: number; providers: string[]; dirs: number }]>([
    ['--limit a', { limit: 'a' }, { releases: 1, binaries: 0, providers: ['https://p1.example', 'https://p2.example'], dirs: 0 }],
    ['--limit c', { limit: 'c' }, { releases: 0, binaries: 1, providers: [], dirs: 1 }],
    ['--limit b:d', { limit: 'b:d' }, { releases: 2, binaries: 0, providers: ['https://p2.example'], dirs: 0 }],
    ['--limit clash (its node has a problem: the build reports it)', { limit: 'clash' }, { releases: 0, binaries: 0, providers: [], dirs: 0 }],
    ['--tags base', { tags: ['base'] }, { releases: 0, binaries: 0, providers: [], dirs: 0 }],
    ['--skip-tags eth', { skipTags: ['eth'] }, { releases: 0, binaries: 0, providers: [], dirs: 0 }],
    ['--skip-tags node', { skipTags: ['node'] }, { releases: 0, binaries: 0, providers: [], dirs: 0 }],
    ['--tags cache (part of the node play)', { tags: ['cache'], limit: 'a' }, { releases: 1, binaries: 0, providers: ['https://p1.example', 'https://p2.example'], dirs: 0 }],
  ])('%s', (_name, options, expected) => {
    const got = needs(options).needs;
    expect({ releases: got.releases.length, binaries: got.binaries.length, providers: got.providers.map((p) => p.url), dirs: got.networkSourceDirs.length }).toEqual(expected);
  });

  it('sources with problems need nothing at all: the build reports them, nothing is fetched', () => {
    const bad = INVENTORY.replace('network: { name: ephemery }\n', "network: { name: ephemery, release_url: 'not a url' }\n");
    expect(needs({}, bad).needs).toEqual({ networkSourceDirs: [], releases: [], binaries: [], providers: [] });
  });
});

describe('round two: the fleet cache\'s files', () => {
  const MAINNET_ROOT = '0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95';
  const fleet = `all:
  hosts:
    m1: { network: mainnet, consensus: { client: lighthouse }, execution: { client: geth }, checkpoint_sync: { providers: ['https://p1.example', 'https://p2.example'], source: fleet-cache } }
    m2: { network: mainnet, consensus: { client: teku }, execution: { client: besu }, checkpoint_sync: { providers: ['https://p1.example', 'https://p2.example'], source: fleet-cache } }
`;
  const answer = (url: string, root: string): ProviderResult => ({
    url,
    ok: true,
    latencyMs: 10,
    servesStates: true,
    genesis: { time: '1606824023', validatorsRoot: MAINNET_ROOT },
    finalized: { epoch: 300000, root },
  });
  const round2 = (providers: Record<string, ProviderResult> | undefined) => {
    const { parsed, all } = needs({}, fleet);
    return projectCheckpointFileNeeds(parsed, all, { templates: NODE_TEMPLATES, ...(providers ? { providers } : {}) });
  };

  it('one request per network once the providers agree, with the agreeing providers in order', () => {
    const agreed = round2({ 'https://p1.example': answer('https://p1.example', `0x${'f1'.repeat(32)}`), 'https://p2.example': answer('https://p2.example', `0x${'f1'.repeat(32)}`) });
    expect(agreed).toEqual([
      expect.objectContaining({ networkKey: MAINNET_ROOT, quorum: { epoch: 300000, root: `0x${'f1'.repeat(32)}` }, providers: ['https://p1.example', 'https://p2.example'], preset: 'mainnet' }),
    ]);
  });

  it('nothing without answers or without a quorum', () => {
    expect(round2(undefined)).toEqual([]);
    expect(round2({ 'https://p1.example': answer('https://p1.example', `0x${'f1'.repeat(32)}`), 'https://p2.example': answer('https://p2.example', `0x${'dd'.repeat(32)}`) })).toEqual([]);
  });
});
