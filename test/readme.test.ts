import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.js';
import { USER_PATH } from './helpers/user-path.js';

const run = promisify(execFile);

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const tryIt = readme.slice(readme.indexOf('## Try it'), readme.indexOf('\n## ', readme.indexOf('## Try it') + 1));
const agentCommands = [...tryIt.matchAll(/^npx .*$/gm)].map((m) => m[0]);

describe('the README\'s "Try it" commands', () => {
  it('are the replays of the shipped capture bundles', () => {
    expect(agentCommands).toEqual([
      'npx --silent macos-agent --once --replay test/fixtures/bundles/m1-macbookair',
      'npx --silent macos-agent --once --replay test/fixtures/bundles/intel-macbookpro16_1',
      'npx --silent macos-agent --once --replay test/fixtures/bundles/pressure-network --set sources.powermetrics.enabled=false',
    ]);
  });

  it.each(agentCommands)('print the agent\'s output and nothing of npm\'s, whatever Node the shell has: %s', async (command) => {
    const [npx, ...args] = command.split(' ');
    const { stdout, stderr } = await run(npx!, args, { cwd: REPO, env: { PATH: USER_PATH, HOME: process.env['HOME'] ?? tmpdir() } });
    expect(`${stderr}${stdout}`).not.toMatch(/^npm /m);
    expect(stdout).toMatch(/^resource {2}service\.name=macos-agent /);
  });
});
