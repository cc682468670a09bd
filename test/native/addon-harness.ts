// The set-up of a test file that runs a source through the real addon glue: both test builds
// (against the simulation, and the build for a machine that is not macOS), a work folder, fake
// commands on PATH, and the simulation's table variable cleared after each test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { makeFakeBin, type FakeBin } from '../helpers/fake-bin.js';
import { buildTestAddon } from './simulated-smc.js';

export interface AddonHarness {
  /** A folder removed after the file's tests. */
  readonly work: string;
  /** The addon compiled against the simulated AppleSMC, Mach host and sysctlbyname. */
  readonly simulatedAddon: () => string;
  /** The addon as built off macOS (every call answers HOST_UNSUPPORTED). */
  readonly unsupportedAddon: () => string;
  /** Puts these fake commands first on PATH for the current test. */
  readonly putOnPath: (commands: Record<string, string>) => void;
}

export function useAddonHarness(name: string, simulationEnv: string): AddonHarness {
  const work = mkdtempSync(join(tmpdir(), `macos-agent-${name}-`));
  const originalPath = process.env['PATH'];
  let simulated = '';
  let unsupported = '';
  let fakes: FakeBin | undefined;
  beforeAll(async () => {
    [simulated, unsupported] = await Promise.all([buildTestAddon('simulated-iokit'), buildTestAddon('unsupported')]);
  }, 60_000);
  afterEach(() => {
    fakes?.cleanup();
    fakes = undefined;
    process.env['PATH'] = originalPath;
    delete process.env[simulationEnv];
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  return {
    work,
    simulatedAddon: () => simulated,
    unsupportedAddon: () => unsupported,
    putOnPath: (commands) => {
      fakes = makeFakeBin(commands);
      process.env['PATH'] = fakes.path;
    },
  };
}
