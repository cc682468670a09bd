import { build, type PlistValue } from 'plist';
import { EXIT_TIMEOUT_SECONDS, LAUNCHD_PATH, THROTTLE_INTERVAL_SECONDS } from './launchd-plist.js';
import { SYSTEM_LAUNCHD_DIR } from './paths.js';

// The LaunchDaemon that supervises an otelcol-contrib binary the user already has (there is no
// upstream launchd packaging), with the conventions of the agent's own system service.

export const COLLECTOR_SERVICE_LABEL = 'io.github.macos-agent.otelcol';
/** The unprivileged role account the daemon runs as (created by the agent's install). */
export const COLLECTOR_SERVICE_USER = '_macos_agent';

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
