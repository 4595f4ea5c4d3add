import { describe, expect, it } from 'vitest';
import { parseSize, type SizeSpec } from '../../../src/rollout/batches.js';
import { afterApply, afterGate, afterRollback, nextStep, rolloutBatches, summarize, withEarlierApply, type HostOutcome, type NextStep } from '../../../src/rollout/runner.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const size = (text: string): SizeSpec => {
  const parsed = parseSize(text, '--max-fail', true);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
};

/**
 * Runs the decision core to its end the way the runner does: each batch's hosts get the outcome `fate` gives
 * them. Returns the batches that ran and the summary.
 */
function simulate(count: number, options: { serial?: string; canary?: string; maxFail?: string }, fate: (host: string) => HostOutcome['state'], interruptAfter?: number) {
  const serial = options.serial?.split(',').map((s) => size(s));
  const batches = rolloutBatches(hosts(count), { ...(serial ? { serial } : {}), ...(options.canary ? { canary: size(options.canary) } : {}) });
  const outcomes = new Map<string, HostOutcome>();
  const ran: string[][] = [];
  let step: NextStep;
  for (;;) {
    step = nextStep(batches, outcomes, options.maxFail !== undefined ? size(options.maxFail) : undefined, interruptAfter !== undefined && ran.length >= interruptAfter);
    if (step.kind !== 'batch') break;
    ran.push(step.hosts);
    for (const host of step.hosts) outcomes.set(host, { host, state: fate(host), batch: step.index + 1, why: 'test' });
  }
  return { ran, step, summary: summarize(batches, outcomes, step.kind === 'stop' ? step.why : undefined) };
}

describe('the failure limit, checked before each batch', () => {
  it('--max-fail 0: the first failure stops the rollout before the next batch; the rest are not started, with why', () => {
    const { ran, step, summary } = simulate(6, { serial: '2', canary: '1', maxFail: '0' }, (h) => (h === 'h2' ? 'rolled-back' : 'done'));
    expect(ran).toEqual([['h1'], ['h2', 'h3']]);
    expect(step).toEqual({ kind: 'stop', why: 'the rollout stopped before its batch: 1 host(s) failed, more than --max-fail allows (0 of 6)' });
    expect(summary.counts).toEqual({ done: 2, failed: 0, 'rolled-back': 1, 'not-started': 3 });
    expect(summary.hosts.find((h) => h.host === 'h6')).toEqual({ host: 'h6', state: 'not-started', batch: 4, why: step.kind === 'stop' ? step.why : '' });
  });

  it('--max-fail 50% of 6 allows 3: the rollout goes on past one failure and stops after the 4th', () => {
    const one = simulate(6, { serial: '2', canary: '1', maxFail: '50%' }, (h) => (h === 'h2' ? 'failed' : 'done'));
    expect(one.step).toEqual({ kind: 'finished' });
    expect(one.summary.counts).toEqual({ done: 5, failed: 1, 'rolled-back': 0, 'not-started': 0 });
    const four = simulate(6, { serial: '2', canary: '1', maxFail: '50%' }, (h) => (['h1', 'h2', 'h3', 'h4'].includes(h) ? 'failed' : 'done'));
    expect(four.ran).toEqual([['h1'], ['h2', 'h3'], ['h4', 'h5']]);
    expect(four.summary.counts['not-started']).toBe(1);
  });

  it('a percentage rounds down: 50% of 5 allows 2 failures, a 3rd stops', () => {
    const r = simulate(5, { serial: '1', maxFail: '50%' }, (h) => (['h1', 'h2', 'h3'].includes(h) ? 'failed' : 'done'));
    expect(r.ran).toEqual([['h1'], ['h2'], ['h3']]);
    expect(r.step).toMatchObject({ kind: 'stop', why: expect.stringContaining('3 host(s) failed, more than --max-fail allows (2 of 5)') });
  });

  it('a whole batch failing at --max-fail 100% does not abort the rollout (ansible#76915)', () => {
    const r = simulate(6, { serial: '2', maxFail: '100%' }, (h) => (h === 'h3' || h === 'h4' ? 'failed' : 'done'));
    expect(r.ran).toEqual([['h1', 'h2'], ['h3', 'h4'], ['h5', 'h6']]);
    expect(r.step).toEqual({ kind: 'finished' });
  });

  it('every host failing at 100% still reaches every host', () => {
    const r = simulate(4, { serial: '1', maxFail: '100%' }, () => 'failed');
    expect(r.ran.flat()).toEqual(hosts(4));
  });

  it('without --max-fail nothing stops the rollout', () => {
    expect(simulate(3, { serial: '1' }, () => 'failed').summary.counts.failed).toBe(3);
  });

  it('Ctrl-C: no batch starts after it; every host left is not started, saying how to resume', () => {
    const r = simulate(6, { serial: '2' }, () => 'done', 1);
    expect(r.ran).toEqual([['h1', 'h2']]);
    expect(r.step).toMatchObject({ kind: 'stop', why: expect.stringContaining('apply --resume') });
    expect(r.summary.counts).toEqual({ done: 2, failed: 0, 'rolled-back': 0, 'not-started': 4 });
  });

  it('resumes at the first host without an outcome: finished batches are not redone, a batch cut short is finished', () => {
    const batches = rolloutBatches(hosts(6), { serial: [{ count: 2 }], canary: { count: 1 } });
    const done = (host: string, batch: number): [string, HostOutcome] => [host, { host, batch, state: 'done', why: '' }];
    const outcomes = new Map([done('h1', 1), done('h2', 2), done('h3', 2), done('h4', 3)]);
    expect(nextStep(batches, outcomes, size('0'), false)).toEqual({ kind: 'batch', index: 2, hosts: ['h5'] });
    // Failures before the interruption still count.
    outcomes.set('h1', { host: 'h1', batch: 1, state: 'failed', why: '' });
    expect(nextStep(batches, outcomes, size('0'), false)).toMatchObject({ kind: 'stop' });
  });
});

