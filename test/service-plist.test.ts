import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { EXIT_TIMEOUT_SECONDS, launchdJob, newsyslogEntry, renderLaunchdPlist } from '../agent/service/launchd-plist.js';
import { SERVICE_LABEL } from '../agent/service/label.js';
import { detectPrefix, packagedCliScript, serviceLayout, type ServiceMode } from '../agent/service/paths.js';
import { REPO } from './helpers/cli.js';

/**
 * What scripts/install.sh sets up on Apple Silicon, as launchd/examples/ shows it: the system
 * service's package and Node in root's /usr/local/libexec, the user service's under Homebrew.
 */
function exampleLayout(mode: ServiceMode) {
  return serviceLayout({
    mode,
    uid: 501,
    home: '/Users/you',
    prefix: '/opt/homebrew',
    nodeBin: mode === 'system' ? '/usr/local/libexec/macos-agent/bin/node' : '/opt/homebrew/bin/node',
    cliScript: mode === 'system' ? '/usr/local/libexec/macos-agent/dist/macos-agent.js' : '/opt/homebrew/opt/macos-agent/dist/macos-agent.js',
  });
}

/** XML -> binary -> XML through Python's plistlib: Apple's format as an independent implementation reads and writes it. */
const PLISTLIB_ROUND_TRIP = [
  'import plistlib, sys',
  'binary = plistlib.dumps(plistlib.loads(sys.stdin.buffer.read()), fmt=plistlib.FMT_BINARY)',
  'sys.stdout.buffer.write(plistlib.dumps(plistlib.loads(binary), fmt=plistlib.FMT_XML))',
].join('\n');

function roundTripWithPlistlib(xml: string): unknown {
  return parse(execFileSync('python3', ['-c', PLISTLIB_ROUND_TRIP], { input: xml, encoding: 'utf8' }));
}

describe('the launchd plist', () => {
  it('runs the agent from root-owned paths as the role account in system mode, powermetrics through sudo', () => {
    const job = parse(renderLaunchdPlist(exampleLayout('system'))) as Record<string, unknown>;
    expect(job['Label']).toBe(SERVICE_LABEL);
    expect(job['ProgramArguments']).toEqual([
      '/usr/local/libexec/macos-agent/bin/node',
      '--max-semi-space-size=1', '--max-old-space-size=64', '--no-turbofan', '--single-threaded', '--v8-pool-size=1',
      '/usr/local/libexec/macos-agent/dist/macos-agent.js',
      '--config', '/etc/macos-agent/config.yaml',
      '--set', 'sources.powermetrics.sudo=true',
    ]);
    expect(job['UserName']).toBe('_macos_agent');
    expect(job['GroupName']).toBe('_macos_agent');
    expect(job['RunAtLoad']).toBe(true);
    expect(job['KeepAlive']).toBe(true);
    expect(job['ThrottleInterval']).toBe(30);
    expect(job['ExitTimeOut']).toBe(EXIT_TIMEOUT_SECONDS);
    expect(EXIT_TIMEOUT_SECONDS).toBeGreaterThan(5);
    expect(job['ProcessType']).toBe('Background');
    expect(job['Nice']).toBe(10);
    expect(job['LowPriorityIO']).toBe(true);
    // The agent writes its own log (and follows its rotation); launchd's file gets only crashes.
    expect(job['StandardOutPath']).toBe('/var/log/macos-agent/macos-agent.err.log');
    expect(job['StandardErrorPath']).toBe('/var/log/macos-agent/macos-agent.err.log');
    expect(job['WorkingDirectory']).toBe('/var/db/macos-agent');
    // No pid file: nothing root runs (newsyslog) reads a file the role account can write.
    expect(job['EnvironmentVariables']).toEqual({
      PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
      MACOS_AGENT_STATE_DIR: '/var/db/macos-agent',
      MACOS_AGENT_LOG_FILE: '/var/log/macos-agent/macos-agent.log',
    });
  });

  it('turns powermetrics off in user mode and keeps state in the user\'s Library', () => {
    const job = parse(renderLaunchdPlist(exampleLayout('user'))) as Record<string, unknown>;
    expect(job['ProgramArguments']).toEqual([
      '/opt/homebrew/bin/node',
      '--max-semi-space-size=1', '--max-old-space-size=64', '--no-turbofan', '--single-threaded', '--v8-pool-size=1',
      '/opt/homebrew/opt/macos-agent/dist/macos-agent.js',
      '--config', '/opt/homebrew/etc/macos-agent/config.yaml',
      '--set', 'sources.powermetrics.enabled=false',
    ]);
    expect(job['EnvironmentVariables']).toEqual({
      PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
      MACOS_AGENT_STATE_DIR: '/Users/you/Library/Application Support/macos-agent',
      MACOS_AGENT_LOG_FILE: '/opt/homebrew/var/log/macos-agent/macos-agent.log',
    });
  });

  it('finds every command the sources run on its PATH', () => {
    const path = String((launchdJob(exampleLayout('system'))['EnvironmentVariables'] as Record<string, string>)['PATH']).split(':');
    for (const command of ['/usr/bin/powermetrics', '/usr/sbin/iostat', '/usr/bin/vm_stat', '/usr/sbin/sysctl', '/usr/sbin/ioreg', '/usr/bin/sw_vers']) {
      expect(path).toContain(command.slice(0, command.lastIndexOf('/')));
    }
  });

  it('makes relative paths absolute, since launchd expands neither ~ nor $VARS', () => {
    const layout = serviceLayout({ mode: 'user', uid: 501, home: '/Users/you', prefix: 'relative/prefix', nodeBin: 'bin/node', cliScript: 'dist/macos-agent.js', configFile: 'conf.yaml' });
    const job = launchdJob(layout);
    for (const value of [...(job['ProgramArguments'] as string[]).filter((a) => !a.startsWith('-') && !a.includes('=')), job['StandardOutPath'], job['StandardErrorPath'], job['WorkingDirectory'], (job['EnvironmentVariables'] as Record<string, string>)['MACOS_AGENT_LOG_FILE']]) {
      expect(isAbsolute(String(value)), String(value)).toBe(true);
    }
  });

  it.each(['system', 'user'] as const)('survives a round trip through binary with Python\'s plistlib in %s mode', (mode) => {
    const layout = exampleLayout(mode);
    expect(roundTripWithPlistlib(renderLaunchdPlist(layout))).toEqual(launchdJob(layout));
  });

  it.each(['system', 'user'] as const)('matches launchd/examples/ in %s mode', (mode) => {
    const example = readFileSync(join(REPO, 'launchd', 'examples', `${SERVICE_LABEL}.${mode}.plist`), 'utf8');
    expect(renderLaunchdPlist(exampleLayout(mode))).toBe(example);
  });
});

