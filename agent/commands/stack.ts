import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document } from 'yaml';
import { EXIT_NO_VALIDATOR, EXIT_VALIDATION_FAILED } from '../fleet/cli-options.js';
import { COLLECTOR_VERSION } from '../fleet/components.js';
import { validateConfigFile } from '../fleet/validate.js';
import { gatewayConfig, nodeConfig } from '../stack/collectors.js';
import { parseStackFlags, type StackFlags, type StackOptions } from '../stack/options.js';
import { buildStack, nextSteps } from '../stack/stack.js';
import { writeStack } from '../stack/write.js';

export interface StackRun extends StackFlags {
  /** Progress, next steps and validation reports. */
  readonly report: (text: string) => void;
  /** PATH searched for otelcol-contrib (default: the process's). */
  readonly path?: string;
}

async function validateCollectors(run: StackRun, opts: StackOptions): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'macos-agent-stack-'));
  try {
    let code = 0;
    for (const [role, config] of [['node', nodeConfig(opts)], ['gateway', gatewayConfig(opts)]] as const) {
      const file = join(dir, `${role}.yaml`);
      await writeFile(file, new Document(config).toString({ lineWidth: 0 }));
      const result = await validateConfigFile(file, run.path);
      if (result.kind === 'unavailable') {
        run.report(`not validated: no otelcol-contrib on PATH — install otelcol-contrib ${COLLECTOR_VERSION} to check the collector configs\n`);
        return EXIT_NO_VALIDATOR;
      }
      if (result.kind === 'invalid') {
        run.report(`${result.binary} validate rejected the ${role} config:\n${result.output}\n`);
        code = EXIT_VALIDATION_FAILED;
      } else {
        run.report(`valid: ${result.binary} validate accepted the ${role} config\n`);
      }
    }
    return code;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `macos-agent stack --out DIR`. Returns the exit code; bad flags throw ConfigError. */
export async function runStack(run: StackRun): Promise<number> {
  const opts = parseStackFlags(run);
  const files = buildStack(opts);
  await writeStack(opts.out, files);
  for (const file of files) run.report(`wrote ${join(opts.out, file.path)}\n`);
  run.report(nextSteps(opts));
  return opts.validate ? validateCollectors(run, opts) : 0;
}
