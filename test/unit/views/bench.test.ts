// nodeform bench's result as text and as JSON (matching schemas/output.schema.json).
import { describe, expect, it } from 'vitest';
import { buildReport, type BenchRunRecord } from '../../../src/bench/report.js';
import { chooseViews } from '../../../src/views/index.js';
import { outputSchemaErrors } from '../../support/output-schema.js';

const run = (strategy: string, n: number, synced?: number): BenchRunRecord => ({
  strategy,
  host: 'node1',
  run: n,
  startedAt: '2026-12-06T21:00:00.000Z',
  finishedAt: '2026-12-06T21:05:00.000Z',
  outcome: synced === undefined ? 'failed' : 'synced',
  ...(synced === undefined ? { error: 'bench: failed: lighthouse.service is not active' } : { timeToSyncedSeconds: synced, timeToFirstHeadSeconds: 2, startSlot: 0, endSlot: 90, slotsPerMinute: 600 }),
  units: [{ unit: 'lighthouse.service', memoryPeakBytes: 1, cpuSeconds: 1, source: 'process' }],
  controllerBytes: 100,
  providerBytes: synced === undefined ? { measured: false, why: 'the run ended before its clients started' } : { measured: true, bytes: 5_005_049, packets: 155, endpoints: [{ host: 'provider.example', port: 443, addresses: ['192.0.2.7', '2001:db8::7'] }] },
  samples: 5,
  progress: [{ seconds: 2, headSlot: 0 }],
});

const report = (restored: { host: string; status: string; error?: string }[], interrupted = false) =>
  buildReport({
    title: 't',
    started_at: '2026-12-06T21:00:00.000Z',
    finished_at: '2026-12-06T21:10:00.000Z',
    command: 'nodeform bench',
    hosts: ['node1'],
    strategies: [
      { name: 'baseline', description: 'genesis', vars: {}, origin: 'built-in' },
      { name: 'checkpoint-provider', description: 'url', vars: {}, origin: 'built-in' },
    ],
    settings: { runs: 3, time_limit_seconds: 60, sample_seconds: 1, parallel: false },
    runs: [run('baseline', 1, 50), run('baseline', 2, 52), run('baseline', 3, 55), run('checkpoint-provider', 1, 10), run('checkpoint-provider', 2, 12), run('checkpoint-provider', 3)],
    restored,
    interrupted,
    notes: [],
  });
const files = { json: 'r/s.json', markdown: 'r/s.md', html: 'r/s.html' };

function render(format: 'human' | 'json', r: ReturnType<typeof report>) {
  let stdout = '';
  chooseViews(format, { stdout: (t) => (stdout += t), stderr: () => undefined }, { color: false }).bench().finished(r, files);
  return stdout;
}

describe('bench result', () => {
  it('as text: each strategy, the recommendation, the promises, the hosts afterwards and the files', () => {
    const text = render('human', report([{ host: 'node1', status: 'applied' }]));
    expect(text).toContain('  baseline                 3/3 synced  52.0 s to synced (50.0-55.0)');
    expect(text).toContain('  checkpoint-provider      2/3 synced  11.0 s to synced (10.0-12.0)  left out: 1 of 3 runs did not reach synced within the time limit');
    expect(text).toContain('Recommended: baseline (no other eligible strategy).');
    expect(text).toContain('old scripts\' caching: "20-40% faster sync": not measured');
    expect(text).toContain('Hosts back in their declared state: node1');
    expect(text).toContain('Reports: r/s.md, r/s.html, r/s.json');
  });

  it('says loudly when a host is not back, and when it was interrupted', () => {
    const text = render('human', report([{ host: 'node1', status: 'failed', error: 'unreachable' }], true));
    expect(text).toContain('NOT back in their declared state: node1 (unreachable); run nodeform apply');
    expect(text).toContain('Interrupted: the report holds the runs finished before.');
  });

  it('as JSON: the schema\'s bench document, without the progress points', () => {
    const doc = JSON.parse(render('json', report([{ host: 'node1', status: 'applied' }])));
    expect(outputSchemaErrors('bench', doc)).toBe('');
    expect(doc.bench.runs[5]).toMatchObject({ strategy: 'checkpoint-provider', outcome: 'failed', error: 'bench: failed: lighthouse.service is not active' });
    expect(doc.bench.runs[0].progress).toBeUndefined();
    expect(doc.bench.runs[0].providerBytes).toEqual({ measured: true, bytes: 5_005_049, packets: 155, endpoints: [{ host: 'provider.example', port: 443, addresses: ['192.0.2.7', '2001:db8::7'] }] });
    expect(doc.bench.runs[5].providerBytes).toEqual({ measured: false, why: 'the run ended before its clients started' });
    expect(doc.files).toEqual(files);
  });
});
