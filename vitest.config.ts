import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most of the suite waits on child processes, timers and sockets rather than computing: two
    // files at a time even on a 2-core machine, where Vitest's default (cores - 1) runs one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
