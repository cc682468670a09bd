import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.js';
import { USER_NPM_ENV } from './helpers/user-path.js';

const run = promisify(execFile);

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const tryIt = readme.slice(readme.indexOf('## Try it'), readme.indexOf('\n## ', readme.indexOf('## Try it') + 1));
const agentCommands = [...tryIt.matchAll(/^npm run .*$/gm)].map((m) => m[0]);
// A cache of its own, so the test can see that the command installed nothing (`npx macos-agent`
// would install the checkout into the cache and rerun its build there); no update check, so the
// test stays on loopback.
const npmCache = mkdtempSync(join(tmpdir(), 'macos-agent-readme-npm-'));
afterAll(() => rmSync(npmCache, { recursive: true, force: true }));
const ADDON = join(REPO, 'build', 'Release', 'smc.node');

describe('the README\'s "Try it" commands', () => {
  it('are the replays of the shipped capture bundles', () => {
    expect(agentCommands).toEqual([
      'npm run --silent agent -- --once --replay test/fixtures/bundles/m1-macbookair',
      'npm run --silent agent -- --once --replay test/fixtures/bundles/intel-macbookpro16_1',
      'npm run --silent agent -- --once --replay test/fixtures/bundles/pressure-network --set sources.powermetrics.enabled=false',
    ]);
  });

  it.each(agentCommands)('print the agent\'s output and nothing of npm\'s, whatever Node the shell has, and build nothing: %s', async (command) => {
    const [npm, ...args] = command.split(' ');
    const addonBefore = existsSync(ADDON) ? statSync(ADDON).mtimeMs : undefined;
    const { stdout, stderr } = await run(npm!, args, {
      cwd: REPO,
      env: { ...USER_NPM_ENV, npm_config_cache: npmCache },
    });
    expect(`${stderr}${stdout}`).not.toMatch(/^npm /m);
    expect(stdout).toMatch(/^resource {2}service\.name=macos-agent /);
    expect(readdirSync(npmCache).filter((entry) => entry !== '_logs')).toEqual([]);
    expect(existsSync(ADDON) ? statSync(ADDON).mtimeMs : undefined).toBe(addonBefore);
  });
});
