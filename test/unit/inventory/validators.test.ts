// The build precompiles the schema validators (ajv standalone code, src/inventory/validators-build.ts) so the
// CLI does not compile schemas at start. They must judge every document exactly as compiling now does.
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { compileNow, usableValidators, type SchemaName } from '../../../src/inventory/schema-check.js';
import { validatorsSource } from '../../../src/inventory/validators-build.js';

const dir = mkdtempSync(join(tmpdir(), 'nodeform-validators-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The generated code requires ajv's small runtime helpers, as it does from dist/.
symlinkSync(fileURLToPath(new URL('../../../node_modules', import.meta.url)), join(dir, 'node_modules'));
const file = join(dir, 'validators.generated.cjs');
writeFileSync(file, validatorsSource());
const generated: unknown = createRequire(import.meta.url)(file);
const now = compileNow();

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
function documents(): [string, SchemaName, unknown][] {
  const found: [string, SchemaName, unknown][] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      // Ansible Vault ciphertext (test/fixtures/vault) is opened by the loader, not read as plain YAML.
      if (entry.isDirectory()) {
        if (entry.name !== 'vault') walk(path);
      }
      else if (/\.ya?ml$/.test(entry.name)) {
        let value: unknown;
        try {
          value = YAML.parse(readFileSync(path, 'utf8'), { merge: true, uniqueKeys: false });
        } catch {
          continue; // a syntax error never reaches the schema
        }
        const name = path.slice(fixtures.length);
        const kind: SchemaName = /playbook/.test(entry.name) ? 'playbook' : /(group|host)_vars/.test(path) ? 'inventoryVars' : 'inventory';
        found.push([name, kind, value]);
      }
    }
  };
  walk(fixtures);
  const vars = (v: Record<string, unknown>): unknown => v;
  // A few hand-made ones for what the fixtures may not reach.
  found.push(
    ['vars: a port as a string', 'inventoryVars', vars({ ansible_port: '22' })],
    ['vars: unknown connection variable', 'inventoryVars', vars({ nodeform_idenity_file: 'k' })],
    ['vars: a node with bad values', 'inventoryVars', vars({ node: { consensus_client: 'nope', checkpoint_sync: { quorum: 2 } } })],
    ['inventory: not a mapping', 'inventory', ['a']],
    ['playbook: empty play', 'playbook', [{}]],
    ['playbook: a file with a numeric mode', 'playbook', [{ hosts: 'all', files: [{ path: '/etc/x', content: 'x', mode: 644 }] }]],
  );
  return found;
}

describe('precompiled schema validators', () => {
  const validators = usableValidators(generated);

  it('are made from the schemas the code holds now', () => {
    expect(validators).toBeDefined();
    expect(usableValidators({ ...(generated as object), schemaHash: 'another' })).toBeUndefined();
  });

  const cases = documents();
  it('cover the fixtures, valid and invalid', () => {
    expect(cases.length).toBeGreaterThan(40);
    expect(cases.filter(([, kind, value]) => !now[kind](value)).length).toBeGreaterThan(10);
  });

  it.each(cases)('%s (%s): the same verdict and the same errors', (_name, kind, value) => {
    const expected = now[kind](value);
    const expectedErrors = structuredClone(now[kind].errors ?? null);
    expect(validators![kind](value)).toBe(expected);
    expect(validators![kind].errors ?? null).toEqual(expectedErrors);
  });
});
