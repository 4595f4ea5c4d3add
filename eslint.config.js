// Lint: typescript-eslint's type-checked rules, the pure core's boundaries (DESIGN.md rule 1), the environment
// only through the CLI's injected io, and no import cycles. test/unit/lint/ plants a violation of each
// boundary rule and checks that it fires (and does not fire where the code is allowed).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/** The pure core (DESIGN.md rule 1): no I/O, no clock, no environment, no randomness. */
export const PURE = [
  'src/inventory/**/*.ts',
  'src/playbook/**/*.ts',
  'src/node/**/*.ts',
  'src/clients/**/*.ts',
  'src/render/**/*.ts',
  'src/plan/**/*.ts',
  'src/model/**/*.ts',
  'src/views/**/*.ts',
  'src/shell/**/*.ts',
  'src/monitor/**/*.ts',
  'src/rollout/**/*.ts',
  'src/bench/**/*.ts',
  'src/util/**/*.ts',
  // project: assembling Desired from parsed sources is pure; load.ts reads the files and fetches (I/O).
  'src/project/project.ts',
  'src/project/desired.ts',
  // facts: the probe builder, its record formats and the parser are pure; gather.ts runs the probe (I/O).
  'src/facts/probe.ts',
  'src/facts/parse.ts',
  'src/facts/records.ts',
];

/** Files in a pure folder that are not pure yet, each with the reason. */
export const PURE_EXEMPT = [
  // a build step (scripts/build.mjs runs it after tsc): writes the precompiled validators to dist/.
  'src/inventory/validators-build.ts',
];

/** Modules that do I/O: files, network, processes, the machine, the terminal. */
const IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'tls',
  'dgram',
  'dns',
  'dns/promises',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'worker_threads',
  'os',
  'readline',
  'readline/promises',
  'tty',
  'process',
  'inspector',
].flatMap((name) => [name, `node:${name}`]);
const IO_PACKAGES = ['undici', 'ssh2', 'ssh-config', 'tar'];

const ioMessage = 'the pure core does no I/O (DESIGN.md rule 1): take what you need as an argument, and do the I/O at the edge (cli, transport, fetch, facts/gather, apply/run)';
const envMessage = 'the environment and the home directory come only from the injected io (src/cli/io.ts): pass the value down as an argument';

/** Reads of the environment and the home directory, everywhere but the CLI and bin/. */
const envProperties = [
  { object: 'process', property: 'env', message: envMessage },
  { object: 'os', property: 'homedir', message: envMessage },
];
const homedirImports = ['os', 'node:os'].map((name) => ({ name, importNames: ['homedir'], message: envMessage }));
export const ENV_RULES = {
  'no-restricted-properties': ['error', ...envProperties],
  'no-restricted-imports': ['error', { paths: homedirImports }],
};


export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.lab/', 'bench-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Plain JavaScript (bin, scripts, this file) is not in the TypeScript project: no type-aware rules there.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  { files: ['scripts/**/*.mjs', 'eslint.config.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  {
    // Tests read JSON (any), pass vitest's asymmetric matchers (any) and hand methods to expect().
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  // A test that throws a non-Error on purpose (what the parallel runner does with one).
  { files: ['test/unit/util/parallel.test.ts'], rules: { '@typescript-eslint/only-throw-error': 'off' } },

  // No import cycles, in the source and the tests.
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },

  // The environment and the home directory only through the CLI's injected io.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: ENV_RULES,
  },

  // The pure core: no I/O modules, no clock, no environment, no randomness, nothing of the I/O edge.
  {
    files: PURE,
    ignores: PURE_EXEMPT,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...[...IO_MODULES, ...IO_PACKAGES].map((name) => ({ name, message: ioMessage })),
            ...['crypto', 'node:crypto'].map((name) => ({ name, importNames: ['randomBytes', 'randomUUID', 'randomInt', 'getRandomValues'], message: 'the pure core takes no randomness: pass it in' })),
          ],
          patterns: [
            { regex: '^(ssh2|undici|tar)/', message: ioMessage },
            {
              regex: '/(transport/(ssh|local|ssh-config|known-hosts|common)|network/|facts/gather|apply/run|providers/(probe|checkpoint-cache|checkpoint-state|ssz)|observe/|cli/)',
              message: `${ioMessage}; this module is part of the I/O edge`,
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: ioMessage },
        { name: 'fetch', message: ioMessage },
        { name: 'require', message: ioMessage },
      ],
      'no-restricted-properties': [
        'error',
        ...envProperties,
        { object: 'Date', property: 'now', message: 'the pure core reads no clock: take the time as an argument' },
        { object: 'Math', property: 'random', message: 'the pure core takes no randomness: pass it in' },
        { object: 'performance', property: 'now', message: 'the pure core reads no clock: take the time as an argument' },
        { object: 'crypto', property: 'randomUUID', message: 'the pure core takes no randomness: pass it in' },
        { object: 'crypto', property: 'getRandomValues', message: 'the pure core takes no randomness: pass it in' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'the pure core reads no clock: take the time as an argument (new Date(value) is fine)' },
        { selector: "CallExpression[callee.name='Date']", message: 'the pure core reads no clock: Date() is the time now; take it as an argument' },
      ],
    },
  },
);
