// The on-host checkpoint fallback on a real host: the rendered script, settings, service and timer installed
// under real systemd, with real curl, against local Beacon API providers and a stand-in consensus client
// (a real unit, `lighthouse.service`, that reads the checkpoint env file and records each start, plus a local
// HTTP server answering its /eth/v1/node/syncing as synced or syncing). The timer drives every run here.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointFallbackResources,
  FALLBACK_CONFIG,
  FALLBACK_SERVICE,
  FALLBACK_STATE_DIR,
  FALLBACK_TEMPLATE_FILES,
  FALLBACK_TIMER,
  fallbackSwitchNote,
  type FallbackTemplates,
} from '../../src/node/checkpoint-fallback.js';
import { quote } from '../../src/shell/quote.js';
import { CHAIN, STALE_CHAIN, LYING_ROOT, startProviderServers, type ProviderServers } from '../support/provider-server.js';
import { startSyncStatusServer, type SyncStatusServer } from '../support/sync-status-server.js';
import { slotAddress, startLab, type Lab, type LabHost } from './lab.js';
import { hostSh, snapshot, unitState } from './support.js';

const ENV_FILE = '/etc/ethereum/lighthouse.checkpoint.env';
const templates = Object.fromEntries(Object.entries(FALLBACK_TEMPLATE_FILES).map(([k, p]) => [k, readFileSync(`templates/${p}`, 'utf8')])) as unknown as FallbackTemplates;

let lab: Lab;
let host: LabHost;
let providers: ProviderServers;
let cl: SyncStatusServer;
let dead: string, lying: string, stale: string, healthy: string;

const envText = (url: string) =>
  `# Written by nodeform: lighthouse's checkpoint provider (quorum at apply: epoch ${CHAIN.finalizedEpoch} root ${CHAIN.finalizedRoot}).\nNODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url=${url}\n`;

// The stand-in client: started with the env file's arguments, it records its invocation and them, then idles.
const FAKE_CL = '#!/bin/sh\nmkdir -p /var/lib/fake-cl\necho "$INVOCATION_ID $*" >> /var/lib/fake-cl/starts\nexec sleep infinity\n';
const FAKE_CL_UNIT = `[Unit]
Description=stand-in consensus client (lab)

[Service]
EnvironmentFile=${ENV_FILE}
ExecStart=/usr/local/bin/fake-cl $NODEFORM_CHECKPOINT_ARGS
`;