describe('what becomes of a host', () => {
  it('unreachable counts as failed (ansible#73795); a refused apply changed nothing; a partial apply the apply rolled back is rolled back', () => {
    expect(afterApply('a', 1, { status: 'unreachable', error: 'connect ECONNREFUSED' })).toEqual({ kind: 'outcome', outcome: { host: 'a', batch: 1, state: 'failed', why: 'unreachable: connect ECONNREFUSED' } });
    expect(afterApply('a', 1, { status: 'drifted', error: 'x changed' })).toMatchObject({ outcome: { state: 'failed', why: 'apply refused (drifted): x changed' } });
    expect(afterApply('a', 1, { status: 'failed', error: 'unit', selfRollback: { ok: true } })).toMatchObject({ outcome: { state: 'rolled-back' } });
    expect(afterApply('a', 1, { status: 'failed', error: 'unit', selfRollback: { ok: false } })).toMatchObject({ outcome: { state: 'failed' } });
    expect(afterApply('a', 1, { status: 'applied', generation: 3 })).toEqual({ kind: 'gate' });
    // It ran to its end, then a unit was not up: it carries the change, so it goes back as after a failed gate.
    const downAfter = { status: 'failed', error: 'lighthouse.service is failed after apply, expected active', generation: 4, completed: true } as const;
    expect(afterApply('a', 1, downAfter)).toEqual({ kind: 'roll-back', why: 'apply failed: lighthouse.service is failed after apply, expected active' });
    expect(afterApply('a', 1, downAfter, false)).toEqual({
      kind: 'outcome',
      outcome: { host: 'a', batch: 1, state: 'failed', why: 'apply failed: lighthouse.service is failed after apply, expected active; left as applied (--no-rollback)', generation: 4 },
    });
    // One that stopped before its end put itself back, or changed nothing: no rollback of the rollout's.
    expect(afterApply('a', 1, { status: 'failed', error: 'x', generation: 4 })).toMatchObject({ kind: 'outcome', outcome: { state: 'failed' } });
    expect(afterApply('a', 1, { status: 'unchanged' })).toEqual({ kind: 'gate' });
  });

  it('a failed gate rolls back what the rollout applied, unless --no-rollback; an unchanged host has nothing to roll back', () => {
    const failed = { passed: false, why: 'unit x.service is failed (failed)' };
    expect(afterGate('a', 2, { status: 'applied', generation: 4 }, failed, true)).toEqual({ kind: 'roll-back', why: 'gate failed: unit x.service is failed (failed)' });
    expect(afterGate('a', 2, { status: 'applied', generation: 4 }, failed, false)).toMatchObject({ outcome: { state: 'failed', why: expect.stringContaining('--no-rollback'), generation: 4 } });
    expect(afterGate('a', 2, { status: 'unchanged' }, failed, true)).toMatchObject({ outcome: { state: 'failed', why: expect.stringContaining('nothing to roll back') } });
    expect(afterGate('a', 2, { status: 'applied', generation: 4 }, { passed: true, why: '2 unit(s) active' }, true)).toEqual({
      kind: 'outcome',
      outcome: { host: 'a', batch: 2, state: 'done', why: 'applied (generation 4); gate passed: 2 unit(s) active', generation: 4 },
    });
    expect(afterRollback('a', 2, 'gate failed: x', { ok: true, text: 'rolled back' }, 4)).toEqual({ host: 'a', batch: 2, state: 'rolled-back', why: 'gate failed: x; rolled back', generation: 4 });
    expect(afterRollback('a', 2, 'gate failed: x', { ok: false, text: 'rolling back failed too' }).state).toBe('failed');
  });

  it('a host applied before the controller was killed comes back unchanged on --resume: still gated as applied, so it can be rolled back', () => {
    expect(withEarlierApply({ status: 'unchanged' }, 7)).toEqual({ status: 'applied', generation: 7 });
    expect(withEarlierApply({ status: 'unchanged' }, undefined)).toEqual({ status: 'unchanged' });
    // Applied again after the kill (the apply had not finished): this apply's generation counts.
    expect(withEarlierApply({ status: 'applied', generation: 8 }, 7)).toEqual({ status: 'applied', generation: 8 });
    expect(afterGate('a', 2, withEarlierApply({ status: 'unchanged' }, 7), { passed: false, why: 'x' }, true)).toEqual({ kind: 'roll-back', why: 'gate failed: x' });
  });
});
