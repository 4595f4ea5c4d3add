// The JSON views: one document per command, in the shape of schemas/output.schema.json.
import { describe, expect, it } from 'vitest';
import { ApplyJson, type ApplyView } from '../../../src/views/apply.js';
import { DiagnosticsJson } from '../../../src/views/diagnostics.js';
import { chooseViews } from '../../../src/views/index.js';
import { ConfigError, TransportError } from '../../../src/errors.js';
import { outputSchemaErrors } from '../../support/output-schema.js';
import { applyPlan, applyResults, historyRows, providerGroupsFixture } from './fixtures.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, writer: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
}

describe('JSON views', () => {
  it('apply: nothing is written until done, then one document: each host of the plan, its error as data, a summary', () => {
    const { out, writer } = capture();
    const view: ApplyView = new ApplyJson(writer);
    view.plan(applyPlan);
    view.results(applyResults.slice(0, 3), true);
    view.held(['lab1']);
    expect(out.stdout).toBe('');
    view.done();
    const doc = JSON.parse(out.stdout);
    expect(outputSchemaErrors('apply', doc)).toBe('');
    expect(doc.plan).toEqual(applyPlan);
    expect(doc.hosts.map((h: { host: string; status: string }) => [h.host, h.status])).toEqual([
      ['lab1', 'applied'],
      ['lab2', 'unchanged'],
      ['lab3', 'unreachable'],
    ]);
    expect(doc.hosts[0].changes_applied).toHaveLength(applyPlan.hosts[0]!.changes.length);
    expect(doc.hosts[0].held).toEqual(applyPlan.hosts[0]!.held);
    expect(doc.hosts[0].generation).toBe(4);
    expect(doc.hosts[1].changes_applied).toEqual([]);
    // A result without structured details still names its kind of failure.
    expect(doc.hosts[2].error).toEqual({ code: 'TRANSPORT', message: applyResults[2]!.error, host: 'lab3' });
    expect(doc.summary).toEqual({ applied: 1, unchanged: 1, drifted: 0, locked: 0, failed: 0, unreachable: 1, held: 1 });
    expect(out.stderr).toBe('');
  });

  it('apply: a host without a result is not-run; structured details win', () => {
    const { out, writer } = capture();
    const view: ApplyView = new ApplyJson(writer);
    view.plan(applyPlan);
    const failure = { code: 'APPLY' as const, message: 'boom', host: 'lab1', command: 'sh -s -- /x', exitCode: 7, stderr: 'oops\n' };
    view.results([{ host: 'lab1', status: 'failed', events: [], error: 'boom', failure, durationMs: 5 }], true);
    view.done();
    const doc = JSON.parse(out.stdout);
    expect(outputSchemaErrors('apply', doc)).toBe('');
    expect(doc.hosts[0].error).toEqual({ code: 'APPLY', message: 'boom', host: 'lab1', command: 'sh -s -- /x', exit_code: 7, stderr: 'oops\n' });
    expect(doc.hosts[1]).toMatchObject({ host: 'lab2', status: 'not-run', duration_ms: 0 });
  });

  it('apply as a rollout: every host with its state, batch and why, and the tally', () => {
    const { out, writer } = capture();
    const view: ApplyView = new ApplyJson(writer);
    view.plan(applyPlan);
    view.batch(1, 2, ['lab1']);
    const hosts = [
      { host: 'lab1', state: 'done' as const, batch: 1, why: 'applied (generation 4); gate passed: 2 unit(s) active', generation: 4 },
      { host: 'lab2', state: 'rolled-back' as const, batch: 2, why: 'gate failed: unit a.service is activating (auto-restart); rolled back' },
      { host: 'lab3', state: 'not-started' as const, batch: 3, why: 'the rollout stopped before its batch' },
    ];
    view.rollout({ hosts, counts: { done: 1, failed: 0, 'rolled-back': 1, 'not-started': 1 }, batches: 3, stopped: 'the rollout stopped before its batch' }, applyResults.slice(0, 2));
    view.done();
    const doc = JSON.parse(out.stdout);
    expect(outputSchemaErrors('apply', doc)).toBe('');
    expect(doc.rollout).toEqual({ batches: 3, stopped: 'the rollout stopped before its batch', hosts, summary: { done: 1, failed: 0, rolled_back: 1, not_started: 1 } });
    expect(doc.hosts.map((h: { status: string }) => h.status)).toEqual(['applied', 'unchanged', 'not-run']);
  });

  it('history and providers: one document each, with format_version', () => {
    const { out, writer } = capture();
    const views = chooseViews('json', writer, { color: true });
    views.history().history(historyRows);
    const history = JSON.parse(out.stdout);
    expect(outputSchemaErrors('history', history)).toBe('');
    expect(history.hosts.map((h: { host: string; error?: string }) => [h.host, h.error])).toEqual([
      ['lab1', undefined],
      ['lab2', undefined],
      ['lab3', 'lab3: cannot connect: timed out'],
    ]);
    out.stdout = '';
    // The human fixture shortens a short root too ('0xabc'); a real root is 32 bytes.
    const groups = JSON.parse(JSON.stringify(providerGroupsFixture).replaceAll('"0xabc"', `"0x${'ab'.repeat(32)}"`));
    views.providers().providers(groups);
    const providers = JSON.parse(out.stdout);
    expect(outputSchemaErrors('providers', providers)).toBe('');
    expect(providers).toEqual({ format_version: 1, groups });
    // Never colour in JSON.
    expect(out.stdout).not.toContain('\x1b[');
  });

  it('errors and warnings are JSON lines on stderr: a host error keeps its command, exit code and stderr', () => {
    const { out, writer } = capture();
    const view = new DiagnosticsJson(writer);
    view.error(new TransportError('lab1', 'probe failed', { command: 'sh -s', exitCode: 255, stderr: 'Connection reset\n' }));
    view.error(new ConfigError([{ position: { file: 'i.yaml', line: 2, column: 3 }, field: 'all.vars', message: 'bad' }]));
    view.warnings([{ code: 'config.warning', position: { file: '', line: 0, column: 0 }, field: '', message: 'careful' }]);
    const lines = out.stderr.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ format_version: 1, error: { code: 'TRANSPORT', message: 'probe failed', host: 'lab1', command: 'sh -s', exit_code: 255, stderr: 'Connection reset\n' } });
    expect(lines[1].error.problems).toEqual([{ severity: 'error', code: 'config.invalid', file: 'i.yaml', line: 2, column: 3, field: 'all.vars', message: 'bad' }]);
    expect(lines[2]).toEqual({ format_version: 1, diagnostic: { severity: 'warning', code: 'config.warning', file: null, line: null, column: null, field: '', message: 'careful' } });
    expect(outputSchemaErrors('errorLine', lines[0])).toBe('');
    expect(outputSchemaErrors('errorLine', lines[1])).toBe('');
    expect(outputSchemaErrors('warningLine', lines[2])).toBe('');
    expect(out.stdout).toBe('');
  });
});
