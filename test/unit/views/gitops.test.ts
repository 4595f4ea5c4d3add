// The GitOps views and their pure parts: the drift report (human, JSON against its schema), report merge of
// shards, the events of --events ndjson, the probe's applied records, and the command line's new options.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/cli/arguments.js';
import { parseFacts } from '../../../src/facts/parse.js';
import { buildProbe } from '../../../src/facts/probe.js';
import { DriftHuman, driftDocument, type HostDrift } from '../../../src/views/drift.js';
import { EventTally, eventLine, resultEvent, scriptLineEvent } from '../../../src/views/events.js';
import { mergedOutcome, mergeReports } from '../../../src/views/report.js';
import { runCli } from '../../support/cli.js';
import { outputSchemaErrors } from '../../support/output-schema.js';

const rows: HostDrift[] = [
  { host: 'a', check: { generation: 3, finishedAt: '2026-12-01T00:00:00Z', drift: [] } },
  { host: 'b', check: { generation: 5, drift: [{ kind: 'file', target: '/etc/x', field: 'content', recorded: null, live: null }, { kind: 'unit', target: 'geth.service', field: 'enabled', recorded: 'enabled', live: 'disabled' }, { kind: 'directory', target: '/var/lib/x', field: 'exists', recorded: 'true', live: 'false' }] } },
  { host: 'c', check: { drift: [] } },
  { host: 'd', error: { code: 'TRANSPORT', message: 'd: cannot connect\x1b[2J', host: 'd' } },
];

describe('drift views', () => {
  it('human: one line per host, each change, a summary', () => {
    let out = '';
    new DriftHuman({ stdout: (t) => (out += t), stderr: () => undefined }, { color: false }).drift(rows);
    expect(out).toBe(
      [
        'a  as the last apply left it (generation 3, 2026-12-01T00:00:00Z)',
        'b  3 change(s) outside nodeform since generation 5',
        '  ~ file /etc/x: content changed',
        '  ~ unit geth.service: enabled: enabled -> disabled',
        '  ~ directory /var/lib/x: is gone',
        'c  no record of what the last apply left (STATE/applied): nodeform never applied to this host, or last applied before it kept that record',
        'd  error: d: cannot connect\x1b[2J',
        '',
        '1 of 4 host(s) changed outside nodeform since its last apply; 1 host(s) have no record to compare with; 1 host(s) could not be checked.',
        '',
      ].join('\n'),
    );
  });

  it('JSON: the schema\'s drift document, with statuses and counts', () => {
    const doc = driftDocument(rows);
    expect(outputSchemaErrors('drift', doc)).toBe('');
    expect(doc).toMatchObject({ summary: { in_sync: 1, drifted: 1, no_record: 1, error: 1 }, hosts: [{ status: 'in-sync' }, { status: 'drifted' }, { status: 'no-record' }, { status: 'error', error: { code: 'TRANSPORT' } }] });
  });
});

