import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parsePlist } from 'plist';
import { ConfigError, loadConfig } from '../config.js';
import { assertSafeFile } from '../file-safety.js';
import { newsyslogEntry, renderLaunchdPlist } from '../service/launchd-plist.js';
import { ROLE_ACCOUNT, ROLE_ID_RANGE } from '../service/role-account.js';
import { renderPowermetricsSudoers } from '../service/sudoers.js';
import { ensureRoleAccount, lookupRoleAccount, prepareSystemFolders, removeRoleAccount, trustProblems, writeSudoers } from '../service/system-setup.js';
import { SystemToolError } from '../service/system-tool.js';
import { configuredDaemonPowermetricsArgs } from '../sources/powermetrics.js';
import { launchctl, launchctlOrThrow, LaunchctlError, printJob, type LoadedJob } from '../service/launchctl.js';
import type { LaunchdJobState } from '../service/launchctl-print.js';
import { detectPrefix, launchdPlistFile, packagedCliScript, serviceLayout, type ServiceLayout, type ServiceMode } from '../service/paths.js';
import { PACKAGE_ROOT } from '../version.js';

export const SERVICE_ACTIONS = ['install', 'uninstall', 'status', 'restart'] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** `service status` exit codes, as LSB init scripts use them: 0 running, 3 not running. */
export const EXIT_RUNNING = 0;
export const EXIT_NOT_RUNNING = 3;
export const EXIT_FAILED = 1;

export interface ServiceOptions {
  readonly action: ServiceAction;
  /** From --system / --user; undefined lets the command choose (see chooseMode). */
  readonly mode: ServiceMode | undefined;
  readonly dryRun: boolean;
  /** Install prefix; defaults to the one this package is installed under (detectPrefix). */
  readonly prefix?: string | undefined;
  /** The Node binary launchd runs; defaults to the one running this command. */
  readonly node?: string | undefined;
  readonly config?: string | undefined;
  readonly stateDir?: string | undefined;
  readonly uid: number;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly write: (text: string) => void;
  /** Where refusals and failures go (stderr). */
  readonly writeError: (text: string) => void;
  /** Wait between checks that a freshly started job runs (ms). */
  readonly settleMs?: number;
}

class ServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** `macos-agent service install|uninstall|status|restart [--system|--user] [--dry-run]`. Returns the exit code. */
export async function runService(opts: ServiceOptions): Promise<number> {
  const mode = chooseMode(opts);
  const cliScript = packagedCliScript();
  const layout = serviceLayout({
    mode,
    uid: opts.uid,
    home: opts.home,
    prefix: opts.prefix ?? detectPrefix(PACKAGE_ROOT),
    nodeBin: opts.node ?? process.execPath,
    cliScript,
    configFile: opts.config,
    stateDir: opts.stateDir,
    env: opts.env,
  });
  try {
    switch (opts.action) {
      case 'install': return await install(layout, opts);
      case 'uninstall': return await uninstall(layout, opts);
      case 'status': return await status(layout, opts);
      case 'restart': return await restart(layout, opts);
    }
  } catch (error) {
    if (error instanceof ServiceError || error instanceof LaunchctlError || error instanceof ConfigError || error instanceof SystemToolError) {
      opts.writeError(`macos-agent service ${opts.action}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

/**
 * The mode when neither --system nor --user is given: install picks system as root and user
 * otherwise; the other actions pick the mode whose plist is installed, then the same rule.
 */
function chooseMode(opts: ServiceOptions): ServiceMode {
  if (opts.mode !== undefined) return opts.mode;
  const byUid: ServiceMode = opts.uid === 0 ? 'system' : 'user';
  if (opts.action === 'install') return byUid;
  const installed = (['system', 'user'] as const).filter((mode) => existsSync(launchdPlistFile(mode, opts.home, opts.env)));
  return installed.length === 1 ? installed[0]! : byUid;
}

/** The command line to run, for messages: the same action and flags, with --system or --user spelled out. */
function commandLine(layout: ServiceLayout, opts: ServiceOptions, action: ServiceAction = opts.action): string {
  const flags = [`--${layout.mode}`];
  if (opts.prefix !== undefined) flags.push('--prefix', quote(layout.prefix));
  if (opts.node !== undefined) flags.push('--node', quote(layout.nodeBin));
  if (opts.config !== undefined) flags.push('--config', quote(layout.configFile));
  if (opts.stateDir !== undefined) flags.push('--state-dir', quote(layout.stateDir));
  return `${layout.mode === 'system' ? 'sudo ' : ''}macos-agent service ${action} ${flags.join(' ')}`;
}

function quote(s: string): string {
  return /^[\w./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** System mode writes into root's folders and the system domain; user mode belongs in a user's GUI session. */
function checkPrivileges(layout: ServiceLayout, opts: ServiceOptions): void {
  if (layout.mode === 'system' && opts.uid !== 0) {
    throw new ServiceError(`the system service (LaunchDaemon in ${dirname(layout.plistFile)}, started by root as the role account ${ROLE_ACCOUNT}) needs root to install — run: ${commandLine(layout, opts)}`);
  }
  if (layout.mode === 'user' && opts.uid === 0) {
    throw new ServiceError(`the user service is a LaunchAgent in a logged-in user's session, but this runs as root — run it without sudo as that user, or manage the system service: ${commandLine({ ...layout, mode: 'system' }, opts)}`);
  }
}

/** What would stop the installed job from starting, found now rather than in a crash loop. */
function preflight(layout: ServiceLayout): string[] {
  const problems: string[] = layout.mode === 'system' ? trustProblems(layout) : [];
  if (!existsSync(layout.nodeBin)) problems.push(`Node binary ${layout.nodeBin} does not exist — pass the one to run with --node`);
  if (!existsSync(layout.cliScript)) problems.push(`agent script ${layout.cliScript} does not exist — build the package first (npm run build)`);
  if (!existsSync(layout.configFile)) {
    problems.push(`config file ${layout.configFile} does not exist — create it (scripts/install.sh writes a commented default) or pass --config`);
  } else {
    try {
      const { exporter } = loadConfig({ path: layout.configFile, env: {} }).config;
      const files = [
        { path: exporter.headers_file, what: 'OTLP headers file', secret: true },
        { path: exporter.key_file, what: 'TLS client key', secret: true },
        { path: exporter.cert_file, what: 'TLS client certificate', secret: false },
        { path: exporter.ca_file, what: 'TLS CA certificate', secret: false },
      ];
      for (const file of files.filter((f) => f.path !== '')) {
        if (!existsSync(file.path)) {
          problems.push(`${file.what} ${file.path} (from ${layout.configFile}) does not exist`);
          continue;
        }
        try {
          assertSafeFile(file.path, { what: file.what, secret: file.secret, enforce: layout.mode === 'system' });
        } catch (error) {
          problems.push((error as Error).message);
        }
      }
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (layout.newsyslogFile !== undefined) {
    try {
      newsyslogEntry(layout);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}

interface PlannedFile {
  readonly path: string;
  readonly text: string;
  readonly what: string;
}

/** The files install writes; a newsyslog entry that cannot be written is left out (preflight says why). */
function plannedFiles(layout: ServiceLayout): PlannedFile[] {
  const files: PlannedFile[] = [{ path: layout.plistFile, text: renderLaunchdPlist(layout), what: 'launchd plist' }];
  if (layout.newsyslogFile !== undefined && !/\s/.test(layout.logDir)) {
    files.push({ path: layout.newsyslogFile, text: newsyslogEntry(layout), what: 'newsyslog entry (log rotation)' });
  }
  return files;
}

/**
 * The sudoers drop-in allowing the role account the powermetrics command lines the configured
 * agent starts (samplers and interval from the config); undefined when powermetrics is off.
 */
function plannedSudoers(layout: ServiceLayout): PlannedFile | undefined {
  if (layout.sudoersFile === undefined || layout.account === undefined || !existsSync(layout.configFile)) return undefined;
  const { powermetrics } = loadConfig({ path: layout.configFile, env: {} }).config.sources;
  if (!powermetrics.enabled) return undefined;
  return {
    path: layout.sudoersFile,
    text: renderPowermetricsSudoers(layout.account, configuredDaemonPowermetricsArgs(powermetrics)),
    what: 'sudoers drop-in (powermetrics as root, exactly these command lines)',
  };
}

async function install(layout: ServiceLayout, opts: ServiceOptions): Promise<number> {
  const w = opts.write;
  if (opts.dryRun) return installDryRun(layout, opts);
  checkPrivileges(layout, opts);
  const problems = preflight(layout);
  if (problems.length > 0) throw new ServiceError(`not installed: ${problems.join('; ')}`);

  w(`installing the ${layout.mode} service ${layout.label} (${describeMode(layout)})\n`);
  if (layout.mode === 'system') {
    const ids = await ensureRoleAccount(w);
    prepareSystemFolders(layout, ids);
    w(`folders: logs ${layout.logDir} (root's; log files ${ROLE_ACCOUNT}'s), state ${layout.stateDir} (${ROLE_ACCOUNT}'s, private)\n`);
    const sudoers = plannedSudoers(layout);
    if (sudoers !== undefined) {
      w(`${await writeSudoers(sudoers.path, sudoers.text) ? 'wrote' : 'unchanged'} ${sudoers.what}: ${sudoers.path}\n`);
    } else if (layout.sudoersFile !== undefined && existsSync(layout.sudoersFile)) {
      await rm(layout.sudoersFile, { force: true });
      w(`removed ${layout.sudoersFile}: powermetrics is off in ${layout.configFile}\n`);
    }
  } else {
    for (const dir of [layout.logDir, layout.stateDir]) await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  let plistChanged = false;
  for (const file of plannedFiles(layout)) {
    const changed = await writeIfChanged(file.path, file.text);
    if (file.path === layout.plistFile) plistChanged = changed;
    w(`${changed ? 'wrote' : 'unchanged'} ${file.what}: ${file.path}\n`);
  }

  const before = await printJob(layout.serviceTarget);
  for (const args of launchctlPlan(layout, before.loaded, plistChanged)) {
    w(`$ launchctl ${args.join(' ')}\n`);
    await runPlanned(layout, args);
  }
  const after = await waitUntilRunning(layout, opts);
  w(describeJob(layout, after));
  if (after.job?.state !== 'running') {
    opts.writeError(`macos-agent service install: the service is installed but not running: see ${layout.stderrLog}, then: ${commandLine(layout, opts, 'restart')}\n`);
    return EXIT_NOT_RUNNING;
  }
  if (layout.mode === 'user') w('powermetrics is off in the user service (it needs root): install the system service for power, frequency and thermal data.\n');
  return EXIT_RUNNING;
}

/**
 * The launchctl calls that take the job from its current state to loaded and running the current
 * code: `enable` clears a disabled override (bootstrap refuses a disabled job); a changed plist is
 * only read by a fresh bootstrap; an unchanged one is restarted so an upgrade runs its new code.
 */
function launchctlPlan(layout: ServiceLayout, loaded: boolean, plistChanged: boolean): string[][] {
  const enable = ['enable', layout.serviceTarget];
  const bootstrap = ['bootstrap', layout.domain, layout.plistFile];
  if (!loaded) return [enable, bootstrap];
  if (plistChanged) return [enable, ['bootout', layout.serviceTarget], bootstrap];
  return [enable, ['kickstart', '-k', layout.serviceTarget]];
}

async function runPlanned(layout: ServiceLayout, args: readonly string[]): Promise<void> {
  const hint = layout.mode === 'user'
    ? `the user service needs a logged-in GUI session for uid ${layout.domain.slice(4)} (not only SSH); on a headless Mac install the system service`
    : `check ${layout.plistFile} with: plutil -lint ${quote(layout.plistFile)}`;
  if (args[0] !== 'bootstrap') {
    await launchctlOrThrow(args, hint);
    return;
  }
  // Right after a bootout, launchd may still be tearing the old job down and answers
  // "Bootstrap failed: 5: Input/output error" for a moment; a retry then succeeds.
  for (let attempt = 1; ; attempt++) {
    const result = await launchctl(args);
    if (result.code === 0) return;
    if (attempt === 3) {
      await launchctlOrThrow(args, hint);
      return;
    }
    await sleep(1000);
  }
}

async function installDryRun(layout: ServiceLayout, opts: ServiceOptions): Promise<number> {
  const w = opts.write;
  w(`dry run: nothing is written and launchctl changes nothing\n`);
  w(`would install the ${layout.mode} service ${layout.label} (${describeMode(layout)})\n`);
  if (layout.mode === 'system' && opts.uid !== 0) w(`note: installing needs root: ${commandLine(layout, opts)}\n`);
  for (const problem of preflight(layout)) w(`note: install would refuse now: ${problem}\n`);
  if (layout.mode === 'system') {
    const ids = await lookupRoleAccount().catch(() => undefined);
    w(ids !== undefined
      ? `role account ${ROLE_ACCOUNT} exists (uid ${ids.uid}, gid ${ids.gid})\n`
      : `would create role account ${ROLE_ACCOUNT} with dscl (first free id from ${ROLE_ID_RANGE.first} to ${ROLE_ID_RANGE.last}; shell /usr/bin/false, home /var/empty, no password, hidden)\n`);
    w(`the job runs as ${ROLE_ACCOUNT}; only /usr/bin/powermetrics runs as root, through sudo\n`);
    w(`root-owned paths the job runs or reads: ${[layout.nodeBin, layout.cliScript, layout.configFile, layout.logDir].join(', ')}\n`);
    w(`would create folders: ${layout.logDir} (root's, 0755; log files ${ROLE_ACCOUNT}'s, 0640), ${layout.stateDir} (${ROLE_ACCOUNT}'s, 0700)\n`);
  } else {
    w(`would create folders: ${layout.logDir}, ${layout.stateDir}\n`);
  }
  const sudoers = (() => {
    try {
      return plannedSudoers(layout);
    } catch {
      return undefined;
    }
  })();
  for (const file of [...plannedFiles(layout), ...(sudoers !== undefined ? [sudoers] : [])]) {
    w(`would write ${file.what} ${file.path}:\n${file.text}`);
  }
  let loaded: LoadedJob;
  try {
    loaded = await printJob(layout.serviceTarget);
  } catch (error) {
    if (!(error instanceof LaunchctlError)) throw error;
    w(`note: ${error.message}; assuming the job is not loaded\n`);
    loaded = { loaded: false, job: undefined };
  }
  const changed = !existsSync(layout.plistFile) || readFileSync(layout.plistFile, 'utf8') !== renderLaunchdPlist(layout);
  for (const args of launchctlPlan(layout, loaded.loaded, changed)) w(`would run: launchctl ${args.join(' ')}\n`);
  return 0;
}

async function uninstall(layout: ServiceLayout, opts: ServiceOptions): Promise<number> {
  const w = opts.write;
  const job = await printJob(layout.serviceTarget);
  const files = [layout.plistFile, layout.newsyslogFile, layout.sudoersFile]
    .filter((f): f is string => f !== undefined && existsSync(f));
  if (!job.loaded && files.length === 0) {
    w(`the ${layout.mode} service ${layout.label} is not installed: nothing to do\n`);
    return 0;
  }
  if (!opts.dryRun) checkPrivileges(layout, opts);
  const verb = opts.dryRun ? 'would ' : '';
  if (job.loaded) {
    w(`${verb}run: launchctl bootout ${layout.serviceTarget}\n`);
    if (!opts.dryRun) await launchctlOrThrow(['bootout', layout.serviceTarget], `the job may still be stopping; run ${commandLine(layout, opts)} again`);
  }
  for (const file of files) {
    w(`${verb}remove ${file}\n`);
    if (!opts.dryRun) await rm(file, { force: true });
  }
  if (layout.mode === 'system') await removeRoleAccount(opts.dryRun, w);
  w(`${opts.dryRun ? 'would keep' : 'kept'}: config ${layout.configFile}, logs in ${layout.logDir}, state in ${layout.stateDir} (scripts/install.sh --uninstall --purge removes them)\n`);
  return 0;
}

async function status(layout: ServiceLayout, opts: ServiceOptions): Promise<number> {
  const job = await printJob(layout.serviceTarget);
  const installed = existsSync(layout.plistFile);
  if (!installed && !job.loaded) {
    opts.write(`the ${layout.mode} service ${layout.label} is not installed (no ${layout.plistFile}); install it: ${commandLine(layout, opts, 'install')}\n`);
    return EXIT_NOT_RUNNING;
  }
  opts.write(describeJob(installedLayout(layout), job));
  if (!job.loaded) opts.write(`the plist is installed but not loaded into launchd: ${commandLine(layout, opts, 'install')}\n`);
  return job.job?.state === 'running' ? EXIT_RUNNING : EXIT_NOT_RUNNING;
}

async function restart(layout: ServiceLayout, opts: ServiceOptions): Promise<number> {
  const job = await printJob(layout.serviceTarget);
  if (!job.loaded) {
    throw new ServiceError(`the ${layout.mode} service ${layout.label} is not loaded; install it: ${commandLine(layout, opts, 'install')}`);
  }
  if (opts.dryRun) {
    opts.write(`would run: launchctl kickstart -k ${layout.serviceTarget}\n`);
    return 0;
  }
  checkPrivileges(layout, opts);
  opts.write(`$ launchctl kickstart -k ${layout.serviceTarget}\n`);
  await launchctlOrThrow(['kickstart', '-k', layout.serviceTarget], `see ${layout.stderrLog}`);
  const after = await waitUntilRunning(layout, opts);
  opts.write(describeJob(installedLayout(layout), after));
  return after.job?.state === 'running' ? EXIT_RUNNING : EXIT_NOT_RUNNING;
}

/** launchd starts the job asynchronously: look a few times before calling it not running. */
async function waitUntilRunning(layout: ServiceLayout, opts: ServiceOptions): Promise<LoadedJob> {
  let job = await printJob(layout.serviceTarget);
  for (let i = 0; i < 6 && job.job?.state !== 'running'; i++) {
    await sleep(opts.settleMs ?? 500);
    job = await printJob(layout.serviceTarget);
  }
  return job;
}

/** The layout as the installed plist says it (it may come from another prefix or an older version). */
function installedLayout(layout: ServiceLayout): ServiceLayout {
  if (!existsSync(layout.plistFile)) return layout;
  try {
    const job = parsePlist(readFileSync(layout.plistFile, 'utf8')) as Record<string, unknown>;
    const args = Array.isArray(job['ProgramArguments']) ? job['ProgramArguments'].map(String) : [];
    const configAt = args.indexOf('--config');
    return {
      ...layout,
      logFile: installedLogFile(job) ?? layout.logFile,
      stderrLog: typeof job['StandardErrorPath'] === 'string' ? job['StandardErrorPath'] : layout.stderrLog,
      configFile: configAt >= 0 && args[configAt + 1] !== undefined ? args[configAt + 1]! : layout.configFile,
    };
  } catch {
    return layout;
  }
}

/** The agent's log as an installed plist names it: MACOS_AGENT_LOG_FILE, or launchd's stdout file in plists of older versions. */
function installedLogFile(job: Record<string, unknown>): string | undefined {
  const env = job['EnvironmentVariables'];
  const fromEnv = typeof env === 'object' && env !== null ? (env as Record<string, unknown>)['MACOS_AGENT_LOG_FILE'] : undefined;
  if (typeof fromEnv === 'string') return fromEnv;
  return typeof job['StandardOutPath'] === 'string' ? job['StandardOutPath'] : undefined;
}

function describeMode(layout: ServiceLayout): string {
  return layout.mode === 'system'
    ? `LaunchDaemon, runs as the role account ${ROLE_ACCOUNT}: all sources, powermetrics through sudo`
    : 'LaunchAgent in your login session: SMC, vm_stat, iostat, sysctl; powermetrics off, it needs root';
}

function describeJob(layout: ServiceLayout, loaded: LoadedJob): string {
  const job: LaunchdJobState | undefined = loaded.job;
  const lines = [`${layout.label} (${layout.mode} service, ${layout.serviceTarget})`];
  if (job === undefined) {
    lines.push('  state:      not loaded');
  } else {
    const pid = job.pid !== undefined ? `, pid ${job.pid}` : '';
    const runs = job.runs !== undefined ? `, started ${job.runs} time${job.runs === 1 ? '' : 's'}` : '';
    lines.push(`  state:      ${job.state ?? 'unknown'}${pid}${runs}`);
    const exit = job.lastExitCode !== undefined ? `exit code ${job.lastExitCode}` : 'never exited';
    lines.push(`  last exit:  ${exit}${job.lastTerminatingSignal !== undefined ? ` (${job.lastTerminatingSignal})` : ''}`);
  }
  lines.push(`  plist:      ${layout.plistFile}`);
  lines.push(`  config:     ${layout.configFile}`);
  lines.push(`  logs:       ${layout.logFile}`);
  lines.push(`              ${layout.stderrLog}`);
  lines.push(`  rotation:   ${layout.newsyslogFile ?? 'none in user mode (newsyslog reads only root\'s /etc/newsyslog.d); see launchd/README.md'}`);
  return `${lines.join('\n')}\n`;
}

/** Writes atomically (temporary file, then rename) when the content differs; says whether it did. */
async function writeIfChanged(path: string, text: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) return false;
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  await chmod(tmp, 0o644);
  await rename(tmp, path);
  return true;
}
