// The on-host checkpoint fallback script, run for real by dash and by bash on this machine against local
// Beacon API providers, a stand-in consensus client API and real files in a temp dir. Only `systemctl` is a
// stub on PATH here (it records its arguments); the lab test runs the same script under real systemd.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkpointFallbackResources, fallbackConfig, fallbackSwitchNote, FALLBACK_SCRIPT, parseFallbackSwitch, type FallbackInput } from '../../src/node/checkpoint-fallback.js';
import type { FileResource } from '../../src/model/types.js';
import { CHAIN, STALE_CHAIN, startProviderServers, type ProviderServerOptions, type ProviderServers } from '../support/provider-server.js';
import { startSyncStatusServer, type SyncAnswer, type SyncStatusServer } from '../support/sync-status-server.js';

const templates = {
  script: readFileSync('templates/scripts/checkpoint-fallback.sh.hbs', 'utf8'),
  service: readFileSync('templates/systemd/nodeform-checkpoint-fallback.service.hbs', 'utf8'),
  timer: readFileSync('templates/systemd/nodeform-checkpoint-fallback.timer.hbs', 'utf8'),
};
const hex = (byte: string) => `0x${byte.repeat(32)}`;

const KINDS = {
  healthy: {},
  dead: { mode: 'dead' },
  stale: { mode: 'stale-genesis' },
  lying: { mode: 'lying-root' },
  flapping: { mode: 'flapping' },
  // Finality moved on; the quorum's block is still canonical there.
  later: { chain: { finalizedEpoch: CHAIN.finalizedEpoch + 66, finalizedRoot: hex('f3') }, knownRoots: [CHAIN.finalizedRoot] },
  // Finality moved on along another branch: the quorum's block is unknown there.
  forked: { chain: { finalizedEpoch: CHAIN.finalizedEpoch + 66, finalizedRoot: hex('f4') } },
  behind: { chain: { finalizedEpoch: CHAIN.finalizedEpoch - 10, finalizedRoot: hex('f5') } },
  checkpointz: { mode: 'checkpointz', rootCase: 'upper' },
  // checkpointz whose finality moved on, still holding the quorum's block (it serves no /eth/v1/beacon/headers).
  checkpointzLater: { mode: 'checkpointz', rootCase: 'upper', chain: { finalizedEpoch: CHAIN.finalizedEpoch + 66, finalizedRoot: hex('f6') }, knownRoots: [CHAIN.finalizedRoot] },
  // checkpointz that has no finalized checkpoint yet: /checkpointz/v1/ready answers HTTP 500.
  notReady: { mode: 'checkpointz', rootCase: 'upper', ready: false },
  // Finality moved on along another branch, and the quorum's block is still in its store, orphaned.
  orphaned: { chain: { finalizedEpoch: CHAIN.finalizedEpoch + 66, finalizedRoot: hex('f7') }, orphanedRoots: [CHAIN.finalizedRoot] },
} satisfies Record<string, ProviderServerOptions>;
type Kind = keyof typeof KINDS;

let providers: ProviderServers;
const url = {} as Record<Kind, string>;
let root: string;
let cl: SyncStatusServer | undefined;

beforeAll(async () => {
  const kinds = Object.keys(KINDS) as Kind[];
  providers = await startProviderServers(kinds.map((k) => KINDS[k] as ProviderServerOptions));
  kinds.forEach((k, i) => (url[k] = providers.urls[i]!));
});
afterAll(async () => {
  await providers?.close();
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nodeform-fallback-'));
  mkdirSync(join(root, 'bin'));
  writeFileSync(join(root, 'bin', 'systemctl'), '#!/bin/sh\nprintf \'%s\\n\' "$*" >> "$SYSTEMCTL_LOG"\n', { mode: 0o755 });
});
afterEach(async () => {
  await cl?.close();
  cl = undefined;
  rmSync(root, { recursive: true, force: true });
});

