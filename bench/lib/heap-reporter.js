// Preloaded into the agent under benchmark (`node --import`): after every major (mark-compact)
// garbage collection, one stderr line with the heap in use right after it, which is about the live
// heap; if that keeps rising over a long run, something is kept that should not be. The figures
// cannot be read from outside the process.
import { writeSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
    const m = process.memoryUsage();
    writeSync(2, `BENCH-HEAP ${JSON.stringify({ at: Date.now(), heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, rss: m.rss })}\n`);
  }
}).observe({ entryTypes: ['gc'] });
