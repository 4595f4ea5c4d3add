// The on-host checkpoint fallback as resources (pure): paths, modes, unit states, the rendered units and the
// settings file, what input is refused, and the note parser the plan uses to explain a switch.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkpointFallbackResources,
  FALLBACK_TEMPLATE_FILES,
  fallbackConfig,
  fallbackSwitchNote,
  parseFallbackSwitch,
  type FallbackInput,
  type FallbackTemplates,
} from '../../../src/node/checkpoint-fallback.js';
import { NodeformError } from '../../../src/errors.js';
import type { FileResource, Resource, UnitResource } from '../../../src/model/types.js';
import { quote } from '../../../src/shell/quote.js';

const templates = Object.fromEntries(
  Object.entries(FALLBACK_TEMPLATE_FILES).map(([k, p]) => [k, readFileSync(fileURLToPath(new URL(`../../../templates/${p}`, import.meta.url)), 'utf8')]),
) as unknown as FallbackTemplates;

const F1 = `0x${'f1'.repeat(32)}`;
const A1 = `0x${'a1'.repeat(32)}`;

const base: FallbackInput = {
  consensusClient: 'lighthouse',
  consensusUnit: 'lighthouse.service',
  beaconApiUrl: 'http://127.0.0.1:5052',
  envFile: '/etc/ethereum/lighthouse.checkpoint.env',
  providers: ['https://a.example', 'https://b.example/api', 'http://10.0.0.5:5052'],
  quorum: { epoch: 1234, root: F1 },
  genesisValidatorsRoot: A1,
  requestTimeoutSeconds: 10,
};

const byId = (rs: Resource[]) => Object.fromEntries(rs.map((r) => [r.id, r]));
const file = (rs: Resource[], path: string) => byId(rs)[`file:${path}`] as FileResource;
const unitOf = (rs: Resource[], name: string) => byId(rs)[`unit:${name}`] as UnitResource;

describe('checkpointFallbackResources', () => {
  const rs = checkpointFallbackResources(base, templates, ['node', 'checkpoint']);

  it('declares the script, its settings, their directories, a static oneshot service and an enabled timer', () => {
    expect(rs.map((r) => r.id)).toEqual([
      'dir:/usr/local/lib/nodeform',
      'dir:/etc/nodeform',
      'file:/usr/local/lib/nodeform/checkpoint-fallback',
      'file:/etc/nodeform/checkpoint-fallback.conf',
      'unit:nodeform-checkpoint-fallback.service',
      'unit:nodeform-checkpoint-fallback.timer',
    ]);
    expect(rs.every((r) => r.tags.join() === 'node,checkpoint')).toBe(true);
    const summary = rs.map((r) =>
      r.kind === 'file' ? [r.path, r.mode, r.owner, r.group, r.secret] : r.kind === 'directory' ? [r.path, r.mode, r.owner] : r.kind === 'unit' ? [r.path, r.enabled, r.active, r.restartOn] : [],
    );
    expect(summary).toEqual([
      ['/usr/local/lib/nodeform', '0755', 'root'],
      ['/etc/nodeform', '0755', 'root'],
      ['/usr/local/lib/nodeform/checkpoint-fallback', '0755', 'root', 'root', false],
      ['/etc/nodeform/checkpoint-fallback.conf', '0600', 'root', 'root', false],
      ['/etc/systemd/system/nodeform-checkpoint-fallback.service', false, false, []],
      ['/etc/systemd/system/nodeform-checkpoint-fallback.timer', true, true, []],
    ]);
  });

  it('renders the script with its default settings path and nothing else templated', () => {
    const script = file(rs, '/usr/local/lib/nodeform/checkpoint-fallback').content;
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('\nDEFAULT_CONFIG=/etc/nodeform/checkpoint-fallback.conf\n');
    expect(script).toBe(templates.script.replace('{{configPath}}', '/etc/nodeform/checkpoint-fallback.conf'));
    // The script is the same for every node: everything per node is in the settings file.
    const other = checkpointFallbackResources({ ...base, consensusClient: 'teku', consensusUnit: 'teku.service', providers: ['https://c.example'] }, templates, []);
    expect(file(other, '/usr/local/lib/nodeform/checkpoint-fallback').sha256).toBe(file(rs, '/usr/local/lib/nodeform/checkpoint-fallback').sha256);
  });

  it('renders a hardened oneshot service that may rewrite the env file, keep backups and restart the client', () => {
    const service = unitOf(rs, 'nodeform-checkpoint-fallback.service').content;
    const lines = service.split('\n');
    for (const line of [
      'Type=oneshot',
      'ExecStart=/usr/local/lib/nodeform/checkpoint-fallback /etc/nodeform/checkpoint-fallback.conf',
      'After=network-online.target lighthouse.service',
      // 10 s a request; 3 providers of up to 3 requests each, the current one twice, the sync status 3 times.
      `TimeoutStartSec=${10 * (3 * 3 + 6) + 60}`,
      'StateDirectory=nodeform/checkpoint-fallback',
      'ReadWritePaths=-/etc/ethereum',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    ]) {
      expect(lines).toContain(line);
    }
    expect(service).not.toContain('[Install]');
    expect(service).not.toMatch(/PrivateNetwork|^User=/m);
  });

  it('renders a timer every minute by default, or at the interval asked', () => {
    const timer = unitOf(rs, 'nodeform-checkpoint-fallback.timer').content;
    expect(timer).toContain('[Timer]\nOnActiveSec=60s\nOnBootSec=60s\nOnUnitActiveSec=60s\nAccuracySec=10s\n');
    expect(timer).toContain('[Install]\nWantedBy=timers.target\n');
    const fast = unitOf(checkpointFallbackResources({ ...base, intervalSeconds: 3 }, templates, []), 'nodeform-checkpoint-fallback.timer').content;
    expect(fast).toContain('OnUnitActiveSec=3s\nAccuracySec=1s\n');
  });
});

