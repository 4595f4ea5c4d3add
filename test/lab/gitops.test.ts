// GitOps on real hosts: nodeform drift after an apply and after hand edits, the drift section of the markdown
// plan, --events ndjson, and a fleet split into two shards run at once whose merged report equals one run's.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabHost } from './lab.js';
import { hostSh, nodeform, writeInventory, writePlaybook } from './support.js';

const SERVICE = `[Unit]
Description=nodeform lab gitops

[Service]
ExecStart=/bin/sh -c 'while :; do sleep 3600; done'

[Install]
WantedBy=multi-user.target
`;

const PLAY = [
  {
    name: 'gitops',
    hosts: 'all',
    directories: [{ path: '/etc/gitops', mode: '0755' }],
    files: [
      { path: '/etc/gitops/app.conf', content: 'greeting = {{greeting}}\nhost = {{inventory_hostname}}\n', mode: '0644' },
      { path: '/etc/gitops/token', content: 'secret-{{inventory_hostname}}\n', mode: '0600', secret: true },
    ],
    units: [{ name: 'gitops-app.service', content: SERVICE, enabled: true, active: true, restart_on: ['/etc/gitops/app.conf'] }],
  },
];

const schema = (name: string) => JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8'));
const ajv = new Ajv2020.default({ allErrors: true, strict: false });
ajv.addSchema(schema('plan.schema.json'));
ajv.addSchema(schema('output.schema.json'));
ajv.addSchema(schema('events.schema.json'));
const valid = (id: string, value: unknown) => {
  const check = ajv.getSchema(id)!;
  return check(value) ? '' : JSON.stringify(check.errors);
};

let lab: Lab;
let inventory: string;
let playbook: string;
let hosts: LabHost[];

beforeAll(async () => {
  lab = await startLab({ name: 'gitops', count: 6, slot: 6 });
  hosts = lab.hosts;
  inventory = writeInventory(lab, 'gitops', { vars: { greeting: 'hello' } });
  playbook = writePlaybook(lab, 'gitops', PLAY);
});
afterAll(async () => {
  await lab?.stop();
});

const driftJson = async (...extra: string[]) => {
  const r = await nodeform('drift', '-i', inventory, '--json', ...extra);
  return { code: r.code, doc: JSON.parse(r.stdout), stderr: r.stderr };
};

