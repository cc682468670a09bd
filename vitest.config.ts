import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Many files spend most of their time waiting on timers and child processes: with three files at
    // a time a 2-core machine (where Vitest's default, cores - 1, runs one) keeps both cores busy.
    // On this project's 2-core machine three took the run from 135 s to 120 s; four made timing
    // tests flaky.
    maxWorkers: Math.max(3, availableParallelism() - 1),
  },
});
