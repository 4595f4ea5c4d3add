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
