// Thermal pressure without root: notifyutil's text against a real capture, the thermal_pressure
// source through the real addon code (native/notify_darwin.cc + native/binding_kernel.cc compiled
// against a simulated notifyd), its fallback to notifyutil, and the rule that one source at a
// time owns macos.thermal.pressure.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../agent/config.js';
import { enabledModules } from '../agent/sources/registry.js';
import { parseNotifyutilThermalPressure, thermalPressureLevel, THERMAL_PRESSURE_LEVELS } from '../agent/parsers/thermal-pressure.js';
import { createThermalPressureSource } from '../agent/sources/thermal-pressure.js';
import { SourceError, type Source } from '../agent/sources/source.js';
import { catScript } from './helpers/fake-bin.js';
import { useAddonHarness } from './native/addon-harness.js';
import { useNotifySimulation } from './native/simulated-notify.js';

/** `notifyutil -g com.apple.system.thermalpressurelevel` on an Apple Silicon MacBook, macOS 26, under its prompt. */
const NOTIFYUTIL = join(import.meta.dirname, 'fixtures', 'notifyutil', 'applesilicon-macbook-macos26-notifyutil-thermalpressurelevel-stanislasblog.txt');
const FORBIDDEN = '#!/bin/sh\necho "notifyutil must not run" >&2\nexit 1\n';
const { work, simulatedAddon, unsupportedAddon, putOnPath } = useAddonHarness('thermal-pressure', 'SIMULATED_NOTIFY');

describe('parsing', () => {
  it('reads the level notifyutil printed, past its prompt line: 0 (nominal)', () => {
    expect(parseNotifyutilThermalPressure(readFileSync(NOTIFYUTIL, 'utf8'))).toEqual({ level: 0 });
  });

  it('uses the scale of powermetrics\' thermal sampler: 0 nominal … 4 sleeping', () => {
    expect(THERMAL_PRESSURE_LEVELS).toEqual(['nominal', 'moderate', 'heavy', 'trapping', 'sleeping']);
    expect([0, 1, 2, 3, 4].map(thermalPressureLevel)).toEqual([0, 1, 2, 3, 4].map((level) => ({ level })));
  });

  it('rejects a state outside the scale, and has nothing without the line (handmade)', () => {
    expect(thermalPressureLevel(10)).toEqual({ rejected: 'com.apple.system.thermalpressurelevel state 10 is not a thermal pressure level (0 nominal … 4 sleeping)' });
    expect(parseNotifyutilThermalPressure('com.apple.system.thermalpressurelevel heavy\n')).toEqual({
      rejected: 'com.apple.system.thermalpressurelevel state heavy is not a thermal pressure level (0 nominal … 4 sleeping)',
    });
    expect(parseNotifyutilThermalPressure('notifyutil: command not found\n')).toBeUndefined();
  });
});

describe('thermal_pressure source', () => {
  function source(addonPath: string, logs?: object[], parseErrors?: string[], replayDir?: string): Source {
    const log = pino({ level: 'debug' }, { write: (line: string) => logs?.push(JSON.parse(line) as object) });
    return createThermalPressureSource({
      config: loadConfig({ env: {}, overrides: { 'sources.powermetrics.enabled': 'false' } }).config, mode: 'daemon', log,
      onParseError: (_s, e) => parseErrors?.push(e.message), ...(replayDir !== undefined && { replayDir }),
    }, { addonPath });
  }

  it('reads the notify state through the addon, follows it, and runs no notifyutil', async () => {
    const dir = mkdtempSync(join(work, 'run-'));
    useNotifySimulation(dir, 0);
    putOnPath({ notifyutil: FORBIDDEN });
    const s = source(simulatedAddon());
    expect(await s.collect()).toEqual([{ metric: 'thermalPressure', value: 0, attributes: {} }]);
    useNotifySimulation(dir, 2);
    expect(await s.collect()).toEqual([{ metric: 'thermalPressure', value: 2, attributes: {} }]);
  });

  it('a state off the scale is counted and left out (handmade)', async () => {
    useNotifySimulation(mkdtempSync(join(work, 'run-')), 7);
    const parseErrors: string[] = [];
    expect(await source(simulatedAddon(), undefined, parseErrors).collect()).toEqual([]);
    expect(parseErrors).toEqual(['thermal_pressure: com.apple.system.thermalpressurelevel state 7 is not a thermal pressure level (0 nominal … 4 sleeping); the point is left out']);
  });

  it('a failing notify_get_state is the collection\'s failure, with the notify status', async () => {
    const dir = mkdtempSync(join(work, 'run-'));
    useNotifySimulation(dir, 0);
    const s = source(simulatedAddon());
    await s.collect();
    useNotifySimulation(dir, 0, { failGet: 2 });
    const error = await s.collect().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/^notify_get_state\("com.apple.system.thermalpressurelevel"\) returned notify status 2 — the thermal pressure level cannot be read/);
  });

  it('without the addon runs notifyutil -g, said once', async () => {
    putOnPath({ notifyutil: `#!/bin/sh\n[ "$*" = "-g com.apple.system.thermalpressurelevel" ] || exit 64\nexec cat '${NOTIFYUTIL}'\n` });
    const logs: object[] = [];
    const s = source(unsupportedAddon(), logs);
    expect(await s.collect()).toEqual([{ metric: 'thermalPressure', value: 0, attributes: {} }]);
    await s.collect();
    expect(logs.filter((l) => /running notifyutil every collection/.test((l as { msg: string }).msg))).toHaveLength(1);
  });

  it('replays notifyutil.txt', async () => {
    const bundle = join(import.meta.dirname, 'fixtures', 'bundles', 'pressure-network');
    expect(await source(unsupportedAddon(), undefined, undefined, bundle).collect()).toEqual([{ metric: 'thermalPressure', value: 0, attributes: {} }]);
  });
});

describe('one source owns macos.thermal.pressure', () => {
  const enabled = (overrides: Record<string, string>) => enabledModules(loadConfig({ env: {}, overrides }).config).map((m) => m.name);

  it('powermetrics with its thermal sampler (the system service\'s default): thermal_pressure is off', () => {
    expect(enabled({})).toContain('powermetrics');
    expect(enabled({})).not.toContain('thermal_pressure');
  });

  it('powermetrics off (the user service) or without the thermal sampler: thermal_pressure is on', () => {
    expect(enabled({ 'sources.powermetrics.enabled': 'false' })).toContain('thermal_pressure');
    expect(enabled({ 'sources.powermetrics.samplers': 'cpu_power,gpu_power' })).toContain('thermal_pressure');
  });

  it('turning both on is a configuration error that says how to fix it', () => {
    expect(() => loadConfig({ env: {}, overrides: { 'sources.thermal_pressure.enabled': 'true' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: {}, overrides: { 'sources.thermal_pressure.enabled': 'true' } })).toThrow(/remove thermal from sources\.powermetrics\.samplers/);
  });
});
