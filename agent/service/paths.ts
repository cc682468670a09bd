import { basename, dirname, join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../version.js';
import { SERVICE_LABEL, SERVICE_NAME } from './label.js';
import { ROLE_ACCOUNT } from './role-account.js';
import { SUDOERS_FILE_NAME } from './sudoers.js';

/**
 * system: a LaunchDaemon started by root that runs as the role account _macos_agent, starting
 * powermetrics through a sudoers drop-in that allows exactly its command lines. user: a LaunchAgent
 * in the logged-in user's GUI session, unprivileged (SMC, vm_stat, iostat, sysctl; no powermetrics).
 */
export type ServiceMode = 'system' | 'user';

/** Every path and name a service install uses, all absolute: launchd expands neither `~` nor `$VARS`. */
export interface ServiceLayout {
  readonly mode: ServiceMode;
  readonly label: string;
  /** launchctl domain target: `system` or `gui/<uid>`. */
  readonly domain: string;
  /** launchctl service target: `<domain>/<label>`. */
  readonly serviceTarget: string;
  readonly plistFile: string;
  /** The newsyslog.d entry that rotates the logs; system mode only (newsyslog reads only root's entries). */
  readonly newsyslogFile: string | undefined;
  readonly prefix: string;
  /** The account the job runs as (system mode); undefined: the user who installed it. */
  readonly account: string | undefined;
  /** The sudoers drop-in allowing the role account its powermetrics command lines (system mode). */
  readonly sudoersFile: string | undefined;
  /** The Node binary launchd runs. */
  readonly nodeBin: string;
  /** The agent's CLI script (dist/macos-agent.js, the bundle, of the installed package). */
  readonly cliScript: string;
  readonly configFile: string;
  readonly logDir: string;
  /** The agent's own log (MACOS_AGENT_LOG_FILE): it appends there and reopens it after a rotation. */
  readonly logFile: string;
  /** launchd's StandardOutPath and StandardErrorPath: what is printed before the logger starts, and crashes. */
  readonly stderrLog: string;
  readonly stateDir: string;
}

export interface LayoutOptions {
  readonly mode: ServiceMode;
  readonly uid: number;
  readonly home: string;
  readonly prefix: string;
  readonly nodeBin: string;
  readonly cliScript: string;
  /** Defaults to `<prefix>/etc/macos-agent/config.yaml`. */
  readonly configFile?: string | undefined;
  /** Defaults to the agent's own per-mode default on macOS (see defaultStateDir in config.ts). */
  readonly stateDir?: string | undefined;
  /**
   * Overrides of the system folders, read from MACOS_AGENT_SYSTEM_ROOT (every system path below
   * it), MACOS_AGENT_LAUNCHD_DIR and MACOS_AGENT_NEWSYSLOG_DIR (for tests and packagers; the
   * defaults are the real macOS places).
   */
  readonly env?: NodeJS.ProcessEnv;
}

export const SYSTEM_LAUNCHD_DIR = '/Library/LaunchDaemons';
export const NEWSYSLOG_DIR = '/etc/newsyslog.d';
export const SUDOERS_DIR = '/etc/sudoers.d';

/**
 * Where the system service's files live: all in trees only root can change (see trusted-path.ts),
 * none under a Homebrew prefix, which belongs to the admin who installed Homebrew.
 */
export const SYSTEM_PATHS = {
  /** The package and the Node binary it runs (scripts/install.sh copies both here). */
  packageDir: `/usr/local/libexec/${SERVICE_NAME}`,
  configFile: `/etc/${SERVICE_NAME}/config.yaml`,
  logDir: `/var/log/${SERVICE_NAME}`,
  stateDir: `/var/db/${SERVICE_NAME}`,
} as const;

/** A system path under MACOS_AGENT_SYSTEM_ROOT when that is set (tests, packagers), else as it is. */
export function systemPath(path: string, env: NodeJS.ProcessEnv = {}): string {
  const root = nonEmpty(env['MACOS_AGENT_SYSTEM_ROOT']);
  return root === undefined ? path : join(resolve(root), path);
}

export function serviceLayout(opts: LayoutOptions): ServiceLayout {
  const env = opts.env ?? {};
  const prefix = resolve(opts.prefix);
  const system = opts.mode === 'system';
  const domain = system ? 'system' : `gui/${opts.uid}`;
  const newsyslogDir = nonEmpty(env['MACOS_AGENT_NEWSYSLOG_DIR']) ?? systemPath(NEWSYSLOG_DIR, env);
  const logDir = system ? systemPath(SYSTEM_PATHS.logDir, env) : join(prefix, 'var', 'log', SERVICE_NAME);
  const stateDir = resolve(opts.stateDir ?? (system
    ? systemPath(SYSTEM_PATHS.stateDir, env)
    : join(opts.home, 'Library', 'Application Support', SERVICE_NAME)));
  return {
    mode: opts.mode,
    label: SERVICE_LABEL,
    domain,
    serviceTarget: `${domain}/${SERVICE_LABEL}`,
    plistFile: launchdPlistFile(opts.mode, opts.home, env),
    newsyslogFile: system ? join(resolve(newsyslogDir), `${SERVICE_NAME}.conf`) : undefined,
    prefix,
    account: system ? ROLE_ACCOUNT : undefined,
    sudoersFile: system ? join(systemPath(SUDOERS_DIR, env), SUDOERS_FILE_NAME) : undefined,
    nodeBin: resolve(opts.nodeBin),
    cliScript: resolve(opts.cliScript),
    configFile: resolve(opts.configFile ?? (system ? systemPath(SYSTEM_PATHS.configFile, env) : join(prefix, 'etc', SERVICE_NAME, 'config.yaml'))),
    logDir,
    logFile: join(logDir, `${SERVICE_NAME}.log`),
    stderrLog: join(logDir, `${SERVICE_NAME}.err.log`),
    stateDir,
  };
}

/** Where the job's plist goes: /Library/LaunchDaemons (system) or ~/Library/LaunchAgents (user). */
export function launchdPlistFile(mode: ServiceMode, home: string, env: NodeJS.ProcessEnv = {}): string {
  const dir = nonEmpty(env['MACOS_AGENT_LAUNCHD_DIR'])
    ?? (mode === 'system' ? systemPath(SYSTEM_LAUNCHD_DIR, env) : join(home, 'Library', 'LaunchAgents'));
  return join(resolve(dir), `${SERVICE_LABEL}.plist`);
}

/**
 * The script the launchd job runs: the bundle (dist/macos-agent.js, scripts/bundle.mjs) of the
 * package this code runs from, not dist/agent/cli.js, which loads ~340 files and stays ~3–4 MB larger.
 */
export function packagedCliScript(packageRoot: string = PACKAGE_ROOT): string {
  return join(packageRoot, 'dist', 'macos-agent.js');
}

/**
 * The prefix a package at `packageRoot` is installed under: `<prefix>/opt/macos-agent` gives
 * `<prefix>`. Elsewhere (a source checkout) it is Homebrew's prefix for the CPU: /opt/homebrew on
 * Apple Silicon, /usr/local on Intel.
 */
export function detectPrefix(packageRoot: string, arch: string = process.arch): string {
  if (basename(packageRoot) === SERVICE_NAME && basename(dirname(packageRoot)) === 'opt') {
    return dirname(dirname(packageRoot));
  }
  return arch === 'arm64' ? '/opt/homebrew' : '/usr/local';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
