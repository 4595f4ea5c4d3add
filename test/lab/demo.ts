// The README's demo: boots 3 lab hosts and walks nodeform through plan, apply, plan (no changes),
// a hand edit, plan (that drift), apply, reset --to original and plan, printing each step.
// Every step is the real CLI (bin/nodeform.js) against real sshd and systemd; the demo fails loudly
// when a step does not do what it says.
import { spawnSync } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab } from './lab.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const labDir = join(repo, '.lab');
const inventory = relative(repo, join(labDir, 'inventory.yaml'));

function step(title: string): void {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

function nodeform(args: string[], expectedCode: number): string {
  console.log(`$ nodeform ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(repo, 'bin/nodeform.js'), ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== expectedCode) throw new Error(`nodeform ${args.join(' ')} exited ${r.status}, expected ${expectedCode}`);
  return r.stdout;
}

function expectIn(text: string, needle: RegExp, what: string): void {
  if (!needle.test(text)) throw new Error(`demo: expected ${what} (${needle}) in the output above`);
}

async function main(): Promise<void> {
  step('boot 3 lab hosts (real systemd and sshd in systemd-nspawn, at 127.0.0.11-13)');
  const started = Date.now();
  const lab = await startLab({
    name: 'lab',
    count: 3,
    slot: 0,
    dir: labDir,
    detach: true,
    inventoryExtra: { nodeform_playbook: relative(labDir, join(repo, 'playbooks', 'demo.yaml')) },
  });
  console.log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${lab.hosts.map((h) => `${h.name} ${h.address}`).join(', ')}`);

  step('plan: everything is to create');
  expectIn(nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2), /Plan: \d+ to create, 0 to update, 0 to remove, 0 to restart, on 3 of 3 host/, 'creates on 3 hosts');

  step('apply');
  expectIn(nodeform(['apply', '-i', inventory, '--yes'], 0), /Summary: 3 applied\./, 'all three applied');

  step('plan again: no changes');
  expectIn(nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 0), /No changes on 3 host/, 'no changes');

  const edited = lab.hosts[1]!;
  step(`a hand edit on ${edited.name}: /etc/demo/demo.conf`);
  const edit = await lab.sh(edited, "sed -i 's/^greeting = .*/greeting = edited by hand/' /etc/demo/demo.conf && cat /etc/demo/demo.conf");
  console.log(edit.stdout.trimEnd());

  step('plan: exactly that drift, and the restart it causes');
  const drift = nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2);
  expectIn(drift, /Plan: 0 to create, 1 to update, 0 to remove, 1 to restart, on 1 of 3 host/, 'one update and one restart on one host');
  expectIn(drift, /-greeting = edited by hand/, 'the diff of the edit');

  step('apply: the edit is reverted and demo.service restarted on that host only');
  expectIn(nodeform(['apply', '-i', inventory, '--yes'], 0), /Summary: 1 applied, 2 unchanged\./, 'one host applied');

  step('history');
  nodeform(['history', '-i', inventory], 0);

  step('reset --to original: every touched path back as before nodeform');
  expectIn(nodeform(['reset', '-i', inventory, '--to', 'original', '--yes'], 0), /Summary: 3 applied\./, 'reset on all three');

  step('plan: everything is to create again');
  expectIn(nodeform(['plan', '-i', inventory, '--detailed-exitcode'], 2), /on 3 of 3 host/, 'creates again');

  console.log(`\nThe lab is still up for you: nodeform plan -i ${inventory}   (stop it: npm run lab -- down)`);
}

main().catch((error: unknown) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
