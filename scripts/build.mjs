// npm run build: compiles src/ to dist/ with tsc, then generates the precompiled schema validators into dist/.
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const { writeValidators } = await import('../dist/inventory/validators-build.js');
console.log(`build: ${relative(root, writeValidators())}`);
