import { defineConfig } from 'vitest/config';
import { refuseGoldenUpdateInCi } from './test/support/golden.js';

// Goldens are never rewritten silently: UPDATE_GOLDEN with CI set stops the run here, before any test.
refuseGoldenUpdateInCi(process.env);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Lab files boot real hosts once per file; give them room, and keep files in parallel
    // only up to what 2 cores sustain.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
    pool: 'forks',
  },
});
