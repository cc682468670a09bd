import { rm, writeFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { ConfigError } from '../config.js';
import { firstUntrustedAncestor } from '../service/collector-trusted-path.js';
import {
  COLLECTOR_PLIST_FILE, COLLECTOR_SERVICE_LABEL, COLLECTOR_SERVICE_USER, renderCollectorPlist, type CollectorServiceLayout,
} from '../service/collector-service.js';
import { launchctl, launchctlOrThrow, printJob } from '../service/launchctl.js';

export const COLLECTOR_SERVICE_ACTIONS = ['install', 'uninstall', 'status'] as const;
export type CollectorServiceAction = (typeof COLLECTOR_SERVICE_ACTIONS)[number];

export interface CollectorServiceRun {
  readonly action: CollectorServiceAction;
  readonly binary?: string;
  readonly config?: string;
  readonly logDir?: string;
  readonly user?: string;
  readonly dryRun: boolean;
  readonly write: (text: string) => void;
}

const SERVICE_TARGET = `system/${COLLECTOR_SERVICE_LABEL}`;

function layoutOf(run: CollectorServiceRun): CollectorServiceLayout {
  const required = (flag: string, value: string | undefined): string => {
    if (value === undefined) throw new ConfigError(`collector service ${run.action} needs ${flag} PATH (an absolute path)`);
    if (!isAbsolute(value)) throw new ConfigError(`invalid value "${value}" for ${flag}: expected an absolute path (launchd expands nothing)`);
    return value;
  };
  const layout = {
    binary: required('--binary', run.binary),
    config: required('--config', run.config),
    logDir: required('--log-dir', run.logDir),
    user: run.user ?? COLLECTOR_SERVICE_USER,
  };
  for (const [flag, path] of [['--binary', layout.binary], ['--config', layout.config], ['--log-dir', layout.logDir]] as const) {
    const untrusted = firstUntrustedAncestor(path);
    if (untrusted !== undefined) {
      const fix = untrusted.reason === 'it does not exist'
        ? `create it first (${flag === '--log-dir' ? `sudo install -d -o root -g wheel -m 0755 ${untrusted.path}` : 'copy the file there as root'})`
        : `move it under a root-owned folder such as /usr/local/opt, or fix it with: sudo chown root:wheel ${untrusted.path} && sudo chmod go-w ${untrusted.path}`;
      throw new ConfigError(`refusing ${flag} ${path}: ${untrusted.path} is not safe for a daemon launchd starts at boot, because ${untrusted.reason}; ${fix}`);
    }
  }
  return layout;
}

/** `macos-agent collector service install|uninstall|status`. Returns the exit code. */
export async function runCollectorService(run: CollectorServiceRun): Promise<number> {
  if (run.action === 'status') {
    const { loaded, job } = await printJob(SERVICE_TARGET);
    run.write(loaded ? `${COLLECTOR_SERVICE_LABEL}: loaded, ${job?.state ?? 'unknown state'}\n` : `${COLLECTOR_SERVICE_LABEL}: not loaded\n`);
    return loaded && job?.state === 'running' ? 0 : 3;
  }
  if (run.action === 'uninstall') {
    if (run.dryRun) {
      run.write(`launchctl bootout ${SERVICE_TARGET}\nrm ${COLLECTOR_PLIST_FILE}\n`);
      return 0;
    }
    await launchctl(['bootout', SERVICE_TARGET]);
    await rm(COLLECTOR_PLIST_FILE, { force: true });
    run.write(`removed ${COLLECTOR_PLIST_FILE}\n`);
    return 0;
  }
  const plist = renderCollectorPlist(layoutOf(run));
  if (run.dryRun) {
    run.write(plist);
    return 0;
  }
  // Idempotent: an installed job is replaced by the new one.
  await launchctl(['bootout', SERVICE_TARGET]);
  await writeFile(COLLECTOR_PLIST_FILE, plist, { mode: 0o644 });
  await launchctlOrThrow(['bootstrap', 'system', COLLECTOR_PLIST_FILE], `check ${COLLECTOR_PLIST_FILE} with plutil -lint`);
  run.write(`installed ${COLLECTOR_PLIST_FILE} (${COLLECTOR_SERVICE_LABEL})\n`);
  return 0;
}
