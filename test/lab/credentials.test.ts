// Checkpoint providers with credentials on real hosts: the running client (a stand-in, which accepts exactly
// its client's flag reference) gets the URL through its environment file (Teku) or a YAML file it loads (Prysm),
// never its command line; another user of the host can read neither the file nor the client's environment, and
// finds no password in /proc/<client pid>/cmdline. Lighthouse, which takes the URL only on its command line,
// gets a warning instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, unitState, writeInventory, writePlaybook } from './support.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';
import { startProviderServer, type ProviderServer } from '../support/provider-server.js';

const PASSWORD = 's3cret-pw';
const ENV = '/etc/ethereum/teku.checkpoint.env';
const PRYSM_YAML = '/etc/ethereum/prysm.checkpoint.yaml';

let lab: Lab;
let h: LabHost;
let h2: LabHost;
let release: ReleaseServer;
let providers: ProviderServer[];
let secretUrls: string[];
let playbook: string;

const node = (host: LabHost, client: string) => ({ consensus: { client, listen_address: host.address }, execution: { client: 'geth', listen_address: host.address } });
const inventoryFor = (name: string, hosts: Record<string, Record<string, unknown>>, only: LabHost[]) =>
  writeInventory(lab, `creds-${name}`, {
    vars: {
      network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` },
      checkpoint_sync: { providers: secretUrls },
    },
    hosts,
    only,
  });

/** A command run on the host as `nobody`, a user with no business reading the node's secrets. */
const asNobody = (host: LabHost, command: string) => lab.sh(host, `setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c '${command}' 2>&1`);

/** What another user finds of the running client: its file unreadable, its command line without the password. */
async function checkClient(host: LabHost, client: string, file: string, named: RegExp): Promise<string> {
  expect(await unitState(lab, host, `${client}.service`)).toMatchObject({ active: 'active' });
  expect((await hostSh(lab, host, `stat -c '%a %U %G' ${file}`)).trim()).toBe(`640 root ${client}`);
  const denied = await asNobody(host, `cat ${file}`);
  expect(denied.code).not.toBe(0);
  expect(denied.stdout).toContain('Permission denied');
  const pid = (await hostSh(lab, host, `systemctl show -p MainPID --value ${client}.service`)).trim();
  expect(Number(pid)).toBeGreaterThan(0);
  // The stand-in runs with exactly the words systemd gave it: what every user can read.
  const cmdline = await asNobody(host, `tr "\\0" " " < /proc/${pid}/cmdline`);
  expect(cmdline.code, cmdline.stdout).toBe(0);
  expect(cmdline.stdout).toContain(`--client ${client}`);
  expect(cmdline.stdout).not.toContain(PASSWORD);
  expect(cmdline.stdout).not.toMatch(named);
  expect((await asNobody(host, `cat /proc/${pid}/environ`)).code).not.toBe(0);
  return pid;
}

beforeAll(async () => {
  lab = await startLab({ name: 'creds', count: 2, slot: 5 });
  [h, h2] = [lab.hosts[0]!, lab.hosts[1]!];
  await installStandins(lab, lab.hosts, { clients: ['teku', 'prysm', 'lighthouse', 'geth'] });
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
  it('Teku gets the URL through its 0640 root:teku environment file, Prysm through its 0640 root:prysm YAML file; nobody reads them, the clients\' environment or a password in their command lines', async () => {
    const inventory = inventoryFor('apply', { [h.name]: node(h, 'teku'), [h2.name]: node(h2, 'prysm') }, [h, h2]);
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);

    const pid = await checkClient(h, 'teku', ENV, /checkpoint-sync-url/);
    // It did reach the client, through its environment (read here as root).
    expect(await hostSh(lab, h, `tr '\\0' '\\n' < /proc/${pid}/environ`)).toContain(`TEKU_CHECKPOINT_SYNC_URL=${secretUrls[0]}\n`);

    await checkClient(h2, 'prysm', PRYSM_YAML, /checkpoint-sync-url|genesis-beacon-api-url/);
    expect((await hostSh(lab, h2, `systemctl show -p ExecStart --value prysm.service`))).toContain(`--config-file=${PRYSM_YAML}`);
    expect(await hostSh(lab, h2, `cat ${PRYSM_YAML}`)).toContain(`\ncheckpoint-sync-url: ${secretUrls[0]}\n`);

    // Nothing nodeform shows names it: the plan (text and JSON) has no changes and no password.
    const plan = await nodeform('plan', '-i', inventory, playbook);
    const json = await nodeform('plan', '-i', inventory, playbook, '--json');
    expect(plan.stdout).toContain('No changes on 2 host(s).');
    expect(plan.stdout + plan.stderr + json.stdout + json.stderr).not.toContain(PASSWORD);
  });

  it('Lighthouse can take the URL only on its command line: the plan warns on this host and points at the fleet cache', async () => {
    const r = await nodeform('plan', '-i', inventoryFor('lighthouse', { [h.name]: node(h, 'lighthouse') }, [h]), playbook);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('lighthouse.service');
    expect(r.stdout + r.stderr).toContain(`checkpoint_sync.url would put a secret on lighthouse's command line (host ${h.name})`);
    expect(r.stdout + r.stderr).toContain('checkpoint_sync.source: fleet-cache');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
