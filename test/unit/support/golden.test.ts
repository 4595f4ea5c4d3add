import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenUpdateRefusal, refuseGoldenUpdateInCi } from '../../support/golden.js';

const root = join(import.meta.dirname, '../../..');

describe('UPDATE_GOLDEN in CI', () => {
  it.each([
    [{}, false],
    [{ UPDATE_GOLDEN: '1' }, false],
    [{ CI: 'true' }, false],
    [{ CI: 'true', UPDATE_GOLDEN: '0' }, false],
    [{ CI: 'false', UPDATE_GOLDEN: '1' }, false],
    [{ CI: '', UPDATE_GOLDEN: '1' }, false],
    [{ CI: 'true', UPDATE_GOLDEN: '1' }, true],
    [{ CI: '1', UPDATE_GOLDEN: '1' }, true],
    [{ CI: 'true', UPDATE_GOLDEN: 'yes' }, true],
  ] as const)('%j refused: %s', (env, refused) => {
    expect(goldenUpdateRefusal(env) !== undefined).toBe(refused);
  });

  it('throws with a message saying what to do', () => {
    expect(() => refuseGoldenUpdateInCi({ CI: 'true', UPDATE_GOLDEN: '1' })).toThrow(/refused in CI.*UPDATE_GOLDEN=1 npx vitest run test\/unit.*reviewed/);
  });

  it('stops a vitest run before any test, with that message', () => {
    const run = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/unit/support/golden.test.ts'], {
      cwd: root,
      env: { ...process.env, CI: 'true', UPDATE_GOLDEN: '1' },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toContain('UPDATE_GOLDEN=1 is refused in CI');
  });
});