describe('report merge', () => {
  const shard1 = driftDocument([rows[1]!, rows[0]!]);
  const shard2 = driftDocument([rows[2]!]);

  it('merges drift shards into the single run\'s document (hosts by name, counts again) and its exit outcome', () => {
    const merged = mergeReports([{ file: '1.json', document: shard1 }, { file: '2.json', document: shard2 }]);
    expect(merged.document).toEqual(driftDocument([rows[0]!, rows[1]!, rows[2]!]));
    expect(mergedOutcome(merged, false)).toBe('drifted');
    expect(mergedOutcome(mergeReports([{ file: '1.json', document: driftDocument([rows[0]!]) }]), false)).toBe('success');
  });

  it('merges plans, with --detailed-exitcode\'s outcome', () => {
    const host = (name: string, changes: number) => ({ host: name, changes: Array.from({ length: changes }, () => ({})), warnings: [], managedAfter: [] });
    const merged = mergeReports([
      { file: 'p1', document: { formatVersion: 1, kind: 'apply', hosts: [host('z', 1)] } },
      { file: 'p2', document: { formatVersion: 1, kind: 'apply', hosts: [host('m', 0)] } },
    ]);
    expect(merged.document).toEqual({ formatVersion: 1, kind: 'apply', hosts: [host('m', 0), host('z', 1)] });
    expect(mergedOutcome(merged, true)).toBe('changesPending');
    expect(mergedOutcome(merged, false)).toBe('success');
  });

  it('refuses overlapping shards, mixed kinds, and what is not a result', () => {
    expect(() => mergeReports([{ file: '1.json', document: shard1 }, { file: 'again.json', document: shard1 }])).toThrow('host b is in both 1.json and again.json');
    expect(() => mergeReports([{ file: '1.json', document: shard1 }, { file: 'p.json', document: { formatVersion: 1, kind: 'apply', hosts: [] } }])).toThrow('p.json: a plan result, but 1.json is a drift result');
    expect(() => mergeReports([{ file: 'x.json', document: { hello: 1 } }])).toThrow('x.json: not a JSON result nodeform report merge knows');
  });

  it('nodeform report merge reads the files and exits as the merged run would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-merge-'));
    writeFileSync(join(dir, '1.json'), JSON.stringify(shard1));
    writeFileSync(join(dir, '2.json'), JSON.stringify(shard2));
    const r = await runCli(dir, ['report', 'merge', '1.json', '2.json', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).summary).toEqual({ in_sync: 1, drifted: 1, no_record: 1, error: 0 });
    const human = await runCli(dir, ['report', 'merge', '1.json', '2.json']);
    expect(human.stdout).toBe('Merged 2 drift result(s): 3 host(s).\n  a  in-sync\n  b  drifted\n  c  no-record\n\n1 in-sync, 1 drifted, 1 no-record, 0 error.\n');
    expect((await runCli(dir, ['report', 'merge', 'missing.json'])).stderr).toContain('cannot read');
  });

  it('shards\' plans merged are one plan: plan --plan shows it as one comment, contacting no host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodeform-merge-'));
    const change = { kind: 'file', action: 'create', target: '/etc/x', attributes: [], secret: false, precondition: { exists: false } };
    const shard = (host: string) => JSON.stringify({ formatVersion: 1, kind: 'apply', hosts: [{ host, changes: [change], warnings: [], managedAfter: [] }] });
    writeFileSync(join(dir, 'p1.json'), shard('b'));
    writeFileSync(join(dir, 'p2.json'), shard('a'));
    const merged = await runCli(dir, ['report', 'merge', 'p1.json', 'p2.json', '--json', '--detailed-exitcode']);
    expect(merged.code).toBe(2);
    writeFileSync(join(dir, 'plan.json'), merged.stdout);
    const shown = await runCli(dir, ['plan', '--plan', 'plan.json', '--format', 'markdown']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('**Plan: 2 to create, 0 to update, 0 to remove, 0 to restart, on 2 of 2 host(s).**');
    expect(shown.stdout.indexOf('#### <code>a</code>')).toBeLessThan(shown.stdout.indexOf('#### <code>b</code>'));
    writeFileSync(join(dir, 'drift.json'), JSON.stringify(shard1));
    expect((await runCli(dir, ['plan', '--plan', 'drift.json'])).stderr).toContain('drift.json: not a plan of this nodeform version');
  });
});

describe('--events ndjson', () => {
  it('turns the apply script\'s change lines into change_applied, and nothing else', () => {
    expect(scriptLineEvent('h', 'WROTE\t/etc/x')).toEqual({ type: 'change_applied', host: 'h', step: 'wrote', target: '/etc/x' });
    expect(scriptLineEvent('h', 'SYSTEMCTL\trestart -- geth.service')).toEqual({ type: 'change_applied', host: 'h', step: 'systemctl', target: 'restart -- geth.service' });
    expect(scriptLineEvent('h', 'GEN\t4')).toBeUndefined();
    expect(scriptLineEvent('h', 'DRIFT\t/etc/x\tcontent changed')).toBeUndefined();
  });

  it('a line is one JSON object with format_version and time; the tally counts each host\'s last status', () => {
    const failed = resultEvent({ host: 'h2', status: 'locked', events: [], error: 'locked by x', durationMs: 5 });
    expect(failed).toEqual({ type: 'host_failed', host: 'h2', phase: 'apply', status: 'locked', error: { code: 'APPLY', message: 'locked by x', host: 'h2' } });
    const line = eventLine({ type: 'host_started', host: 'h', phase: 'plan' }, '2026-12-06T00:00:00.000Z');
    expect(line).toBe('{"format_version":1,"time":"2026-12-06T00:00:00.000Z","type":"host_started","host":"h","phase":"plan"}\n');
    const tally = new EventTally();
    tally.see({ type: 'host_done', host: 'h1', phase: 'plan', status: 'changes', changes: 1 });
    tally.see({ type: 'host_done', host: 'h1', phase: 'apply', status: 'applied' });
    tally.see(failed);
    expect(tally.counts()).toEqual({ applied: 1, locked: 1 });
  });
});

