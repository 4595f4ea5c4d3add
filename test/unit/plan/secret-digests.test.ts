// A secret file's plain sha256 (a short password is guessable offline from it) never leaves the process: the plan
// JSON, a saved plan and the human plan carry only its digests under the host's key (src/facts/key.ts).
import { describe, expect, it } from 'vitest';
import { buildApplyScript } from '../../../src/apply/script.js';
import { parseFacts } from '../../../src/facts/parse.js';
import type { Plan } from '../../../src/model/plan.js';
import { planHost, probeRequestFor } from '../../../src/plan/compute.js';
import { savedPlanMismatches, savedPlanText } from '../../../src/plan/saved-plan.js';
import { formatPlan, PlanJson } from '../../../src/views/plan.js';
import { desired, file, sha } from '../helpers.js';

const path = '/etc/app/password';
const OLD = 'hunter2\n';
const NEW = 'hunter3\n';
const KEY = 'ab'.repeat(32);
const keyed = (content: string) => sha(`${KEY}${sha(content)}`);

/** Probe output as the probe prints it for a secret file that exists with OLD and is declared NEW. */
const output = (content: string | undefined) =>
  [
    ...(content === undefined
      ? [`P\t${path}\tmissing`, `K\t${path}\t-\t${keyed(NEW)}`]
      : [`P\t${path}\tfile`, `S\t600\troot\troot\t${content.length}\t${path}`, `H\t${sha(content)}\t${path}`, `K\t${path}\t${keyed(content)}\t${keyed(NEW)}`]),
    'END',
    '',
  ].join('\n');

const declared = () => desired([file(path, NEW, { secret: true, mode: '0600' })]);

function texts(content: string | undefined): { plan: Plan; json: string; saved: string; human: string } {
  const host = planHost(declared(), parseFacts('h1', output(content)), { removeUndeclared: true });
  const plan: Plan = { formatVersion: 1, kind: 'apply', hosts: [host] };
  let json = '';
  new PlanJson({ stdout: (t) => (json += t), stderr: () => undefined }).plan(plan);
  const saved = savedPlanText(plan, '2026-12-06T00:00:00Z', { inventoryPath: '/inv.yaml', extraVars: [] });
  return { plan, json, saved, human: formatPlan(plan, { color: false }) };
}

describe('a secret file in plans', () => {
  it('asks the probe for keyed digests of secret files only', () => {
    const request = probeRequestFor(desired([file('/a', 'x'), file(path, NEW, { secret: true })]));
    expect(request.paths.map((p) => [p.path, p.secret ?? false])).toEqual([
      ['/a', false],
      [path, true],
      // The files' directories: whether they are there, nothing secret.
      ['/', false],
      [path.slice(0, path.lastIndexOf('/')), false],
    ]);
  });

  it.each([
    ['an update', OLD],
    ['a create', undefined],
  ])('%s: plan JSON, a saved plan and the human plan hold neither the old nor the new content sha256', (_name, content) => {
    const { plan, json, saved, human } = texts(content);
    const change = plan.hosts[0]!.changes[0]!;
    expect(change).toMatchObject({ kind: 'file', target: path, secret: true });
    for (const text of [json, saved, human]) {
      expect(text).not.toContain(sha(OLD));
      expect(text).not.toContain(sha(NEW));
      expect(text).not.toContain(sha(OLD).slice(0, 12));
      expect(text).not.toContain(sha(NEW).slice(0, 12));
      expect(text).not.toContain('hunter');
    }
    // What they carry instead: the digests under the host's key, which apply checks on the host.
    expect(change.precondition).toEqual(content === undefined ? { exists: false } : { exists: true, keyedSha256: keyed(OLD) });
    expect(change.after).toEqual({ sha256: '', keyedSha256: keyed(NEW), mode: '0600', owner: 'root', group: 'root' });
    expect(JSON.parse(saved).hosts[0].changes[0].after.keyedSha256).toBe(keyed(NEW));
  });

  it('the apply script checks the keyed digests on the host, and says no hash of a secret', () => {
    const { plan } = texts(OLD);
    const { script } = buildApplyScript(plan.hosts[0]!, declared(), { stateDir: '/s', runId: 'r', controller: 'c', lockTimeoutSeconds: 1, keepGenerations: 1, action: 'apply' });
    expect(script).toContain(`pre_secret ${path} ${keyed(OLD)}`);
    expect(script).toContain(`want_secret ${path} ${keyed(NEW)} ${sha(NEW)}`);
    expect(script).toMatch(new RegExp(`^  put ${path} 0600 root root ${sha(NEW)} s <<`, 'm'));
    expect(script).toContain(`chk ${path} ${sha(NEW)} s`);
    expect(script).not.toContain(`pre_file ${path}`);
  });

  it('a saved plan for a secret is checked against the declared state on the host, not by a plain sha256', () => {
    const { plan } = texts(OLD);
    expect(savedPlanMismatches(plan.hosts[0]!, declared())).toEqual([]);
    // No longer declared at all: refused on the controller.
    expect(savedPlanMismatches(plan.hosts[0]!, desired([]))).toEqual([`h1: ${path}`]);
  });

  it('without the host key (no digest from the probe) the plan warns that apply will refuse the secret', () => {
    const facts = parseFacts('h1', [`P\t${path}\tfile`, `S\t600\troot\troot\t8\t${path}`, `H\t${sha(OLD)}\t${path}`, `K\t${path}\t-\t-`, 'END', ''].join('\n'));
    const host = planHost(declared(), facts, { removeUndeclared: true });
    expect(host.changes[0]!.precondition).toEqual({ exists: true });
    expect(host.changes[0]!.after?.keyedSha256).toBeUndefined();
    expect(host.warnings.join('\n')).toContain("could not be read or made: apply will refuse to change it");
    expect(JSON.stringify(host)).not.toContain(sha(OLD));
  });
});
