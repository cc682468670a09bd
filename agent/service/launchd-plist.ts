import { build, type PlistValue } from 'plist';
import { SERVICE_NAME } from './label.js';
import type { ServiceLayout } from './paths.js';

/**
 * launchd kills the job this long after SIGTERM. The agent stops its children, collects and
 * flushes once more and exits within 5 s; the rest is margin for a slow disk or collector.
 */
export const EXIT_TIMEOUT_SECONDS = 15;

/** launchd starts the job at most this often, so a crash loop costs one start per 30 s. */
export const THROTTLE_INTERVAL_SECONDS = 30;

/**
 * Only the system folders: powermetrics, vm_stat, sw_vers in /usr/bin; iostat, sysctl, ioreg in
 * /usr/sbin. No Homebrew folder, because in system mode root would then run whatever a
 * user-writable prefix puts first on PATH.
 */
export const LAUNCHD_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

/** In user mode powermetrics cannot run (it needs root), so the job turns it off explicitly. */
export const USER_MODE_ARGS = ['--set', 'sources.powermetrics.enabled=false'] as const;

/** The system service runs as its role account and starts powermetrics through its sudoers drop-in. */
export const SYSTEM_MODE_ARGS = ['--set', 'sources.powermetrics.sudo=true'] as const;

/**
 * V8 flags for the long-running daemon, each measured on the benchmark's 1,000-cycle run (see
 * bench/README.md). Left to its defaults on a machine with plenty of RAM, V8 grows the young
 * generation to 16 MB semi-spaces and lets the old generation's committed size reach several times
 * the ~15 MB live heap (RSS 89 -> 279 MB over 1,000 cycles with no leak): a 1 MB young generation
 * and a 64 MB cap bound it. Maglev alone, without TurboFan, compiles the hot code in a fraction of
 * the time and leaves TurboFan's ~4 MB of machine code untouched, for less CPU per cycle: a cycle
 * runs each function once, so compile cost matters more than peak code quality.
 * `--single-threaded` keeps compilation and GC on the main thread: a cycle is a few milliseconds
 * every interval, background threads save no latency that matters, and handing work to them cost
 * ~0.4 ms CPU per cycle more in all; one V8 platform thread is then plenty.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1', '--max-old-space-size=64', '--no-turbofan', '--single-threaded', '--v8-pool-size=1',
];

/** The launchd job of the agent, as the keys launchd.plist(5) documents. */

export function launchdJob(layout: ServiceLayout): Record<string, PlistValue> {
  return {
    Label: layout.label,
    ProgramArguments: [
      layout.nodeBin,
      ...DAEMON_NODE_FLAGS,
      layout.cliScript,
      '--config',
      layout.configFile,
      ...(layout.mode === 'user' ? USER_MODE_ARGS : SYSTEM_MODE_ARGS),
    ],
    // launchd starts the system job as this account; only powermetrics, through sudo, runs as root.
    ...(layout.account !== undefined ? { UserName: layout.account, GroupName: layout.account } : {}),
    RunAtLoad: true,
    // Restart after every exit, clean or not: the agent exits only on a signal or a crash, and
    // an exit 0 after a SIGTERM that launchd did not send (a manual kill) should also bring it
    // back. `service uninstall` (bootout) is the way to stop it.
    KeepAlive: true,
    ThrottleInterval: THROTTLE_INTERVAL_SECONDS,
    ExitTimeOut: EXIT_TIMEOUT_SECONDS,
    // Background: launchd applies the resource limits for work the user did not ask for (lower
    // CPU and I/O priority, efficiency cores on Apple Silicon), so measuring disturbs less.
    ProcessType: 'Background',
    Nice: 10,
    LowPriorityIO: true,
    // 027: logs and the export spool are not readable by other users.
    Umask: 0o027,
    WorkingDirectory: layout.stateDir,
    // The agent writes its log lines itself (MACOS_AGENT_LOG_FILE), so it can reopen the file
    // after a rotation; launchd's files get only what comes before the logger and crashes.
    StandardOutPath: layout.stderrLog,
    StandardErrorPath: layout.stderrLog,
    EnvironmentVariables: {
      PATH: LAUNCHD_PATH,
      MACOS_AGENT_STATE_DIR: layout.stateDir,
      MACOS_AGENT_LOG_FILE: layout.logFile,
    },
  };
}

/** The plist file launchd reads, as XML. */
export function renderLaunchdPlist(layout: ServiceLayout): string {
  return `${build(launchdJob(layout))}\n`;
}

/** Number of rotated files kept, and the size in KiB that triggers a rotation. */
export const LOG_ROTATION = { keep: 7, sizeKiB: 10 * 1024 } as const;

/**
 * The /etc/newsyslog.d entry rotating the agent's logs (system mode). Flag N: newsyslog signals no
 * process. A signal needs a pid file, and newsyslog (root) would send it to whatever pid the
 * file holds: in a folder the role account can write, that account could aim root's signal at any
 * process. The agent notices the rename itself (daemon.ts, followLogRotation) and reopens its log;
 * the few lines written meanwhile go to the rotated file, so rotated files are not compressed.
 * launchd's stderr file is reopened at the agent's next start.
 */
export function newsyslogEntry(layout: ServiceLayout): string {
  for (const path of [layout.logFile, layout.stderrLog]) {
    if (/\s/.test(path)) {
      throw new Error(`newsyslog cannot rotate ${path}: its fields are separated by whitespace and a path with a space cannot be written — install under a prefix without spaces`);
    }
  }
  const line = (file: string): string =>
    [file, `${layout.account ?? 'root'}:${layout.account ?? 'wheel'}`, '640', String(LOG_ROTATION.keep), String(LOG_ROTATION.sizeKiB), '*', 'N'].join('\t');
  return [
    `# ${SERVICE_NAME} logs, written by \`macos-agent service install --system\`; removed by \`service uninstall\`.`,
    `# Rotated at ${LOG_ROTATION.sizeKiB / 1024} MiB, ${LOG_ROTATION.keep} files kept; no process signalled (N): the agent reopens its log by itself.`,
    '# logfilename\t[owner:group]\tmode\tcount\tsize(KiB)\twhen\tflags',
    line(layout.logFile),
    line(layout.stderrLog),
    '',
  ].join('\n');
}
