#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadConfig, type AgentConfig } from './config.js';
import { createLogger } from './log.js';
import { EXIT_CONFIG, EXIT_NO_DATA } from './exit-codes.js';
import { VERSION } from './version.js';
import { addCollectorConfigOptions, type CollectorConfigFlags } from './fleet/cli-options.js';
import { addStackOptions, loadStackCommand, type StackCommandFlags } from './stack/cli-options.js';

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
  interval?: string;
  endpoint?: string;
  set?: string[];
}

function collectSet(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Loads the configuration from the file, the environment and the flags common to every command. */
export function configFromOptions(opts: GlobalOptions): AgentConfig {
  const overrides: Record<string, string> = {};
  for (const item of opts.set ?? []) {
    const i = item.indexOf('=');
    if (i <= 0) throw new ConfigError(`--set takes key=value (for example --set sources.smc.enabled=false), not "${item}"`);
    overrides[item.slice(0, i)] = item.slice(i + 1);
  }
  if (opts.logLevel !== undefined) overrides['log_level'] = opts.logLevel;
  if (opts.interval !== undefined) overrides['interval'] = opts.interval;
  if (opts.endpoint !== undefined) overrides['exporter.endpoint'] = opts.endpoint;
  return loadConfig({ path: opts.config, overrides }).config;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('macos-agent')
    .description('Metrics agent for Macs: power, frequency, thermal pressure, SMC temperatures and fans, memory and disk, exported over OTLP/gRPC.\nWith no command it runs the daemon.')
    .version(VERSION, '-V, --version')
    .option('-c, --config <path>', 'config file (default: $MACOS_AGENT_CONFIG, else /opt/homebrew/etc/macos-agent/config.yaml or /usr/local/etc/macos-agent/config.yaml if present)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option('--interval <duration>', 'collection and export interval, e.g. 10s')
    .option('--endpoint <url>', 'OTLP/gRPC endpoint of the collector, e.g. http://localhost:4317')
    .option('--set <key=value>', 'set any config key, e.g. --set sources.smc.enabled=false (repeatable)', collectSet)
    .option('--once', 'collect once, print what would be exported and exit')
    .option('--json', 'with --once: print one JSON document instead of a table')
    .option('--replay <dir>', 'read recorded command output from DIR (a capture bundle) instead of running the commands')
    .addHelpText('after', `
Exit codes with --once: 0 at least one source produced data; ${EXIT_NO_DATA} no source produced data;
${EXIT_CONFIG} invalid configuration or flags.`)
    .action(async (opts: GlobalOptions & { once?: boolean; json?: boolean; replay?: string }) => {
      const config = configFromOptions(opts);
      if (opts.once) {
        const { runOnce } = await import('./commands/once.js');
        const log = createLogger(config.log_level, 'stderr');
        process.exitCode = await runOnce({ config, log, replayDir: opts.replay, json: opts.json === true, write: (t) => process.stdout.write(t) });
        return;
      }
      const { runDaemon } = await import('./daemon.js');
      await runDaemon({ config, replayDir: opts.replay });
    });

  program.command('capture')
    .description('run each command once and save its raw output in DIR: the bundle to attach to a bug report, and what --replay reads')
    .argument('<dir>', 'new folder to write the bundle into (it must not exist; it is created)')
    .action(async (dir: string) => {
      const config = configFromOptions(program.opts<GlobalOptions>());
      const { runCapture } = await import('./commands/capture.js');
      process.exitCode = await runCapture({ config, dir, log: createLogger(config.log_level, 'stderr'), write: (t) => process.stdout.write(t) });
    });

  addCollectorConfigOptions(program.command('collector-config'))
    .action(async (opts: CollectorConfigFlags) => {
      const { runCollectorConfig } = await import('./commands/collector-config.js');
      process.exitCode = await runCollectorConfig({ ...opts, write: (t) => process.stdout.write(t), report: (t) => process.stderr.write(t) });
    });

  addStackOptions(program.command('stack'))
    .action(async (opts: StackCommandFlags) => {
      const { runStack } = await loadStackCommand();
      try {
        process.exitCode = await runStack({ ...opts, report: (t) => process.stderr.write(t) });
      } catch (error) {
        // The stack bundle has its own copy of ConfigError: a flag error from it exits 2 all the same.
        if (error instanceof Error && error.name === 'ConfigError') throw new ConfigError(error.message);
        throw error;
      }
    });

  program.command('collector')
    .description('supervise an otelcol-contrib binary on this Mac')
    .command('service')
    .description('install, uninstall or check the LaunchDaemon running otelcol-contrib as an unprivileged account')
    .argument('<action>', 'install, uninstall, status, or rotate-logs (what the hourly log job runs)')
    .option('--binary <path>', 'the otelcol-contrib binary (absolute, in a root-owned tree)')
    .option('--log-dir <dir>', 'folder of its logs (absolute, in a root-owned tree)')
    .option('--user <name>', 'the account it runs as (default _macos_agent)')
    .option('--node <path>', 'Node binary the log rotation job runs (default: the one running this command)')
    .option('--dry-run', 'print the launchd jobs, change nothing')
    .addHelpText('after', `
--config PATH names the collector's config here, e.g. one from macos-agent collector-config --role node
(absolute, in a root-owned tree). Exit codes: 0 done (status: running); 1 failed; 2 bad flags or an
untrusted path; 3 not running (status).`)
    .action(async (action: string, cmdOpts: { binary?: string; logDir?: string; user?: string; node?: string; dryRun?: boolean }) => {
      const { runCollectorService, COLLECTOR_SERVICE_ACTIONS } = await import('./commands/collector-service.js');
      if (!(COLLECTOR_SERVICE_ACTIONS as readonly string[]).includes(action)) {
        throw new ConfigError(`unknown collector service action "${action}": expected ${COLLECTOR_SERVICE_ACTIONS.join(', ')}`);
      }
      process.exitCode = await runCollectorService({
        action: action as (typeof COLLECTOR_SERVICE_ACTIONS)[number], ...cmdOpts, dryRun: cmdOpts.dryRun === true,
        // The program's --config, which this command reads as the collector's config.
        config: program.opts<GlobalOptions>().config,
        env: process.env,
        write: (t) => process.stdout.write(t),
        writeError: (t) => process.stderr.write(t),
      });
    });

  program.command('service')
    .description('install, uninstall, check or restart the launchd service (system: LaunchDaemon as root, all sources; user: LaunchAgent, no powermetrics)')
    .argument('<action>', 'install, uninstall, status or restart')
    .option('--system', 'the LaunchDaemon in /Library/LaunchDaemons, run as root (default as root)')
    .option('--user', 'the LaunchAgent in ~/Library/LaunchAgents, run as you (default otherwise)')
    .option('--dry-run', 'print the plist and the launchctl commands, change nothing')
    .option('--prefix <dir>', 'install prefix holding etc/ and var/log/ (default: the one this package is installed under)')
    .option('--node <path>', 'Node binary launchd runs (default: the one running this command)')
    .option('--state-dir <dir>', 'state folder (default: /Library/Application Support/macos-agent, or ~/Library/... in user mode)')
    .addHelpText('after', `
Exit codes: 0 done (status: running); 1 failed; 3 not running (status, or an install or restart whose job did not start).`)
    .action(async (action: string, cmdOpts: { system?: boolean; user?: boolean; dryRun?: boolean; prefix?: string; node?: string; stateDir?: string }) => {
      const { runService, SERVICE_ACTIONS } = await import('./commands/service.js');
      const { homedir } = await import('node:os');
      if (!(SERVICE_ACTIONS as readonly string[]).includes(action)) {
        throw new ConfigError(`unknown service action "${action}": expected ${SERVICE_ACTIONS.join(', ')}`);
      }
      if (cmdOpts.system === true && cmdOpts.user === true) throw new ConfigError('--system and --user exclude each other: choose one');
      // MACOS_AGENT_TEST_UID exists for the tests (which run as root) to act as another user; it
      // grants nothing, since writing the system folders still needs real root.
      const testUid = process.env['MACOS_AGENT_TEST_UID'];
      process.exitCode = await runService({
        action: action as (typeof SERVICE_ACTIONS)[number],
        mode: cmdOpts.system === true ? 'system' : cmdOpts.user === true ? 'user' : undefined,
        dryRun: cmdOpts.dryRun === true,
        prefix: cmdOpts.prefix,
        node: cmdOpts.node,
        config: program.opts<GlobalOptions>().config,
        stateDir: cmdOpts.stateDir,
        uid: testUid !== undefined && testUid !== '' ? Number(testUid) : process.getuid?.() ?? 0,
        home: homedir(),
        env: process.env,
        write: (t) => process.stdout.write(t),
        writeError: (t) => process.stderr.write(t),
      });
    });

  program.command('smc')
    .description('read the SMC directly')
    .command('dump')
    .description('print every SMC key with its type, size, raw bytes and decoded value (with --json: one JSON document; with --replay DIR: DIR/smc.txt)')
    .action(async () => {
      const opts = program.opts<GlobalOptions & { json?: boolean; replay?: string }>();
      const { runSmcDump } = await import('./commands/smc.js');
      process.exitCode = await runSmcDump({
        replayDir: opts.replay, json: opts.json === true,
        write: (t) => process.stdout.write(t), writeError: (t) => process.stderr.write(t),
      });
    });

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  // `macos-agent ... | head` closes our stdout early: that is the reader's choice, not a crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`macos-agent: ${error.message}\n`);
      process.exitCode = EXIT_CONFIG;
      return;
    }
    throw error;
  }
}

await main(process.argv);
