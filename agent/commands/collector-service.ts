import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError } from '../config.js';
import { accountIds, prepareStorageDirectories, storageDirectories } from '../service/collector-account.js';
import { rotateLogs } from '../service/collector-logs.js';
import {
  COLLECTOR_LOGS_LABEL, COLLECTOR_SERVICE_LABEL, COLLECTOR_SERVICE_USER, collectorLogs, renderCollectorLogRotationPlist, renderCollectorPlist,
  type CollectorServiceLayout,
} from '../service/collector-service.js';
import { untrustedReason } from '../service/trusted-path.js';
import { launchctl, launchctlOrThrow, LaunchctlError, printJob } from '../service/launchctl.js';
import { launchdPlistFile, packagedCliScript } from '../service/paths.js';

export const COLLECTOR_SERVICE_ACTIONS = ['install', 'uninstall', 'status', 'rotate-logs'] as const;
export type CollectorServiceAction = (typeof COLLECTOR_SERVICE_ACTIONS)[number];

export interface CollectorServiceRun {
  readonly action: CollectorServiceAction;
  readonly binary?: string;
  readonly config?: string;
  readonly logDir?: string;
  readonly user?: string;
  /** The Node binary the log rotation job runs (default: the one running this command). */
  readonly node?: string;
  readonly dryRun: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly write: (text: string) => void;
  /** Failures, and the second job of --dry-run, so that stdout is one plist (stderr). */
  readonly writeError: (text: string) => void;
}

const target = (label: string): string => `system/${label}`;

/** The LaunchDaemons folder (MACOS_AGENT_LAUNCHD_DIR overrides it, as for the agent's service). */
function plistFile(env: NodeJS.ProcessEnv, label: string): string {
  return join(dirname(launchdPlistFile('system', '', env)), `${label}.plist`);
}

function absolute(flag: string, value: string | undefined, action: string): string {
  if (value === undefined) throw new ConfigError(`collector service ${action} needs ${flag} PATH (an absolute path)`);
  if (!isAbsolute(value)) throw new ConfigError(`invalid value "${value}" for ${flag}: expected an absolute path (launchd expands nothing)`);
  return value;
}

/** Refuses a path that someone other than root could change, naming it, why, and the fix. */
function assertTrusted(flag: string, path: string): void {
  if (!existsSync(path)) {
    const create = flag === '--log-dir' ? `sudo install -d -o root -g wheel -m 0755 ${path}` : 'copy the file there as root';
    throw new ConfigError(`refusing ${flag} ${path}: it does not exist; create it first (${create})`);
  }
  const reason = untrustedReason(path);
  if (reason === undefined) return;
  throw new ConfigError(`refusing ${flag} ${path}: it is not safe for a daemon launchd starts at boot, because ${reason}; or move it under a root-owned folder such as /usr/local/opt`);
}

function layoutOf(run: CollectorServiceRun): { layout: CollectorServiceLayout; nodeBin: string; cliScript: string } {
  const layout = {
    binary: absolute('--binary', run.binary, run.action),
    config: absolute('--config', run.config, run.action),
    logDir: absolute('--log-dir', run.logDir, run.action),
    user: run.user ?? COLLECTOR_SERVICE_USER,
  };
  if (layout.user === 'root' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(layout.user)) {
    throw new ConfigError(`invalid value "${layout.user}" for --user: expected an unprivileged account name such as ${COLLECTOR_SERVICE_USER} (not root)`);
  }
  const nodeBin = absolute('--node', run.node ?? process.execPath, run.action);
  const cliScript = packagedCliScript();
  for (const [flag, path] of [['--binary', layout.binary], ['--config', layout.config], ['--log-dir', layout.logDir], ['--node', nodeBin], ['the macos-agent package', cliScript]] as const) {
    assertTrusted(flag, path);
  }
  return { layout, nodeBin, cliScript };
}

/** The largest collector config read (to find its queue folders). */
const MAX_CONFIG_BYTES = 1024 * 1024;

