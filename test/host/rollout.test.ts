// A rollout on this machine (three inventory hosts with ansible_connection: local, each its own state dir and
// files): batches, the failure limit, the run record, an interrupt and --resume, the JSON document. The lab test
// (test/lab/rollout.test.ts) does the same on real hosts with units and clients; here there is no unit to gate.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { outputSchemaErrors } from '../support/output-schema.js';

let dir: string;

const HOSTS = ['h1', 'h2', 'h3'];

/** A regular file where these hosts' directory would be: writing their file fails. */
function breakHosts(...hosts: string[]): void {
  for (const h of HOSTS) {
    rmSync(join(dir, h), { recursive: true, force: true });
    if (hosts.includes(h)) writeFileSync(join(dir, h), 'not a directory\n');
    else mkdirSync(join(dir, h));
  }
}

async function cli(args: string[], onStdout?: (text: string, interrupt: () => void) => void) {
  let stdout = '';
  let stderr = '';
  let handler: (() => void) | undefined;
  const code = await run(args, {
    stdout: (t) => {
      stdout += t;
      if (handler) onStdout?.(stdout, handler);
    },
    stderr: (t) => (stderr += t),
    isTTY: false,
    env: { HOME: dir },
    cwd: dir,
    onInterrupt: (h) => {
      handler = h;
      return () => (handler = undefined);
    },
  });
  return { code, stdout, stderr };
}

const generations = (h: string) => {
  try {
    return readdirSync(join(dir, `state-${h}`, 'generations')).length;
  } catch {
    return 0;
  }
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodeform-rollout-'));
  const hosts = HOSTS.map((h) => `    ${h}: { ansible_connection: local, nodeform_state_dir: ${dir}/state-${h} }`);
  writeFileSync(join(dir, 'inventory.yaml'), `all:\n  hosts:\n${hosts.join('\n')}\n`);
  // One play per host: its own file.
  const plays = HOSTS.map((h) => `- name: ${h}\n  hosts: ${h}\n  files:\n    - path: ${dir}/${h}/app.conf\n      content: "v={{ v }}\\n"\n`);
  writeFileSync(join(dir, 'playbook.yaml'), plays.join(''));
  breakHosts();
});

describe('a rollout on this machine', () => {
  it('--serial 1 --max-fail 0: a failing host stops the rollout; the rest are not started; JSON in the schema; the record is 0600 and over', async () => {
    breakHosts('h2');
    const r = await cli(['apply', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'v=1', '--serial', '1', '--max-fail', '0', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(outputSchemaErrors('apply', doc)).toBe('');
    expect(doc.rollout.hosts.map((h: { host: string; state: string; batch: number }) => [h.host, h.state, h.batch])).toEqual([
      ['h1', 'done', 1],
      // The apply failed part way and put the host back itself (apply/run.ts): rolled back, and it counts as failed.
      ['h2', 'rolled-back', 2],
      ['h3', 'not-started', 3],
    ]);
    expect(doc.rollout.hosts[1].why).toMatch(/^apply failed: /);
    expect(doc.rollout.stopped).toBe('the rollout stopped before its batch: 1 host(s) failed, more than --max-fail allows (0 of 3)');
    expect(doc.rollout.summary).toEqual({ done: 1, failed: 0, rolled_back: 1, not_started: 1 });
    expect([generations('h1'), generations('h3')]).toEqual([1, 0]);
    const records = join(dir, '.local/state/nodeform/rollouts');
    const [file] = readdirSync(records);
    expect(statSync(records).mode & 0o777).toBe(0o700);
    expect(statSync(join(records, file!)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(records, file!), 'utf8'))).toMatchObject({ finished: true, batches: [['h1'], ['h2'], ['h3']] });
    const resume = await cli(['apply', '-i', 'inventory.yaml', '--resume', '--yes']);
    expect(resume.code).toBe(3);
    expect(resume.stderr).toMatch(/--resume: the last rollout of .* is over \(the rollout stopped before its batch/);
  });

  it('--max-fail 50% goes on past one failure; 100% past a whole failing batch', async () => {
    breakHosts('h1');
    const half = await cli(['apply', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'v=1', '--serial', '1', '--max-fail', '50%', '--yes']);
    // 50% of 3 rounds down to 1: one failure is allowed.
    expect(half.stdout).toMatch(/Summary: 2 done, 1 rolled-back \(3 batch\(es\)\)\.\n/);
    breakHosts('h1', 'h2');
    const all = await cli(['apply', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'v=2', '--serial', '2', '--max-fail', '100%', '--yes']);
    expect(all.stdout).toMatch(/Summary: 1 done, 2 rolled-back \(2 batch\(es\)\)\.\n/);
    expect(readFileSync(join(dir, 'h3/app.conf'), 'utf8')).toBe('v=2\n');
  });

  it('Ctrl-C after the first host: no other host starts; --resume finishes only the rest, and refuses a changed declaration', async () => {
    const args = ['apply', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'v=1', '--serial', '1', '--yes'];
    let sent = false;
    const first = await cli(args, (out, interrupt) => {
      if (!sent && out.includes('h1: done')) {
        sent = true;
        interrupt();
      }
    });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('interrupted: the hosts in flight finish');
    expect(first.stdout).toMatch(/h2 \(batch 2\): not-started: the rollout was interrupted \(Ctrl-C\) before its batch; nodeform apply --resume continues it/);
    expect([generations('h1'), generations('h2'), generations('h3')]).toEqual([1, 0, 0]);

    const changed = await cli(['apply', '-i', 'inventory.yaml', 'playbook.yaml', '-e', 'v=2', '--resume', '--yes']);
    expect(changed.code).toBe(3);
    expect(changed.stderr).toContain('--extra-vars differs from the rollout\'s (["v=1"])');
    const playbook = readFileSync(join(dir, 'playbook.yaml'), 'utf8');
    writeFileSync(join(dir, 'playbook.yaml'), playbook.replace('- name: h2\n', '- name: h2\n  directories: [{ path: /tmp }]\n'));
    const edited = await cli(['apply', '-i', 'inventory.yaml', '--resume', '--yes']);
    expect(edited.code).toBe(3);
    expect(edited.stderr).toContain('\n  h2: the declared state changed since the rollout started (dir:/tmp)\n');
    writeFileSync(join(dir, 'playbook.yaml'), playbook);

    const resumed = await cli(['apply', '-i', 'inventory.yaml', '--resume', '--yes']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('1 host(s) already finished are left alone; 2 to go');
    expect(resumed.stdout).toMatch(/Summary: 3 done \(3 batch\(es\)\)\.\n/);
    expect([generations('h1'), generations('h2'), generations('h3')]).toEqual([1, 1, 1]);
  });
});
