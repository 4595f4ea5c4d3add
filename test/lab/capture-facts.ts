// npm run capture-facts (as root): regenerates test/fixtures/facts/<case>.json from a real lab host.
// For each case it prepares one fresh lab host (plain shell, or real `nodeform apply`s), runs the facts probe on
// it over real SSH, and writes the probe's request, the sha256 of the probe script, the raw output and the facts
// parse.ts makes of it. Review the diff before committing: the facts there are what the unit test
// (test/unit/facts/fixtures.test.ts) holds parse.ts to. Run it again whenever the probe script changes (that
// test says so).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFacts } from '../../src/facts/parse.js';
import { buildProbe, type ProbeRequest } from '../../src/facts/probe.js';
import { sshArgs, startLab, type Lab, type LabHost } from './lab.js';
import { sha } from '../unit/helpers.js';
import { hostSh, nodeform } from './support.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(repo, 'test/fixtures/facts');
const ZERO = '0'.repeat(64);

interface Case {
  name: string;
  description: string;
  /** Shell run as root on the host before the probe. */
  setup: string[];
  /** nodeform apply runs (arguments after `apply -i INVENTORY`) before the probe. */
  applies?: string[][];
  request: ProbeRequest;
}

const CASES: Case[] = [
  {
    name: 'fresh-host',
    description: 'a host nodeform never touched: no state directory; a file that differs (its bytes come back), a missing path, a directory, a symlink, units known and unknown, users present and absent, programs present and absent',
    setup: [],
    request: {
      stateDir: '/var/lib/nodeform',
      paths: [
        { path: '/etc/debian_version', wantSha: ZERO, wantContent: true },
        { path: '/etc/nodeform-absent.conf', wantSha: ZERO, wantContent: true },
        { path: '/var/lib', wantContent: false },
        { path: '/etc/os-release', wantContent: false },
      ],
      units: ['ssh.service', 'nodeform-absent.service'],
      users: ['root', 'deploy', 'nodeform-nobody'],
      binaries: ['/usr/bin/sha256sum', '/usr/local/bin/geth'],
    },
  },
  {
    name: 'odd-paths',
    description: 'names with a space and a backslash (hashed alone), a setgid directory, a host-made secret (never hashed), a secret that differs, one missing and one as wanted (their digests under the key of the host, made by this first probe in a state directory that did not exist), a file too large to diff, a file already as wanted, and a path asked twice (the first request counts)',
    setup: [
      "mkdir -p '/srv/odd dir' /srv/shared",
      "printf 'spaced\\n' > '/srv/odd dir/with space.txt'",
      "printf 'slashed\\n' > '/srv/odd dir/back\\slash.txt'",
      'chown root:deploy /srv/shared && chmod 2750 /srv/shared',
      "printf '%064d' 0 > /srv/shared/jwt.hex && chown deploy:deploy /srv/shared/jwt.hex && chmod 0600 /srv/shared/jwt.hex",
      "printf 'hunter2\\n' > /srv/shared/token && chmod 0600 /srv/shared/token",
      "printf 'hunter3\\n' > /srv/shared/token-as-wanted",
      'head -c 100000 /dev/zero > /srv/big.bin',
      "printf 'as wanted\\n' > /srv/same.txt",
    ],
    request: {
      stateDir: '/var/lib/nodeform',
      paths: [
        { path: '/srv/odd dir/with space.txt', wantSha: ZERO, wantContent: true },
        { path: '/srv/odd dir/back\\slash.txt', wantSha: ZERO, wantContent: true },
        { path: '/srv/shared', wantContent: false },
        { path: '/srv/shared/jwt.hex', wantContent: false, noHash: true },
        { path: '/srv/shared/token', wantSha: sha('hunter3\n'), wantContent: false, secret: true },
        { path: '/srv/shared/absent-token', wantSha: sha('hunter3\n'), wantContent: false, secret: true },
        { path: '/srv/shared/token-as-wanted', wantSha: sha('hunter3\n'), wantContent: false, secret: true },
        { path: '/srv/big.bin', wantSha: ZERO, wantContent: true },
        { path: '/srv/same.txt', wantSha: sha('as wanted\n'), wantContent: true },
        { path: '/srv/same.txt', wantSha: ZERO, wantContent: true },
      ],
      units: [],
      users: [],
    },
  },
  {
    name: 'after-applies',
    description: 'the demo playbook applied twice for real (the second run changes demo.conf), the whole record read as reset reads it: the managed list, originals, both generations, the last generation entries and managed.before; a lock left by a controller that died, which the probe passes over (no lock record)',
    setup: [],
    applies: [['--yes'], ['--yes', '-e', 'demo_port=9090']],
    request: {
      stateDir: '/var/lib/nodeform',
      paths: [
        { path: '/etc/demo', wantContent: false },
        { path: '/var/lib/demo', wantContent: false },
        { path: '/etc/demo/demo.conf', wantSha: ZERO, wantContent: true },
        { path: '/etc/demo/README', wantContent: false },
      ],
      units: ['demo.service'],
      users: ['demo'],
      record: 'all',
    },
  },
];

/** After the applies: a lock whose holder died, as the apply script writes it (src/apply/script.ts, lock()). */
const STALE_LOCK = "mkdir -p /var/lib/nodeform/lock && printf 'run-dead\\tops@controller\\t99999\\tboot-gone\\t2026-01-01T00:00:00Z\\n' > /var/lib/nodeform/lock/holder";

function probe(lab: Lab, host: LabHost, request: ProbeRequest): { command: string; script: string; output: string } {
  const { command, script } = buildProbe(request);
  const r = spawnSync('ssh', [...sshArgs(lab, host), command], { input: script, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${host.name}: the probe exited ${r.status}: ${r.stderr}`);
  return { command, script, output: r.stdout };
}

async function capture(c: Case, slot: number): Promise<void> {
  const lab = await startLab({ name: `capture-${c.name}`, count: 1, slot, inventoryExtra: { nodeform_playbook: join(repo, 'playbooks/demo.yaml') } });
  try {
    const host = lab.hosts[0]!;
    for (const line of c.setup) await hostSh(lab, host, line);
    for (const args of c.applies ?? []) {
      const r = await nodeform('apply', '-i', lab.inventoryPath, ...args);
      if (r.code !== 0) throw new Error(`nodeform apply ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    }
    if (c.applies) await hostSh(lab, host, STALE_LOCK);
    const { command, script, output } = probe(lab, host, c.request);
    const fixture = {
      description: c.description,
      host: host.name,
      setup: [...c.setup, ...(c.applies ?? []).map((a) => `nodeform apply -i INVENTORY ${a.join(' ')} (playbooks/demo.yaml)`), ...(c.applies ? [STALE_LOCK] : [])],
      request: c.request,
      command,
      probeSha256: sha(script),
      output,
      facts: parseFacts(host.name, output),
    };
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${c.name}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
    console.log(`capture-facts: ${c.name}.json (${output.split('\n').length - 1} lines)`);
  } finally {
    await lab.stop();
  }
}

const only = process.argv.slice(2);
let slot = 15;
for (const c of CASES) if (only.length === 0 || only.includes(c.name)) await capture(c, slot++);
