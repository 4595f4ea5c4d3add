// Golden files for client renderings: one readable text per client and network, reviewed by hand against
// the client's docs. UPDATE_GOLDEN=1 rewrites them; the committed files are the truth.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ClientProfile, ClientRendering } from '../../../src/clients/types.js';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

const list = (items: readonly string[]) => (items.length === 0 ? ['  (none)'] : items.map((i) => `  ${i}`));

/** One argv word per line, then the init step, files, not-applicable settings, paths, health and owners. */
export function formatRendering(profile: ClientProfile, r: ClientRendering): string {
  const lines = [`# ${profile.name} ${profile.targetVersion} (min ${profile.minVersion})`, 'argv:', ...list(r.argv)];
  lines.push('initArgv:', ...list(r.initArgv ?? []));
  lines.push('files:');
  if (r.files.length === 0) lines.push('  (none)');
  for (const f of r.files) {
    lines.push(`  ${f.path} (mode ${f.mode})`, ...f.content.replace(/\n$/, '').split('\n').map((l) => `    | ${l}`));
  }
  lines.push('dataDirs:', ...list(r.dataDirs));
  lines.push('notApplicable:', ...list(r.notApplicable.map((n) => `${n.setting}: ${n.reason}`)));
  lines.push('identityPaths:', ...list(r.identityPaths));
  lines.push('chainDataPaths:', ...list(r.chainDataPaths));
  lines.push(`health: ${r.health.kind} ${r.health.url}`);
  lines.push('managedFlags:', ...list(Object.entries(r.managedFlags).map(([flag, setting]) => `${flag} <- ${setting}`)));
  return `${lines.join('\n')}\n`;
}

/** Compares with test/unit/clients/golden/<name>.txt, or writes it when UPDATE_GOLDEN=1. */
export function expectGolden(name: string, text: string): void {
  const path = join(GOLDEN_DIR, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, text);
    return;
  }
  if (!existsSync(path)) throw new Error(`golden file ${path} is missing: run UPDATE_GOLDEN=1 npx vitest run test/unit/clients and review it`);
  expect(text, `rendering differs from ${path} (UPDATE_GOLDEN=1 rewrites it; review the diff)`).toBe(readFileSync(path, 'utf8'));
}
