// The bodies of alert webhooks, the same shapes the on-host monitor (templates/scripts/nodeform-monitor.sh.hbs)
// sends: generic JSON, Slack-compatible `{text}`, and Prometheus Alertmanager's API v2 (POST /api/v2/alerts).
// Webhook URLs are secrets (tokens, credentials): a post names its webhook by position and kind, never by URL.
// Pure.

import type { AlertKind, AlertWebhook } from '../clients/types.js';
import type { AlertEvent } from './alerts.js';
import type { Verdict } from './sync.js';

/** One POST to make: the URL is a secret and must not be shown; `label` is what messages may say instead. */
export interface WebhookPost {
  url: string;
  label: string;
  body: string;
}

/** Seconds precision, as the on-host monitor writes it (date -u +%Y-%m-%dT%H:%M:%SZ). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

export const ALERT_NAMES: Record<Exclude<Verdict, 'synced' | 'syncing'>, string> = {
  stalled: 'NodeformSyncStalled',
  down: 'NodeformNodeDown',
  'el-offline': 'NodeformExecutionOffline',
  optimistic: 'NodeformOptimisticTooLong',
};

/** The body for one event and one kind of webhook. `source` is the Alertmanager label saying who saw it. */
export function alertBody(event: AlertEvent, kind: AlertKind, source: string): unknown {
  const at = isoSeconds(event.at);
  if (kind === 'json') return { host: event.host, kind: event.kind, verdict: event.verdict, reason: event.reason, at };
  if (kind === 'slack') {
    const text = event.kind === 'firing' ? `${event.host} is ${event.verdict}: ${event.reason}` : `${event.host} is no longer ${event.verdict}: ${event.reason}`;
    return { text };
  }
  const alertname = ALERT_NAMES[event.verdict as keyof typeof ALERT_NAMES] ?? 'NodeformOptimisticTooLong';
  return [
    {
      labels: { alertname, host: event.host, severity: event.verdict === 'optimistic' ? 'warning' : 'critical', source },
      annotations: { summary: `${event.host}: ${event.verdict}`, description: event.reason },
      startsAt: at,
      ...(event.kind === 'resolved' ? { endsAt: at } : {}),
    },
  ];
}

/** Every POST the events call for, each event to each webhook, in order. Alertmanager URLs get /api/v2/alerts. */
export function webhookPosts(events: readonly AlertEvent[], webhooks: readonly AlertWebhook[], source = 'nodeform-status'): WebhookPost[] {
  return events.flatMap((event) =>
    webhooks.map((hook, index) => ({
      url: hook.kind === 'alertmanager' ? `${hook.url.replace(/\/+$/, '')}/api/v2/alerts` : hook.url,
      label: `alert webhook ${index + 1} (${hook.kind})`,
      body: JSON.stringify(alertBody(event, hook.kind, source)),
    })),
  );
}