describe('fallbackConfig', () => {
  it('writes one sh assignment a line, roots normalised to 0x + lower case', () => {
    const text = fallbackConfig({ ...base, quorum: { epoch: 1234, root: 'F1'.repeat(32) }, genesisValidatorsRoot: `0X${'A1'.repeat(32)}` });
    expect(text.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      'CONSENSUS_CLIENT=lighthouse',
      'CONSENSUS_UNIT=lighthouse.service',
      'BEACON_API=http://127.0.0.1:5052',
      'ENV_FILE=/etc/ethereum/lighthouse.checkpoint.env',
      'STATE_DIR=/var/lib/nodeform/checkpoint-fallback',
      'QUORUM_EPOCH=1234',
      `QUORUM_ROOT=${F1}`,
      `GENESIS_VALIDATORS_ROOT=${A1}`,
      'REQUEST_TIMEOUT=10',
      'PROVIDER_COUNT=3',
      'PROVIDER_1=https://a.example',
      'PROVIDER_2=https://b.example/api',
      'PROVIDER_3=http://10.0.0.5:5052',
      '',
    ]);
    expect(text.startsWith('# Written by nodeform: ')).toBe(true);
  });

  it('leaves the genesis check off when the genesis is not known', () => {
    const { genesisValidatorsRoot: _, ...rest } = base;
    expect(fallbackConfig(rest)).toContain("\nGENESIS_VALIDATORS_ROOT=''\n");
  });

  it.each([
    ['command substitution', 'https://x.example/$(reboot)'],
    ['backticks and ;', 'https://x.example/`reboot`;reboot'],
    ['shell operators and globs', 'https://x.example/a&b|c>d<e*?[f]~#!{g}'],
    ['user and token', 'https://ops:t0k$n@x.example/?key=$HOME'],
  ])('quotes a provider with %s with the one quoting function', (_name, provider) => {
    const text = fallbackConfig({ ...base, providers: [provider] });
    expect(text).toContain(`\nPROVIDER_1=${quote(provider)}\n`);
    expect(text).toContain(`\nPROVIDER_1='${provider}'\n`);
  });

  it.each<[string, Partial<FallbackInput>]>([
    ['no providers', { providers: [] }],
    ['a provider with a space', { providers: ['https://a.example/x y'] }],
    ['a provider with a quote', { providers: ["https://a.example/x'y"] }],
    ['a provider with a newline', { providers: ['https://a.example/\nrm'] }],
    ['a provider that is no http(s) URL', { providers: ['file:///etc/passwd'] }],
    ['a provider listed twice', { providers: ['https://a.example', 'https://a.example'] }],
    ['a unit that is no service', { consensusUnit: 'lighthouse.service; reboot' }],
    ['an odd client name', { consensusClient: 'lighthouse\nExecStartPre=/bin/false' }],
    ['an env file path with a space', { envFile: '/etc/eth erum/x.env' }],
    ['an env file path with a specifier', { envFile: '/etc/%n.env' }],
    ['a relative env file path', { envFile: 'x.env' }],
    ['a short quorum root', { quorum: { epoch: 1, root: '0xf1' } }],
    ['a negative epoch', { quorum: { epoch: -1, root: F1 } }],
    ['a genesis root that is no root', { genesisValidatorsRoot: 'genesis' }],
    ['a zero timeout', { requestTimeoutSeconds: 0 }],
    ['a fractional interval', { intervalSeconds: 1.5 }],
    ['a beacon API that is no URL', { beaconApiUrl: '127.0.0.1:5052' }],
  ])('refuses %s', (_name, change) => {
    expect(() => checkpointFallbackResources({ ...base, ...change }, templates, [])).toThrow(NodeformError);
  });
});

