// The CLI end to end against this machine through the local transport (ansible_connection: local):
// real files in a temp dir, real sh; what needs systemd and sshd is in test/lab.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { outputSchemaErrors } from '../support/output-schema.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

let dir: string;
let inventory: string;
let playbook: string;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodeform-cli-'));
  inventory = write('inventory.yaml', `all:\n  vars:\n    nodeform_state_dir: ${dir}/state\n    greeting: hello\n  hosts:\n    here: { ansible_connection: local }\n`);
  playbook = write(
    'playbook.yaml',
    `- name: local files\n  hosts: all\n  files:\n    - path: ${dir}/out/app.conf\n      content: "greeting = {{greeting}}\\n"\n    - path: ${dir}/out/token\n      content: "s3cr3t-value\\n"\n      secret: true\n  directories:\n    - path: ${dir}/out\n      mode: "0755"\n`,
  );
});

async function cli(args: string[], options: { tty?: boolean; answer?: string; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const prompts: string[] = [];
  const code = await run(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY: options.tty ?? false,
    env: { HOME: dir, ...options.env },
    cwd: dir,
    prompt: async (q) => {
      prompts.push(q);
      return options.answer ?? '';
    },
  });
  return { code, stdout, stderr, prompts };
}

describe('nodeform CLI on the local machine', () => {
  it('plans with --detailed-exitcode, and hides secret content', async () => {
    const r = await cli(['plan', '-i', inventory, playbook, '--detailed-exitcode']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`+ file ${dir}/out/app.conf`);
    expect(r.stdout).toContain('+greeting = hello');
    expect(r.stdout).toContain('(content hidden: secret)');
    expect(r.stdout).not.toContain('s3cr3t');
    expect(r.stdout).toContain('Plan: 3 to create, 0 to update, 0 to remove, 0 to restart, on 1 of 1 host(s).');
  });

  it('prints JSON that matches schemas/plan.schema.json and holds no secret', async () => {
    const r = await cli(['plan', '-i', inventory, playbook, '--json']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);
    const plan = JSON.parse(r.stdout);
    expect(validate(plan), JSON.stringify(validate.errors)).toBe(true);
    expect(r.stdout).not.toContain('s3cr3t');
  });

  it('plan --json and plan --out hold no sha256 of a secret (old or new); apply --plan applies it, or refuses after a hand edit', async () => {
    const token = join(dir, 'out/token');
    const hashes = [sha('old-pass\n'), sha('s3cr3t-value\n')].flatMap((h) => [h, h.slice(0, 12)]);
    const planned = async () => {
      const out = join(dir, 'plan.json');
      const json = await cli(['plan', '-i', inventory, playbook, '--json', '--out', out]);
      expect(json.code, json.stderr).toBe(0);
      const saved = readFileSync(out, 'utf8');
      for (const h of hashes) {
        expect(json.stdout).not.toContain(h);
        expect(saved).not.toContain(h);
      }
      expect(saved).toContain('"keyedSha256"');
      return out;
    };
    mkdirSync(join(dir, 'out'));
    writeFileSync(token, 'old-pass\n');
    const applied = await cli(['apply', '--plan', await planned(), '--yes', '--json']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    for (const h of hashes) expect(applied.stdout).not.toContain(h);
    expect(readFileSync(token, 'utf8')).toBe('s3cr3t-value\n');

    writeFileSync(token, 'old-pass\n');
    const saved = await planned();
    writeFileSync(token, 'edited by hand\n');
    const refused = await cli(['apply', '--plan', saved, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain(`${token} content changed since the plan (a secret: no hash shown)`);
    expect(refused.stdout + refused.stderr).not.toContain(sha('edited by hand\n'));
    expect(readFileSync(token, 'utf8')).toBe('edited by hand\n');
  });

  it('never prompts without a terminal, and refuses without --yes', async () => {
    const r = await cli(['apply', '-i', inventory, playbook]);
    expect(r.code).toBe(3); // a command line that cannot run here: invalid input
    expect(r.prompts).toEqual([]);
    expect(r.stderr).toContain('refusing to change hosts without --yes');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('asks on a terminal: anything but "yes" changes nothing', async () => {
    const no = await cli(['apply', '-i', inventory, playbook], { tty: true, answer: 'y' });
    expect(no.prompts).toHaveLength(1);
    expect(no.code).toBe(1);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    const yes = await cli(['apply', '-i', inventory, playbook], { tty: true, answer: 'yes' });
    expect(yes.code, yes.stdout + yes.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out/app.conf'), 'utf8')).toBe('greeting = hello\n');
  });

  it('colours only on a terminal without NO_COLOR', async () => {
    const esc = '\x1b[';
    expect((await cli(['plan', '-i', inventory, playbook], { tty: true })).stdout).toContain(esc);
    expect((await cli(['plan', '-i', inventory, playbook], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain(esc);
    expect((await cli(['plan', '-i', inventory, playbook, '--no-color'], { tty: true })).stdout).not.toContain(esc);
    expect((await cli(['plan', '-i', inventory, playbook])).stdout).not.toContain(esc);
  });

  it('apply --yes writes the plan, as plan shows it, before the results, whether the host starts before it is written or after', async () => {
    const shown = (await cli(['plan', '-i', inventory, playbook])).stdout;
    // Two forks: the host starts, then the plan is written while it works. With --events the plan comes first.
    const applied = await cli(['apply', '-i', inventory, playbook, '--yes', '-f', '2']);
    expect(applied.code).toBe(0);
    expect(applied.stdout.startsWith(shown)).toBe(true);
    expect(applied.stdout.slice(shown.length)).toMatch(/^here: applied \(generation 1, [0-9.]+s\)\nSummary: 1 applied\.\n$/);
    expect((await cli(['reset', '-i', inventory, '--to', 'original', '--yes'])).code).toBe(0);
    const events = join(dir, 'events.ndjson');
    const withEvents = await cli(['apply', '-i', inventory, playbook, '--yes', '--events', 'ndjson', '--events-file', events]);
    expect(withEvents.code).toBe(0);
    expect(withEvents.stdout.startsWith(shown)).toBe(true);
    expect(withEvents.stdout.slice(shown.length)).toMatch(/^here: applied \(generation 3, [0-9.]+s\)\nSummary: 1 applied\.\n$/);
  });

  it('applies, converges, shows history, and resets', async () => {
    expect((await cli(['apply', '-i', inventory, playbook, '--yes'])).code).toBe(0);
    expect((await cli(['plan', '-i', inventory, playbook, '--detailed-exitcode'])).code).toBe(0);
    expect((await cli(['apply', '-i', inventory, playbook, '--yes', '-e', 'greeting=again'])).code).toBe(0);
    const history = await cli(['history', '-i', inventory]);
    expect(history.stdout).toMatch(/^ +1 +apply .* 3 change\(s\) .* complete$/m);
    expect(history.stdout).toMatch(/^ +2 +apply .* 1 change\(s\) .* complete$/m);
    expect((await cli(['reset', '-i', inventory, '--yes'])).code).toBe(0);
    expect(readFileSync(join(dir, 'out/app.conf'), 'utf8')).toBe('greeting = hello\n');
    expect((await cli(['reset', '-i', inventory, '--to', 'original', '--yes'])).code).toBe(0);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('apply --json: the plan, each host\'s applied changes, a summary; history and reset --json', async () => {
    const r = await cli(['apply', '-i', inventory, playbook, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(outputSchemaErrors('apply', doc)).toBe('');
    expect(doc).toMatchObject({ format_version: 1, confirmed: true, summary: { applied: 1, unchanged: 0, failed: 0, unreachable: 0, held: 0 } });
    expect(doc.hosts).toHaveLength(1);
    expect(doc.hosts[0]).toMatchObject({ host: 'here', status: 'applied', generation: 1, held: [] });
    expect(doc.hosts[0].changes_applied.map((c: { target: string }) => c.target).sort()).toEqual([`${dir}/out`, `${dir}/out/app.conf`, `${dir}/out/token`]);
    expect(doc.hosts[0].error).toBeUndefined();
    const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'));
    const validatePlan = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);
    expect(validatePlan(doc.plan), JSON.stringify(validatePlan.errors)).toBe(true);
    expect(r.stdout).not.toContain('s3cr3t');

    const again = JSON.parse((await cli(['apply', '-i', inventory, playbook, '--yes', '--json'])).stdout);
    expect(again.hosts[0]).toMatchObject({ status: 'unchanged', changes_applied: [] });
    expect(again.summary).toMatchObject({ applied: 0, unchanged: 1 });

    const history = JSON.parse((await cli(['history', '-i', inventory, '--json'])).stdout);
    expect(outputSchemaErrors('history', history)).toBe('');
    expect(history).toMatchObject({ format_version: 1, hosts: [{ host: 'here', generations: [{ id: 1, action: 'apply', changes: 3, complete: true }] }] });

    const reset = await cli(['reset', '-i', inventory, '--to', 'original', '--yes', '--json']);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ plan: { kind: 'reset' }, hosts: [{ host: 'here', status: 'applied' }] });
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('drift: 2 without a record, 0 after an apply, 2 after a hand edit (secret named, never shown); events in a file; a saved plan as markdown', async () => {
    expect((await cli(['drift', '-i', inventory])).code).toBe(2);
    const events = join(dir, 'events.ndjson');
    const applied = await cli(['apply', '-i', inventory, playbook, '--yes', '--events', 'ndjson', '--events-file', events]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Plan: 3 to create');
    const lines = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.type)).toEqual(['run_started', 'host_started', 'host_done', 'host_started', 'change_applied', 'change_applied', 'change_applied', 'host_done', 'run_finished']);
    expect(lines.at(-1)).toMatchObject({ outcome: 'success', exit_code: 0, hosts: { applied: 1 } });
    const eventSchema = (name: string) => JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8'));
    const validateEvent = new Ajv2020.default({ allErrors: true, strict: false, schemas: [eventSchema('plan.schema.json'), eventSchema('output.schema.json')] }).compile(eventSchema('events.schema.json'));
    for (const event of lines) expect(validateEvent(event), JSON.stringify(validateEvent.errors)).toBe(true);
    expect(readFileSync(events, 'utf8')).not.toContain('s3cr3t');

    const clean = await cli(['drift', '-i', inventory, '--json']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ hosts: [{ host: 'here', status: 'in-sync', generation: 1, drift: [] }] });
    writeFileSync(join(dir, 'out/token'), 'changed by hand\n');
    chmodSync(join(dir, 'out/app.conf'), 0o600);
    const drifted = await cli(['drift', '-i', inventory]);
    expect(drifted.code).toBe(2);
    expect(drifted.stdout).toContain(`~ file ${dir}/out/app.conf: mode: 0644 -> 0600`);
    expect(drifted.stdout).toContain(`~ file ${dir}/out/token: content changed`);
    expect(drifted.stdout).not.toContain('changed by hand');

    const saved = join(dir, 'md-plan.json');
    expect((await cli(['plan', '-i', inventory, playbook, '--format', 'markdown', '--out', saved])).code).toBe(0);
    const shown = await cli(['plan', '--plan', saved, '--format', 'markdown', '--detailed-exitcode']);
    expect(shown.code).toBe(2);
    expect(shown.stdout).toContain(`- <code>here</code> (since generation 1): file ${dir}/out/token: content changed`);
    expect(shown.stdout).toContain(`file <code>${dir}/out/token</code> (content: (sensitive) → (sensitive)) (content hidden: secret)`);
    expect(shown.stdout).not.toContain('changed by hand');
    expect((await cli(['reset', '-i', inventory, '--to', 'original', '--yes'])).code).toBe(0);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('apply --json: a host that fails gives a structured error (code, host, command, exit code, stderr) and exit 1', async () => {
    const broken = write('broken.yaml', `all:\n  vars:\n    nodeform_state_dir: /dev/null/state\n    greeting: hi\n  hosts:\n    here: { ansible_connection: local }\n`);
    const r = await cli(['apply', '-i', broken, playbook, '--yes', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(outputSchemaErrors('apply', doc)).toBe('');
    expect(doc.summary).toMatchObject({ failed: 1 });
    expect(doc.hosts[0]).toMatchObject({ host: 'here', status: 'failed', changes_applied: [] });
    expect(doc.hosts[0].error).toMatchObject({ code: 'APPLY', host: 'here', message: 'cannot create state directory /dev/null/state; nothing was changed', exit_code: 1 });
    expect(doc.hosts[0].error.command).toMatch(/^sh -s -- \/dev\/null\/state /);
    expect(doc.hosts[0].error.stderr).toContain('/dev/null');
  });

  it('says what is wrong with the command line', async () => {
    expect((await cli(['frobnicate'])).stderr).toContain('unknown command "frobnicate"');
    expect((await cli(['plan'])).stderr).toContain('plan needs an inventory: -i INVENTORY');
    expect((await cli(['plan', '-i', inventory, '--bogus'])).stderr).toContain("Unknown option '--bogus'");
    expect((await cli(['reset', '-i', inventory, '--to', 'yesterday'])).stderr).toContain('--to takes previous or original');
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['validate', 'plan', 'apply', 'reset', 'history']) expect(help.stdout).toContain(`nodeform ${command}`);
  });

  it('validates an invalid playbook without touching anything', async () => {
    const bad = write('bad.yaml', `- name: bad\n  hosts: all\n  files:\n    - path: relative/path\n      content: x\n`);
    const r = await cli(['validate', '-i', inventory, bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bad\.yaml:4:\d+: \[0\]\.files\[0\]\.path: /);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });

  it('validate prints the warnings plan prints (old names included), on stderr, byte for byte', async () => {
    const old = write(
      'old-names.yaml',
      `all:\n  vars:\n    nodeform_state_dir: ${dir}/state\n    network: mainnet\n    cl_client_name: teku\n    execution: { client: geth }\n    use_checkpoint_sync: false\n  hosts:\n    here: { ansible_connection: local }\n`,
    );
    const node = write('node.yaml', '- name: node\n  hosts: all\n  ethereum_node: true\n');
    const plan = await cli(['plan', '-i', old, node]);
    const validate = await cli(['validate', '-i', old, node]);
    expect(plan.code).toBe(0);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toBe(`valid: ${old} and ${node}\n`);
    expect(validate.stderr).toBe(
      `warning: ${old}:5:5: all.vars.cl_client_name: cl_client_name is an old name: write consensus: { client: teku } (nodeform import rewrites old inventories)\n` +
        `warning: ${old}:7:5: all.vars.use_checkpoint_sync: use_checkpoint_sync is an old name: write checkpoint_sync: { enabled: false } (nodeform import rewrites old inventories)\n`,
    );
    expect(plan.stderr).toBe(validate.stderr);
  });

  it('imports an inventory of the old scripts: shows the new form, and rewrites it only with --write', async () => {
    const old = `# fleet of the old scripts\nall:\n  vars:\n    cl_client_name: lighthouse\n    el_client_name: geth\n    use_checkpoint_sync: true\n    checkpoint_sync_url: https://checkpoint-sync.ephemery.ethpandaops.io\n  hosts:\n    n1: { ansible_connection: local }\n`;
    const path = write('old-inventory.yaml', old);
    const shown = await cli(['import', '-i', path]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('# fleet of the old scripts');
    expect(shown.stdout).toMatch(/consensus:\n\s+client: lighthouse/);
    expect(shown.stdout).toMatch(/execution:\n\s+client: geth/);
    expect(shown.stdout).not.toContain('cl_client_name');
    expect(shown.stderr).toContain('rerun with --write');
    expect(readFileSync(path, 'utf8')).toBe(old);
    const written = await cli(['import', '-i', path, '--write']);
    expect(written.code).toBe(0);
    expect(readFileSync(`${path}.bak`, 'utf8')).toBe(old);
    expect(readFileSync(path, 'utf8')).toBe(shown.stdout.replace(`# ${path}\n`, ''));
    const again = await cli(['import', '-i', path]);
    expect(again.stderr).toContain('nothing to rewrite\n');
    expect(again.stderr).toContain('the inventory does not validate yet');
  });
});
