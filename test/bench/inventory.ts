// How `nodeform validate` grows with the inventory: 1k to 50k hosts (each in two groups, with host
// variables), next to the floor of reading the same YAML alone (yaml's parseDocument with a line counter,
// as the loader parses it), both as fresh processes, median of several runs.
//   npm run build && node --import tsx test/bench/inventory.ts [--hosts 1000,5000,...] [--runs N]
// Asserts nothing about time; prints a table. Cost should follow the work: the per-host time and the
// ratio to the floor stay flat as the inventory grows (they grew with N when loading was quadratic).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { hosts: { type: 'string', default: '1000,2000,5000,10000,20000,50000' }, runs: { type: 'string', default: '3' } } });
const SIZES = values.hosts.split(',').map(Number);
const RUNS = Math.max(1, Number(values.runs));
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'nodeform.js');
const playbook = join(root, 'playbooks', 'demo.yaml');

/** Hosts spread over 20 groups under two parents, each with two host variables. */
function inventoryText(hosts: number): string {
  const lines = ['all:', '  vars:', `    nodeform_playbook: ${playbook}`, '  children:'];
  for (const parent of ['east', 'west']) {
    lines.push(`    ${parent}:`, '      children:');
    for (let g = 0; g < 10; g++) {
      lines.push(`        ${parent}${g}:`, '          hosts:');
      for (let i = g; i < hosts; i += 10) {
        // Every host sits in one east and one west group; its variables are written once, in the east one.
        lines.push(`            h${i}:`);
        if (parent === 'east') lines.push(`              ansible_host: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `              rack: r${i % 40}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

const FLOOR = `const { readFileSync } = require('node:fs'); const { LineCounter, parseDocument } = require('yaml');
const doc = parseDocument(readFileSync(process.argv[1], 'utf8'), { lineCounter: new LineCounter(), keepSourceTokens: true });
if (doc.errors.length) process.exit(1); doc.toJS();`;

function timed(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' } });
  const took = performance.now() - start;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return took;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'nodeform-inventory-bench-'));
try {
  console.log(`nodeform validate against reading the YAML alone; ${RUNS} runs each, median; ${cpus().length} cores, node ${process.version}`);
  console.log('| hosts | YAML read | validate | ratio | validate per host |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const hosts of SIZES) {
    const file = join(dir, `inventory-${hosts}.yaml`);
    writeFileSync(file, inventoryText(hosts));
    const floor = median(Array.from({ length: RUNS }, () => timed(['-e', FLOOR, file])));
    const validate = median(Array.from({ length: RUNS }, () => timed([bin, 'validate', '-i', file])));
    console.log(`| ${hosts} | ${(floor / 1000).toFixed(2)} s | ${(validate / 1000).toFixed(2)} s | ${(validate / floor).toFixed(1)}× | ${((validate * 1000) / hosts).toFixed(0)} µs |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