describe('the switch note in the env file', () => {
  const note = '# Switched by nodeform-checkpoint-fallback at 2026-03-01T10:20:30Z: https://a.example -> https://b.example/api: lighthouse.service had not synced (its beacon API says is_syncing true) and https://a.example failed: no answer from /eth/v1/beacon/genesis (curl: (7) x); https://b.example/api agrees: its finalized checkpoint (epoch 1234 root 0xf1) is the quorum\'s';
  const env = (lines: string[]) => `# Written by nodeform: lighthouse's checkpoint provider (quorum at apply: epoch 1234 root ${F1}).\n${lines.join('\n')}\n`;

  it.each<[string, string, string | undefined]>([
    ['as nodeform wrote it', env(['NODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url=https://a.example']), undefined],
    ['empty', '', undefined],
    [
      'after a switch',
      env([note, 'NODEFORM_CHECKPOINT_ARGS=--checkpoint-sync-url=https://b.example/api']),
      "the on-host checkpoint fallback switched from https://a.example to https://b.example/api at 2026-03-01T10:20:30Z: lighthouse.service had not synced (its beacon API says is_syncing true) and https://a.example failed: no answer from /eth/v1/beacon/genesis (curl: (7) x); https://b.example/api agrees: its finalized checkpoint (epoch 1234 root 0xf1) is the quorum's",
    ],
    ['with CRLF line ends', env([note, 'NODEFORM_CHECKPOINT_ARGS=x']).replaceAll('\n', '\r\n'), expect.stringContaining('switched from https://a.example to https://b.example/api at 2026-03-01T10:20:30Z: ')],
    ['with a note it cannot take apart', env(['# Switched by nodeform-checkpoint-fallback at some point', 'X=1']), 'the on-host checkpoint fallback switched providers: Switched by nodeform-checkpoint-fallback at some point'],
    ['with the words elsewhere than a line start', env(['NODEFORM_CHECKPOINT_ARGS=x # Switched by nodeform-checkpoint-fallback at 2026-03-01T10:20:30Z: a -> b: c']), undefined],
  ])('%s', (_name, text, expected) => {
    expect(fallbackSwitchNote(text)).toEqual(expected);
  });

  it('parses the parts', () => {
    expect(parseFallbackSwitch(env([note]))).toEqual({
      at: '2026-03-01T10:20:30Z',
      from: 'https://a.example',
      to: 'https://b.example/api',
      why: expect.stringMatching(/^lighthouse\.service had not synced .* is the quorum's$/),
    });
  });
});
