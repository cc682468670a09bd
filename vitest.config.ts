import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    // Many files spend most of their time waiting on timers and child processes, so on a 2-core
    // machine four files at a time keep both cores busy: 63-71 s against 83 s with three and
    // 135 s with Vitest's default (cores - 1, here one).
    maxWorkers: Math.max(4, availableParallelism()),
  },
});
