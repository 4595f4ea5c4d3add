import { describe, expect, it } from 'vitest';
import { nextAlerts, type AlertState } from '../../../src/monitor/alerts.js';
import type { Verdict } from '../../../src/monitor/sync.js';

const MINUTE = 60_000;

/** Feeds verdicts one a minute and collects what would be sent. */
function run(verdicts: Verdict[], limitMs = 0, start?: AlertState): string[] {
  let state = start;
  const sent: string[] = [];
  verdicts.forEach((verdict, minute) => {
    const next = nextAlerts('lab1', state, verdict, `because ${verdict}`, minute * MINUTE, limitMs);
    sent.push(...next.events.map((event) => `${minute}:${event.kind}:${event.verdict}`));
    state = next.state;
  });
  return sent;
}

describe('alerts once per change of state', () => {
  it.each<[string, Verdict[], number, string[]]>([
    ['healthy throughout: nothing', ['syncing', 'syncing', 'synced', 'synced'], 0, []],
    ['a stall fires once, its recovery once', ['syncing', 'stalled', 'stalled', 'stalled', 'syncing', 'synced'], 0, ['1:firing:stalled', '4:resolved:stalled']],
    ['first seen down fires at once', ['down', 'down'], 0, ['0:firing:down']],
    ['stalled then down: one resolves, the other fires', ['stalled', 'down'], 0, ['0:firing:stalled', '1:resolved:stalled', '1:firing:down']],
    // Rate limit of 5 minutes: a flap inside it is not told; the state it settles in is, once the limit passes.
    ['a flap inside the limit is held back', ['syncing', 'stalled', 'syncing', 'stalled', 'stalled', 'stalled', 'stalled', 'stalled'], 5 * MINUTE, ['1:firing:stalled']],
    ['a recovery inside the limit is told once it passes', ['stalled', 'syncing', 'syncing', 'syncing', 'syncing', 'syncing', 'synced'], 5 * MINUTE, ['0:firing:stalled', '5:resolved:stalled']],
  ])('%s', (_name, verdicts, limit, expected) => {
    expect(run(verdicts, limit)).toEqual(expected);
  });

  it('carries the reason and the host, and keeps its state as data', () => {
    const { events, state } = nextAlerts('lab2', { verdict: 'synced' }, 'el-offline', 'the execution client does not answer', 1000, 0);
    expect(events).toEqual([{ host: 'lab2', kind: 'firing', verdict: 'el-offline', reason: 'the execution client does not answer', at: 1000 }]);
    expect(JSON.parse(JSON.stringify(state))).toEqual({ verdict: 'el-offline', sentAt: 1000 });
  });
});
