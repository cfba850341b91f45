import { defineConfig } from 'vitest/config';

// Native addons and long compiles: run test files in forked processes, two at a time (the
// machines have two cores), with timeouts sized for whole-model compiles.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
