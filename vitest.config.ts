import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most of the suite waits on child processes, timers and sockets rather than computing: three
    // files at a time even on a 2-core machine, where Vitest's default (cores - 1) runs one. On this
    // project's 2-core machine three took the run from 135 s to 120 s; four made timing tests flaky.
    maxWorkers: Math.max(3, availableParallelism() - 1),
  },
});
