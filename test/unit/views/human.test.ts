// The human rendering of each command, byte for byte against goldens written before it moved to src/views.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApplyHuman } from '../../../src/views/apply.js';
import { HistoryHuman } from '../../../src/views/history.js';
import { formatPlan } from '../../../src/views/plan.js';
import { formatProviderGroups } from '../../../src/views/providers.js';
import { applyPlan, applyResults, historyRows, providerGroupsFixture, quietPlan } from './fixtures.js';

const golden = (name: string) => readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, writer: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
}

describe.each([false, true])('human rendering (colour %s)', (color) => {
  const suffix = color ? '.color.txt' : '.txt';
  it('plan: every kind of change, notes, held items, warnings, an unreachable host', () => {
    expect(formatPlan(applyPlan, { color })).toBe(golden(`plan${suffix}`));
  });
  it('plan without changes, with a reset target', () => {
    expect(formatPlan(quietPlan, { color })).toBe(golden(`plan-quiet${suffix}`));
  });
  it('providers: a chosen provider with alternatives and rejections, and a group without quorum', () => {
    expect(formatProviderGroups(providerGroupsFixture, { color })).toBe(golden(`providers${suffix}`));
  });
  it('apply: the plan, then each status with its generation and error, and the summary in a fixed order', () => {
    const { out, writer } = capture();
    const view = new ApplyHuman(writer, { color });
    view.plan(applyPlan);
    view.results(applyResults, true);
    view.held(['lab1']);
    view.done();
    expect(out.stdout).toBe(golden(`plan${suffix}`) + golden(`apply-results${suffix}`));
    expect(out.stderr).toBe('1 host(s) held items back (lab1): see "held" in the plan above; run again once the checkpoint providers agree\n');
  });
});

describe('human rendering without colour only', () => {
  it('history: generations, a host without any, a host that could not be read', () => {
    const { out, writer } = capture();
    new HistoryHuman(writer).history(historyRows);
    expect(out.stdout).toBe(golden('history.txt'));
  });

  it('a rollout: each batch as it starts, each host as it ends, then every host with why and the tally', () => {
    const { out, writer } = capture();
    const view = new ApplyHuman(writer, { color: false });
    const done = { host: 'lab1', state: 'done' as const, batch: 1, why: 'applied (generation 4); gate passed: 2 unit(s) active', generation: 4 };
    const back = { host: 'lab2', state: 'rolled-back' as const, batch: 2, why: 'gate failed: unit a.service is activating (auto-restart); rolled back: the host is as it was' };
    const left = { host: 'lab3', state: 'not-started' as const, batch: 3, why: 'the rollout stopped before its batch: 1 host(s) failed, more than --max-fail allows (0 of 3)' };
    view.batch(1, 3, ['lab1']);
    view.outcome(done);
    view.batch(2, 3, ['lab2']);
    view.outcome(back);
    view.rollout({ hosts: [done, back, left], counts: { done: 1, failed: 0, 'rolled-back': 1, 'not-started': 1 }, batches: 3, stopped: left.why });
    expect(out.stdout).toBe(
      [
        '',
        'Batch 1/3: lab1',
        `lab1: done: ${done.why}`,
        '',
        'Batch 2/3: lab2',
        `lab2: rolled-back: ${back.why}`,
        '',
        'Rollout:',
        `  lab1 (batch 1): done: ${done.why}`,
        `  lab2 (batch 2): rolled-back: ${back.why}`,
        `  lab3 (batch 3): not-started: ${left.why}`,
        `Summary: 1 done, 1 rolled-back, 1 not-started (3 batch(es)). Stopped: ${left.why}.`,
        '',
      ].join('\n'),
    );
  });

  it('apply says when it took over the lock of a dead run: a holder that is gone, and one that cannot be read', () => {
    const { out, writer } = capture();
    const view = new ApplyHuman(writer, { color: false });
    view.results(
      [
        { host: 'lab1', status: 'applied', generation: 3, durationMs: 1200, events: ['STALE unreadable holder (empty or cut short): taken over as dead', 'UPDATE file /etc/a'] },
        { host: 'lab2', status: 'applied', generation: 5, durationMs: 800, events: ['STALE run-dead ops@ci 4242 boot-gone 2026-01-01T00:00:00Z'] },
        { host: 'lab3', status: 'applied', generation: 1, durationMs: 500, events: ['UPDATE file /etc/a'] },
      ],
      true,
    );
    expect(out.stdout).toBe(
      [
        'lab1: applied (generation 3, 1.2s)',
        '  took over the lock: its holder file could not be read (empty or cut short), so its run counts as dead',
        'lab2: applied (generation 5, 0.8s)',
        '  took over the lock of a dead nodeform run (run run-dead from ops@ci, pid 4242, since 2026-01-01T00:00:00Z: its process is gone or the host rebooted)',
        'lab3: applied (generation 1, 0.5s)',
        'Summary: 3 applied.',
        '',
      ].join('\n'),
    );
  });

  it('apply with nothing to do reports nothing beyond the plan', () => {
    const { out, writer } = capture();
    const view = new ApplyHuman(writer, { color: false });
    view.plan(quietPlan);
    view.results([{ host: 'lab1', status: 'unchanged', events: [], durationMs: 0 }], false);
    view.held([]);
    expect(out.stdout).toBe(golden('plan-quiet.txt'));
    expect(out.stderr).toBe('');
  });
});
