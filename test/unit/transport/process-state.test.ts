// The transport takes the environment, home directory and local account as options (the CLI hands
// over its io's); none of its modules may read them from the process behind the caller's back.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../src/transport', import.meta.url));
const modules = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));

describe('transport modules read no process state', () => {
  it('finds the modules', () => {
    expect(modules).toEqual(expect.arrayContaining(['local.ts', join('ssh', 'connect.ts'), join('ssh', 'exec.ts')]));
  });

  it.each(modules)('%s', (file) => {
    const code = readFileSync(join(root, file), 'utf8');
    expect(code).not.toMatch(/process\.env|\bhomedir\b|\buserInfo\b|\btmpdir\b/);
  });
});