describe('the probe\'s comparison with STATE/applied', () => {
  it('is in the probe only when asked for: the plan\'s probe stays as captured', () => {
    const request = { stateDir: '/var/lib/nodeform', paths: [], units: [], users: [] };
    expect(buildProbe(request).script).not.toContain('/applied');
    expect(buildProbe({ ...request, applied: true }).script).toContain('"$S/applied"');
  });

  it('parses the generation compared and each difference, from the lines only one side has; modes as four digits', () => {
    const T = '\t';
    const output = [
      'M\tfile\t/etc/x', 'M\tfile\t/etc/gone', 'M\tdirectory\t/var/lib/d', 'M\tunit\tgeth.service', 'M\tunit\ttimer-job.service', 'M\tuser\tgeth',
      `AG${T}7${T}2026-12-06T00:00:00Z`,
      // /etc/x: mode changed (both stat lines differ) and content (both hash lines, masked).
      `A${T}R${T}S${T}644${T}root${T}root${T}/etc/x`, `A${T}L${T}S${T}600${T}root${T}root${T}/etc/x`,
      `A${T}R${T}H${T}-${T}/etc/x`, `A${T}L${T}H${T}-${T}/etc/x`,
      // /etc/gone: removed: its stat and hash are only recorded.
      `A${T}R${T}S${T}644${T}root${T}root${T}/etc/gone`, `A${T}R${T}H${T}-${T}/etc/gone`,
      // the unit file's owner, its enablement; a oneshot caught activating is no change of activity.
      `A${T}R${T}S${T}644${T}root${T}root${T}/etc/systemd/system/geth.service`, `A${T}L${T}S${T}644${T}geth${T}root${T}/etc/systemd/system/geth.service`,
      `A${T}R${T}U${T}geth.service${T}enabled${T}active`, `A${T}L${T}U${T}geth.service${T}disabled${T}failed`,
      `A${T}R${T}U${T}timer-job.service${T}static${T}inactive`, `A${T}L${T}U${T}timer-job.service${T}static${T}activating`,
      `A${T}R${T}W${T}geth${T}present`, `A${T}L${T}W${T}geth${T}missing`,
      `A${T}L${T}S${T}755${T}root${T}root${T}/var/lib/d`,
      'END',
    ].join('\n');
    const facts = parseFacts('h', output);
    expect(facts.applied).toEqual({
      generation: 7,
      finishedAt: '2026-12-06T00:00:00Z',
      drift: [
        { kind: 'file', target: '/etc/gone', field: 'exists', recorded: 'true', live: 'false' },
        { kind: 'file', target: '/etc/x', field: 'content', recorded: null, live: null },
        { kind: 'file', target: '/etc/x', field: 'mode', recorded: '0644', live: '0600' },
        { kind: 'directory', target: '/var/lib/d', field: 'exists', recorded: 'false', live: 'true' },
        { kind: 'user', target: 'geth', field: 'exists', recorded: 'true', live: 'false' },
        { kind: 'unit', target: 'geth.service', field: 'owner', recorded: 'root', live: 'geth' },
        { kind: 'unit', target: 'geth.service', field: 'enabled', recorded: 'enabled', live: 'disabled' },
        { kind: 'unit', target: 'geth.service', field: 'active', recorded: 'active', live: 'failed' },
      ],
    });
    expect(parseFacts('h', 'AG\t-\t-\nEND').applied).toEqual({ drift: [] });
    expect(parseFacts('h', 'END').applied).toBeUndefined();
  });
});

describe('the command line', () => {
  const parse = (...argv: string[]) => parseCommandLine(argv, '/srv');
  it.each([
    [['plan', '-i', 'i.yaml', '--format', 'pdf'], '--format takes human, json or markdown, not "pdf"'],
    [['apply', '-i', 'i.yaml', '--format', 'markdown'], '--format markdown is for plan, without --json'],
    [['plan', '-i', 'i.yaml', '--format', 'markdown', '--json'], '--format markdown is for plan, without --json'],
    [['plan', '-i', 'i.yaml', '--events', 'xml'], '--events takes ndjson, not "xml"'],
    [['plan', '-i', 'i.yaml', '--events-file', 'e'], '--events-file FILE goes with --events ndjson'],
    [['history', '-i', 'i.yaml', '--events', 'ndjson'], '--events is for plan, apply, reset and drift'],
    [['plan', '-i', 'i.yaml', '--events', 'ndjson', '--json'], '--events ndjson takes stdout'],
    [['apply', '-i', 'i.yaml', '--events', 'ndjson'], 'apply --events ndjson needs --yes (or --events-file FILE)'],
    [['plan', '-i', 'i.yaml', '--shard', '3/2'], '--shard "3/2": give I/N with 1 <= I <= N'],
    [['drift', '-i', 'i.yaml', 'site.yaml'], 'drift reads no playbook (site.yaml)'],
    [['report', 'sum', 'a.json'], 'report takes merge and the JSON results to merge'],
    [['report', 'merge'], 'report takes merge and the JSON results to merge'],
  ])('%j is refused', (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });

  it('reads --format, --events, --shard, plan --plan and report merge', () => {
    const line = (argv: string[]) => {
      const parsed = parse(...argv);
      if (parsed.kind !== 'command') throw new Error('not a command');
      return parsed.line;
    };
    expect(line(['plan', '-i', 'i.yaml', '--format', 'markdown', '--shard', '2/3'])).toMatchObject({ format: 'markdown', shard: { index: 2, count: 3 }, json: false });
    expect(line(['plan', '-i', 'i.yaml', '--format', 'json'])).toMatchObject({ format: 'json', json: true });
    expect(line(['apply', '-i', 'i.yaml', '--events', 'ndjson', '--events-file', 'e.ndjson', '--json', '--yes']).events).toEqual({ path: '/srv/e.ndjson' });
    expect(line(['drift', '-i', 'i.yaml', '--events', 'ndjson']).events).toEqual({});
    expect(line(['plan', '--plan', 'p.json']).savedPlan).toBe('/srv/p.json');
    expect(line(['report', 'merge', 'a.json', 'b.json']).reportFiles).toEqual(['/srv/a.json', '/srv/b.json']);
  });
});
