// The alert rules and the metrics text, checked by Debian's real promtool (package prometheus).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prometheusText, type NodeFigures } from '../../src/monitor/prometheus.js';
import { assessSync, MONITOR_DEFAULTS, type SyncSample } from '../../src/monitor/sync.js';

const root = join(import.meta.dirname, '..', '..');
const promtool = (args: string[], input?: string) => spawnSync('promtool', args, { cwd: root, encoding: 'utf8', ...(input !== undefined ? { input } : {}) });

describe('alert rules', () => {
  it('pass promtool check rules', () => {
    const checked = promtool(['check', 'rules', 'monitoring/prometheus/nodeform.rules.yaml']);
    expect(checked.stdout + checked.stderr).toMatch(/SUCCESS: 7 rules found/);
    expect(checked.status).toBe(0);
  });

  it('pass promtool test rules: stalls fire, healthy nodes stay quiet', () => {
    const tested = promtool(['test', 'rules', 'test/fixtures/prometheus/nodeform.rules.test.yaml']);
    expect(tested.stdout + tested.stderr).toMatch(/SUCCESS/);
    expect(tested.status).toBe(0);
  });

  it('a test that expects the wrong alert fails (the runner is not vacuous)', () => {
    const wrong = execFileSync('sed', ['s/host: lab1$/host: lab9/', join(root, 'test/fixtures/prometheus/nodeform.rules.test.yaml')], { encoding: 'utf8' });
    const dir = execFileSync('mktemp', ['-d', '-p', join(root, 'test/fixtures/prometheus')], { encoding: 'utf8' }).trim();
    try {
      execFileSync('sh', ['-c', 'cat > "$1/wrong.test.yaml"', 'sh', dir], { input: wrong.replace('../../../monitoring', '../../../../monitoring') });
      const tested = promtool(['test', 'rules', join(dir, 'wrong.test.yaml')]);
      expect(tested.status).not.toBe(0);
    } finally {
      execFileSync('rm', ['-rf', dir]);
    }
  });
});

describe('metrics text', () => {
  const sample = (at: number, headSlot: number, syncDistance: number): SyncSample => ({
    at,
    consensus: { reachable: true, headSlot, syncDistance, isSyncing: syncDistance > 8, isOptimistic: false, elOffline: false, peers: 7, finalizedEpoch: 3 },
    execution: { reachable: true, blockNumber: 120, syncing: false, peers: 3 },
  });
  const figures = (host: string, samples: SyncSample[]): NodeFigures => ({
    host,
    sample: samples[samples.length - 1]!,
    assessment: assessSync(samples, MONITOR_DEFAULTS, samples[samples.length - 1]!.at, 12),
  });

  it('passes promtool check metrics, one family per figure and every host in it', () => {
    const text = prometheusText([
      figures('lab1', [sample(0, 0, 600), sample(60_000, 100, 505)]),
      figures('lab"2', [sample(0, 900, 0)]),
      figures('lab3', [{ at: 0, consensus: { reachable: false, error: 'refused' } }]),
    ]);
    const checked = promtool(['check', 'metrics'], text);
    expect(checked.stderr + checked.stdout).toBe('');
    expect(checked.status).toBe(0);
    expect(text).toContain('nodeform_sync_slots_per_minute{host="lab1"} 100\n');
    expect(text).toContain('nodeform_sync_verdict{host="lab1",verdict="syncing"} 1\n');
    expect(text).toContain('nodeform_sync_verdict{host="lab\\"2",verdict="synced"} 1\n');
    expect(text).toContain('nodeform_node_up{host="lab3"} 0\n');
    expect(text).toContain('nodeform_sync_verdict{host="lab3",verdict="down"} 1\n');
    expect(text.match(/^# TYPE nodeform_peers gauge$/gm)).toHaveLength(1);
  });
});
