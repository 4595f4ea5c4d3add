// The on-host monitor as node resources: what a node play declares for it, from the monitoring settings.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { FileResource, Resource, UnitResource } from '../../../src/model/types.js';
import { MONITOR_CONFIG, MONITOR_SCRIPT, monitorConfig } from '../../../src/node/monitor-resources.js';
import { mainnetNode } from '../clients/specs.js';
import { buildNode, heads, nodeHost } from './helpers.js';

function resourcesOf(monitoring: string, more: Record<string, string> = {}): Resource[] {
  const result = buildNode({ inventory: nodeHost({ monitoring, ...more }) });
  expect(heads(result.problems)).toEqual([]);
  return result.desired[0]!.resources;
}
const file = (resources: Resource[], path: string) => resources.find((r): r is FileResource => r.kind === 'file' && r.path === path);
const unitNamed = (resources: Resource[], name: string) => resources.find((r): r is UnitResource => r.kind === 'unit' && r.name === name);

describe('the on-host monitor of a node', () => {
  it('is installed by default: script, root-only settings, a static service, an enabled timer, the textfile directory; the old checkpoint-monitor.service stopped and disabled', () => {
    const resources = resourcesOf('');
    const monitoring = resources.filter((r) => r.tags.includes('monitoring')).map((r) => r.id);
    expect(monitoring.sort()).toEqual([
      'dir:/etc/nodeform',
      'dir:/usr/local/lib/nodeform',
      'dir:/var/lib/node_exporter/textfile_collector',
      `file:${MONITOR_CONFIG}`,
      `file:${MONITOR_SCRIPT}`,
      'unit:checkpoint-monitor.service',
      'unit:nodeform-monitor.service',
      'unit:nodeform-monitor.timer',
    ]);
    const config = file(resources, MONITOR_CONFIG)!;
    expect([config.mode, config.owner, config.group, config.secret]).toEqual(['0600', 'root', 'root', false]);
    expect(file(resources, MONITOR_SCRIPT)!.mode).toBe('0755');
    expect(unitNamed(resources, 'nodeform-monitor.service')).toMatchObject({ enabled: false, active: false });
    expect(unitNamed(resources, 'nodeform-monitor.timer')).toMatchObject({ enabled: true, active: true });
    expect(unitNamed(resources, 'nodeform-monitor.timer')!.content).toContain('OnUnitActiveSec=60s\n');
    // The old scripts' monitor: its state only (its file is theirs), stopped and disabled.
    expect(unitNamed(resources, 'checkpoint-monitor.service')).toEqual({
      kind: 'unit', id: 'unit:checkpoint-monitor.service', tags: expect.arrayContaining(['monitoring']) as string[], origin: expect.any(String) as string, name: 'checkpoint-monitor.service',
      path: '/etc/systemd/system/checkpoint-monitor.service', content: '', sha256: '', stateOnly: true, enabled: false, active: false, restartOn: [],
    });
  });

  it('monitor: false installs none of it', () => {
    expect(resourcesOf('{ monitor: false }').filter((r) => r.tags.includes('monitoring'))).toEqual([]);
  });

  it('the settings file holds the webhooks by kind, is a secret then, and no unit names them', () => {
    const token = 'https://u:s3cr3t@hooks.example/T0?token=s3cr3t';
    const resources = resourcesOf(
      `{ interval_seconds: 30, window_seconds: 120, alert_interval_seconds: 0, history_max_bytes: 65536, textfile_directory: /var/lib/prometheus/node-exporter, alerts: [{ url: "${token}" }, { url: "http://am.example:9093", kind: alertmanager }, { url: "https://hooks.slack.example/x", kind: slack }] }`,
    );
    const config = file(resources, MONITOR_CONFIG)!;
    expect(config.secret).toBe(true);
    expect(config.mode).toBe('0600');
    expect(config.content).toContain(`WEBHOOKS='${token}'\n`);
    expect(config.content).toContain('SLACK_WEBHOOKS=https://hooks.slack.example/x\n');
    expect(config.content).toContain('ALERTMANAGERS=http://am.example:9093\n');
    expect(config.content).toContain('WINDOW_SECONDS=120\nMIN_SLOTS_PER_WINDOW=1\nSYNCED_DISTANCE=8\nOPTIMISTIC_SECONDS=600\nRATE_LIMIT_SECONDS=0\nHISTORY_MAX_BYTES=65536\n');
    expect(config.content).toContain('TEXTFILE=/var/lib/prometheus/node-exporter/nodeform.prom\n');
    for (const r of resources) if (r.kind === 'unit') expect(r.content, r.name).not.toContain('s3cr3t');
    expect(unitNamed(resources, 'nodeform-monitor.service')!.content).toContain('ReadWritePaths=-/var/lib/prometheus/node-exporter\n');
    expect(unitNamed(resources, 'nodeform-monitor.timer')!.content).toContain('OnUnitActiveSec=30s\n');
    expect(resources.some((r) => r.id === 'dir:/var/lib/prometheus/node-exporter')).toBe(true);
  });

  it('reads the clients where they listen (the loopback for 0.0.0.0)', () => {
    const resources = resourcesOf('', {
      consensus: '{ client: teku, listen_address: 0.0.0.0, ports: { http: 5999 } }',
      execution: '{ client: besu, listen_address: 10.0.0.5 }',
    });
    const content = file(resources, MONITOR_CONFIG)!.content;
    expect(content).toContain('BEACON_API=http://127.0.0.1:5999\n');
    expect(content).toContain('EXECUTION_RPC=http://10.0.0.5:8545\n');
  });

  it('its settings are sh that assigns each value as it is, whatever the value holds', () => {
    const spec = mainnetNode('lighthouse', 'geth');
    const odd = "https://h.example/x?a='b'&c=$(touch /tmp/pwned)`id`";
    const text = monitorConfig({ ...spec, monitoring: { ...spec.monitoring, alerts: [{ url: odd, kind: 'json' }] } }, "lab'1");
    const out = spawnSync('sh', ['-c', `${text}\nprintf '%s\\n' "$NODE_NAME" "$WEBHOOKS"`], { encoding: 'utf8' });
    expect(out.stdout).toBe(`lab'1\n${odd}\n`);
  });
});
