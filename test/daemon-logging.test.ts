// The daemon's log never stops it: a log file at its size limit (EFBIG) or a closed stdout pipe
// (EPIPE) loses lines, counted and reported once the log works again, while collection and export
// go on; SIGHUP reopens the log file after rotation and changes nothing else.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { catScript, makeFakeBin } from './helpers/fake-bin.js';
import { CLI } from './helpers/cli.js';
import { isAlive } from './helpers/processes.js';
import { IOREG_FIXTURE, makeBundle } from './otlp/bundle.js';
import { AgentProcess, until } from './otlp/agent-process.js';
import { OtlpReceiver } from './otlp/receiver.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const AGENT_ARGS = [
  '--interval', '200ms',
  '--set', 'sources.powermetrics.enabled=false', '--set', 'sources.iostat.enabled=false', '--set', 'sources.smc.enabled=false',
];

interface Setup {
  readonly dir: string;
  readonly bundle: string;
  readonly receiver: OtlpReceiver;
  readonly env: NodeJS.ProcessEnv;
  readonly args: string[];
}

async function setup(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'macos-agent-logging-'));
  const bundle = makeBundle();
  const fakes = makeFakeBin({ ioreg: catScript(IOREG_FIXTURE) });
  const receiver = await OtlpReceiver.start();
  cleanups.push(() => { rmSync(dir, { recursive: true, force: true }); rmSync(bundle, { recursive: true, force: true }); fakes.cleanup(); receiver.kill(); });
  return {
    dir, bundle, receiver,
    env: { PATH: fakes.path, HOME: process.env['HOME'] ?? '/tmp', MACOS_AGENT_STATE_DIR: join(dir, 'state'), MACOS_AGENT_PID_FILE: join(dir, 'agent.pid') },
    args: ['--replay', bundle, '--endpoint', `http://127.0.0.1:${receiver.port}`, ...AGENT_ARGS],
  };
}

function logLines(file: string): { msg: string; [key: string]: unknown }[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });
}

/** Waits for the receiver to get `more` requests beyond those it has now: the agent is still exporting. */
async function exportsGoOn(receiver: OtlpReceiver, more = 3): Promise<void> {
  const seen = receiver.accepted().length;
  await until(() => receiver.accepted().length >= seen + more, 10_000, `${more} more exports`);
}

/** Starts the agent logging to a file in the set-up's folder and waits for its start line there. */
async function startLoggingToFile(s: Setup, extraArgs: string[] = []): Promise<{ agent: AgentProcess; logFile: string }> {
  const logFile = join(s.dir, 'agent.log');
  const agent = new AgentProcess([...extraArgs, ...s.args], { ...s.env, MACOS_AGENT_LOG_FILE: logFile });
  cleanups.push(() => agent.kill());
  await until(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('macos-agent started'), 15_000, 'the start line in the log file');
  return { agent, logFile };
}

