// Hardening on a real host: a state directory on a full filesystem, and reset of a user nodeform changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabHost } from './lab.js';
import { hostSh, nodeform, snapshot, writeInventory, writePlaybook } from './support.js';

const STATE = '/var/lib/nodeform-full';
const FILES = ['/etc/hard/app.conf', '/etc/hard/big.bin'];

let lab: Lab;
let h: LabHost;

beforeAll(async () => {
  lab = await startLab({ name: 'hardening', count: 1, slot: 14 });
  h = lab.hosts[0]!;
});
afterAll(async () => {
  await lab?.stop();
});

describe.sequential('hardening on a real host', () => {
  it('a state directory on a full filesystem: apply fails saying so, changes nothing, and reset restores the right generation', async () => {
    // A 1 MiB tmpfs holds the state directory: room for two generations of these files, and no more once filled.
    await hostSh(lab, h, `mkdir -p ${STATE} && mount -t tmpfs -o size=1m,mode=0700 nodeform-full ${STATE}`);
    const inventory = writeInventory(lab, 'full', { vars: { nodeform_state_dir: STATE } });
    const playbook = writePlaybook(lab, 'full', [
      {
        name: 'full',
        hosts: 'all',
        directories: [{ path: '/etc/hard', mode: '0755' }],
        files: [
          { path: '/etc/hard/app.conf', content: 'version = {{v}}\n' },
          // 72 KiB (over the probe's diff limit), so that its backup needs many pages of the state filesystem
          { path: '/etc/hard/big.bin', content: '{{v}}'.padEnd(72 * 1024, '.') + '\n' },
        ],
      },
    ]);
    const apply = (v: number) => nodeform('apply', '-i', inventory, playbook, '--yes', '-e', `v=${v}`);
    const generations = async () => (await hostSh(lab, h, `ls ${STATE}/generations`)).trim().split('\n');
    expect((await apply(1)).code).toBe(0);
    expect((await apply(2)).code).toBe(0);
    const v2 = await snapshot(lab, h, FILES);
    expect(await generations()).toEqual(['000001', '000002']);

    // Fill the filesystem to the brim, then give back `pages` pages at a time: at every amount of room an
    // apply either fails, naming the full filesystem, with every file as it was and no generation left
    // behind, or succeeds whole.
    let applied: number | undefined;
    for (let pages = 0; pages <= 64 && applied === undefined; pages += 1) {
      await hostSh(lab, h, `rm -f ${STATE}/filler; dd if=/dev/zero of=${STATE}/filler bs=4096 2>/dev/null; truncate -s -${pages * 4096} ${STATE}/filler`);
      const r = await apply(3);
      if (r.code === 0) {
        applied = pages;
        expect(await generations()).toEqual(['000001', '000002', '000003']);
        break;
      }
      expect(r.stdout, `with ${pages} page(s) free`).toMatch(new RegExp(`^${h.name}: failed[^:]*: .*is its filesystem full\\?`, 'm'));
      expect(r.stdout).toContain('nothing was changed');
      expect(await snapshot(lab, h, FILES), `with ${pages} page(s) free`).toEqual(v2);
      expect(await generations()).toEqual(['000001', '000002']);
      expect((await lab.sh(h, `test -e ${STATE}/lock`)).code, 'the lock is released').toBe(1);
    }
    // Filled to the brim it failed; with room enough it applied.
    expect(applied).toBeGreaterThan(0);
    expect(await snapshot(lab, h, FILES)).not.toEqual(v2);

    // With room again, reset undoes the last generation that happened (3): back to version 2, byte for byte;
    // and to the original state (no files) from there.
    await hostSh(lab, h, `rm -f ${STATE}/filler`);
    expect((await nodeform('reset', '-i', inventory, '--yes')).code).toBe(0);
    expect(await snapshot(lab, h, FILES)).toEqual(v2);
    expect((await nodeform('reset', '-i', inventory, '--to', 'original', '--yes')).code).toBe(0);
    expect(await snapshot(lab, h, FILES)).toEqual({ '/etc/hard/app.conf': 'absent', '/etc/hard/big.bin': 'absent' });
  });

  it('rolls back an apply whose unit will not start: the files and units as they were, and says so', async () => {
    await hostSh(lab, h, "mkdir -p /etc/roll && printf 'before\\n' > /etc/roll/app.conf && chmod 600 /etc/roll/app.conf");
    const paths = ['/etc/roll/app.conf', '/etc/systemd/system/roll-bad.service'];
    const before = await snapshot(lab, h, paths);
    const inventory = writeInventory(lab, 'roll', { vars: { nodeform_state_dir: '/var/lib/nodeform-roll' } });
    const playbook = writePlaybook(lab, 'roll', [
      {
        name: 'roll',
        hosts: 'all',
        files: [{ path: '/etc/roll/app.conf', content: 'after\n', mode: '0644' }],
        units: [{ name: 'roll-bad.service', content: '[Unit]\nDescription=fails\n\n[Service]\nType=oneshot\nExecStart=/bin/false\n\n[Install]\nWantedBy=multi-user.target\n', enabled: true, active: true }],
      },
    ]);
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${h.name}: failed[^:]*: systemctl start -- roll-bad.service failed; the host was changed in part \\(generation 1 holds what it was\\); rolled back: the host is as it was`, 'm'));
    expect(await snapshot(lab, h, paths)).toEqual(before);
    expect(await hostSh(lab, h, 'systemctl is-enabled roll-bad.service 2>/dev/null || true')).toBe('');
    const history = await nodeform('history', '-i', inventory);
    expect(history.stdout).toMatch(/rollback/);
  });

  it('reset --to original gives a pre-existing user back its shell, home and groups, and removes the users and groups nodeform created', async () => {
    await hostSh(lab, h, 'useradd --create-home --shell /bin/sh --home-dir /home/olduser olduser && groupadd oldgrp && usermod -a -G oldgrp olduser');
    const look = 'getent passwd olduser; id -Gn olduser; for g in hardgrp svcgrp newsvc; do getent group $g || echo no-$g; done; getent passwd newsvc || echo no-newsvc';
    const before = await hostSh(lab, h, look);
    expect(before).toMatch(/^olduser:x:\d+:\d+::\/home\/olduser:\/bin\/sh\nolduser oldgrp\nno-hardgrp\nno-svcgrp\nno-newsvc\nno-newsvc\n$/);
    const inventory = writeInventory(lab, 'users', { vars: { nodeform_state_dir: '/var/lib/nodeform-users' } });
    const playbook = writePlaybook(lab, 'users', [
      {
        name: 'users',
        hosts: 'all',
        users: [
          { name: 'olduser', shell: '/usr/sbin/nologin', home: '/srv/olduser', groups: ['hardgrp'] },
          { name: 'newsvc', system: true, groups: ['svcgrp'] },
        ],
      },
    ]);
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await hostSh(lab, h, 'getent passwd olduser | cut -d: -f6,7; id -Gn olduser; id -Gn newsvc')).toBe('/srv/olduser:/usr/sbin/nologin\nolduser hardgrp\nnewsvc svcgrp\n');
    const reset = await nodeform('reset', '-i', inventory, '--to', 'original', '--yes');
    expect(reset.code, reset.stdout + reset.stderr).toBe(0);
    expect(await hostSh(lab, h, look)).toBe(before);
  });
});
