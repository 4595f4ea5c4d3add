// The reconciler core against real hosts: sshd and systemd in lab containers, the real CLI in-process.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/project/load.js';
import { planAll } from '../../src/apply/run.js';
import { TransportPool } from '../../src/transport/ssh/index.js';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { startProxy } from './proxy.js';
import { hostSh, nodeform, snapshot, testHome, unitState, writeInventory, writePlaybook } from './support.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const SERVICE = (what: string) => `[Unit]
Description=nodeform lab ${what}

[Service]
ExecStart=/bin/sh -c 'while :; do sleep 3600; done'
NoNewPrivileges=yes

[Install]
WantedBy=multi-user.target
`;

/** A unit that runs a moment, then exits with an error, and is restarted by systemd: a client refusing a flag. */
const CRASHY = (version: number) => `[Unit]
Description=nodeform lab crashy ${version}

[Service]
ExecStart=/bin/sh -c 'sleep 1; exit 3'
Restart=on-failure
RestartSec=200ms
`;

function corePlay(withOther: boolean) {
  return [
    {
      name: 'core',
      hosts: 'all',
      users: [{ name: 'coresvc', system: true }],
      directories: [
        { path: '/etc/core', mode: '0755', owner: 'root', group: 'root' },
        { path: '/var/lib/core', mode: '0750', owner: 'coresvc', group: 'coresvc' },
      ],
      files: [
        { path: '/etc/core/app.conf', content: 'greeting = {{core_greeting}}\nhost = {{inventory_hostname}}\n', mode: '0640', owner: 'root', group: 'coresvc', tags: ['config'] },
        { path: '/etc/core/static.txt', content: 'static\n' },
        { path: '/etc/default/core-pre', content: 'managed by nodeform\n', mode: '0644' },
      ],
      units: [
        { name: 'core-app.service', content: SERVICE('app'), enabled: true, active: true, restart_on: ['/etc/core/app.conf'], tags: ['service'] },
        ...(withOther ? [{ name: 'core-other.service', content: SERVICE('other'), enabled: true, active: true }] : []),
      ],
    },
  ];
}

const TOUCHED = ['/etc/core', '/var/lib/core', '/etc/core/app.conf', '/etc/core/static.txt', '/etc/default/core-pre', '/etc/systemd/system/core-app.service', '/etc/systemd/system/core-other.service'];

let lab: Lab;
let inventory: string;
let playbook: string;
let h1: LabHost;
let h2: LabHost;
let h3: LabHost;
const originals = new Map<string, Record<string, string>>();

beforeAll(async () => {
  lab = await startLab({ name: 'core', count: 3, slot: 3 });
  [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
  inventory = writeInventory(lab, 'core', { vars: { core_greeting: 'hello' } });
  playbook = writePlaybook(lab, 'core', corePlay(true));
  for (const h of lab.hosts) {
    await hostSh(lab, h, "printf 'original\\n' > /etc/default/core-pre && chmod 600 /etc/default/core-pre");
    originals.set(h.name, await snapshot(lab, h, TOUCHED));
  }
});
afterAll(async () => {
  await lab?.stop();
});

describe.sequential('reconciler core on real hosts', () => {
  it('validate checks inventory and playbook without contacting a host', async () => {
    const r = await nodeform('validate', '-i', inventory, playbook);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('plans with one SSH exec per host after the handshake', async () => {
    const project = await loadProject({ inventoryPath: inventory, playbookPath: playbook, extraVars: [] });
    const pool = new TransportPool({ env: {}, homeDir: testHome, localUser: 'root' });
    const transports = new Map<string, { stats: { execs: number } }>();
    try {
      const planned = await planAll(project.desired, async (c) => {
        const t = await pool.get(c);
        transports.set(c.name, t);
        return t;
      }, { forks: 10, lockTimeoutSeconds: 0 }, { removeUndeclared: true });
      expect(planned.map((p) => p.plan.error)).toEqual([undefined, undefined, undefined]);
      expect([...transports.values()].map((t) => t.stats.execs)).toEqual([1, 1, 1]);
    } finally {
      await pool.closeAll();
    }
    const cli = await nodeform('plan', '-i', inventory, playbook, '--detailed-exitcode');
    expect(cli.code).toBe(2);
    expect(cli.stdout).toContain('+ file /etc/core/app.conf');
    expect(cli.stdout).toContain('~ file /etc/default/core-pre');
    expect(cli.stdout).toContain('-original');
  });

  it('applies: files, owners, modes, users and running units', async () => {
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Summary: 3 applied.');
    for (const h of lab.hosts) {
      expect(await hostSh(lab, h, 'cat /etc/core/app.conf')).toBe(`greeting = hello\nhost = ${h.name}\n`);
      expect(await hostSh(lab, h, "stat -c '%a %U %G' /etc/core/app.conf /var/lib/core")).toBe('640 root coresvc\n750 coresvc coresvc\n');
      expect(await unitState(lab, h, 'core-app.service')).toMatchObject({ enabled: 'enabled', active: 'active' });
      expect(await unitState(lab, h, 'core-other.service')).toMatchObject({ enabled: 'enabled', active: 'active' });
    }
  });

  it('applies again writing no file and restarting nothing', async () => {
    const stamps = 'stat -c %y /etc/core/app.conf /etc/core/static.txt /etc/default/core-pre /etc/systemd/system/core-app.service; ls -a /etc/core';
    const before = await hostSh(lab, h1, stamps);
    const unitsBefore = [await unitState(lab, h1, 'core-app.service'), await unitState(lab, h1, 'core-other.service')];
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No changes on 3 host(s).');
    expect(await hostSh(lab, h1, stamps)).toBe(before);
    expect([await unitState(lab, h1, 'core-app.service'), await unitState(lab, h1, 'core-other.service')]).toEqual(unitsBefore);
    const plan = await nodeform('plan', '-i', inventory, playbook, '--detailed-exitcode');
    expect(plan.code).toBe(0);
  });

  it('shows a hand edit as a diff, on that host only', async () => {
    await hostSh(lab, h1, "sed -i 's/^greeting = .*/greeting = edited/' /etc/core/app.conf");
    const r = await nodeform('plan', '-i', inventory, playbook, '--detailed-exitcode');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(['      @@ -1,2 +1,2 @@', '      -greeting = edited', '      +greeting = hello', `       host = ${h1.name}`].join('\n'));
    expect(r.stdout).toContain('↻ restart unit core-app.service  (input /etc/core/app.conf changed)');
    expect(r.stdout).toContain('Plan: 0 to create, 1 to update, 0 to remove, 1 to restart, on 1 of 3 host(s).');
    const json = JSON.parse((await nodeform('plan', '-i', inventory, playbook, '--json')).stdout);
    expect(json.hosts.map((h: { changes: unknown[] }) => h.changes.length)).toEqual([2, 0, 0]);
  });

  it('refuses a saved plan once the host drifted again, naming what drifted', async () => {
    const planFile = join(lab.dir, 'saved-plan.json');
    const saved = await nodeform('plan', '-i', inventory, playbook, '--out', planFile);
    expect(saved.code).toBe(0);
    await hostSh(lab, h1, "sed -i 's/^greeting = .*/greeting = edited twice/' /etc/core/app.conf");
    const r = await nodeform('apply', '--plan', planFile, '--yes');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${h1.name}: drifted: refused: the host drifted since the plan:\\n +/etc/core/app.conf content changed since the plan`));
    expect(await hostSh(lab, h1, 'head -1 /etc/core/app.conf')).toBe('greeting = edited twice\n');
    // A fresh plan and apply converge.
    expect((await nodeform('apply', '-i', inventory, playbook, '--yes')).code).toBe(0);
    expect(await hostSh(lab, h1, 'head -1 /etc/core/app.conf')).toBe('greeting = hello\n');
  });

  it('restarts a unit when one of its declared inputs changes, and nothing else', async () => {
    const before = { app: await unitState(lab, h2, 'core-app.service'), other: await unitState(lab, h2, 'core-other.service') };
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes', '-e', 'core_greeting=changed');
    expect(r.code, r.stdout).toBe(0);
    const after = { app: await unitState(lab, h2, 'core-app.service'), other: await unitState(lab, h2, 'core-other.service') };
    expect(after.app.active).toBe('active');
    expect(Number(after.app.since)).toBeGreaterThan(Number(before.app.since));
    expect(after.other).toEqual(before.other);
  });

  it('fails a host whose unit exits a moment after its start and is restarted by systemd (--up-for), naming it', async () => {
    const withCrashy = (version: number) => {
      const plays = corePlay(true);
      plays[0]!.units.push({ name: 'core-crashy.service', content: CRASHY(version), enabled: true, active: true });
      return writePlaybook(lab, `core-crashy-${version}`, plays);
    };
    // Checked right after its start only (--up-for 0), it is running: the apply passes, as it did before --up-for.
    const once = await nodeform('apply', '-i', inventory, withCrashy(1), '--yes', '--limit', h3.name, '--up-for', '0');
    expect(once.code, once.stdout).toBe(0);
    // Its unit file changes: restarted, and watched for the default 3 s, in which systemd restarts it on its own.
    const watched = await nodeform('apply', '-i', inventory, withCrashy(2), '--yes', '--limit', h3.name);
    expect(watched.code, watched.stdout).toBe(1);
    expect(watched.stdout).toMatch(new RegExp(`^${h3.name}: failed \\(generation \\d+, [\\d.]+s\\): core-crashy\\.service (was restarted (once|\\d+ times) on its own within 3 s of its start \\(it exits: |exited within 3 s of its start and waits to be restarted(, restarted (once|\\d+ times) already)? \\()journalctl -u core-crashy\\.service says why\\)`, 'm'));
    // The core playbook again: the crashy unit, no longer declared, is stopped and removed. (Units that stay up pass
    // the watch: every other apply here that starts one.)
    const back = await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h3.name);
    expect(back.code, back.stdout).toBe(0);
    expect(await unitState(lab, h3, 'core-crashy.service')).toMatchObject({ active: 'inactive' });
  });

  it('leaves out a file whose directory the host lacks (a mistyped path): the plan says why, the rest is applied, nothing half-written', async () => {
    const plays = corePlay(true);
    plays[0]!.files.push({ path: '/etc/core-typo/extra.conf', content: 'typo\n' }, { path: '/etc/core/extra.conf', content: 'extra\n' });
    const typo = await nodeform('apply', '-i', inventory, writePlaybook(lab, 'core-typo', plays), '--yes', '--limit', h3.name);
    expect(typo.code, typo.stdout + typo.stderr).toBe(0);
    expect(typo.stdout).toContain(
      'warning: /etc/core-typo/extra.conf is not written: its directory /etc/core-typo does not exist on the host and no directories: entry makes it; declare /etc/core-typo under directories: (nodeform then creates it) or change the path',
    );
    expect(typo.stdout).not.toContain('+ file /etc/core-typo/extra.conf');
    expect((await hostSh(lab, h3, 'cat /etc/core/extra.conf; test -e /etc/core-typo && echo there || echo absent')).trim()).toBe('extra\nabsent');
    // Declared, the directory is made first and the file written into it.
    plays[0]!.directories.push({ path: '/etc/core-typo', mode: '0755', owner: 'root', group: 'root' });
    const fixed = await nodeform('apply', '-i', inventory, writePlaybook(lab, 'core-typo-fixed', plays), '--yes', '--limit', h3.name);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect((await hostSh(lab, h3, 'cat /etc/core-typo/extra.conf')).trim()).toBe('typo');
    // The core playbook again: both files and the directory go.
    const back = await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h3.name);
    expect(back.code, back.stdout).toBe(0);
    expect((await hostSh(lab, h3, 'ls /etc/core-typo /etc/core/extra.conf 2>&1 | wc -l')).trim()).toBe('2');
  });

  it('serialises concurrent applies on the host lock: one applies, the other never applies on top of it', async () => {
    const gens = async () => (await hostSh(lab, h1, 'ls /var/lib/nodeform/generations | wc -l')).trim();
    const before = Number(await gens());
    const [a, b] = await Promise.all([
      nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h1.name, '-e', 'core_greeting=race'),
      nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h1.name, '-e', 'core_greeting=race'),
    ]);
    // The later one either planned before the first took the lock (then its preconditions fail: refused as drifted)
    // or its probe waited for the first to finish (then nothing is left to do).
    const statuses = [a, b].map((r) => r.stdout.match(new RegExp(`^${h1.name}: (\\w+)`, 'm'))?.[1] ?? (r.stdout.includes('No changes on 1 host(s).') ? 'no changes' : r.stdout)).sort();
    expect([['applied', 'drifted'], ['applied', 'no changes']]).toContainEqual(statuses);
    expect(Number(await gens())).toBe(before + 1);
    expect(await hostSh(lab, h1, 'head -1 /etc/core/app.conf')).toBe('greeting = race\n');
  });

  it("a plan made while another run applies waits for it, and plans from what it left, not from a unit caught restarting", async () => {
    // A unit that takes 2 s to stop: a restart of it is under way, the unit deactivating, for that long.
    const plays = corePlay(true);
    plays[0]!.units[0]!.content = SERVICE('app').replace('NoNewPrivileges=yes', 'NoNewPrivileges=yes\nExecStop=/bin/sleep 2');
    const slow = writePlaybook(lab, 'core-slow-stop', plays);
    const first = await nodeform('apply', '-i', inventory, slow, '--yes', '--limit', h1.name, '--up-for', '0');
    expect(first.code, first.stdout).toBe(0);
    const applying = nodeform('apply', '-i', inventory, slow, '--yes', '--limit', h1.name, '--up-for', '0', '-e', 'core_greeting=waited');
    await hostSh(lab, h1, 'for i in $(seq 200); do [ -d /var/lib/nodeform/lock ] && exit 0; sleep 0.05; done; exit 1');
    const plan = await nodeform('plan', '-i', inventory, slow, '--limit', h1.name, '-e', 'core_greeting=waited');
    const applied = await applying;
    expect(applied.code, applied.stdout).toBe(0);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes on 1 host(s).');
    expect(plan.stderr).toMatch(new RegExp(`^${h1.name}: waiting up to 60 s \\(--lock-timeout\\) for another nodeform run \\(run \\w+ from \\S+, pid \\d+\\) since \\S+ to finish$`, 'm'));
    // The core playbook again: its unit as before.
    const back = await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h1.name, '--up-for', '0');
    expect(back.code, back.stdout).toBe(0);
  });

  it('waits for a live lock holder, names it, and takes over a dead one', async () => {
    // A holder that is alive: a sleeping process on the host stands in for another run.
    const pid = (await hostSh(lab, h2, "sleep 60 >/dev/null 2>&1 & echo $!")).trim();
    const boot = (await hostSh(lab, h2, 'cat /proc/sys/kernel/random/boot_id')).trim();
    await hostSh(lab, h2, `mkdir -p /var/lib/nodeform/lock && printf 'feedbeef\\tops@elsewhere\\t${pid}\\t${boot}\\t2026-11-22T10:00:00Z\\n' > /var/lib/nodeform/lock/holder`);
    const locked = await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h2.name, '--lock-timeout', '2', '-e', 'core_greeting=locked');
    expect(locked.code).toBe(1);
    expect(locked.stdout).toContain(`${h2.name}: locked: locked by another nodeform run (run feedbeef from ops@elsewhere, pid ${pid}) since 2026-11-22T10:00:00Z`);
    // drift waits as long, then checks nothing: what differs could be that run's changes half made.
    const drift = await nodeform('drift', '-i', inventory, '--limit', h2.name, '--lock-timeout', '1');
    expect(drift.code, drift.stdout).toBe(1);
    expect(drift.stdout + drift.stderr).toContain(`locked by another nodeform run (run feedbeef from ops@elsewhere, pid ${pid}) since 2026-11-22T10:00:00Z`);
    // A plan waits for it as long, then reads anyway and says the host is being changed.
    const planned = await nodeform('plan', '-i', inventory, playbook, '--limit', h2.name, '--lock-timeout', '1', '-e', 'core_greeting=locked');
    expect(planned.stdout + planned.stderr).toContain(`warning: read while the host's lock was held, to the end of --lock-timeout, by another nodeform run (run feedbeef from ops@elsewhere, pid ${pid}) since 2026-11-22T10:00:00Z: this plan may show that run's changes half made; plan again once it is done`);
    await hostSh(lab, h2, `kill ${pid}`);
    const taken = await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h2.name, '-e', 'core_greeting=locked');
    expect(taken.code, taken.stdout).toBe(0);
    expect(await hostSh(lab, h2, 'head -1 /etc/core/app.conf; ls /var/lib/nodeform')).toBe('greeting = locked\napplied\nblobs\ngenerations\nmanaged\noriginal\n');
  });

  it('apply --yes starts no early upload of a large file to a host another run still holds', async () => {
    const [core] = corePlay(true);
    const plays = [{ ...core!, files: [...core!.files, { path: '/etc/core/big.bin', source: 'core-big.bin' }] }];
    writeFileSync(join(lab.dir, 'core-big.bin'), Buffer.alloc(17 * 1024 * 1024, 7)); // over the size hashed while hosts are probed
    const pid = (await hostSh(lab, h2, "sleep 60 >/dev/null 2>&1 & echo $!")).trim();
    const boot = (await hostSh(lab, h2, 'cat /proc/sys/kernel/random/boot_id')).trim();
    await hostSh(lab, h2, `mkdir -p /var/lib/nodeform/lock && printf 'feedbeef\\tops@elsewhere\\t${pid}\\t${boot}\\t2026-11-22T10:00:00Z\\n' > /var/lib/nodeform/lock/holder`);
    try {
      // h3 is applied meanwhile (the run lasts as long as its upload and script): time enough for an upload to h2.
      const run = await nodeform('apply', '-i', inventory, writePlaybook(lab, 'core-big', plays), '--yes', '--limit', `${h2.name}:${h3.name}`, '--lock-timeout', '1');
      expect(run.code, run.stdout).toBe(1);
      expect(run.stdout).toContain(`${h2.name}: locked: locked by another nodeform run (run feedbeef from ops@elsewhere, pid ${pid})`);
      expect(run.stdout).toMatch(new RegExp(`^${h3.name}: applied`, 'm'));
      expect((await hostSh(lab, h2, 'ls -A /var/lib/nodeform/staging 2>/dev/null | wc -l')).trim()).toBe('0');
    } finally {
      await hostSh(lab, h2, `kill ${pid}; rm -rf /var/lib/nodeform/lock`);
    }
    // The core playbook again on h3: the large file goes.
    const back = await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h3.name);
    expect(back.code, back.stdout).toBe(0);
  });

  it('stops, disables and removes a unit that is no longer declared', async () => {
    const without = writePlaybook(lab, 'core-without-other', corePlay(false));
    const plan = await nodeform('plan', '-i', inventory, without);
    expect(plan.stdout).toContain('- unit core-other.service  (active=true, enabled=true; no longer declared)');
    const r = await nodeform('apply', '-i', inventory, without, '--yes');
    expect(r.code, r.stdout).toBe(0);
    for (const h of lab.hosts) {
      expect(await unitState(lab, h, 'core-other.service')).toMatchObject({ enabled: '', active: 'inactive' });
      expect((await snapshot(lab, h, ['/etc/systemd/system/core-other.service']))['/etc/systemd/system/core-other.service']).toBe('absent');
    }
    expect((await nodeform('plan', '-i', inventory, without, '--detailed-exitcode')).code).toBe(0);
  });

  it('works through a non-root login with sudo (become)', async () => {
    const inv = writeInventory(lab, 'become', { vars: { core_greeting: 'hello', ansible_user: 'deploy', ansible_become: true } });
    const r = await nodeform('apply', '-i', inv, playbook, '--yes', '--limit', h3.name);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await hostSh(lab, h3, 'cat /etc/core/app.conf; stat -c %U /etc/core/app.conf')).toBe(`greeting = hello\nhost = ${h3.name}\nroot\n`);
  });

  it('refuses unknown and changed host keys; --accept-new records new ones only', async () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'nodeform-kh-')), 'known_hosts');
    writeFileSync(empty, '');
    const inv = writeInventory(lab, 'hostkeys', { vars: { core_greeting: 'hello', nodeform_known_hosts_file: empty }, only: [h1] });
    const unknown = await nodeform('plan', '-i', inv, playbook);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/unknown host key ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}/);
    const accepted = await nodeform('plan', '-i', inv, playbook, '--accept-new');
    expect(accepted.code, accepted.stdout).toBe(0);
    expect(readFileSync(empty, 'utf8')).toContain(h1.address);
    // Another host's key recorded for this address: a changed key, refused even with --accept-new.
    const otherKey = readFileSync(lab.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${h2.address} `))!;
    writeFileSync(empty, `${otherKey.replace(h2.address, h1.address)}\n`);
    const changed = await nodeform('plan', '-i', inv, playbook, '--accept-new');
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('HOST KEY CHANGED');
  });

  it('--known-hosts adds a known_hosts file to every host\'s own', async () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'nodeform-kh-')), 'known_hosts');
    writeFileSync(empty, '');
    const inv = writeInventory(lab, 'known-hosts-option', { vars: { core_greeting: 'hello', nodeform_known_hosts_file: empty }, only: [h1] });
    const unknown = await nodeform('plan', '-i', inv, playbook);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('unknown host key');
    const known = await nodeform('plan', '-i', inv, playbook, '--known-hosts', lab.knownHosts);
    expect(known.code, known.stdout + known.stderr).toBe(0);
    expect(readFileSync(empty, 'utf8')).toBe('');
  });

  it('leaves every file whole when the connection is cut mid-apply, and the next apply converges', async () => {
    const filler = 'x'.repeat(70_000); // over the probe's diff limit: the probe's answer stays small
    const files = Array.from({ length: 12 }, (_, i) => `/srv/cut/file-${String(i).padStart(2, '0')}`);
    const content = (v: number, path: string) => `version ${v} of ${path}\n${filler}\n`;
    const cutPlaybook = writePlaybook(lab, 'cut', [
      {
        name: 'cut',
        hosts: 'all',
        directories: [{ path: '/srv/cut', mode: '0755', owner: 'root', group: 'root' }],
        files: files.map((path) => ({ path, content: `version {{cut_version}} of ${path}\n${filler}\n` })),
      },
    ]);
    const hostKey = readFileSync(lab.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${h2.address} `))!;
    const direct = writeInventory(lab, 'cut-direct', { vars: { nodeform_state_dir: '/var/lib/nodeform-cut' }, only: [h2] });
    const check = async (allowed: number[]) => {
      const snap = await snapshot(lab, h2, files);
      for (const path of files) {
        const valid = allowed.map((v) => sha(content(v, path)));
        expect(valid, `${path} is neither wholly old nor wholly new`).toContain(snap[path]!.split(' ').pop());
      }
      expect(await hostSh(lab, h2, 'ls -a /srv/cut | grep -c nodeform-tmp || true')).toBe('0\n');
    };
    expect((await nodeform('apply', '-i', direct, cutPlaybook, '--yes', '-e', 'cut_version=0')).code).toBe(0);

    // Measure one whole apply through the proxy, then cut later runs at points across it.
    const measure = await startProxy({ target: { host: h2.address, port: 22 }, listen: { host: slotAddress(lab.slot, 200), port: 2200 } });
    const knownHosts = join(lab.dir, 'cut-known-hosts');
    writeFileSync(knownHosts, `${hostKey.replace(h2.address, `[${slotAddress(lab.slot, 200)}]:2200`)}\n`);
    const proxied = writeInventory(lab, 'cut-proxied', {
      vars: { nodeform_state_dir: '/var/lib/nodeform-cut', nodeform_known_hosts_file: knownHosts },
      hosts: { [h2.name]: { ansible_host: slotAddress(lab.slot, 200), ansible_port: 2200 } },
      only: [h2],
    });
    expect((await nodeform('apply', '-i', proxied, cutPlaybook, '--yes', '-e', 'cut_version=1')).code).toBe(0);
    const total = { up: measure.bytesUp, down: measure.bytesDown };
    await measure.close();

    let version = 1;
    let failedRuns = 0;
    const cuts = [
      { direction: 'up' as const, bytes: Math.floor(total.up * 0.5) },
      { direction: 'up' as const, bytes: Math.floor(total.up * 0.97) },
      { direction: 'down' as const, bytes: total.down - 1200 },
      { direction: 'down' as const, bytes: total.down - 700 },
      { direction: 'down' as const, bytes: total.down - 300 },
    ];
    for (const cut of cuts) {
      version += 1;
      const proxy = await startProxy({ target: { host: h2.address, port: 22 }, listen: { host: slotAddress(lab.slot, 200), port: 2200 }, cutAfterBytes: cut });
      const r = await nodeform('apply', '-i', proxied, cutPlaybook, '--yes', '-e', `cut_version=${version}`);
      await proxy.close();
      // A cut that lands after the host reported back leaves a complete apply; any earlier one fails the run.
      if (r.code !== 0) failedRuns += 1;
      await check(r.code === 0 ? [version] : [version - 1, version]);
      const converge = await nodeform('apply', '-i', direct, cutPlaybook, '--yes', '-e', `cut_version=${version}`);
      expect(converge.code, converge.stdout).toBe(0);
      await check([version]);
      expect((await nodeform('plan', '-i', direct, cutPlaybook, '--detailed-exitcode', '-e', `cut_version=${version}`)).code).toBe(0);
    }
    expect(failedRuns).toBeGreaterThanOrEqual(3);
  });

  it('resets to the original state byte for byte: content, modes, owners, units', async () => {
    const plan = await nodeform('plan', '-i', inventory, playbook);
    expect(plan.code).toBe(0);
    const r = await nodeform('reset', '-i', inventory, '--to', 'original', '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of lab.hosts) {
      expect(await snapshot(lab, h, TOUCHED)).toEqual(originals.get(h.name));
      expect(await unitState(lab, h, 'core-app.service')).toMatchObject({ enabled: '', active: 'inactive' });
      expect((await lab.sh(h, 'getent passwd coresvc')).code).toBe(2);
    }
    const history = await nodeform('history', '-i', inventory);
    expect(history.stdout).toMatch(/reset-original/);
  });

  it('undoes the last apply with reset --to previous', async () => {
    expect((await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h1.name)).code).toBe(0);
    expect((await nodeform('apply', '-i', inventory, playbook, '--yes', '--limit', h1.name, '-e', 'core_greeting=newer')).code).toBe(0);
    const r = await nodeform('reset', '-i', inventory, '--limit', h1.name, '--yes');
    expect(r.code, r.stdout).toBe(0);
    expect(await hostSh(lab, h1, 'head -1 /etc/core/app.conf')).toBe('greeting = hello\n');
  });

  it('keeps going when one host is down, and names it', async () => {
    await lab.stopHost(h3.name);
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes', '-e', 'core_greeting=partial');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${h3.name}: unreachable: .*${h3.address.replaceAll('.', '\\.')}:22`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${h1.name}: applied`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${h2.name}: applied`, 'm'));
    expect(r.stdout).toMatch(/Summary: .*2 applied.*1 unreachable|Summary: .*1 unreachable.*2 applied/);
  });
});
