// Hardening on a real host: a state directory on a full filesystem, a lock holder file left empty, a link that
// freezes mid-apply or mid-upload, and reset of a user nodeform changed.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGE_BLOCK_BYTES } from '../../src/apply/script.js';
import { identityOf, pendingName } from '../../src/files/digest.js';
import { startLab, type Lab, type LabHost } from './lab.js';
import { startProxy, type Proxy } from './proxy.js';
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

/** An inventory that reaches the host through a proxy: its address is the proxy's, its host key the host's own. */
function through(name: string, link: Proxy, state: string): string {
  const knownHosts = join(lab.dir, `${name}-known_hosts`);
  const key = readFileSync(lab.knownHosts, 'utf8').split('\n').find((l) => l.startsWith(`${h.address} `))!;
  writeFileSync(knownHosts, `${key.replace(h.address, `[127.0.0.1]:${link.port}`)}\n`);
  return writeInventory(lab, name, { vars: { nodeform_state_dir: state, nodeform_known_hosts_file: knownHosts }, hosts: { [h.name]: { ansible_host: '127.0.0.1', ansible_port: link.port } } });
}

/** Waits (100 ms steps, 30 s at most) until a shell test on the host succeeds. */
async function until(what: string, test: string): Promise<void> {
  for (let i = 0; (await lab.sh(h, test)).code !== 0; i++) {
    if (i > 300) throw new Error(`${what}: still not so after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

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

  it('a lock whose holder file is empty (a run killed while its disk was full) is taken over as dead, and apply says so', async () => {
    const state = '/var/lib/nodeform-emptylock';
    const inventory = writeInventory(lab, 'emptylock', { vars: { nodeform_state_dir: state } });
    const playbook = writePlaybook(lab, 'emptylock', [{ name: 'emptylock', hosts: 'all', files: [{ path: '/etc/hard-lock.conf', content: 'taken = {{v}}\n' }] }]);
    expect((await nodeform('apply', '-i', inventory, playbook, '--yes', '-e', 'v=1')).code).toBe(0);
    // What a run killed while writing its holder on a full disk leaves: the lock directory, its holder empty.
    await hostSh(lab, h, `mkdir -p ${state}/lock && : > ${state}/lock/holder`);
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes', '-e', 'v=2', '--lock-timeout', '2');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${h.name}: applied \\(generation 2, [\\d.]+s\\)\n  took over the lock: its holder file could not be read \\(empty or cut short\\), so its run counts as dead\n`, 'm'));
    expect(r.stdout).not.toContain('still alive');
    expect(await hostSh(lab, h, `cat /etc/hard-lock.conf; test -e ${state}/lock || echo unlocked`)).toBe('taken = 2\nunlocked\n');
  });

  it('a link that freezes mid-apply: noticed within --dead-link-timeout, reported as an unknown outcome (not unreachable); the host finishes and plan shows it', async () => {
    const state = '/var/lib/nodeform-frozen';
    const marker = '/run/hard-frozen.started';
    // Through a proxy this test can freeze.
    const link = await startProxy({ target: { host: h.address, port: h.port }, listen: { host: '127.0.0.1' } });
    try {
      const proxied = through('frozen', link, state);
      const direct = writeInventory(lab, 'frozen-direct', { vars: { nodeform_state_dir: state } });
      const playbook = writePlaybook(lab, 'frozen', [
        {
          name: 'frozen',
          hosts: 'all',
          files: [{ path: '/etc/hard-frozen.conf', content: 'frozen = yes\n' }],
          // Its start takes a while: the link freezes while the apply script waits for it.
          units: [{ name: 'hard-slow.service', content: `[Unit]\nDescription=slow start\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'touch ${marker}; sleep 6'\n\n[Install]\nWantedBy=multi-user.target\n`, enabled: true, active: true }],
        },
      ]);
      const running = nodeform('apply', '-i', proxied, playbook, '--yes', '--dead-link-timeout', '2');
      await until('the unit started', `test -e ${marker}`);
      link.freeze();
      const r = await running;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(`^${h.name}: failed: ${h.name}: outcome unknown: the connection was lost while the command ran \\(no answer from the host within 2000 ms \\(Keepalive timeout\\)\\); run plan to see what changed`, 'm'),
      );
      expect(r.stdout + r.stderr).not.toContain('unreachable');
      // The host went on: once its apply script is done (its lock gone), plan over a working link finds nothing to do.
      await until('the apply script ended on the host', `! test -e ${state}/lock`);
      expect(await hostSh(lab, h, 'cat /etc/hard-frozen.conf; systemctl is-active hard-slow.service')).toBe('frozen = yes\nactive\n');
      const plan = await nodeform('plan', '-i', direct, playbook, '--detailed-exitcode');
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toContain('No changes');
    } finally {
      await link.close();
    }
  });

  it('a link that freezes mid-upload of a large source: file: noticed within --dead-link-timeout, the target never partial; a new apply, while the frozen session still holds the host, resumes the upload', async () => {
    const state = '/var/lib/nodeform-upfreeze';
    const target = '/etc/hard-up/big.bin';
    const size = 16 * 1024 * 1024;
    const old = Buffer.from('old = yes\n');
    const bytes = randomBytes(size);
    const playbook = writePlaybook(lab, 'upfreeze', [{ name: 'upfreeze', hosts: 'all', directories: [{ path: '/etc/hard-up', mode: '0755' }], files: [{ path: target, source: 'upfreeze.bin' }] }]);
    const direct = writeInventory(lab, 'upfreeze-direct', { vars: { nodeform_state_dir: state } });
    writeFileSync(join(lab.dir, 'upfreeze.bin'), old);
    expect((await nodeform('apply', '-i', direct, playbook, '--yes')).code).toBe(0);
    const source = join(lab.dir, 'upfreeze.bin');
    writeFileSync(source, bytes);
    // apply --yes sends a large file whose digest is not cached while it hashes it: staged under a placeholder name
    // (of its path, size and identity) until the sha256 the controller says after the bytes names it.
    const placeholder = pendingName({ path: realpathSync(source), size, identity: identityOf(statSync(source)) })!;
    const part = `${state}/staging/${placeholder}.part`;
    // The stage command of this upload on the host (the bracket keeps this pattern from matching its own shell).
    const uploading = `pgrep -f '${state} [${placeholder[0]}]${placeholder.slice(1)} '`;

    // Every size the target path has, sampled every 10 ms on the host until the end.
    const stop = `/run/upfreeze-watch.stop`;
    const watching = lab.sh(h, `rm -f ${stop}; while [ ! -e ${stop} ]; do stat -c %s ${target} 2>/dev/null || echo absent; sleep 0.01; done`);

    // The link freezes once 4.5 MiB crossed it (planning takes far less): in the middle of the upload, and in the
    // middle of one of the host's block writes (dd's, STAGE_BLOCK_BYTES each), whose bytes the host's dd then holds.
    const freezeAt = 4.5 * 1024 * 1024;
    const link = await startProxy({ target: { host: h.address, port: h.port }, listen: { host: '127.0.0.1' }, freezeAfterBytes: { direction: 'up', bytes: freezeAt } });
    const again = await startProxy({ target: { host: h.address, port: h.port }, listen: { host: '127.0.0.1' } });
    try {
      const r = await nodeform('apply', '-i', through('upfreeze', link, state), playbook, '--yes', '--dead-link-timeout', '2');
      expect(link.bytesUp).toBe(freezeAt);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      // Not "outcome unknown": the upload writes nothing but the staging area, so the host's files are known to be as they were.
      expect(r.stdout).toMatch(
        new RegExp(
          `^${h.name}: failed: the connection was lost during the upload of a ${size}-byte file \\(${realpathSync(source).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, hashed as it is sent\\) \\(no answer from the host within 2000 ms \\(Keepalive timeout\\)\\): ` +
            `nothing on the host was changed but ${state}/staging, where what arrived waits; apply again to resume$`,
          'm',
        ),
      );
      expect(r.stdout + r.stderr).not.toContain('outcome unknown');
      expect(r.stdout + r.stderr).not.toContain('unreachable');
      // The freeze landed in the upload: part of the file is staged, and the host holds more that crossed the link
      // but is not written yet; the target is as it was.
      const staged = Number(await hostSh(lab, h, `stat -c %s ${part}`));
      expect(staged).toBeGreaterThan(1024 * 1024);
      expect(staged).toBeLessThan(freezeAt);
      expect(staged % STAGE_BLOCK_BYTES, 'dd writes whole blocks: the one it held when the link froze is not in the part').toBe(0);
      expect(await hostSh(lab, h, `cat ${target}`)).toBe(old.toString());
      // Nothing told the host's sshd: the cut upload's command still waits there for the rest, its part open.
      expect((await lab.sh(h, uploading)).code, 'the frozen upload still runs on the host').toBe(0);

      // The link is back (a new connection): apply sends only the missing bytes, and finishes.
      const second = await nodeform('apply', '-i', through('upfreeze-again', again, state), playbook, '--yes');
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(again.bytesUp).toBeGreaterThan(size - staged);
      expect(again.bytesUp).toBeLessThan(size - staged + 1024 * 1024);
      expect(await hostSh(lab, h, `sha256sum < ${target} | cut -c1-64; ls -A ${state}/staging`)).toBe(`${sha256(bytes)}\n`);

      // Once the frozen session ends (its TCP connection closed), its command ends too and spoils nothing.
      await link.close();
      await until('the frozen upload ended on the host', `! ${uploading} >/dev/null`);
      expect(await hostSh(lab, h, `sha256sum < ${target} | cut -c1-64; ls -A /etc/hard-up ${state}/staging`)).toBe(`${sha256(bytes)}\n/etc/hard-up:\nbig.bin\n\n${state}/staging:\n`);
      const plan = await nodeform('plan', '-i', direct, playbook, '--detailed-exitcode');
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toContain('No changes');
    } finally {
      await link.close();
      await again.close();
      await lab.sh(h, `touch ${stop}`);
    }
    // Whenever the target path was looked at, it held the old file or the whole new one, never part of it.
    const seen = new Set((await watching).stdout.split('\n').filter(Boolean));
    expect([...seen].sort()).toEqual([String(old.length), String(size)].sort());
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
