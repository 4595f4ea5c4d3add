// The worked examples in playbooks/: `nodeform validate` accepts each example inventory (which names
// its playbook), without warnings, and each builds the nodes it describes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/main.js';
import { formatProblem } from '../../../src/errors.js';
import { checkProject } from '../../../src/project/load.js';
import type { UnitResource } from '../../../src/model/types.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const inventory = (name: string) => `${root}playbooks/examples/${name}/inventory.yaml`;

// [example, host -> its units, in order]
const examples: [string, Record<string, string[]>][] = [
  ['ephemery-node', { 'ephemery-1.example': ['checkpoint-fallback.service', 'checkpoint-monitor.service', 'geth-init.service', 'geth.service', 'lighthouse.service', 'nodeform-monitor.service', 'nodeform-monitor.timer'] }],
  [
    'mixed-fleet',
    {
      'lh-geth-1.example': ['checkpoint-fallback.service', 'checkpoint-monitor.service', 'geth-init.service', 'geth.service', 'lighthouse.service', 'nodeform-monitor.service', 'nodeform-monitor.timer'],
      'lh-geth-2.example': ['checkpoint-fallback.service', 'checkpoint-monitor.service', 'geth-init.service', 'geth.service', 'lighthouse.service', 'nodeform-monitor.service', 'nodeform-monitor.timer'],
      'prysm-nm-1.example': ['checkpoint-fallback.service', 'checkpoint-monitor.service', 'nethermind.service', 'nodeform-monitor.service', 'nodeform-monitor.timer', 'prysm.service'],
      'teku-besu-1.example': ['besu.service', 'checkpoint-fallback.service', 'checkpoint-monitor.service', 'nodeform-monitor.service', 'nodeform-monitor.timer', 'teku.service'],
      'nimbus-erigon-1.example': ['checkpoint-fallback.service', 'checkpoint-monitor.service', 'erigon-init.service', 'erigon.service', 'nimbus-init.service', 'nimbus.service', 'nodeform-monitor.service', 'nodeform-monitor.timer'],
      'lodestar-geth-1.example': ['checkpoint-fallback.service', 'checkpoint-monitor.service', 'geth-init.service', 'geth.service', 'lodestar.service', 'nodeform-monitor.service', 'nodeform-monitor.timer'],
    },
  ],
  ['mainnet', { 'mainnet-1.example': ['checkpoint-fallback.service', 'checkpoint-monitor.service', 'lighthouse.service', 'nethermind.service', 'nodeform-monitor.service', 'nodeform-monitor.timer'], 'mainnet-2.example': ['besu.service', 'checkpoint-fallback.service', 'checkpoint-monitor.service', 'nodeform-monitor.service', 'nodeform-monitor.timer', 'teku.service'] }],
];

describe('worked examples', () => {
  it.each(examples)('nodeform validate accepts %s', async (name) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['validate', '-i', inventory(name)], {
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      isTTY: false,
      env: {},
      cwd: root,
    });
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(out.join('')).toBe(`valid: ${inventory(name)}\n`);
  });

  it.each(examples)('%s builds its nodes, without warnings', async (name, units) => {
    const result = await checkProject({ inventoryPath: inventory(name) });
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(result.warnings).toEqual([]);
    const built = Object.fromEntries(result.desired.map((d) => [d.host, d.resources.filter((r): r is UnitResource => r.kind === 'unit').map((u) => u.name)]));
    expect(built).toEqual(units);
  });

  it.each(['ephemery-node', 'mixed-fleet', 'mainnet'])('playbooks/%s.yaml is a node play and says how to run it', (name) => {
    const text = readFileSync(`${root}playbooks/${name}.yaml`, 'utf8');
    expect(text).toContain('ethereum_node: true');
    expect(text).toContain(`playbooks/examples/${name}/inventory.yaml`);
  });
});
