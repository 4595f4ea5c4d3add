// run(argv, io) in-process with an in-memory io: exit codes, arguments checked before anything runs, validate
// --json with problem codes, import reading what the loader reads. Nothing here contacts a host.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { OPTION_NAMES } from '../../../src/cli/arguments.js';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { HELP, quickAnswer } from '../../../src/cli/help.js';
import { exitCodeOf } from '../../../src/cli/main.js';
import { ConfigError, NodeformError, TransportError } from '../../../src/errors.js';
import { outputSchemaErrors } from '../../support/output-schema.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const corpus = join(repo, 'test/fixtures/invalid');
let dir: string;

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const cli = (...args: string[]) => runCli(dir, args);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodeform-run-'));
  write('inventory.yaml', `all:\n  vars:\n    nodeform_state_dir: ${dir}/state\n  hosts:\n    here: { ansible_connection: local }\n`);
  write('playbook.yaml', `- name: local\n  hosts: all\n  files:\n    - path: ${dir}/out/app.conf\n      content: "x\\n"\n`);
});

describe('exit codes', () => {
  it('are 0, 1, 2 and 3', () => {
    expect(EXIT_CODES).toEqual({ success: 0, failure: 1, changesPending: 2, drifted: 2, invalidInput: 3 });
  });

  it('configuration and command-line errors are invalid input; everything else is a failure', () => {
    expect(exitCodeOf(new ConfigError([]))).toBe(3);
    expect(exitCodeOf(new NodeformError('USAGE', 'x'))).toBe(3);
    expect(exitCodeOf(new NodeformError('CONFIG', 'x'))).toBe(3);
    expect(exitCodeOf(new NodeformError('DRIFT', 'x'))).toBe(1);
    expect(exitCodeOf(new TransportError('h', 'x'))).toBe(1);
    expect(exitCodeOf(new Error('x'))).toBe(1);
  });

  it('help and version succeed; no command shows the help and is invalid input', async () => {
    expect(await cli('--help')).toMatchObject({ code: 0, stdout: HELP });
    expect(await cli('--version')).toMatchObject({ code: 0, stdout: 'nodeform 0.1.0\n' });
    expect(await cli()).toMatchObject({ code: 3, stdout: HELP });
    expect(quickAnswer([])).toEqual({ code: 3, text: HELP });
  });

  it.each([
    [['frobnicate'], 'error: unknown command "frobnicate". Commands: import, providers, validate, plan, apply, reset, history, status, drift, report, bench. See nodeform --help.\n'],
    [['plan', '--bogus'], "error: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\"\nSee nodeform --help.\n"],
    [['plan'], 'error: plan needs an inventory: -i INVENTORY (see nodeform --help)\n'],
    [['reset', '-i', 'inventory.yaml', '--to', 'yesterday'], 'error: --to takes previous or original, not "yesterday"\n'],
    [['reset', '-i', 'inventory.yaml', '--wipe-data', '--to', 'original'], 'error: --wipe-data resets chain data only; it does not take --to\n'],
    [['plan', '-i', 'inventory.yaml', '--forks', 'many'], 'error: --forks takes a whole number, not "many"\n'],
    [['plan', '-i', 'inventory.yaml', '--forks', '0'], 'error: --forks takes at least 1 (the hosts handled at once)\n'],
  ])('%j is a bad command line: exit 3', async (args, stderr) => {
    const r = await cli(...args);
    expect(r).toEqual({ code: 3, stdout: '', stderr });
  });

  it('apply and reset --json need --yes (a JSON run cannot ask): refused as JSON', async () => {
    const r = await cli('apply', '-i', 'inventory.yaml', 'playbook.yaml', '--json');
    const error = { code: 'USAGE', message: 'apply --json needs --yes: a JSON run cannot ask for confirmation' };
    expect(r).toEqual({ code: 3, stdout: '', stderr: `${JSON.stringify({ format_version: 1, error })}\n` });
    expect((await cli('reset', '-i', 'inventory.yaml', '--wipe-data', '--json')).stderr).toContain('reset --json needs --yes (or --force)');
  });

  it('a bad --lock-timeout is refused before the plan is shown or the host is touched', async () => {
    const r = await cli('apply', '-i', 'inventory.yaml', 'playbook.yaml', '--yes', '--lock-timeout', 'abc');
    expect(r).toEqual({ code: 3, stdout: '', stderr: 'error: --lock-timeout takes a whole number, not "abc"\n' });
    expect(existsSync(join(dir, 'state'))).toBe(false);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('rollout options are checked before anything runs, and belong to apply alone', async () => {
    const refused = async (args: string[], message: string) => {
      const r = await cli(...args);
      expect(r, args.join(' ')).toEqual({ code: 3, stdout: '', stderr: `error: ${message}\n` });
    };
    const apply = ['apply', '-i', 'inventory.yaml', 'playbook.yaml', '--yes'];
    await refused([...apply, '--serial', '0'], '--serial 0: a batch needs at least one host');
    await refused([...apply, '--serial', '1,x'], '--serial "x": give a number of hosts (e.g. 2) or a percentage (e.g. 20%)');
    await refused([...apply, '--max-fail', '101%'], '--max-fail 101%: a percentage from 0% to 100%');
    await refused([...apply, '--canary', '0'], '--canary 0: a batch needs at least one host');
    await refused([...apply, '--gate', 'healthy'], '--gate takes progressing or synced, not "healthy"');
    await refused([...apply, '--gate-timeout', '1.5'], '--gate-timeout takes a whole number, not "1.5"');
    await refused(['plan', '-i', 'inventory.yaml', '--serial', '2'], '--serial is an apply option (a rollout); plan does not take it');
    await refused(['apply', '--plan', 'saved.json', '--resume'], '--resume: a rollout plans from the inventory as it goes; it does not take --plan (apply a saved plan at once, or roll out without it)');
    const resume = await cli(...apply, '--resume');
    expect(resume.code).toBe(3);
    expect(resume.stderr).toBe(`error: --resume: no rollout of ${join(dir, 'inventory.yaml')} to resume (its run record would be ${join(dir, '.local/state/nodeform/rollouts')}/${resume.stderr.match(/[0-9a-f]{16}\.json/)?.[0]})\n`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a configuration problem in plan is invalid input, shown as validate shows it', async () => {
    write('bad.yaml', '- name: bad\n  hosts: all\n  files:\n    - path: relative\n      content: x\n');
    const plan = await cli('plan', '-i', 'inventory.yaml', 'bad.yaml');
    const validate = await cli('validate', '-i', 'inventory.yaml', 'bad.yaml');
    expect(plan.code).toBe(3);
    expect(validate.code).toBe(3);
    expect(plan.stderr).toBe(validate.stderr);
    expect(plan.stderr).toMatch(/bad\.yaml:4:\d+: \[0\]\.files\[0\]\.path: .*\n.*\n.*\n1 problem\(s\) found; no host was changed\.\n$/);
  });

  it('with --json, an error is one JSON line on stderr, with every problem', async () => {
    write('bad.yaml', '- name: bad\n  hosts: all\n  files:\n    - path: relative\n      content: x\n');
    const r = await cli('plan', '-i', 'inventory.yaml', 'bad.yaml', '--json');
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(outputSchemaErrors('errorLine', JSON.parse(lines[0]!))).toBe('');
    const { format_version, error } = JSON.parse(lines[0]!);
    expect(format_version).toBe(1);
    expect(error).toMatchObject({ code: 'CONFIG', problems: [{ severity: 'error', code: 'config.invalid', file: join(dir, 'bad.yaml'), line: 4, field: '[0].files[0].path' }] });
    expect((await cli('frobnicate', '--json')).stderr).toBe(`${JSON.stringify({ format_version: 1, error: { code: 'USAGE', message: 'unknown command "frobnicate". Commands: import, providers, validate, plan, apply, reset, history, status, drift, report, bench. See nodeform --help.' } })}\n`);
  });
});

describe('validate --json', () => {
  it('the output schema refuses what is not a document of its kind', () => {
    expect(outputSchemaErrors('validate', { format_version: 1, valid: true })).not.toBe('');
    expect(outputSchemaErrors('errorLine', { format_version: 2, error: { code: 'CONFIG', message: 'x' } })).not.toBe('');
  });

  const cases = readdirSync(corpus, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

  it.each(cases)('%s: one error with a stable code, position and field, exit 3', async (name) => {
    const r = await cli('validate', '-i', join(corpus, name, 'inventory.yaml'), join(corpus, name, 'playbook.yaml'), '--json');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(outputSchemaErrors('validate', doc)).toBe('');
    expect(doc).toMatchObject({ format_version: 1, valid: false, inventory: join(corpus, name, 'inventory.yaml') });
    const errors = doc.diagnostics.filter((d: { severity: string }) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    const [problem] = errors;
    expect(Object.keys(problem).sort()).toEqual(['code', 'column', 'field', 'file', 'line', 'message', 'severity']);
    expect(problem.code).toMatch(/^(yaml|schema|config)\.[a-z]+(-[a-z]+)*$/);
    // The same problem validate prints: expected.txt is its first line.
    const expected = readFileSync(join(corpus, name, 'expected.txt'), 'utf8').trim();
    const shown = `${problem.file}:${problem.line}:${problem.column}: ${problem.field}: ${problem.message}`.replaceAll(`${join(corpus, name)}/`, '');
    expect(shown).toBe(expected);
  });

  it.each([
    ['tab-indentation', 'yaml.tab-as-indent'],
    ['group-vars-bad-yaml', 'yaml.block-as-implicit-key'],
    ['yaml-syntax', 'yaml.bad-indent'],
    ['duplicate-host-key', 'yaml.duplicate-key'],
    ['port-not-a-number', 'schema.type'],
    ['mode-not-octal', 'schema.pattern'],
    ['play-without-hosts', 'schema.required'],
    ['unknown-play-key', 'schema.additional-property'],
    ['hosts-empty', 'schema.min-length'],
    ['unknown-host-variable', 'schema.not-allowed'],
    ['template-not-found', 'config.invalid'],
  ])('%s has code %s', async (name, code) => {
    const r = await cli('validate', '-i', join(corpus, name, 'inventory.yaml'), join(corpus, name, 'playbook.yaml'), '--json');
    expect(JSON.parse(r.stdout).diagnostics[0].code).toBe(code);
  });

  it('a valid project: valid, no diagnostics, exit 0; warnings are listed with their place', async () => {
    expect(JSON.parse((await cli('validate', '-i', 'inventory.yaml', 'playbook.yaml', '--json')).stdout)).toEqual({
      format_version: 1,
      valid: true,
      inventory: join(dir, 'inventory.yaml'),
      playbook: join(dir, 'playbook.yaml'),
      diagnostics: [],
    });
    write('group_vars/nobody.yaml', 'greeting: hi\n');
    write('limited.yaml', `- name: local\n  hosts: all:!here\n  files:\n    - path: ${dir}/x\n      content: x\n`);
    const r = await cli('validate', '-i', 'inventory.yaml', 'limited.yaml', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(outputSchemaErrors('validate', doc)).toBe('');
    expect(doc.valid).toBe(true);
    expect(doc.diagnostics).toContainEqual({
      severity: 'warning',
      code: 'config.warning',
      file: join(dir, 'group_vars/nobody.yaml'),
      line: null,
      column: null,
      field: '',
      message: "no group 'nobody' in the inventory, so these variables are not used",
    });
    expect(doc.diagnostics).toContainEqual({
      severity: 'warning',
      code: 'config.warning',
      file: join(dir, 'limited.yaml'),
      line: 2,
      column: 10,
      field: '[0].hosts',
      message: "play 'local' matches no hosts",
    });
  });
});

describe('import', () => {
  it('rewrites group_vars and host_vars files the loader reads, files without an extension included', async () => {
    write('group_vars/all', 'cl_client_name: lighthouse\n');
    write('host_vars/here.yml', 'el_client_name: geth\n');
    write('group_vars/notes.txt', 'cl_client_name: teku\n');
    const r = await cli('import', '-i', 'inventory.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# ${join(dir, 'group_vars/all')}\nconsensus:\n  client: lighthouse\n`);
    expect(r.stdout).toContain(`# ${join(dir, 'host_vars/here.yml')}\nexecution:\n  client: geth\n`);
    // Not a vars file to Ansible or the loader: left alone.
    expect(r.stdout).not.toContain('notes.txt');
    const json = JSON.parse((await cli('import', '-i', 'inventory.yaml', '--json', '--write')).stdout);
    expect(outputSchemaErrors('import', json)).toBe('');
    expect(json.files.map((f: { file: string; written: boolean }) => [f.file, f.written])).toEqual([
      [join(dir, 'group_vars/all'), true],
      [join(dir, 'host_vars/here.yml'), true],
    ]);
    expect(readFileSync(join(dir, 'group_vars/all'), 'utf8')).toBe('consensus:\n  client: lighthouse\n');
    expect(readFileSync(join(dir, 'group_vars/all.bak'), 'utf8')).toBe('cl_client_name: lighthouse\n');
  });

  it('an inventory that cannot be read is invalid input', async () => {
    const r = await cli('import', '-i', 'missing.yaml');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot read inventory: no such file');
  });
});

describe('help and README agree with the code', () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');

  it.each(OPTION_NAMES)('--%s is in --help and README.md', (name) => {
    expect(HELP).toContain(`--${name}`);
    if (!['help', 'version', 'inventory'].includes(name)) expect(readme).toContain(`--${name}`);
  });

  it.each(Object.entries(EXIT_CODES))('exit code %s (%i) is in --help and README.md', (_name, code) => {
    expect(HELP).toMatch(new RegExp(`^  ${code}  `, 'm'));
    expect(readme).toMatch(new RegExp(`^\\| \`${code}\` \\|`, 'm'));
  });
});
