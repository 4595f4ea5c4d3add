// Checkpoint providers with credentials on a real host: the running client (the Teku stand-in, which accepts
// exactly Teku's flag reference) gets the URL through its environment file, never its command line; another
// user of the host can read neither the file nor the client's environment, and finds no password in
// /proc/<client pid>/cmdline. Lighthouse, which takes the URL only on its command line, gets a warning instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, unitState, writeInventory, writePlaybook } from './support.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';
import { startProviderServer, type ProviderServer } from '../support/provider-server.js';

const PASSWORD = 's3cret-pw';
const ENV = '/etc/ethereum/teku.checkpoint.env';

let lab: Lab;
let h: LabHost;
let release: ReleaseServer;
let providers: ProviderServer[];
let secretUrls: string[];
let playbook: string;

const inventoryFor = (client: 'teku' | 'lighthouse') =>
  writeInventory(lab, `creds-${client}`, {
    vars: {
      network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` },
      checkpoint_sync: { providers: secretUrls },
    },
    hosts: { [h.name]: { consensus: { client, listen_address: h.address }, execution: { client: 'geth', listen_address: h.address } } },
  });

/** A command run on the host as `nobody`, a user with no business reading the node's secrets. */
const asNobody = (command: string) => lab.sh(h, `setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c '${command}' 2>&1`);

beforeAll(async () => {
  lab = await startLab({ name: 'creds', count: 1, slot: 5 });
  h = lab.hosts[0]!;
  await installStandins(lab, [h], { clients: ['teku', 'lighthouse', 'geth'] });
  release = await startReleaseServer(slotAddress(lab.slot, 1));
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  providers = await Promise.all([0, 1].map(() => startProviderServer({ chain: releaseGenesis(161) })));
  secretUrls = providers.map((p) => p.url.replace('http://', `http://ops:${PASSWORD}@`));
  playbook = writePlaybook(lab, 'creds', [{ name: 'node', hosts: 'all', ethereum_node: true }]);
});
afterAll(async () => {
  await Promise.all((providers ?? []).map((p) => p.close()));
  await release?.close();
  await lab?.stop();
});

describe.sequential('provider credentials on a real host', () => {
  it('Teku gets the URL through its 0640 root:teku environment file; nobody reads the file, its environment or a password in its command line', async () => {
    const inventory = inventoryFor('teku');
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(await unitState(lab, h, 'teku.service')).toMatchObject({ active: 'active' });

    expect((await hostSh(lab, h, `stat -c '%a %U %G' ${ENV}`)).trim()).toBe('640 root teku');
    const denied = await asNobody(`cat ${ENV}`);
    expect(denied.code).not.toBe(0);
    expect(denied.stdout).toContain('Permission denied');

    const pid = (await hostSh(lab, h, 'systemctl show -p MainPID --value teku.service')).trim();
    expect(Number(pid)).toBeGreaterThan(0);
    // The stand-in runs with exactly the words systemd gave it: what every user can read.
    const cmdline = await asNobody(`tr "\\0" " " < /proc/${pid}/cmdline`);
    expect(cmdline.code, cmdline.stdout).toBe(0);
    expect(cmdline.stdout).toContain('--client teku');
    expect(cmdline.stdout).not.toContain(PASSWORD);
    expect(cmdline.stdout).not.toContain('checkpoint-sync-url');
    const environ = await asNobody(`cat /proc/${pid}/environ`);
    expect(environ.code).not.toBe(0);
    // It did reach the client, through its environment (read here as root).
    expect(await hostSh(lab, h, `tr '\\0' '\\n' < /proc/${pid}/environ`)).toContain(`TEKU_CHECKPOINT_SYNC_URL=${secretUrls[0]}\n`);

    // Nothing nodeform shows names it: the plan (text and JSON) has no changes and no password.
    const plan = await nodeform('plan', '-i', inventory, playbook);
    const json = await nodeform('plan', '-i', inventory, playbook, '--json');
    expect(plan.stdout).toContain('No changes on 1 host(s).');
    expect(plan.stdout + plan.stderr + json.stdout + json.stderr).not.toContain(PASSWORD);
  });

  it('Lighthouse can take the URL only on its command line: the plan warns on this host and points at the fleet cache', async () => {
    const r = await nodeform('plan', '-i', inventoryFor('lighthouse'), playbook);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('lighthouse.service');
    expect(r.stdout + r.stderr).toContain(`checkpoint_sync.url would put a secret on lighthouse's command line (host ${h.name})`);
    expect(r.stdout + r.stderr).toContain('checkpoint_sync.source: fleet-cache');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
