// Ethereum nodes on real hosts: Lighthouse + Geth on Ephemery across 3 lab hosts, with stand-in clients
// that accept exactly the flags of each client's reference and serve its API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, unitState, writeInventory, writePlaybook } from './support.js';
import { releaseArchive, releaseFiles, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';

let lab: Lab;
let release: ReleaseServer;
let inventory: string;
let playbook: string;

/** Each host's clients listen on the host's own address: lab hosts share one loopback. */
function nodeVars(h: LabHost, cl: string, el: string) {
  return {
    consensus: { client: cl, listen_address: h.address },
    execution: { client: el, listen_address: h.address },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function headSlot(h: LabHost): Promise<number | undefined> {
  const res = await fetch(`http://${h.address}:5052/eth/v1/node/syncing`);
  if (!res.ok) return undefined;
  return Number(((await res.json()) as { data: { head_slot: string } }).data.head_slot);
}

async function rpc(h: LabHost, method: string): Promise<unknown> {
  const res = await fetch(`http://${h.address}:8545`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }) });
  return ((await res.json()) as { result: unknown }).result;
}

beforeAll(async () => {
  lab = await startLab({ name: 'node', count: 3, slot: 8 });
  await installStandins(lab);
  release = await startReleaseServer('127.0.8.1');
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  inventory = writeInventory(lab, 'node', {
    vars: { network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` }, checkpoint_sync: { enabled: true, providers: ['https://checkpoint-sync.ephemery.ethpandaops.io'] } },
    hosts: Object.fromEntries(lab.hosts.map((h) => [h.name, nodeVars(h, 'lighthouse', 'geth')])),
  });
  playbook = writePlaybook(lab, 'node', [{ name: 'nodes', hosts: 'all', ethereum_node: true }]);
});
afterAll(async () => {
  await release?.close();
  await lab?.stop();
});

describe.sequential('Ethereum nodes on real hosts', () => {
  it('applies Lighthouse + Geth on Ephemery to 3 hosts; both services run and answer', async () => {
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Summary: 3 applied.');
    // One download of the release serves every host.
    expect(release.requests.filter((p) => p.endsWith('.tar.gz'))).toHaveLength(1);
    for (const h of lab.hosts) {
      expect(await unitState(lab, h, 'geth.service')).toMatchObject({ enabled: 'enabled', active: 'active' });
      expect(await unitState(lab, h, 'lighthouse.service')).toMatchObject({ enabled: 'enabled', active: 'active' });
      const first = await waitFor(`${h.name} beacon API`, () => headSlot(h));
      await waitFor(`${h.name} head to advance`, async () => ((await headSlot(h)) ?? 0) > first ? true : undefined);
      expect(await waitFor(`${h.name} JSON-RPC`, () => rpc(h, 'eth_chainId'))).toBe(`0x${(39438161).toString(16)}`);
    }
  });

  it('makes the JWT on each host, 0640 root:ethereum, and never shows it', async () => {
    const h = lab.hosts[0]!;
    const jwt = await hostSh(lab, h, 'cat /etc/ethereum/jwt.hex; echo; stat -c "%a %U %G" /etc/ethereum/jwt.hex');
    const [secret, perms] = jwt.trim().split('\n');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(perms).toBe('640 root ethereum');
    const json = await nodeform('plan', '-i', inventory, playbook, '--json');
    const text = await nodeform('plan', '-i', inventory, playbook);
    expect(json.stdout + text.stdout).not.toContain(secret);
    expect(text.stdout).toContain('No changes on 3 host(s).');
    const other = (await hostSh(lab, lab.hosts[1]!, 'cat /etc/ethereum/jwt.hex')).trim();
    expect(other).not.toBe(secret);
  });

  it('renders units that systemd-analyze verify accepts', async () => {
    const h = lab.hosts[0]!;
    const r = await lab.sh(h, 'systemd-analyze verify /etc/systemd/system/geth.service /etc/systemd/system/geth-init.service /etc/systemd/system/lighthouse.service 2>&1');
    expect(r.stdout, r.stdout).not.toMatch(/geth|lighthouse/);
    expect(r.code).toBe(0);
  });

  it('orders the consensus unit after the execution unit, and hardens both', async () => {
    const unit = await hostSh(lab, lab.hosts[0]!, 'systemctl show lighthouse.service -p After -p Wants -p NoNewPrivileges -p ProtectSystem -p PrivateTmp -p LimitNOFILE -p Restart');
    expect(unit).toMatch(/^After=.*geth\.service/m);
    expect(unit).toMatch(/^Wants=.*geth\.service/m);
    expect(unit).toContain('NoNewPrivileges=yes');
    expect(unit).toContain('ProtectSystem=strict');
    expect(unit).toContain('PrivateTmp=yes');
    expect(unit).toContain('Restart=on-failure');
  });
});