describe('a log that cannot be written never stops the daemon', () => {
  it('keeps collecting and exporting with its log file at the file-size limit (EFBIG), and says how many lines were lost once it can write again', async () => {
    const s = await setup();
    const logFile = join(s.dir, 'agent.log');
    // A 1-block file-size limit: the log fills at start. Fixed text, arguments through "$@".
    const child = spawn('/bin/sh', ['-c', 'ulimit -f 1; exec "$@"', 'sh', process.execPath, CLI, ...s.args], {
      env: { ...s.env, MACOS_AGENT_LOG_FILE: logFile }, stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    cleanups.push(() => { if (child.exitCode === null) child.kill('SIGKILL'); });

    await until(() => s.receiver.accepted().length > 0, 15_000, 'the first export');
    await until(() => existsSync(s.env['MACOS_AGENT_PID_FILE']!), 5000, 'the pid file');
    const limit = statSync(logFile).size;
    expect(limit).toBeLessThanOrEqual(1024);
    child.kill('SIGHUP');
    child.kill('SIGHUP');
    await exportsGoOn(s.receiver);
    expect(isAlive(child.pid!)).toBe(true);
    expect(statSync(logFile).size).toBe(limit);

    truncateSync(logFile, 0);
    child.kill('SIGHUP');
    await until(() => readFileSync(logFile, 'utf8').includes('reopened the log file'), 5000, 'the log to work again');
    const [notice, reopened] = logLines(logFile);
    expect(notice).toMatchObject({ level: 'warn', error: 'EFBIG', msg: expect.stringMatching(/^the log could not be written \(EFBIG\); \d+ line\(s\) were lost meanwhile/) });
    // The two SIGHUP lines at least.
    expect(notice!['lost_lines']).toBeGreaterThanOrEqual(2);
    expect(reopened!.msg).toBe(`SIGHUP received: reopened the log file ${logFile}`);
    expect(logLines(logFile).filter((l) => l.msg.includes('were lost'))).toHaveLength(1);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('keeps exporting when the reader of its stdout goes away (EPIPE)', async () => {
    const s = await setup();
    const agent = new AgentProcess(s.args, s.env);
    cleanups.push(() => agent.kill());
    await agent.waitForLog('macos-agent started');
    agent.child.stdout!.destroy();
    agent.child.kill('SIGHUP');
    await exportsGoOn(s.receiver);
    expect(isAlive(agent.child.pid!)).toBe(true);
    expect((await agent.stop()).code).toBe(0);
  });
});

describe('log rotation without a signal (the service\'s newsyslog entry has the N flag)', () => {
  it('notices the renamed log within 2 s and reopens it under its name; lines written meanwhile are whole in the rotated file', async () => {
    const s = await setup();
    const { agent, logFile } = await startLoggingToFile(s, ['--log-level', 'debug']);

    // What newsyslog does: rename, then create the empty file with the entry's owner and mode.
    renameSync(logFile, `${logFile}.0`);
    writeFileSync(logFile, '', { mode: 0o640 });
    const rotatedAt = Date.now();
    await until(() => readFileSync(logFile, 'utf8').includes('was rotated'), 5000, 'the agent to reopen its log');
    expect(Date.now() - rotatedAt).toBeLessThan(2000 + 1000);
    const [reopened] = logLines(logFile);
    expect(reopened).toMatchObject({ level: 'info', log_file: logFile, msg: `the log file ${logFile} was rotated: reopened it under its name` });
    await exportsGoOn(s.receiver);
    expect(isAlive(agent.child.pid!)).toBe(true);

    const { code } = await agent.stop('SIGTERM');
    expect(code).toBe(0);
    // Every line went to one of the two files, each line whole.
    const all = [...logLines(`${logFile}.0`), ...logLines(logFile)];
    expect(all[0]!.msg).toBe('macos-agent started');
    expect(all.at(-1)!.msg).toBe('macos-agent stopped; everything was delivered');
    expect(logLines(`${logFile}.0`).map((l) => l.msg)).not.toContain(reopened!.msg);
  });

  it('when the new file cannot be opened yet, says so once, keeps logging to the rotated file and reopens once it can', async () => {
    const s = await setup();
    const { agent, logFile } = await startLoggingToFile(s);

    renameSync(logFile, `${logFile}.0`);
    // Something in the way that is not a file: the open fails (EISDIR) on every check.
    mkdirSync(logFile);
    await until(() => readFileSync(`${logFile}.0`, 'utf8').includes('cannot be opened again'), 5000, 'the warning in the rotated file');
    await new Promise((r) => setTimeout(r, 2500));
    const warnings = logLines(`${logFile}.0`).filter((l) => l.msg.includes('cannot be opened again'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', error: 'EISDIR', log_file: logFile });

    rmdirSync(logFile);
    writeFileSync(logFile, '');
    await until(() => readFileSync(logFile, 'utf8').includes('was rotated: reopened it'), 5000, 'the reopened log');
    expect((await agent.stop()).code).toBe(0);
  });
});

describe('SIGHUP', () => {
  it('reopens the log file after rotation: new lines land in the new file, the daemon keeps running and exporting', async () => {
    const s = await setup();
    const { agent, logFile } = await startLoggingToFile(s);
    expect(agent.output).toBe('');

    renameSync(logFile, `${logFile}.0`);
    agent.child.kill('SIGHUP');
    await until(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('reopened the log file'), 5000, 'the new log file');
    await exportsGoOn(s.receiver);
    expect(isAlive(agent.child.pid!)).toBe(true);
    expect(logLines(`${logFile}.0`).map((l) => l.msg)).not.toContain(`SIGHUP received: reopened the log file ${logFile}`);

    const { code } = await agent.stop('SIGTERM');
    expect(code).toBe(0);
    // Each source without a recording in the bundle says so once, at its first collection, which
    // on a loaded machine may come after the SIGHUP: such a notice may be in either file.
    const notReplayed = (msg: string): boolean => msg.includes(' is not replayed');
    expect(logLines(logFile).map((l) => l.msg).filter((m) => !notReplayed(m))).toEqual([
      `SIGHUP received: reopened the log file ${logFile}`,
      'SIGTERM received: last collection, stopping the children, flushing',
      'macos-agent stopped; everything was delivered',
    ]);
    expect(existsSync(s.env['MACOS_AGENT_PID_FILE']!), 'the pid file is removed at exit').toBe(false);
  });

  it('without a log file, is logged and ignored', async () => {
    const s = await setup();
    const agent = new AgentProcess(s.args, s.env);
    cleanups.push(() => agent.kill());
    await agent.waitForLog('macos-agent started');
    agent.child.kill('SIGHUP');
    await agent.waitForLog('SIGHUP received: the log goes to stdout, there is no log file to reopen');
    await exportsGoOn(s.receiver);
    expect((await agent.stop()).code).toBe(0);
  });
});