describe.sequential('GitOps on real hosts', () => {
  it('drift before any apply: exit 2, every host without a record', async () => {
    const { code, doc } = await driftJson();
    expect(code).toBe(2);
    expect(doc.summary).toEqual({ in_sync: 0, drifted: 0, no_record: 6, error: 0 });
    expect(valid('https://nodeform.dev/schemas/output.schema.json#/$defs/drift', doc)).toBe('');
  });

  it('apply with --events ndjson: one JSON line per event, in order, valid against schemas/events.schema.json', async () => {
    const r = await nodeform('apply', '-i', inventory, playbook, '--yes', '--events', 'ndjson');
    expect(r.code, r.stderr).toBe(0);
    // The human output went to stderr; stdout is the events alone.
    expect(r.stderr).toContain('Plan: ');
    const events = r.stdout.trim().split('\n').map((line) => JSON.parse(line));
    for (const event of events) expect(valid('https://nodeform.dev/schemas/events.schema.json', event), JSON.stringify(event)).toBe('');
    expect(events[0]).toMatchObject({ type: 'run_started', command: 'apply', hosts: hosts.map((h) => h.name) });
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', outcome: 'success', exit_code: 0, hosts: { applied: 6 } });
    const first = hosts[0]!.name;
    const mine = events.filter((e) => e.host === first).map((e) => `${e.type}:${e.phase ?? e.step}`);
    expect(mine.slice(0, 3)).toEqual(['host_started:plan', 'host_done:plan', 'host_started:apply']);
    expect(mine).toContain('change_applied:wrote');
    expect(mine.at(-1)).toBe('host_done:apply');
    // No secret in any event: the token is named, never shown.
    expect(r.stdout).not.toContain('secret-');
  });

  it('drift right after an apply: exit 0, every host as the apply left it', async () => {
    const { code, doc } = await driftJson();
    expect(code).toBe(0);
    expect(doc.summary).toEqual({ in_sync: 6, drifted: 0, no_record: 0, error: 0 });
    expect(doc.hosts.every((h: { generation: number }) => h.generation === 1)).toBe(true);
  });

  it('drift after hand edits on one host: exit 2, naming each change; the secret\'s content is not shown', async () => {
    const edited = hosts[1]!;
    await hostSh(lab, edited, "echo 'greeting = by hand' > /etc/gitops/app.conf; chmod 640 /etc/gitops/app.conf; echo leaked > /etc/gitops/token; systemctl stop gitops-app.service");
    const human = await nodeform('drift', '-i', inventory);
    expect(human.code).toBe(2);
    expect(human.stdout).toContain(`${edited.name}  4 change(s) outside nodeform since generation 1`);
    expect(human.stdout).toContain('~ file /etc/gitops/app.conf: content changed');
    expect(human.stdout).toContain('~ file /etc/gitops/app.conf: mode: 0644 -> 0640');
    expect(human.stdout).toContain('~ file /etc/gitops/token: content changed');
    expect(human.stdout).toContain('~ unit gitops-app.service: active: active -> inactive');
    expect(human.stdout).toContain('1 of 6 host(s) changed outside nodeform since its last apply.');
    expect(human.stdout).not.toContain('leaked');
    const { code, doc } = await driftJson();
    expect(code).toBe(2);
    expect(doc.hosts.filter((h: { status: string }) => h.status !== 'in-sync').map((h: { host: string }) => h.host)).toEqual([edited.name]);
  });

  it('plan --format markdown shows that drift in its own section and the fix as a diff', async () => {
    const r = await nodeform('plan', '-i', inventory, playbook, '--format', 'markdown');
    expect(r.code, r.stderr).toBe(0);
    const edited = hosts[1]!.name;
    expect(r.stdout).toContain('### Drift: changes made outside nodeform');
    expect(r.stdout).toContain(`- <code>${edited}</code> (since generation 1): file /etc/gitops/app.conf: content changed`);
    expect(r.stdout).toContain('-greeting = by hand\n+greeting = hello');
    expect(r.stdout).not.toContain('leaked');
  });

  it('a missing file is drift too; an apply puts it back and drift is 0 again', async () => {
    await hostSh(lab, hosts[2]!, 'rm /etc/gitops/app.conf');
    const { doc } = await driftJson();
    expect(doc.hosts.find((h: { host: string }) => h.host === hosts[2]!.name).drift).toEqual([{ kind: 'file', target: '/etc/gitops/app.conf', field: 'exists', recorded: 'true', live: 'false' }]);
    expect((await nodeform('apply', '-i', inventory, playbook, '--yes')).code).toBe(0);
    expect((await driftJson()).code).toBe(0);
  });

  it('two shards run at once take 3 hosts each, and their merged reports equal a single run\'s', async () => {
    const dir = lab.dir;
    const shards = [1, 2].map((i) => ['--shard', `${i}/2`]);
    // plan: exactly equal.
    const plans = await Promise.all(shards.map((s) => nodeform('plan', '-i', inventory, playbook, '--json', '-e', 'greeting=sharded', ...s)));
    expect(plans.map((p) => JSON.parse(p.stdout).hosts.length)).toEqual([3, 3]);
    const single = JSON.parse((await nodeform('plan', '-i', inventory, playbook, '--json', '-e', 'greeting=sharded')).stdout);
    const byName = (doc: { hosts: { host: string }[] }) => ({ ...doc, hosts: [...doc.hosts].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)) });
    const write = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const planFiles = plans.map((p, i) => write(`plan-${i + 1}.json`, p.stdout));
    const mergedPlan = await nodeform('report', 'merge', ...planFiles, '--json');
    expect(JSON.parse(mergedPlan.stdout)).toEqual(byName(single));

    // apply, both shards at once (the host locks keep them apart; the shards share no host).
    const applies = await Promise.all(shards.map((s) => nodeform('apply', '-i', inventory, playbook, '--json', '--yes', '-e', 'greeting=sharded', ...s)));
    expect(applies.map((a) => a.code)).toEqual([0, 0]);
    const applyFiles = applies.map((a, i) => write(`apply-${i + 1}.json`, a.stdout));
    const merged = await nodeform('report', 'merge', ...applyFiles, '--json');
    expect(merged.code).toBe(0);
    // The same change as one run: back to the previous generation first, then apply it to all 6 at once.
    expect((await nodeform('reset', '-i', inventory, '--to', 'previous', '--yes')).code).toBe(0);
    const whole = await nodeform('apply', '-i', inventory, playbook, '--json', '--yes', '-e', 'greeting=sharded');
    expect(whole.code).toBe(0);
    // Normalised: how long each host took, and its generation number (the reset in between made one more).
    const normal = (doc: Record<string, unknown>) =>
      JSON.parse(JSON.stringify(byName(doc as { hosts: { host: string }[] }), (key, value: unknown) => {
        if (key === 'duration_ms' || key === 'generation') return 0;
        if (key === 'events' && Array.isArray(value)) return value.map((e: string) => e.replace(/^(GEN|DONE) \d+$/, '$1 N'));
        return value;
      }));
    const wholeDoc = JSON.parse(whole.stdout);
    wholeDoc.plan = byName(wholeDoc.plan);
    expect(normal(JSON.parse(merged.stdout))).toEqual(normal(wholeDoc));

    // drift: exactly equal.
    const drifts = await Promise.all(shards.map((s) => nodeform('drift', '-i', inventory, '--json', ...s)));
    const driftFiles = drifts.map((d, i) => write(`drift-${i + 1}.json`, d.stdout));
    const mergedDrift = await nodeform('report', 'merge', ...driftFiles);
    expect(mergedDrift.code).toBe(0);
    expect(JSON.parse((await nodeform('report', 'merge', ...driftFiles, '--json')).stdout)).toEqual(byName((await driftJson()).doc));
  });
});