describe('the newsyslog entry', () => {
  it('rotates both logs and signals no process: no pid file the role account could point at another process', () => {
    const text = newsyslogEntry(exampleLayout('system'));
    expect(text).toBe(readFileSync(join(REPO, 'launchd', 'examples', 'newsyslog.d', 'macos-agent.conf'), 'utf8'));
    const entries = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/\s+/));
    expect(entries).toEqual([
      ['/var/log/macos-agent/macos-agent.log', '_macos_agent:_macos_agent', '640', '7', '10240', '*', 'N'],
      ['/var/log/macos-agent/macos-agent.err.log', '_macos_agent:_macos_agent', '640', '7', '10240', '*', 'N'],
    ]);
  });

  it('refuses a path with a space, which newsyslog cannot read', () => {
    const layout = serviceLayout({ mode: 'system', uid: 0, home: '/var/root', prefix: '/opt/homebrew', nodeBin: '/n', cliScript: '/c', env: { MACOS_AGENT_SYSTEM_ROOT: '/Volumes/Test Disk' } });
    expect(() => newsyslogEntry(layout)).toThrow(/newsyslog cannot rotate \/Volumes\/Test Disk\/var\/log\/macos-agent\/macos-agent.log/);
  });
});

describe('the install prefix', () => {
  it('is the one the package is installed under, else Homebrew\'s for the CPU', () => {
    expect(detectPrefix('/usr/local/opt/macos-agent', 'x64')).toBe('/usr/local');
    expect(detectPrefix('/tmp/p/opt/macos-agent', 'arm64')).toBe('/tmp/p');
    expect(detectPrefix('/Users/me/src/macos-agent', 'arm64')).toBe('/opt/homebrew');
    expect(detectPrefix('/Users/me/src/macos-agent', 'x64')).toBe('/usr/local');
  });

  it('runs the bundle of the package, not the compiled files it is built from', () => {
    expect(packagedCliScript('/tmp/p/opt/macos-agent')).toBe('/tmp/p/opt/macos-agent/dist/macos-agent.js');
    expect(packagedCliScript()).toBe(join(REPO, 'dist', 'macos-agent.js'));
  });
});
