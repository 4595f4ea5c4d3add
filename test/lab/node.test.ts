// Ethereum nodes on real hosts: Lighthouse + Geth on Ephemery across 3 lab hosts, with stand-in clients
// that accept exactly the flags of each client's reference and serve its API.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotAddress, sshArgs, startLab, type Lab, type LabHost } from './lab.js';
import { installStandins } from './standin/install.js';
import { hostSh, nodeform, unitState, writeInventory, writePlaybook } from './support.js';
import { releaseArchive, releaseFiles, releaseGenesis, startReleaseServer, type ReleaseServer } from '../support/ephemery.js';
import { startProviderServer, type ProviderServer } from '../support/provider-server.js';

let lab: Lab;
let release: ReleaseServer;
/** The checkpoint provider every node is cross-checked against (on Ephemery 161's chain, as the release is). */
let provider: ProviderServer;
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
  release = await startReleaseServer(slotAddress(lab.slot, 1));
  release.archives.set('ephemery-161', await releaseArchive(releaseFiles(161)));
  provider = await startProviderServer({ chain: releaseGenesis(161) });
  inventory = writeInventory(lab, 'node', {
    vars: { network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` }, checkpoint_sync: { enabled: true, providers: [provider.url] } },
    hosts: Object.fromEntries(lab.hosts.map((h) => [h.name, nodeVars(h, 'lighthouse', 'geth')])),
  });
  playbook = writePlaybook(lab, 'node', [{ name: 'nodes', hosts: 'all', ethereum_node: true }]);
});
afterAll(async () => {
  await provider?.close();
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

  it("retires the old scripts' checkpoint-monitor.service where the monitor runs: stopped and disabled, its file untouched; reset starts it again", async () => {
    const [old, without] = [lab.hosts[0]!, lab.hosts[1]!];
    const limit = `${old.name},${without.name}`;
    // As the old scripts left it: their own unit file, enabled and running.
    const unitFile = '[Unit]\nDescription=old checkpoint sync monitor\n[Service]\nExecStart=/bin/sh -c "while :; do sleep 5; done"\n[Install]\nWantedBy=multi-user.target\n';
    await hostSh(lab, old, `printf '%b' '${unitFile}' > /etc/systemd/system/checkpoint-monitor.service && systemctl daemon-reload && systemctl enable --now checkpoint-monitor.service 2>&1`);
    const fileBefore = await hostSh(lab, old, 'sha256sum /etc/systemd/system/checkpoint-monitor.service; stat -c "%a %U %Y" /etc/systemd/system/checkpoint-monitor.service');
    expect(await unitState(lab, old, 'checkpoint-monitor.service')).toMatchObject({ enabled: 'enabled', active: 'active' });

    const plan = await nodeform('plan', '-i', inventory, playbook, '--limit', limit, '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`~ unit checkpoint-monitor.service  (enabled: true -> false, active: true -> false; stop, disable; its unit file is not nodeform's and stays as it is)`);
    expect(plan.stdout).toContain(`${without.name}\n  no changes`);
    expect(plan.stdout).toContain('Plan: 0 to create, 1 to update, 0 to remove, 0 to restart, on 1 of 2 host');

    const apply = await nodeform('apply', '-i', inventory, playbook, '--limit', limit, '--yes');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await unitState(lab, old, 'checkpoint-monitor.service')).toMatchObject({ enabled: 'disabled', active: 'inactive' });
    expect(await hostSh(lab, old, 'sha256sum /etc/systemd/system/checkpoint-monitor.service; stat -c "%a %U %Y" /etc/systemd/system/checkpoint-monitor.service')).toBe(fileBefore);
    // Not nodeform's: not in its record of what it manages.
    expect(await hostSh(lab, old, 'cat /var/lib/nodeform/managed')).not.toContain('checkpoint-monitor');
    const again = await nodeform('plan', '-i', inventory, playbook, '--limit', limit, '--detailed-exitcode');
    expect(again.code, again.stdout + again.stderr).toBe(0);

    const reset = await nodeform('reset', '-i', inventory, '--limit', old.name, '--to', 'previous', '--yes');
    expect(reset.code, reset.stdout + reset.stderr).toBe(0);
    expect(await unitState(lab, old, 'checkpoint-monitor.service')).toMatchObject({ enabled: 'enabled', active: 'active' });
    expect(await hostSh(lab, old, 'sha256sum /etc/systemd/system/checkpoint-monitor.service; stat -c "%a %U %Y" /etc/systemd/system/checkpoint-monitor.service')).toBe(fileBefore);

    // Gone again (the later tests plan this host): then the declaration has nothing to do.
    await hostSh(lab, old, 'systemctl disable --now checkpoint-monitor.service 2>&1; rm /etc/systemd/system/checkpoint-monitor.service; systemctl daemon-reload');
    const gone = await nodeform('plan', '-i', inventory, playbook, '--limit', old.name, '--detailed-exitcode');
    expect(gone.code, gone.stdout + gone.stderr).toBe(0);
  });

  it('--tags cache applies only the cache settings, --tags network only the network tuning', async () => {
    const h = lab.hosts[0]!;
    const both = ['-e', '{"cache": {"execution_cache_mb": 1024}, "network_tuning": {"peers_el": 25}}', '--limit', h.name];
    const sinceBefore = (await unitState(lab, h, 'geth.service')).since;
    const plan = await nodeform('plan', '-i', inventory, playbook, ...both, '--tags', 'cache');
    expect(plan.stdout).toContain('~ file /etc/ethereum/geth.cache.env');
    expect(plan.stdout).toContain('↻ restart unit geth.service');
    expect(plan.stdout).not.toContain('network.env');
    const r = await nodeform('apply', '-i', inventory, playbook, ...both, '--tags', 'cache', '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await hostSh(lab, h, 'tail -1 /etc/ethereum/geth.cache.env; tail -1 /etc/ethereum/geth.network.env')).toBe('NODEFORM_CACHE_ARGS=--cache 1024\nNODEFORM_NETWORK_ARGS=\n');
    const after = await unitState(lab, h, 'geth.service');
    expect(after.active).toBe('active');
    expect(Number(after.since)).toBeGreaterThan(Number(sinceBefore));
    // The running stand-in got the flag from the environment file, and accepted it. A simple unit is active from
    // the fork: until systemd's child execs, its command line is the placeholder "(geth)", so wait for the exec.
    const cmdline =
      'for i in $(seq 100); do c=$(tr "\\0" " " < /proc/$(systemctl show -p MainPID --value geth.service)/cmdline); ' +
      'case $c in "("*) sleep 0.05 ;; *) break ;; esac; done; printf "%s" "$c"';
    expect(await hostSh(lab, h, cmdline)).toContain('--cache 1024');
    // The network tuning is still to apply.
    const rest = await nodeform('plan', '-i', inventory, playbook, ...both);
    expect(rest.stdout).toContain('~ file /etc/ethereum/geth.network.env');
    expect(rest.stdout).not.toContain('cache.env');
    expect((await nodeform('apply', '-i', inventory, playbook, ...both, '--tags', 'network', '--yes')).code).toBe(0);
    expect(await hostSh(lab, h, 'tail -1 /etc/ethereum/geth.network.env')).toBe('NODEFORM_NETWORK_ARGS=--maxpeers 25\n');
    // Back to the declared state for the tests that follow.
    expect((await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h.name)).code).toBe(0);
  });

  it('installs a client binary from a release: downloaded once, checked, uploaded only where it differs', async () => {
    // The "release": geth's stand-in wrapper, padded past the size that travels in an upload exec of its own.
    const wrapper = await hostSh(lab, lab.hosts[0]!, 'cat /usr/local/bin/geth');
    const binary = `${wrapper}${'# padding to make a binary-sized release\n'.repeat(16_000)}`;
    const archive = await releaseArchive({ 'geth-linux-amd64/geth': binary });
    const sha = createHash('sha256').update(archive).digest('hex');
    const served: string[] = [];
    const server = createServer((req, res) => {
      served.push(req.url ?? '');
      res.end(archive);
    });
    await new Promise<void>((r) => server.listen(0, slotAddress(lab.slot, 2), r));
    try {
      const url = `http://${slotAddress(lab.slot, 2)}:${(server.address() as AddressInfo).port}/geth-linux-amd64.tar.gz`;
      // One host already has this release: it gets nothing.
      const placed = spawnSync('ssh', [...sshArgs(lab, lab.hosts[1]!), 'cat > /usr/local/bin/geth'], { input: binary });
      expect(placed.status, placed.stderr.toString()).toBe(0);
      const inv = writeInventory(lab, 'node-install', {
        vars: { network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` }, checkpoint_sync: { providers: [provider.url] } },
        hosts: Object.fromEntries(
          lab.hosts.map((h) => [h.name, { ...nodeVars(h, 'lighthouse', 'geth'), execution: { client: 'geth', listen_address: h.address, install: { url, sha256: sha, archive_path: 'geth-linux-amd64/geth' } } }]),
        ),
      });
      const plan = await nodeform('plan', '-i', inv, playbook);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      const updated = plan.stdout.split('\n\n').filter((block) => block.includes('~ file /usr/local/bin/geth')).map((block) => block.split('\n')[0]);
      expect(updated).toEqual([lab.hosts[0]!.name, lab.hosts[2]!.name]);
      const r = await nodeform('apply', '-i', inv, playbook, '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const want = createHash('sha256').update(binary).digest('hex');
      for (const h of lab.hosts) {
        expect((await hostSh(lab, h, 'sha256sum < /usr/local/bin/geth; stat -c %a /usr/local/bin/geth')).replace(/ +-/, '')).toBe(`${want}\n755\n`);
        expect(await unitState(lab, h, 'geth.service')).toMatchObject({ active: 'active' });
      }
      expect((await nodeform('plan', '-i', inv, playbook, '--detailed-exitcode')).code).toBe(0);
      expect(served).toHaveLength(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('warns when a client binary is missing, or older than its profile supports', async () => {
    const h = lab.hosts[0]!;
    await hostSh(lab, h, "printf '#!/bin/sh\\necho Geth version 1.10.26-stable\\n' > /usr/local/bin/geth-old && chmod 755 /usr/local/bin/geth-old");
    const inv = writeInventory(lab, 'node-binaries', {
      vars: { network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` }, checkpoint_sync: { providers: [provider.url] } },
      hosts: {
        [h.name]: {
          consensus: { client: 'lighthouse', listen_address: h.address, binary: '/opt/nowhere/lighthouse' },
          execution: { client: 'geth', listen_address: h.address, binary: '/usr/local/bin/geth-old' },
        },
      },
      only: [h],
    });
    const plan = await nodeform('plan', '-i', inv, playbook);
    expect(plan.stdout).toContain('warning: lighthouse is not installed at /opt/nowhere/lighthouse: install lighthouse v8.2.2');
    expect(plan.stdout).toContain('warning: geth at /usr/local/bin/geth-old is 1.10.26, older than v1.15.6');
    // The stand-ins at the default paths report the pinned releases: no warning.
    const ok = await nodeform('plan', '-i', inventory, playbook, '--limit', h.name);
    expect(ok.stdout).not.toContain('warning:');
  });

  it('an inventory of the old scripts plans the same as its imported form', async () => {
    const oldStyle = writeInventory(lab, 'node-old', {
      vars: {
        network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` },
        cl_client_name: 'lighthouse',
        el_client_name: 'geth',
        use_checkpoint_sync: true,
        checkpoint_sync_url: provider.url,
        cl_extra_opts: '--target-peers=60',
        el_extra_opts: '--maxpeers=30',
      },
    });
    const imported = join(lab.dir, 'node-old', 'imported.yaml');
    const shown = await nodeform('import', '-i', oldStyle);
    writeFileSync(imported, shown.stdout.replace(/^# .*\n/, ''));
    const plans = await Promise.all([oldStyle, imported].map((inv) => nodeform('plan', '-i', inv, playbook, '--json')));
    for (const p of plans) expect(p.code, p.stdout + p.stderr).toBe(0);
    // The providers were asked twice: only their latencies may differ.
    const [before, after] = plans.map((p) => JSON.parse(p.stdout.replace(/"latencyMs": \d+/g, '"latencyMs": 0')) as unknown);
    expect(after).toEqual(before);
    // And it is a real plan: these hosts listen on 127.0.0.1 now, so units and env files change.
    expect(JSON.stringify(before)).toContain('lighthouse.network.env');
    expect(plans[0]!.stderr).toMatch(/cl_client_name.*consensus/);
  });

  it('an Ephemery iteration change wipes chain data, keeps node identity, re-inits and restarts', async () => {
    release.archives.set('ephemery-162', await releaseArchive(releaseFiles(162)));
    release.latest = 'ephemery-162';
    // The provider has moved on to the new chain too (one still on 161 would be stale: see checkpoint.test.ts).
    Object.assign(provider.chain, releaseGenesis(162));
    const identity = 'sha256sum /var/lib/geth/geth/nodekey /var/lib/lighthouse/beacon/network/key';
    const before = await Promise.all(lab.hosts.map((h) => hostSh(lab, h, identity)));
    const headBefore = await headSlot(lab.hosts[0]!);
    expect(headBefore).toBeGreaterThan(3);

    const plan = await nodeform('plan', '-i', inventory, playbook);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const line = '! ephemery iteration 161 -> 162: stop clients, wipe chain data keeping node identity, install new config, re-init execution client, start';
    expect(plan.stdout.split('\n').filter((l) => l.trim() === line)).toHaveLength(3);

    const r = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const [i, h] of lab.hosts.entries()) {
      expect(await hostSh(lab, h, identity)).toBe(before[i]);
      expect(await hostSh(lab, h, 'cat /etc/ethereum/ephemery/iteration')).toBe('162\n');
      expect(await waitFor(`${h.name} new chain id`, async () => ((await rpc(h, 'eth_chainId')) === `0x${(39438162).toString(16)}` ? true : undefined))).toBe(true);
      expect(await unitState(lab, h, 'lighthouse.service')).toMatchObject({ active: 'active' });
    }
    // The beacon chain started over: its head is below where the old chain's was.
    expect(await waitFor('beacon API after the reset', () => headSlot(lab.hosts[0]!))).toBeLessThan(headBefore!);
    expect((await nodeform('plan', '-i', inventory, playbook, '--detailed-exitcode')).code).toBe(0);
  });

  it('reset --wipe-data wipes chain data, keeps identity and starts the clients again; it asks unless --force', async () => {
    const h = lab.hosts[0]!;
    const identity = 'sha256sum /var/lib/geth/geth/nodekey /var/lib/lighthouse/beacon/network/key';
    const before = await hostSh(lab, h, identity);
    await waitFor('the head to move on', async () => (((await headSlot(h)) ?? 0) > 3 ? true : undefined));
    const headBefore = (await headSlot(h))!;
    const refused = await nodeform('reset', '-i', inventory, playbook, '--wipe-data', '--limit', h.name);
    expect(refused.code).toBe(3); // invalid input: no --force (or --yes) and no terminal to ask
    expect(refused.stderr).toContain('refusing to change hosts without --yes');
    const r = await nodeform('reset', '-i', inventory, playbook, '--wipe-data', '--force', '--limit', h.name);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('! reset --wipe-data: stop lighthouse.service, geth.service, wipe chain data keeping node identity, start');
    expect(await hostSh(lab, h, identity)).toBe(before);
    expect(await unitState(lab, h, 'geth.service')).toMatchObject({ active: 'active' });
    expect(await waitFor('beacon API after the wipe', () => headSlot(h))).toBeLessThan(headBefore);
  });

  it('switches a host from Lighthouse + Geth to Teku + Nethermind, keeping the old data unless --prune-data', async () => {
    const h = lab.hosts[2]!;
    const switched = writeInventory(lab, 'node-switch', {
      vars: { network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` }, checkpoint_sync: { providers: [provider.url] } },
      hosts: Object.fromEntries(lab.hosts.map((x) => [x.name, x === h ? nodeVars(x, 'teku', 'nethermind') : nodeVars(x, 'lighthouse', 'geth')])),
    });
    const plan = await nodeform('plan', '-i', switched, playbook, '--limit', h.name);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    for (const line of ['- unit lighthouse.service', '- unit geth.service', '+ unit teku.service', '+ unit nethermind.service', '- directory /var/lib/lighthouse']) {
      expect(plan.stdout).toContain(line);
    }
    const r = await nodeform('apply', '-i', switched, playbook, '--yes', '--limit', h.name);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await unitState(lab, h, 'teku.service')).toMatchObject({ enabled: 'enabled', active: 'active' });
    expect(await unitState(lab, h, 'nethermind.service')).toMatchObject({ enabled: 'enabled', active: 'active' });
    expect(await unitState(lab, h, 'lighthouse.service')).toMatchObject({ enabled: '', active: 'inactive' });
    expect(await unitState(lab, h, 'geth.service')).toMatchObject({ enabled: '', active: 'inactive' });
    expect(await waitFor('nethermind JSON-RPC', () => rpc(h, 'eth_chainId'))).toBe(`0x${(39438162).toString(16)}`);
    // The old clients' data stays: a switch back would not re-sync from scratch.
    expect(await hostSh(lab, h, 'test -d /var/lib/lighthouse/beacon && test -d /var/lib/geth/geth && echo kept')).toBe('kept\n');
    expect((await nodeform('plan', '-i', switched, playbook, '--limit', h.name, '--detailed-exitcode')).code).toBe(0);

    // The same switch on another host with --prune-data takes the old clients' data with it.
    const other = lab.hosts[1]!;
    const pruned = writeInventory(lab, 'node-switch-pruned', {
      vars: { network: { name: 'ephemery', iteration: 'latest', release_url: `${release.url}/releases` }, checkpoint_sync: { providers: [provider.url] } },
      hosts: Object.fromEntries(lab.hosts.map((x) => [x.name, x === h || x === other ? nodeVars(x, 'teku', 'nethermind') : nodeVars(x, 'lighthouse', 'geth')])),
    });
    const p = await nodeform('apply', '-i', pruned, playbook, '--yes', '--limit', other.name, '--prune-data');
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toContain('- directory /var/lib/lighthouse  (no longer declared; removed with its contents (--prune-data))');
    expect(await hostSh(lab, other, 'test -e /var/lib/lighthouse || test -e /var/lib/geth || echo gone')).toBe('gone\n');
  });
});