async function readConfig(path: string): Promise<string> {
  const { size } = await stat(path);
  if (size > MAX_CONFIG_BYTES) throw new ConfigError(`--config ${path} is ${size} bytes: a collector config is under ${MAX_CONFIG_BYTES} bytes`);
  return readFile(path, 'utf8');
}

/** Exit code of a failed launchctl step (its message goes to stderr). */
export const EXIT_FAILED = 1;

/** `macos-agent collector service install|uninstall|status|rotate-logs`. Returns the exit code; bad flags throw ConfigError. */
export async function runCollectorService(run: CollectorServiceRun): Promise<number> {
  try {
    return await act(run);
  } catch (error) {
    if (!(error instanceof LaunchctlError)) throw error;
    run.writeError(`macos-agent: ${error.message}\n`);
    return EXIT_FAILED;
  }
}

async function act(run: CollectorServiceRun): Promise<number> {
  const files = { service: plistFile(run.env, COLLECTOR_SERVICE_LABEL), logs: plistFile(run.env, COLLECTOR_LOGS_LABEL) };
  switch (run.action) {
    case 'status': {
      const { loaded, job } = await printJob(target(COLLECTOR_SERVICE_LABEL));
      run.write(loaded ? `${COLLECTOR_SERVICE_LABEL}: loaded, ${job?.state ?? 'unknown state'}\n` : `${COLLECTOR_SERVICE_LABEL}: not loaded\n`);
      return loaded && job?.state === 'running' ? 0 : 3;
    }
    case 'rotate-logs': {
      const logDir = absolute('--log-dir', run.logDir, run.action);
      const logs = collectorLogs({ binary: '', config: '', logDir, user: '' });
      const rotated = await rotateLogs([logs.stdout, logs.stderr]);
      // Fresh files are opened by launchd when it starts the collector again.
      if (rotated.length > 0) await launchctlOrThrow(['kickstart', '-k', target(COLLECTOR_SERVICE_LABEL)], 'is the collector service installed?');
      return 0;
    }
    case 'uninstall': {
      if (run.dryRun) {
        run.write(`launchctl bootout ${target(COLLECTOR_SERVICE_LABEL)}\nlaunchctl bootout ${target(COLLECTOR_LOGS_LABEL)}\nrm ${files.service} ${files.logs}\n`);
        return 0;
      }
      // Not loaded (exit 113) is what uninstall wants anyway.
      await launchctl(['bootout', target(COLLECTOR_SERVICE_LABEL)]);
      await launchctl(['bootout', target(COLLECTOR_LOGS_LABEL)]);
      await rm(files.service, { force: true });
      await rm(files.logs, { force: true });
      run.write(`removed ${files.service} and ${files.logs}\n`);
      return 0;
    }
    case 'install': {
      const { layout, nodeBin, cliScript } = layoutOf(run);
      const service = renderCollectorPlist(layout);
      const logs = renderCollectorLogRotationPlist(layout, nodeBin, cliScript);
      if (run.dryRun) {
        run.write(service);
        run.writeError(`would write ${files.service} (above) and ${files.logs}:\n${logs}`);
        return 0;
      }
      const owner = await accountIds(layout.user);
      if (owner === undefined) {
        throw new ConfigError(`the account ${layout.user} does not exist: install the agent's system service first (sudo scripts/install.sh creates it), or give --user with an existing unprivileged account`);
      }
      await prepareStorageDirectories(storageDirectories(await readConfig(layout.config)), owner);
      // Idempotent: an installed job is booted out and replaced.
      for (const [label, file, text] of [[COLLECTOR_SERVICE_LABEL, files.service, service], [COLLECTOR_LOGS_LABEL, files.logs, logs]] as const) {
        await launchctl(['bootout', target(label)]);
        await writeFile(file, text, { mode: 0o644 });
        await launchctlOrThrow(['bootstrap', 'system', file], `check ${file} with plutil -lint`);
        run.write(`installed ${file}\n`);
      }
      return 0;
    }
  }
}
