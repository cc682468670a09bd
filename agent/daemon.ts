import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, type AgentConfig } from './config.js';
import { Collection } from './collection.js';
import { toExportBatch } from './export/batch.js';
import { createOtlpSender, loadExporterSettings } from './export/exporter.js';
import { ExportPipeline } from './export/pipeline.js';
import { ExportQueue } from './export/queue.js';
import { Spool } from './export/spool.js';
import { assertPrivateFolder, UnsafeFileError, writeFileNoFollowSync } from './file-safety.js';
import { createLogger, LogDestination } from './log.js';
import { createMetricsPipeline } from './metrics/metrics-pipeline.js';
import { detectResource } from './resource.js';
import { createSources } from './sources/registry.js';
import { AgentTelemetry } from './telemetry.js';

export interface DaemonOptions {
  readonly config: AgentConfig;
  readonly replayDir?: string | undefined;
}

/** After SIGTERM/SIGINT the agent exits within this long, whatever is still under way. */
const SHUTDOWN_BUDGET_MS = 4500;
/** Payloads of batches the spool could not take are kept in memory up to this much. */
const MAX_MEMORY_QUEUE_BYTES = 8 * 1024 * 1024;

function onSignals(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    const handler = (signal: NodeJS.Signals): void => {
      if (received !== undefined) {
        log.warn({ signal }, `second ${signal} while stopping: exiting now`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      received = signal;
      resolve(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

/**
 * The folders the daemon writes into must be its own: a folder another account can write to lets
 * it plant a link where the daemon writes, or a batch the daemon would send with its credentials.
 */
function assertPrivateFolders(config: AgentConfig): void {
  const folders: [string, string][] = [
    [config.state_dir, 'state_dir'],
    [join(config.state_dir, 'spool'), 'spool folder'],
    ...(config.pid_file !== '' ? [[dirname(config.pid_file), 'pid_file folder'] as [string, string]] : []),
    ...(config.log_file !== '' ? [[dirname(config.log_file), 'log_file folder'] as [string, string]] : []),
  ];
  try {
    for (const [path, what] of folders) assertPrivateFolder(path, what);
  } catch (error) {
    if (error instanceof UnsafeFileError) throw new ConfigError(error.message);
    throw error;
  }
}

function openLogDestination(file: string): LogDestination {
  if (file === '') return new LogDestination({ fd: 1 });
  try {
    return new LogDestination({ file });
  } catch (error) {
    throw new ConfigError(`log_file ${file} cannot be opened for appending (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}) — create its folder, or set log_file to a writable path that is not a symlink`);
  }
}

/** SIGHUP reopens the log file (after newsyslog renamed it) and changes nothing else. */
function reopenLogOnSighup(destination: LogDestination, log: Logger): void {
  process.on('SIGHUP', () => {
    if (destination.file === undefined) {
      log.info({ signal: 'SIGHUP' }, 'SIGHUP received: the log goes to stdout, there is no log file to reopen');
      return;
    }
    try {
      destination.reopen();
      log.info({ signal: 'SIGHUP', log_file: destination.file }, `SIGHUP received: reopened the log file ${destination.file}`);
    } catch (error) {
      log.error({ signal: 'SIGHUP', log_file: destination.file }, `SIGHUP received but the log file ${destination.file} could not be reopened (${(error as Error).message}); logging to the old file`);
    }
  });
}

/**
 * How often the agent looks whether its log file was rotated. newsyslog renames the file and
 * signals nobody (the service's entry has the N flag: a signal would need a pid file root trusts),
 * so lines written in between land in the renamed file, which is why it is not compressed.
 */
export const LOG_ROTATION_CHECK_MS = 2000;

/** Reopens the log file under its name once a rotation renamed or removed it; says so once. */
function followLogRotation(destination: LogDestination, log: Logger): void {
  if (destination.file === undefined) return;
  const file = destination.file;
  let failing: string | undefined;
  setInterval(() => {
    try {
      if (!destination.rotated()) return;
      destination.reopen();
      failing = undefined;
      log.info({ log_file: file }, `the log file ${file} was rotated: reopened it under its name`);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (reason === failing) return;
      failing = reason;
      log.warn({ log_file: file, error: reason }, `the log file ${file} was rotated but cannot be opened again (${reason}); logging to the rotated file until it can — the folder's owner must create it (newsyslog does, with the owner its entry names)`);
    }
  }, LOG_ROTATION_CHECK_MS).unref();
}

/**
 * Runs every enabled source on the interval and exports each cycle over OTLP/gRPC until
 * SIGTERM/SIGINT; then collects once more, stops the children, flushes and exits 0 within 5 s.
 * SIGHUP reopens the log file, as does a rotation noticed on its own.
 * Throws ConfigError at start for a malformed endpoint or an unreadable headers or TLS file.
 */
export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const { config } = opts;
  assertPrivateFolders(config);
  // At a file-size limit the kernel sends SIGXFSZ, whose default action ends the process; handled,
  // the write fails with EFBIG instead, which the log destination survives. Node ignores it at
  // start already; the handler keeps that true should a launcher or a Node release change it.
  process.on('SIGXFSZ', () => {});
  const destination = openLogDestination(config.log_file);
  const log = createLogger(config.log_level, destination);
  reopenLogOnSighup(destination, log);
  followLogRotation(destination, log);
  const settings = loadExporterSettings(config);
  const stopSignal = onSignals(log);
  const started = performance.now();

  const metrics = createMetricsPipeline(detectResource({ config, log, replayDir: opts.replayDir }));
  const telemetry = new AgentTelemetry();
  const sources = createSources({
    config, mode: 'daemon', log,
    ...(opts.replayDir !== undefined ? { replayDir: opts.replayDir } : {}),
    onChildRestart: (s) => telemetry.recordChildRestart(s),
    onParseError: (s) => telemetry.recordError(s, 'parse'),
  });
  const collection = new Collection(sources, metrics.store, telemetry, log, {
    cycleMs: config.interval,
    intervalOf: (name) => (name === 'agent' ? config.interval : config.sources[name].interval),
  });

  const spool = new Spool(config.state_dir);
  const sender = createOtlpSender(settings, log);
  let pipeline: ExportPipeline | undefined;
  const queue = new ExportQueue({
    spool,
    maxBytes: config.exporter.queue.max_bytes,
    maxAgeMs: config.exporter.queue.max_age,
    maxMemoryBytes: Math.min(config.exporter.queue.max_bytes, MAX_MEMORY_QUEUE_BYTES),
    onDrop: (reason, points) => pipeline?.recordDrop(reason, points),
    onSpoolError: (error) => pipeline?.recordSpoolError(error),
    onChange: () => telemetry.setQueue(queue.size, queue.bytes),
  });
  pipeline = new ExportPipeline({
    sender, queue, telemetry, log,
    endpoint: settings.endpoint,
    spoolDir: spool.dir,
    minBackoffMs: Math.min(1000, config.interval),
    // Retry about once per interval at worst, sooner for long intervals: a collector back up is used within seconds.
    maxBackoffMs: Math.min(60_000, Math.max(config.interval, Math.min(5000, 5 * config.interval))),
    timeoutMs: settings.timeoutMs,
  });

  const [resource] = await Promise.all([metrics.resource, collection.start()]);

  try {
    const spooled = await queue.load();
    pipeline.resumeAfter(spooled.lastSeq);
    if (spooled.batches > 0) {
      log.info({ batches: spooled.batches, points: spooled.points, dir: spool.dir }, `re-sending ${spooled.batches} batches spooled by a previous run, before new data`);
    }
    if (spooled.ignored.length > 0) log.warn({ dir: spool.dir, files: spooled.ignored }, 'the spool folder holds files that are not export batches; they are left alone');
    pipeline.kick();
  } catch (error) {
    pipeline.recordSpoolError(error as Error);
  }

  let lastCycleError: string | undefined;
  let cycleRunning: Promise<void> | undefined;
  let skipped = 0;
  const cycle = async (): Promise<void> => {
    try {
      await collection.collectAll();
      const batch = toExportBatch(await metrics.collect());
      if (batch !== undefined) pipeline.submit(batch);
      if (lastCycleError !== undefined) log.info('collection cycle recovered');
      lastCycleError = undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== lastCycleError) log.error({ err: message }, `collection cycle failed: ${message}`);
      lastCycleError = message;
    }
  };
  const tick = (): void => {
    if (cycleRunning !== undefined) {
      // A cycle longer than the interval: skip this one rather than pile cycles up.
      if (skipped++ === 0) log.warn({ interval_ms: config.interval }, 'a collection cycle took longer than the interval; skipping cycles until it finishes');
      return;
    }
    if (skipped > 0) log.info({ skipped }, `collection caught up after skipping ${skipped} cycle(s)`);
    skipped = 0;
    cycleRunning = cycle().finally(() => { cycleRunning = undefined; });
  };

  tick();
  const timer = setInterval(tick, config.interval);
  log.info({
    endpoint: settings.endpoint,
    tls: settings.tls,
    compression: settings.compression,
    header_names: settings.headerNames,
    interval_ms: config.interval,
    state_dir: config.state_dir,
    sources: sources.map((s) => s.name),
    startup_ms: Math.round(performance.now() - started),
    resource,
  }, 'macos-agent started');
  if (config.pid_file !== '') writeFileNoFollowSync(config.pid_file, `${process.pid}\n`, 0o644);

  const signal = await stopSignal;
  const deadline = Date.now() + SHUTDOWN_BUDGET_MS;
  setTimeout(() => {
    log.warn('stopping took longer than the shutdown budget; exiting with what is spooled');
    process.exit(0);
  }, SHUTDOWN_BUDGET_MS + 300).unref();
  log.info({ signal }, `${signal} received: last collection, stopping the children, flushing`);
  clearInterval(timer);
  const withinBudget = async (p: Promise<unknown>, maxMs: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => { timer = setTimeout(() => r(false), Math.max(0, Math.min(maxMs, deadline - Date.now()))); });
    const done = await Promise.race([p.then(() => true, () => true), timeout]);
    clearTimeout(timer);
    return done;
  };
  // A cycle stuck on a hanging command must not eat the time the flush needs.
  const idle = cycleRunning === undefined || await withinBudget(cycleRunning, 1000);
  if (idle) await withinBudget(cycle(), 1500);
  await withinBudget(collection.stop(), 1000);
  await pipeline.flush(deadline);
  await withinBudget(sender.shutdown(), 500);
  await withinBudget(metrics.shutdown(), 500);
  log.info({ queued_batches: queue.size, queued_points: queue.points }, queue.size > 0
    ? `macos-agent stopped; ${queue.size} undelivered batches are spooled for the next start`
    : 'macos-agent stopped; everything was delivered');
  if (config.pid_file !== '') rmSync(config.pid_file, { force: true });
  process.exit(0);
}
