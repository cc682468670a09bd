// Run as `node bench/lib/import-probe.js [specifier...]`: imports each specifier, lets the event
// loop settle, and prints the process's memory as one JSON line. Run once per module so every
// figure starts from a bare Node.
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

// Which npm packages the imports pulled in (resolved under node_modules), for the report.
const packages = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(resolved.url);
    if (m) packages.add(m[1]);
    return resolved;
  },
});

const started = performance.now();
for (const specifier of process.argv.slice(2)) await import(specifier);
const importMs = performance.now() - started;
await sleep(100);
globalThis.gc?.();
const mem = process.memoryUsage();
const result = { importMs, rss: mem.rss, heapTotal: mem.heapTotal, heapUsed: mem.heapUsed, external: mem.external, packages: [...packages].sort() };
try {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  Object.assign(result, { rssAnon: kb('RssAnon'), rssFile: kb('RssFile') });
} catch {
  // Not Linux: process.memoryUsage() is all there is.
}
process.stdout.write(`${JSON.stringify(result)}\n`);
