// Checkpoint providers through nodeform itself, on a real host: the providers are asked and cross-checked at
// plan time, the chosen one lands in the consensus client's checkpoint file, `nodeform providers` shows the
// vote, the on-host fallback nodeform installed moves the client off a provider that died (and the next plan
// explains that drift), and without a quorum the consensus side is held while the rest is applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, unitState, writeInventory, writePlaybook } from './support.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';
import { CHAIN, startProviderServer, type ProviderServer } from '../support/provider-server.js';

let lab: Lab;
let host: LabHost;
let release: ReleaseServer;
let providers: ProviderServer[];
let stale: ProviderServer;
let liar: ProviderServer;
let inventory: string;
let playbook: string;
const ENV = '/etc/ethereum/lighthouse.checkpoint.env';

beforeAll(async () => {
  // Host 1 for the provider choice and the fallback, hosts 2-4 for the fleet cache.
  lab = await startLab({ name: 'checkpoint', count: 4, slot: 12 });
  host = lab.hosts[0]!;
  // The consensus stand-in reports syncing for an hour after each start: the fallback may act on it.
  await installStandins(lab, [host], { syncSeconds: 3600 });
  await installStandins(lab, lab.hosts.slice(1));
  release = await startReleaseServer(slotAddress(lab.slot, 1));
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  const chain = releaseGenesis(161);
  stale = await startProviderServer({ mode: 'stale-genesis' });
  providers = await Promise.all([0, 1, 2].map(() => startProviderServer({ chain })));
  liar = await startProviderServer({ mode: 'lying-root', chain });
  inventory = writeInventory(lab, 'checkpoint', {
    vars: {
      network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` },
      // The stale one first: it must be passed over, with its reason in the plan.
      checkpoint_sync: { providers: [stale.url, ...providers.map((p) => p.url)] },
      // A dead provider is retried: keep that short here.
      network_tuning: { request_timeout_seconds: 5, retries: 1, backoff: { min_seconds: 0.1, max_seconds: 0.2 } },
    },
    hosts: { [host.name]: { consensus: { client: 'lighthouse', listen_address: host.address }, execution: { client: 'geth', listen_address: host.address } } },
    only: [host],
  });
  playbook = writePlaybook(lab, 'checkpoint', [{ name: 'node', hosts: 'all', ethereum_node: true }]);
});

afterAll(async () => {
  await Promise.all([...(providers ?? []), stale, liar].filter(Boolean).map((p) => p.close()));
  await release?.close();
  await lab?.stop();
});

describe.sequential('checkpoint providers through plan and apply', () => {
  it('plan asks every provider once, passes over the stale one and says why, and apply renders the choice', async () => {
    const plan = await nodeform('plan', '-i', inventory, playbook);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`checkpoint: ${providers[0]!.url} (finalized epoch 1234`);
    expect(plan.stdout).toMatch(new RegExp(`checkpoint provider ${stale.url} rejected: genesis validators root 0xb2b2.* is not the network's`));
    for (const p of [stale, ...providers]) expect(p.count('/eth/v1/beacon/states/head/finality_checkpoints')).toBe(1);

    const apply = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await hostSh(lab, host, `cat ${ENV}`)).toContain(`NODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url ${providers[0]!.url}\n`);
    expect(await hostSh(lab, host, 'cat /proc/$(systemctl show -p MainPID --value lighthouse.service)/cmdline | tr "\\0" " "')).toContain(
      `--checkpoint-sync-url ${providers[0]!.url}`,
    );
    expect(await unitState(lab, host, 'nodeform-checkpoint-fallback.timer')).toMatchObject({ enabled: 'enabled', active: 'active' });
    const conf = await hostSh(lab, host, 'cat /etc/nodeform/checkpoint-fallback.conf');
    expect(conf).toContain(`PROVIDER_1=${providers[0]!.url}\nPROVIDER_2=${providers[1]!.url}\nPROVIDER_3=${providers[2]!.url}\n`);
    expect(conf).not.toContain(stale.url);

    const again = await nodeform('plan', '-i', inventory, playbook);
    expect(again.stdout).toContain('No changes on 1 host(s).');
  });

  it('nodeform providers shows each provider\'s verdict and the trusted checkpoint', async () => {
    const table = await nodeform('providers', '-i', inventory, playbook);
    expect(table.code, table.stdout + table.stderr).toBe(0);
    const row = (url: string) => table.stdout.split('\n').find((l) => l.includes(url)) ?? '';
    expect(row(providers[0]!.url)).toMatch(new RegExp(`chosen\\s+\\d+ ms\\s+1234\\s+${CHAIN.finalizedRoot.slice(0, 8)}`));
    expect(row(providers[1]!.url)).toMatch(/alternative/);
    expect(row(stale.url)).toMatch(/wrong-genesis.*not the network's/);
    expect(table.stdout).toContain(`trusted checkpoint: epoch 1234 root ${CHAIN.finalizedRoot} (3 of 3 voting providers agree; more than 66.7% needed)`);
    const json = JSON.parse((await nodeform('providers', '-i', inventory, playbook, '--json')).stdout) as { format_version: number; groups: { hosts: string[]; decision: { chosen: string } }[] };
    expect(json).toEqual({ format_version: 1, groups: [{ hosts: [host.name], decision: expect.objectContaining({ chosen: providers[0]!.url, quorum: true }) }] });
  });

  it('when the chosen provider dies, the fallback nodeform installed switches the syncing client; the next plan explains the drift', async () => {
    const since = (await hostSh(lab, host, 'systemctl show -p InvocationID --value lighthouse.service')).trim();
    await providers[0]!.close();
    const run = await lab.sh(host, 'systemctl start nodeform-checkpoint-fallback.service; journalctl -u nodeform-checkpoint-fallback.service --no-pager -o cat');
    expect(run.stdout).toMatch(/switched/i);
    const env = await hostSh(lab, host, `cat ${ENV}`);
    expect(env).toContain(`--checkpoint-sync-url ${providers[1]!.url}`);
    expect(env).toMatch(/^# Switched by nodeform-checkpoint-fallback at \S+: http:\/\/127\.0\.0\.1:\d+ -> http:\/\/127\.0\.0\.1:\d+: /m);
    expect(await hostSh(lab, host, 'ls /var/lib/nodeform/checkpoint-fallback/ | grep -c lighthouse.checkpoint.env.')).toBe('1\n');
    await expect.poll(async () => (await hostSh(lab, host, 'systemctl show -p InvocationID --value lighthouse.service')).trim(), { timeout: 15_000 }).not.toBe(since);

    // The dead provider is now out of the vote too, so nodeform would choose the same one: only the note differs.
    const plan = await nodeform('plan', '-i', inventory, playbook);
    expect(plan.stdout).toMatch(/~ file \/etc\/ethereum\/lighthouse\.checkpoint\.env\s+\(content: .*; changed on the host: Switched by nodeform-checkpoint-fallback at /);
    expect(plan.stdout).toContain(`checkpoint: ${providers[1]!.url}`);
    expect(plan.stdout).toMatch(new RegExp(`checkpoint provider ${providers[0]!.url.replace(/\./g, '\\.')} rejected: .*(ECONNREFUSED|refused)`));
    expect(plan.stdout).not.toContain('restart unit lighthouse.service');
    const invocation = (await hostSh(lab, host, 'systemctl show -p InvocationID --value lighthouse.service')).trim();
    const apply = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await hostSh(lab, host, `cat ${ENV}`)).not.toContain('Switched by');
    // The provider file is not a restart trigger: the client keeps running.
    expect((await hostSh(lab, host, 'systemctl show -p InvocationID --value lighthouse.service')).trim()).toBe(invocation);
  });

  it('without a quorum the consensus client and its checkpoint files are held; apply changes the rest and exits 1', async () => {
    const split = ['-e', JSON.stringify({ checkpoint_sync: { providers: [providers[1]!.url, liar.url] }, execution: { client: 'geth', listen_address: host.address, peers: 33 } })];
    const before = await hostSh(lab, host, `sha256sum ${ENV} /etc/systemd/system/lighthouse.service /etc/nodeform/checkpoint-fallback.conf`);
    const plan = await nodeform('plan', '-i', inventory, playbook, ...split);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/checkpoint: no provider chosen: 1 of 2 answering providers agree/);
    expect(plan.stdout).toMatch(/held \(no trusted checkpoint: .*\): .*file \/etc\/ethereum\/lighthouse\.checkpoint\.env.*unit lighthouse\.service/);
    expect(plan.stdout).toContain('~ file /etc/ethereum/geth.network.env');
    expect(plan.stdout).toContain('1 host(s) hold items back');

    const apply = await nodeform('apply', '-i', inventory, playbook, ...split, '--yes');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('1 host(s) held items back');
    expect(await hostSh(lab, host, 'cat /etc/ethereum/geth.network.env')).toContain('33');
    expect(await hostSh(lab, host, `sha256sum ${ENV} /etc/systemd/system/lighthouse.service /etc/nodeform/checkpoint-fallback.conf`)).toBe(before);
    expect(await unitState(lab, host, 'lighthouse.service')).toMatchObject({ active: 'active' });
  });
});

describe.sequential('the fleet checkpoint cache', () => {
  let fleet: LabHost[];
  let fleetInventory: string;
  const STATE = '/var/cache/nodeform/checkpoint-state.ssz';
  const BLOCK = '/var/cache/nodeform/checkpoint-block.ssz';
  const downloads = () => [...providers, stale, liar].reduce((n, p) => n + p.stateDownloads, 0);

  beforeAll(() => {
    fleet = lab.hosts.slice(1);
    fleetInventory = writeInventory(lab, 'fleet-cache', {
      vars: {
        network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` },
        checkpoint_sync: { source: 'fleet-cache', providers: providers.slice(1).map((p) => p.url) },
        cache: { directory: '/var/cache/nodeform', expiry_hours: 24 },
      },
      hosts: Object.fromEntries(fleet.map((h) => [h.name, { consensus: { client: 'lighthouse', listen_address: h.address }, execution: { client: 'geth', listen_address: h.address } }])),
      only: fleet,
    });
  });

  it('one download from a quorum provider serves 3 hosts; each client starts from the verified files', async () => {
    const before = downloads();
    const apply = await nodeform('apply', '-i', fleetInventory, playbook, '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/checkpoint files: finalized epoch 1234 root 0x[0-9a-f]{64} from the fleet cache \(downloaded this run\), verified against the quorum/);
    expect(downloads() - before).toBe(1);
    const sums = await Promise.all(fleet.map((h) => hostSh(lab, h, `sha256sum ${STATE} ${BLOCK} | cut -c1-64; stat -c '%a %U' ${STATE}`)));
    expect(new Set(sums).size).toBe(1);
    expect(sums[0]).toMatch(/^[0-9a-f]{64}\n[0-9a-f]{64}\n644 root\n$/);
    for (const h of fleet) {
      const cmdline = await hostSh(lab, h, 'cat /proc/$(systemctl show -p MainPID --value lighthouse.service)/cmdline | tr "\\0" " "');
      expect(cmdline).toContain(`--checkpoint-state ${STATE} --checkpoint-block ${BLOCK}`);
      expect(cmdline).not.toContain('--checkpoint-sync-url');
    }
  });

  it('a second apply downloads nothing and uploads nothing', async () => {
    const before = downloads();
    const apply = await nodeform('apply', '-i', fleetInventory, playbook, '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain('No changes on 3 host(s).');
    expect(apply.stdout).toContain('(cached on the controller)');
    expect(downloads()).toBe(before);
  });

  it('systemd-tmpfiles --clean removes a file past cache.expiry_hours; the next apply uploads it again from the controller', async () => {
    const h = fleet[0]!;
    await hostSh(lab, h, `touch -m -d '25 hours ago' ${STATE}; systemd-tmpfiles --clean`);
    expect(await hostSh(lab, h, `ls /var/cache/nodeform`)).toBe('checkpoint-block.ssz\n');
    const before = downloads();
    const plan = await nodeform('plan', '-i', fleetInventory, playbook);
    expect(plan.stdout).toContain(`+ file ${STATE}`);
    expect(plan.stdout).toContain('Plan: 1 to create, 0 to update, 0 to remove, 0 to restart, on 1 of 3 host(s).');
    const apply = await nodeform('apply', '-i', fleetInventory, playbook, '--yes', '--limit', h.name);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await hostSh(lab, h, `ls /var/cache/nodeform`)).toBe('checkpoint-block.ssz\ncheckpoint-state.ssz\n');
    expect(downloads()).toBe(before);
  });
});
