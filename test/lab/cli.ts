// npm run lab -- up [COUNT] [--nodes] | down | status   (options: --name lab --slot 0 --dir .lab)
// Boots lab hosts that stay up after the command returns, for trying nodeform by hand. With --nodes the hosts get
// the stand-in clients and an inventory whose playbook (playbooks/fleet.yaml) makes each host a node (nodes.ts).
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LabError, answersSsh, isRunning, readPids, startLab, stopLabProcesses } from './lab.js';
import { NODE_PAIRS, makeNodes } from './nodes.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const usage = `usage: npm run lab -- up [COUNT=3] [--nodes] | down | status   [--name lab] [--slot 0] [--dir .lab]`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string', default: 'lab' }, slot: { type: 'string', default: '0' }, dir: { type: 'string' }, nodes: { type: 'boolean', default: false } },
    });
  } catch (err) {
    return fail(`${(err as Error).message}\n${usage}`, 2);
  }
  const { values, positionals } = parsed;
  const dir = resolve(values.dir ?? join(repo, '.lab'));
  const [command, countArg, ...rest] = positionals;
  if (rest.length > 0 || (command !== 'up' && (countArg !== undefined || values.nodes))) return fail(usage, 2);

  switch (command) {
    case 'up': {
      const count = Number(countArg ?? 3);
      const started = Date.now();
      // A lab already recorded here (maybe under another name) goes first; startLab stops same-name leftovers itself.
      const previous = readPids(dir);
      if (previous) await stopLabProcesses(previous.name);
      const lab = await startLab({
        name: values.name,
        count,
        slot: Number(values.slot),
        dir,
        detach: true,
        inventoryExtra: { nodeform_playbook: relative(dir, join(repo, 'playbooks', 'demo.yaml')) },
      });
      if (values.nodes) await makeNodes(lab);
      const rel = (p: string) => relative(process.cwd(), p) || '.';
      console.log(`lab: ${lab.hosts.length} host(s) up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const [i, h] of lab.hosts.entries()) {
        const pair = values.nodes ? `  ${NODE_PAIRS[i % NODE_PAIRS.length]!.join(' + ')} (stand-ins)` : '';
        console.log(`  ${h.name.padEnd(12)} ${h.address}:${h.port}${pair}`);
      }
      console.log(`inventory: ${rel(lab.inventoryPath)}${values.nodes ? ' (playbooks/fleet.yaml: each host a node on mainnet, no checkpoint sync)' : ''}`);
      if (values.nodes) console.log(`try:       node bin/nodeform.js plan -i ${rel(lab.inventoryPath)}   (then apply --yes; reset --to original)`);
      console.log(`ssh:       ssh -F /dev/null -i ${rel(lab.clientKey)} -o UserKnownHostsFile=${rel(lab.knownHosts)} root@${lab.hosts[0]!.address}`);
      console.log('stop:      npm run lab -- down');
      return 0;
    }
    case 'down': {
      const recorded = readPids(dir);
      const name = recorded?.name ?? values.name;
      const stopped = await stopLabProcesses(name);
      rmSync(join(dir, 'pids.json'), { force: true });
      console.log(`lab: stopped ${stopped} host(s) of lab "${name}"`);
      return 0;
    }
    case 'status': {
      const recorded = readPids(dir);
      if (!recorded || !existsSync(dir)) {
        console.log(`lab: no lab recorded in ${dir} (start one with npm run lab -- up 3)`);
        return 0;
      }
      const rows = await Promise.all(
        recorded.hosts.map(async (h) => {
          const state = !isRunning(h.nspawnPid) ? 'stopped' : (await answersSsh(h)) ? 'up' : 'no ssh';
          return `  ${h.name.padEnd(12)} ${h.address.padEnd(14)} ${state.padEnd(8)} nspawn pid ${h.nspawnPid}`;
        }),
      );
      console.log(`lab "${recorded.name}" (slot ${recorded.slot}, ${dir}):\n${rows.join('\n')}`);
      return 0;
    }
    default:
      return fail(usage, 2);
  }
}

function fail(message: string, code: number): number {
  console.error(message);
  return code;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.exitCode = fail(err instanceof LabError ? `lab: ${err.message}` : String((err as Error).stack ?? err), 1);
}