const envText = (provider: string, options: { prysm?: boolean; extra?: string } = {}) =>
  `# Written by nodeform: lighthouse's checkpoint provider (quorum at apply: epoch ${CHAIN.finalizedEpoch} root ${CHAIN.finalizedRoot}).\n` +
  (options.extra ?? '') +
  `NODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url=${provider}${options.prysm ? ` --genesis-beacon-api-url=${provider}` : ''}\n`;

function input(beaconApiUrl: string, list: string[], gvr: boolean): FallbackInput {
  return {
    consensusClient: 'lighthouse',
    consensusUnit: 'lighthouse.service',
    beaconApiUrl,
    envFile: join(root, 'etc', 'lighthouse.checkpoint.env'),
    providers: list,
    quorum: { epoch: CHAIN.finalizedEpoch, root: CHAIN.finalizedRoot },
    ...(gvr ? { genesisValidatorsRoot: CHAIN.genesisValidatorsRoot } : {}),
    requestTimeoutSeconds: 2,
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  env: string;
  backups: Record<string, string>;
  systemctl: string[];
}

async function runFallback(shell: string, options: { cl: SyncAnswer[]; current: string; list: Kind[] | string[]; gvr?: boolean; env?: string; mode?: number }): Promise<Run> {
  cl = await startSyncStatusServer(options.cl);
  const list = options.list.map((k) => (k in url ? url[k as Kind] : k));
  const i = input(cl.url, list, options.gvr ?? true);
  const script = checkpointFallbackResources(i, templates, []).find((r): r is FileResource => r.kind === 'file' && r.path === FALLBACK_SCRIPT)!;
  writeFileSync(join(root, 'fallback.sh'), script.content);
  const state = join(root, 'state');
  // The config as nodeform writes it, with the state dir moved into the temp dir and no pause before the second look.
  writeFileSync(join(root, 'fallback.conf'), `${fallbackConfig(i)}STATE_DIR=${state}\nRECHECK_DELAY=0\n`);
  mkdirSync(join(root, 'etc'));
  writeFileSync(i.envFile, options.env ?? envText(options.current), { mode: options.mode ?? 0o644 });
  chmodSync(i.envFile, options.mode ?? 0o644);
  const log = join(root, 'systemctl.log');
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(shell, [join(root, 'fallback.sh'), join(root, 'fallback.conf')], { env: { PATH: `${join(root, 'bin')}:${process.env.PATH}`, SYSTEMCTL_LOG: log }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
  const backups = existsSync(state) ? Object.fromEntries(readdirSync(state).filter((n) => n !== 'switches.log').map((n) => [n, readFileSync(join(state, n), 'utf8')])) : {};
  return {
    ...r,
    env: readFileSync(i.envFile, 'utf8'),
    backups,
    systemctl: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [],
  };
}

const unchanged = (r: Run, env: string) => {
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.env).toBe(env);
  expect(r.backups).toEqual({});
  expect(r.systemctl).toEqual([]);
  expect(readdirSync(join(root, 'etc'))).toEqual(['lighthouse.checkpoint.env']);
};

const switched = (r: Run, from: string, to: string) => {
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const note = r.env.split('\n').filter((l) => l.startsWith('# Switched by nodeform-checkpoint-fallback at '));
  expect(note).toHaveLength(1);
  expect(r.env).toContain(`NODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url=${to}\n`);
  expect(r.env).not.toContain(`=${from}\n`);
  expect(parseFallbackSwitch(r.env)).toMatchObject({ from, to });
  expect(Object.values(r.backups)).toHaveLength(1);
  expect(Object.keys(r.backups)[0]).toMatch(/^lighthouse\.checkpoint\.env\.\d{8}T\d{6}Z$/);
  expect(r.systemctl).toEqual(['restart --no-block -- lighthouse.service']);
  expect(r.stdout).toContain(`switched ${join(root, 'etc', 'lighthouse.checkpoint.env')} from ${from} to ${to}`);
  expect(readdirSync(join(root, 'etc'))).toEqual(['lighthouse.checkpoint.env']);
  return note[0]!;
};

describe.each(['/bin/sh', 'bash'])('the checkpoint fallback script under %s', (shell) => {
  it('leaves a synced node alone, even with a dead provider, without asking any provider', async () => {
    const before = providers.servers.map((s) => s.requests.length);
    const r = await runFallback(shell, { cl: ['synced'], current: url.dead, list: ['dead', 'healthy'] });
    unchanged(r, envText(url.dead));
    expect(r.stdout).toBe('lighthouse.service is synced (its beacon API says is_syncing false): nothing to do\n');
    expect(providers.servers.map((s) => s.requests.length)).toEqual(before);
  });

  it('leaves a syncing node alone while its provider is healthy and agrees', async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.healthy, list: ['healthy', 'later'] });
    unchanged(r, envText(url.healthy));
    expect(r.stdout).toContain(`its provider ${url.healthy} is healthy and agrees: its finalized checkpoint (epoch ${CHAIN.finalizedEpoch} root ${CHAIN.finalizedRoot}) is the quorum's; nothing to do`);
  });

  it('moves a crash-looping client (API not answering) from a dead provider to the next agreeing one, with a backup', async () => {
    const old = envText(url.dead);
    const r = await runFallback(shell, { cl: ['down'], current: url.dead, list: ['dead', 'healthy'] });
    const note = switched(r, url.dead, url.healthy);
    expect(Object.values(r.backups)).toEqual([old]);
    expect(note).toContain(`lighthouse.service had not synced (its beacon API gives no answer from /eth/v1/node/syncing`);
    expect(note).toContain(`${url.dead} failed: no answer from /checkpointz/v1/ready (curl: (7)`);
    expect(fallbackSwitchNote(r.env)).toMatch(new RegExp(`^the on-host checkpoint fallback switched from ${url.dead} to ${url.healthy} at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ: `));
    // The note goes right before the line it explains; the rest of the file is kept as it was.
    expect(r.env.split('\n').map((l) => l.slice(0, 30))).toEqual([old.split('\n')[0]!.slice(0, 30), '# Switched by nodeform-checkpo', 'NODEFORM_CHECKPOINT_ARGS=--che', '']);
    expect(readFileSync(join(root, 'state', 'switches.log'), 'utf8')).toContain(`${url.dead} -> ${url.healthy}: `);
  });

  it('skips providers that went bad since apply (another genesis, a dissenting root) and takes the healthy one after them', async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'stale', 'lying', 'healthy'] });
    const note = switched(r, url.dead, url.healthy);
    expect(r.stdout).toContain(`refusing ${url.stale}: on another network: genesis validators root ${STALE_CHAIN.genesisValidatorsRoot}, not ${CHAIN.genesisValidatorsRoot}`);
    expect(r.stdout).toContain(`refusing ${url.lying}: finalized root ${hex('dd')} at epoch ${CHAIN.finalizedEpoch} dissents from the quorum's ${CHAIN.finalizedRoot}`);
    expect(note).toContain(`refused ${url.stale}: on another network`);
    expect(note).toContain(`${url.healthy} agrees: its finalized checkpoint (epoch ${CHAIN.finalizedEpoch} root ${CHAIN.finalizedRoot}) is the quorum's`);
  });

  it('leaves a current provider on another genesis for the next agreeing one', async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.stale, list: ['healthy', 'stale'] });
    // The next one after the current, wrapping around.
    const note = switched(r, url.stale, url.healthy);
    expect(note).toContain(`${url.stale} failed: on another network: genesis validators root ${STALE_CHAIN.genesisValidatorsRoot}`);
  });

  it('without a known genesis, still refuses the stale provider: its later finality does not hold the quorum block', async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.stale, list: ['stale', 'healthy'], gvr: false });
    const note = switched(r, url.stale, url.healthy);
    expect(note).toContain(`finalized epoch ${STALE_CHAIN.finalizedEpoch} is past the quorum's ${CHAIN.finalizedEpoch} but it does not know the quorum's block ${CHAIN.finalizedRoot}: /eth/v2/beacon/blocks/${CHAIN.finalizedRoot} answered HTTP 404`);
  });

  it('leaves a current provider with a dissenting root', async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.lying, list: ['lying', 'healthy'] });
    const note = switched(r, url.lying, url.healthy);
    expect(note).toContain(`${url.lying} failed: finalized root ${hex('dd')} at epoch ${CHAIN.finalizedEpoch} dissents from the quorum's`);
  });

  it("accepts a provider whose finality moved on when the quorum's block is canonical there; refuses one on another branch and one behind", async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'forked', 'behind', 'later'] });
    const note = switched(r, url.dead, url.later);
    expect(r.stdout).toContain(`refusing ${url.forked}: finalized epoch ${CHAIN.finalizedEpoch + 66} is past the quorum's ${CHAIN.finalizedEpoch} but it does not know the quorum's block`);
    expect(r.stdout).toContain(`refusing ${url.behind}: finalized epoch ${CHAIN.finalizedEpoch - 10} is behind the quorum's ${CHAIN.finalizedEpoch}`);
    expect(note).toContain(`${url.later} agrees: finalized epoch ${CHAIN.finalizedEpoch + 66} is past the quorum's ${CHAIN.finalizedEpoch} and the quorum's block ${CHAIN.finalizedRoot} is canonical there`);
  });

  it("accepts a checkpointz whose finality moved on while it still holds the quorum's block (asked by root, as a block)", async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'checkpointzLater'] });
    const note = switched(r, url.dead, url.checkpointzLater);
    expect(note).toContain(`${url.checkpointzLater} agrees: finalized epoch ${CHAIN.finalizedEpoch + 66} is past the quorum's ${CHAIN.finalizedEpoch} and the quorum's block ${CHAIN.finalizedRoot} is canonical there`);
  });

  it("refuses a provider that holds the quorum's block only off its canonical chain", async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'orphaned', 'healthy'] });
    switched(r, url.dead, url.healthy);
    expect(r.stdout).toContain(`refusing ${url.orphaned}: finalized epoch ${CHAIN.finalizedEpoch + 66} is past the quorum's ${CHAIN.finalizedEpoch} but the quorum's block ${CHAIN.finalizedRoot} is not canonical there`);
  });

  it('skips a checkpointz that is not ready this round, without asking it more, and takes the next agreeing provider', async () => {
    const notReady = providers.servers[Object.keys(KINDS).indexOf('notReady')]!;
    const before = notReady.requests.length;
    const r = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'notReady', 'healthy'] });
    switched(r, url.dead, url.healthy);
    expect(r.stdout).toContain(`skipping ${url.notReady} this round: not ready (/checkpointz/v1/ready answered HTTP 500)`);
    expect(notReady.requests.slice(before)).toEqual(['GET /checkpointz/v1/ready']);
  });

  it('leaves a current checkpointz that is not ready at once: no second look', async () => {
    const notReady = providers.servers[Object.keys(KINDS).indexOf('notReady')]!;
    const before = notReady.requests.length;
    const r = await runFallback(shell, { cl: ['syncing'], current: url.notReady, list: ['notReady', 'healthy'] });
    const note = switched(r, url.notReady, url.healthy);
    expect(note).toContain(`${url.notReady} failed: not ready (/checkpointz/v1/ready answered HTTP 500)`);
    expect(r.stdout).not.toContain('second look');
    expect(notReady.requests.slice(before)).toEqual(['GET /checkpointz/v1/ready']);
  });

  it('changes nothing when no provider passes, and says why for each', async () => {
    const env = envText(url.dead);
    const r = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'stale', 'lying', 'forked'] });
    unchanged(r, env);
    expect(r.stdout).toContain(`its provider ${url.dead} fails: no answer from /checkpointz/v1/ready`);
    for (const k of ['stale', 'lying', 'forked'] as const) expect(r.stdout).toContain(`refusing ${url[k]}: `);
    expect(r.stdout).toContain('no other configured provider passes: changing nothing');
  });

  it('reads checkpointz-like answers (roots without 0x, upper case) as the same roots', async () => {
    const kept = await runFallback(shell, { cl: ['syncing'], current: url.checkpointz, list: ['checkpointz', 'healthy'] });
    unchanged(kept, envText(url.checkpointz));
    expect(kept.stdout).toContain(`its provider ${url.checkpointz} is healthy and agrees`);
    rmSync(join(root, 'etc'), { recursive: true });
    await cl?.close();
    const moved = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'checkpointz'] });
    switched(moved, url.dead, url.checkpointz);
  });

  it('gives a current provider failing one request in two a second look before leaving it', async () => {
    const r = await runFallback(shell, { cl: ['syncing'], current: url.flapping, list: ['flapping', 'healthy'], gvr: false });
    unchanged(r, envText(url.flapping));
    expect(r.stdout).toContain(`its provider ${url.flapping} failed once (/eth/v1/beacon/states/head/finality_checkpoints answered HTTP 500) but passed a second look`);
  });

  it('replaces every occurrence (Prysm names the URL twice), keeps mode and other lines, and replaces an earlier note', async () => {
    const earlier = `# Switched by nodeform-checkpoint-fallback at 2026-01-01T00:00:00Z: ${url.healthy} -> ${url.dead}: earlier\n`;
    const env = envText(url.dead, { prysm: true, extra: earlier });
    const r = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'healthy'], env, mode: 0o640 });
    expect(r.env).toContain(`NODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url=${url.healthy} --genesis-beacon-api-url=${url.healthy}\n`);
    expect(r.env).not.toContain('earlier');
    switched({ ...r, env: r.env.replace(` --genesis-beacon-api-url=${url.healthy}`, '') }, url.dead, url.healthy);
    expect(Object.values(r.backups)).toEqual([env]);
    expect(statSync(join(root, 'etc', 'lighthouse.checkpoint.env')).mode & 0o777).toBe(0o640);
  });

  it.each([
    ['Lighthouse (flag and URL as two words)', (u: string) => `--checkpoint-sync-url ${u}`],
    ['Nimbus (more flags after the URL)', (u: string) => `--trusted-node-url=${u} --backfill=false`],
    ['a quoted value', (u: string) => `"--checkpoint-sync-url=${u}"`],
  ])('finds and replaces the provider in the args of %s', async (_name, args) => {
    const env = `# Written by nodeform: the checkpoint provider.\nNODEFORM_CHECKPOINT_ARGS=${args(url.dead)}\n`;
    const r = await runFallback(shell, { cl: ['syncing'], current: url.dead, list: ['dead', 'healthy'], env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.env.split('\n').slice(2)).toEqual([`NODEFORM_CHECKPOINT_ARGS=${args(url.healthy)}`, '']);
    expect(r.systemctl).toEqual(['restart --no-block -- lighthouse.service']);
  });

  it('does not take a longer URL for a configured provider it starts with', async () => {
    const env = envText(`${url.dead}/v2`);
    const r = await runFallback(shell, { cl: ['syncing'], current: '', list: ['dead', 'healthy'], env });
    unchanged(r, env);
    expect(r.stdout).toContain('names none of the 2 configured providers: leaving it alone');
  });

  it('leaves a node alone that synced while the providers were checked', async () => {
    const r = await runFallback(shell, { cl: ['syncing', 'synced'], current: url.dead, list: ['dead', 'healthy'] });
    unchanged(r, envText(url.dead));
    expect(r.stdout).toContain('lighthouse.service synced while its providers were checked (its beacon API says is_syncing false): changing nothing');
  });

  it('does not restart a node that synced right before the restart (the switch applies at its next start)', async () => {
    const r = await runFallback(shell, { cl: ['error', 'syncing', 'synced'], current: url.dead, list: ['dead', 'healthy'] });
    expect(r.code).toBe(0);
    expect(r.env).toContain(`--checkpoint-sync-url=${url.healthy}\n`);
    expect(r.systemctl).toEqual([]);
    expect(r.stdout).toContain('HTTP 503');
    expect(r.stdout).toContain('lighthouse.service synced meanwhile (its beacon API says is_syncing false): not restarting it');
  });

  it.each([
    ['Teku', (u: string) => `TEKU_CHECKPOINT_SYNC_URL=${u}`],
    ['Lodestar', (u: string) => `LODESTAR_CHECKPOINT_SYNC_URL=${u}`],
    ['Prysm (a YAML file it loads)', (u: string) => `checkpoint-sync-url: ${u}\ngenesis-beacon-api-url: ${u}`],
  ])('switches the setting %s reads itself (a URL with credentials), keeping the file 0640, and never gives curl the password on its command line', async (_name, line) => {
    // A curl on PATH that records its arguments, then runs the real one: what every user could read in /proc/PID/cmdline.
    const real = execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
    writeFileSync(join(root, 'bin', 'curl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${join(root, 'curl-args.log')}"\nexec ${real} "$@"\n`, { mode: 0o755 });
    const secret = (u: string) => u.replace('http://', 'http://ops:s3cret@');
    const env = `# Written by nodeform: the checkpoint provider.\n${line(secret(url.dead))}\n`;
    const r = await runFallback(shell, { cl: ['syncing'], current: secret(url.dead), list: [secret(url.dead), secret(url.healthy)], env, mode: 0o640 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.env.split('\n').slice(2).join('\n')).toEqual(`${line(secret(url.healthy))}\n`);
    expect(r.env.split('\n')[1]).toMatch(/^# Switched by nodeform-checkpoint-fallback at /);
    expect(r.systemctl).toEqual(['restart --no-block -- lighthouse.service']);
    expect(statSync(join(root, 'etc', 'lighthouse.checkpoint.env')).mode & 0o777).toBe(0o640);
    const curlArgs = readFileSync(join(root, 'curl-args.log'), 'utf8');
    expect(curlArgs).toContain('-K -');
    expect(curlArgs + r.stdout + r.stderr + readFileSync(join(root, 'state', 'switches.log'), 'utf8')).not.toContain('s3cret');
    expect(Object.values(r.backups)).toEqual([env]);
  });

  it('hides user:password@ and the query of a provider URL in logs and in the note', async () => {
    const secret = `${url.dead.replace('http://', 'http://ops:s3cret@')}/?token=abc`;
    const r = await runFallback(shell, { cl: ['syncing'], current: secret, list: [secret, url.healthy] });
    expect(r.env).toContain(`--checkpoint-sync-url=${url.healthy}\n`);
    expect(r.stdout + r.env).not.toMatch(/s3cret|abc/);
    expect(parseFallbackSwitch(r.env)?.from).toBe(`${url.dead.replace('http://', 'http://***@')}/?***`);
  });
});

describe('the settings file', () => {
  it('gives back every value byte for byte when sourced by sh, hostile ones included', async () => {
    const hostile = ['https://x.example/$(touch${IFS}pwned)', 'https://x.example/`touch${IFS}pwned`;touch${IFS}pwned', 'https://x.example/a&b|c>d<e*?[f]~#!{g}'];
    const i = { ...input('http://127.0.0.1:5052', hostile, true) };
    writeFileSync(join(root, 'c.conf'), fallbackConfig(i));
    const printed = await new Promise<string>((resolve, reject) =>
      execFile('/bin/sh', ['-c', '. "$1" && for n in 1 2 3; do eval "printf \'%s\\n\' \\"\\$PROVIDER_$n\\""; done; printf "%s\\n" "$ENV_FILE" "$QUORUM_ROOT" "$PROVIDER_COUNT"', 'sh', join(root, 'c.conf')], { cwd: root }, (e, out) =>
        e ? reject(new Error(e.message, { cause: e })) : resolve(out),
      ),
    );
    expect(printed.split('\n')).toEqual([...hostile, i.envFile, CHAIN.finalizedRoot, '3', '']);
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });
});
