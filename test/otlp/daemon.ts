import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catScript, makeFakeBin } from '../helpers/fake-bin.js';
import { AgentProcess } from './agent-process.js';
import { IOREG_FIXTURE, makeBundle } from './bundle.js';
import type { ReceivedPoint } from './receiver.js';

export interface StartAgentOptions {
  /** Reuse a state folder (its spool) across agent runs. */
  readonly stateDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly args?: readonly string[];
  /** Leave out `--endpoint` (to test the OTEL_* variables). */
  readonly noEndpointFlag?: boolean;
}

export interface StartedAgent {
  readonly agent: AgentProcess;
  readonly stateDir: string;
  /** Kills the agent if still running and removes its temporary files (not a given stateDir). */
  readonly cleanup: () => void;
}

/**
 * Starts the daemon as a user would, on the M1 Pro replay bundle (vm_stat and sysctl; the sources
 * this machine cannot replay disabled), collecting and exporting every 200 ms, with a fake `ioreg`
 * on PATH for host.id.
 */
export function startAgent(endpoint: string, opts: StartAgentOptions = {}): StartedAgent {
  const ownState = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'macos-agent-state-'));
  const fakes = makeFakeBin({ ioreg: catScript(IOREG_FIXTURE) });
  const bundle = makeBundle();
  const agent = new AgentProcess([
    '--replay', bundle, '--interval', '200ms',
    ...(opts.noEndpointFlag ? [] : ['--endpoint', endpoint]),
    '--set', 'sources.powermetrics.enabled=false', '--set', 'sources.iostat.enabled=false', '--set', 'sources.smc.enabled=false',
    ...(opts.args ?? []),
  ], { PATH: fakes.path, MACOS_AGENT_STATE_DIR: stateDir, ...opts.env });
  return {
    agent,
    stateDir,
    cleanup: () => {
      agent.kill();
      fakes.cleanup();
      rmSync(bundle, { recursive: true, force: true });
      if (ownState) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export function pointsNamed(points: readonly ReceivedPoint[], name: string): ReceivedPoint[] {
  return points.filter((p) => p.name === name);
}

/**
 * Every cycle exports one process.memory.usage point stamped with the cycle's collection time:
 * the timestamps identify the cycles a receiver got, per agent run (a run's cumulative start time).
 */
export function cyclesByRun(points: readonly ReceivedPoint[]): Map<bigint, bigint[]> {
  const runOf = new Map<bigint, bigint>();
  for (const p of pointsNamed(points, 'process.cpu.time')) runOf.set(p.timeUnixNano, p.startTimeUnixNano);
  const runs = new Map<bigint, bigint[]>();
  for (const p of pointsNamed(points, 'process.memory.usage')) {
    const run = runOf.get(p.timeUnixNano) ?? 0n;
    const list = runs.get(run) ?? [];
    list.push(p.timeUnixNano);
    runs.set(run, list);
  }
  for (const list of runs.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return runs;
}

/** Timestamps seen more than once. */
export function duplicates(times: readonly bigint[]): bigint[] {
  const seen = new Set<bigint>();
  const dup: bigint[] = [];
  for (const t of times) {
    if (seen.has(t)) dup.push(t);
    seen.add(t);
  }
  return dup;
}

/** The largest gap between consecutive cycles, in ms: a lost batch shows as a gap. */
export function largestGapMs(times: readonly bigint[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, Number(times[i]! - times[i - 1]!) / 1e6);
  return gap;
}
