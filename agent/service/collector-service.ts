import { build, type PlistValue } from 'plist';
import { EXIT_TIMEOUT_SECONDS, LAUNCHD_PATH, THROTTLE_INTERVAL_SECONDS } from './launchd-plist.js';
import { SYSTEM_LAUNCHD_DIR } from './paths.js';
import { ROLE_ACCOUNT } from './role-account.js';

// The LaunchDaemon that supervises an otelcol-contrib binary the user already has (there is no
// upstream launchd packaging), with the conventions of the agent's own system service.

export const COLLECTOR_SERVICE_LABEL = 'io.github.macos-agent.otelcol';
/** The unprivileged role account the daemon runs as (created by the agent's install). */
export const COLLECTOR_SERVICE_USER = ROLE_ACCOUNT;

export interface CollectorServiceLayout {
  readonly binary: string;
  readonly config: string;
  readonly logDir: string;
  readonly user: string;
}

export const COLLECTOR_PLIST_FILE = `${SYSTEM_LAUNCHD_DIR}/${COLLECTOR_SERVICE_LABEL}.plist`;

export function collectorLogs(layout: CollectorServiceLayout): { stdout: string; stderr: string } {
  return { stdout: `${layout.logDir}/otelcol.log`, stderr: `${layout.logDir}/otelcol.err.log` };
}

/** The launchd job, as the keys launchd.plist(5) documents; every path absolute. */
export function collectorLaunchdJob(layout: CollectorServiceLayout): Record<string, PlistValue> {
  const logs = collectorLogs(layout);
  return {
    Label: COLLECTOR_SERVICE_LABEL,
    ProgramArguments: [layout.binary, `--config=${layout.config}`],
    UserName: layout.user,
    RunAtLoad: true,
    KeepAlive: true,
    ThrottleInterval: THROTTLE_INTERVAL_SECONDS,
    // The Collector drains its queues to disk on SIGTERM.
    ExitTimeOut: EXIT_TIMEOUT_SECONDS,
    ProcessType: 'Background',
    Umask: 0o027,
    StandardOutPath: logs.stdout,
    StandardErrorPath: logs.stderr,
    EnvironmentVariables: { PATH: LAUNCHD_PATH },
  };
}

export function renderCollectorPlist(layout: CollectorServiceLayout): string {
  return `${build(collectorLaunchdJob(layout))}\n`;
}

export const COLLECTOR_LOGS_LABEL = `${COLLECTOR_SERVICE_LABEL}-logs`;
/** How often the rotation job looks at the collector's logs. */
export const LOG_CHECK_INTERVAL_SECONDS = 3600;

/**
 * The job that rotates the collector's logs. launchd holds the files open for the collector,
 * which cannot be told to reopen them, so a log over the size limit is renamed and the collector
 * restarted (its persistent queue keeps the data), which gives it fresh files. newsyslog cannot
 * do this safely: it would signal the pid in a file that the unprivileged account could write.
 * Runs as root (it renames in the root-owned log folder and restarts a system job).
 */
export function collectorLogRotationJob(layout: CollectorServiceLayout, nodeBin: string, cliScript: string): Record<string, PlistValue> {
  return {
    Label: COLLECTOR_LOGS_LABEL,
    ProgramArguments: [nodeBin, cliScript, 'collector', 'service', 'rotate-logs', '--log-dir', layout.logDir],
    StartInterval: LOG_CHECK_INTERVAL_SECONDS,
    ProcessType: 'Background',
    Umask: 0o022,
    EnvironmentVariables: { PATH: LAUNCHD_PATH },
  };
}

export function renderCollectorLogRotationPlist(layout: CollectorServiceLayout, nodeBin: string, cliScript: string): string {
  return `${build(collectorLogRotationJob(layout, nodeBin, cliScript))}\n`;
}
