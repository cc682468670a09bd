// Runs once in Vitest's main process before any test file: the two addon builds the native tests
// load (the glue compiled against the simulated kernels, and the build for other platforms). Built
// here, each is compiled once; left to the test files, four files starting at once each compiled
// both (~60 s of CPU instead of ~20 on a fresh clone).
import { buildTestAddon } from './native/simulated-smc.js';

export default async function setup(): Promise<void> {
  const started = performance.now();
  await Promise.all([buildTestAddon('simulated-iokit'), buildTestAddon('unsupported')]);
  // Printed so CI logs show what the native build costs (a few ms once it is cached).
  process.stderr.write(`built the SMC test addons in ${Math.round(performance.now() - started)} ms\n`);
}