async function put(path: string, content: string, mode: string): Promise<void> {
  const b64 = Buffer.from(content).toString('base64');
  await hostSh(lab, host, `mkdir -p ${quote(dirname(path))} && printf '%s' ${quote(b64)} | base64 -d > ${quote(path)} && chmod ${mode} ${quote(path)}`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\njournal:\n${await journal()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const journal = () => hostSh(lab, host, `journalctl --no-pager -o cat -u ${FALLBACK_SERVICE}`);
const count = (text: string, phrase: string) => text.split('\n').filter((l) => l.includes(phrase)).length;
const starts = async () => (await hostSh(lab, host, 'cat /var/lib/fake-cl/starts 2>/dev/null || true')).trim().split('\n').filter(Boolean);
const backups = async () => (await hostSh(lab, host, `ls ${FALLBACK_STATE_DIR} 2>/dev/null || true`)).trim().split('\n').filter((n) => n.startsWith('lighthouse.checkpoint.env.'));

/** Waits until the timer has run the fallback `runs` more times with `phrase` in its log; gives the new log. */
async function timerRuns(phrase: string, runs: number): Promise<string> {
  const before = count(await journal(), phrase);
  const log = await waitFor(`${runs} runs saying "${phrase}"`, async () => {
    const text = await journal();
    return count(text, phrase) >= before + runs ? text : undefined;
  });
  return log;
}

beforeAll(async () => {
  lab = await startLab({ name: 'fallback', count: 1, slot: 10 });
  host = lab.hosts[0]!;
  providers = await startProviderServers([{ mode: 'dead' }, { mode: 'lying-root' }, { mode: 'stale-genesis' }, { mode: 'healthy' }]);
  [dead, lying, stale, healthy] = providers.urls as [string, string, string, string];
  cl = await startSyncStatusServer(['syncing'], slotAddress(lab.slot, 1));

  const resources = checkpointFallbackResources(
    {
      consensusClient: 'lighthouse',
      consensusUnit: 'lighthouse.service',
      beaconApiUrl: cl.url,
      envFile: ENV_FILE,
      // As at apply time all four agreed; since then the first died, and the two after it went bad.
      providers: [dead, lying, stale, healthy],
      quorum: { epoch: CHAIN.finalizedEpoch, root: CHAIN.finalizedRoot },
      genesisValidatorsRoot: CHAIN.genesisValidatorsRoot,
      requestTimeoutSeconds: 3,
      intervalSeconds: 2,
    },
    templates,
    [],
  );
  for (const r of resources) {
    if (r.kind === 'directory') await hostSh(lab, host, `mkdir -p ${quote(r.path)} && chmod ${r.mode} ${quote(r.path)}`);
    if (r.kind === 'file') await put(r.path, r.content, r.mode);
    if (r.kind === 'unit') await put(r.path, r.content, '0644');
  }
  await put('/usr/local/bin/fake-cl', FAKE_CL, '0755');
  await put('/etc/systemd/system/lighthouse.service', FAKE_CL_UNIT, '0644');
  await put(ENV_FILE, envText(dead), '0644');
  await hostSh(lab, host, 'systemctl daemon-reload && systemctl start lighthouse.service');
  await waitFor('the stand-in client to start', async () => ((await starts()).length === 1 ? true : undefined));
});

afterAll(async () => {
  await lab?.stop();
  await providers?.close();
  await cl?.close();
});

describe.sequential('the on-host checkpoint fallback under real systemd', () => {
  it('(a) moves a syncing client from its dead provider to the healthy agreeing one, past a lying and a stale one; backs up, logs why, restarts once', async () => {
    const before = await starts();
    expect(before[0]).toMatch(new RegExp(`^[0-9a-f]{32} --checkpoint-sync-url=${dead}$`));
    await hostSh(lab, host, `systemctl enable --now ${FALLBACK_TIMER}`);
    expect(await unitState(lab, host, FALLBACK_TIMER)).toMatchObject({ enabled: 'enabled', active: 'active' });

    const env = await waitFor('the env file to change', async () => {
      const text = await hostSh(lab, host, `cat ${ENV_FILE}`);
      return text.includes(healthy) ? text : undefined;
    });
    expect(env).toContain(`\nNODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url=${healthy}\n`);
    expect(env).not.toContain(`=${lying}`);
    expect(env).not.toContain(`=${stale}`);
    expect(env.startsWith(envText(dead).split('\n')[0]!)).toBe(true);
    expect(fallbackSwitchNote(env)).toMatch(new RegExp(`^the on-host checkpoint fallback switched from ${dead} to ${healthy} at \\S+Z: lighthouse\\.service had not synced \\(its beacon API says is_syncing true\\)`));
    // Still the file nodeform wrote: root's, 0644.
    expect((await snapshot(lab, host, [ENV_FILE]))[ENV_FILE]).toMatch(/^644 root root regular file /);

    const names = await backups();
    expect(names).toHaveLength(1);
    expect(await hostSh(lab, host, `cat ${FALLBACK_STATE_DIR}/${names[0]}`)).toBe(envText(dead));

    // The restarted client started with the new provider, once; later runs find it healthy and leave it.
    const after = await waitFor('the client to restart', async () => {
      const s = await starts();
      return s.length >= 2 ? s : undefined;
    });
    const log = await timerRuns(`its provider ${healthy} is healthy and agrees`, 2);
    expect(await starts()).toEqual(after);
    expect(after).toHaveLength(2);
    expect(after[1]).toMatch(new RegExp(`^[0-9a-f]{32} --checkpoint-sync-url=${healthy}$`));
    expect(after[1]!.slice(0, 32)).not.toBe(after[0]!.slice(0, 32));
    expect((await unitState(lab, host, 'lighthouse.service')).active).toBe('active');

    expect(log).toContain(`its provider ${dead} fails: no answer from /checkpointz/v1/ready (curl: (7)`);
    expect(log).toContain(`refusing ${lying}: finalized root ${LYING_ROOT} at epoch ${CHAIN.finalizedEpoch} dissents from the quorum's ${CHAIN.finalizedRoot}`);
    expect(log).toContain(`refusing ${stale}: on another network: genesis validators root ${STALE_CHAIN.genesisValidatorsRoot}, not ${CHAIN.genesisValidatorsRoot}`);
    expect(count(log, `switched ${ENV_FILE} from ${dead} to ${healthy} (backup ${FALLBACK_STATE_DIR}/${names[0]})`)).toBe(1);
    expect(count(log, 'restarting lighthouse.service to start from')).toBe(1);
    // The service stays a static oneshot between runs; the timer goes on.
    expect(await unitState(lab, host, FALLBACK_SERVICE)).toMatchObject({ enabled: 'static' });
    expect(await hostSh(lab, host, `systemctl show -p Result --value ${FALLBACK_SERVICE}`)).toBe('success\n');
    expect(await hostSh(lab, host, `stat -c '%a %U' ${FALLBACK_CONFIG}`)).toBe('600 root\n');
  });

  it('(b) leaves a synced client alone although its provider is dead: nothing changed, no restart', async () => {
    cl.answers = ['synced'];
    await put(ENV_FILE, envText(dead), '0644');
    const startsBefore = await starts();
    const backupsBefore = await backups();
    const asked = () => providers.servers.slice(1).map((s) => s.requests.length);
    const askedBefore = asked();
    const log = await timerRuns('lighthouse.service is synced (its beacon API says is_syncing false): nothing to do', 3);
    await hostSh(lab, host, `systemctl start ${FALLBACK_SERVICE}`);
    expect(await hostSh(lab, host, `cat ${ENV_FILE}`)).toBe(envText(dead));
    expect(await backups()).toEqual(backupsBefore);
    expect(await starts()).toEqual(startsBefore);
    expect(count(log, 'switched ')).toBe(1); // the one of (a)
    // A synced node's providers are not even asked.
    expect(asked()).toEqual(askedBefore);
  });

  it('(c) leaves a syncing client alone while its provider is healthy and agrees: nothing changed, no restart', async () => {
    await put(ENV_FILE, envText(healthy), '0644');
    cl.answers = ['syncing'];
    const startsBefore = await starts();
    const backupsBefore = await backups();
    const healthyBefore = providers.servers[3]!.count('/eth/v1/beacon/states/head/finality_checkpoints');
    await timerRuns(`its provider ${healthy} is healthy and agrees`, 3);
    await hostSh(lab, host, `systemctl start ${FALLBACK_SERVICE}`);
    expect(await hostSh(lab, host, `cat ${ENV_FILE}`)).toBe(envText(healthy));
    expect(await backups()).toEqual(backupsBefore);
    expect(await starts()).toEqual(startsBefore);
    expect(providers.servers[3]!.count('/eth/v1/beacon/states/head/finality_checkpoints')).toBeGreaterThanOrEqual(healthyBefore + 4);
  });
});
