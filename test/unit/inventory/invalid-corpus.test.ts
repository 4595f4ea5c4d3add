// Every folder of test/fixtures/invalid is one broken project; expected.txt holds the first line
// of the one problem `nodeform validate` must report for it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/errors.js';
import { validateProject } from '../../../src/project/load.js';

const corpus = fileURLToPath(new URL('../../fixtures/invalid/', import.meta.url));
const cases = readdirSync(corpus, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('invalid corpus', () => {
  it('has at least 22 cases, each with inventory, playbook and expected first line', () => {
    expect(cases.length).toBeGreaterThanOrEqual(22);
    for (const name of cases) {
      for (const file of ['inventory.yaml', 'playbook.yaml', 'expected.txt']) expect(existsSync(join(corpus, name, file)), `${name}/${file}`).toBe(true);
    }
  });

  it.each(cases)('%s: exactly one problem, with the expected first line and an excerpt with a caret', async (name) => {
    const dir = join(corpus, name);
    const problems = await validateProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml') });
    expect(problems).toHaveLength(1);
    const [head, ...excerpt] = formatProblem(problems[0]!).split('\n');
    const expected = readFileSync(join(dir, 'expected.txt'), 'utf8').trim();
    expect(head!.replaceAll(`${dir}/`, '')).toBe(expected);
    // The caret sits under the reported column of the excerpted line.
    expect(excerpt).toHaveLength(2);
    const caretColumn = excerpt[1]!.indexOf('^') - 4 + 1;
    expect(caretColumn).toBe(problems[0]!.position.column);
    expect(problems[0]!.field).not.toBe('');
  });
});
