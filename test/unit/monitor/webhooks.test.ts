// Alert bodies: the shapes the on-host monitor sends (generic, Slack, Alertmanager v2), and no URL in what may be shown.
import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/monitor/alerts.js';
import { alertBody, isoSeconds, webhookPosts } from '../../../src/monitor/webhooks.js';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const firing: AlertEvent = { host: 'lab1', kind: 'firing', verdict: 'stalled', reason: 'the head moved 0 slots', at: AT };
const resolved: AlertEvent = { ...firing, kind: 'resolved', reason: '12 slots behind' };

describe('alert bodies', () => {
  it('generic JSON', () => {
    expect(alertBody(firing, 'json', 'x')).toEqual({ host: 'lab1', kind: 'firing', verdict: 'stalled', reason: 'the head moved 0 slots', at: '2026-01-02T03:04:05Z' });
  });

  it('Slack text, firing and resolved', () => {
    expect(alertBody(firing, 'slack', 'x')).toEqual({ text: 'lab1 is stalled: the head moved 0 slots' });
    expect(alertBody(resolved, 'slack', 'x')).toEqual({ text: 'lab1 is no longer stalled: 12 slots behind' });
  });

  it('Alertmanager v2: labels and annotations as the on-host monitor sends them; a resolution ends the alert', () => {
    expect(alertBody(firing, 'alertmanager', 'nodeform-status')).toEqual([
      {
        labels: { alertname: 'NodeformSyncStalled', host: 'lab1', severity: 'critical', source: 'nodeform-status' },
        annotations: { summary: 'lab1: stalled', description: 'the head moved 0 slots' },
        startsAt: '2026-01-02T03:04:05Z',
      },
    ]);
    expect(alertBody(resolved, 'alertmanager', 's')).toMatchObject([{ endsAt: '2026-01-02T03:04:05Z' }]);
    expect(alertBody({ ...firing, verdict: 'optimistic' }, 'alertmanager', 's')).toMatchObject([{ labels: { alertname: 'NodeformOptimisticTooLong', severity: 'warning' } }]);
    expect(alertBody({ ...firing, verdict: 'down' }, 'alertmanager', 's')).toMatchObject([{ labels: { alertname: 'NodeformNodeDown' } }]);
  });

  it('one post per event and webhook; the label names no URL', () => {
    const posts = webhookPosts([firing, resolved], [
      { url: 'https://hooks.example/T0K3N', kind: 'slack' },
      { url: 'http://am.example:9093/', kind: 'alertmanager' },
    ]);
    expect(posts.map((p) => [p.url, p.label])).toEqual([
      ['https://hooks.example/T0K3N', 'alert webhook 1 (slack)'],
      ['http://am.example:9093/api/v2/alerts', 'alert webhook 2 (alertmanager)'],
      ['https://hooks.example/T0K3N', 'alert webhook 1 (slack)'],
      ['http://am.example:9093/api/v2/alerts', 'alert webhook 2 (alertmanager)'],
    ]);
    expect(posts.map((p) => p.label).join()).not.toContain('T0K3N');
    expect(isoSeconds(0)).toBe('1970-01-01T00:00:00Z');
  });
});
