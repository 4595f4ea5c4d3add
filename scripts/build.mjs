// npm run build: compiles src/ to dist/ with tsc, generates the precompiled schema validators into dist/, then
// bundles the CLI into one file, dist/nodeform.cjs, which bin/nodeform.js starts with a code cache
// (src/cli/launch.ts). dist/ keeps the modules too: tests, the library entry and the ssz worker use them.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const { writeValidators } = await import('../dist/inventory/validators-build.js');
console.error(`build: ${relative(root, writeValidators())}`);

// The bundle's entry: the CLI, with the generated validators handed to the schema check.
const entry = join(dist, 'bundle-entry.js');
writeFileSync(
  entry,
  [
    "import generated from './inventory/validators.generated.cjs';",
    "import { useBuiltValidators } from './inventory/schema-check.js';",
    'useBuiltValidators(generated);',
    "export { main, run } from './cli/main.js';",
    '',
  ].join('\n'),
);
const esbuild = await import('esbuild');
const SSH2_PACKET_CODE = /[\\/]node_modules[\\/]ssh2[\\/]lib[\\/]protocol[\\/]crypto\.js$/;
let ssh2PaddingPooled = false;
const outfile = join(dist, 'nodeform.cjs');
await esbuild.build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Only downloads need these (releases, binaries, checkpoint states): they load from node_modules then.
  external: ['undici', 'tar'],
  // ssh2's optional native crypto and cpu-features: copied beside the bundle, required from there. Where npm
  // did not build them, the require stays and fails at run time, and ssh2 uses its JavaScript fallback, as unbundled.
  loader: { '.node': 'copy' },
  plugins: [
    {
      name: 'optional-native-addons',
      setup(build) {
        build.onResolve({ filter: /\.node$/ }, (args) => (existsSync(resolve(args.resolveDir, args.path)) ? undefined : { path: args.path, external: true }));
      },
    },
    {
      // ssh2's packet code (lib/protocol/crypto.js) gets node:crypto with its padding drawn from a pool
      // (src/transport/ssh/random-pool.ts: one CSPRNG call per 64 KiB, not one per packet).
      name: 'ssh2-pooled-padding',
      setup(build) {
        build.onResolve({ filter: /^(node:)?crypto$/ }, (args) => {
          if (!SSH2_PACKET_CODE.test(args.importer)) return undefined;
          ssh2PaddingPooled = true;
          return { path: './transport/ssh/random-pool.js', namespace: 'ssh2-crypto' };
        });
        build.onLoad({ filter: /.*/, namespace: 'ssh2-crypto' }, (args) => ({
          contents: `module.exports = require(${JSON.stringify(args.path)}).default;`,
          resolveDir: dist,
          loader: 'js',
        }));
      },
    },
  ],
  // import.meta.url is this file's URL in the bundle (projectRoot() walks up from it; ssz.ts finds its worker).
  define: { 'import.meta.url': '__nodeformBundleUrl' },
  banner: { js: 'const __nodeformBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  legalComments: 'eof',
  logLevel: 'warning',
});
// A newer ssh2 that no longer requires crypto there would silently lose the pool: the build says so instead.
if (!ssh2PaddingPooled) {
  console.error('build: ssh2/lib/protocol/crypto.js no longer requires node:crypto, so its packet padding is not pooled: update the ssh2-pooled-padding plugin in scripts/build.mjs');
  process.exit(1);
}
console.error(`build: ${relative(root, outfile)}`);
