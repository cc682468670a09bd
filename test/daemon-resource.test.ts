import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../agent/config.js';
import { detectResource, parseIoregPlatformUuid, parseSwVers, uuidV5 } from '../agent/resource.js';
import { catScript, makeFakeBin, type FakeBin } from './helpers/fake-bin.js';
import { IOREG_FIXTURE, M1PRO_BUNDLE_FILES, makeBundle } from './otlp/bundle.js';

const log = pino({ level: 'silent' });
const config = loadConfig({ env: {} }).config;
const originalPath = process.env['PATH'];
const fakes: FakeBin[] = [];
const bundles: string[] = [];
afterEach(() => {
  process.env['PATH'] = originalPath;
  for (const f of fakes.splice(0)) f.cleanup();
  for (const b of bundles.splice(0)) rmSync(b, { recursive: true, force: true });
});

function bundle(): string {
  const dir = makeBundle();
  bundles.push(dir);
  return dir;
}

function withFakes(commands: Record<string, string>): void {
  const bin = makeFakeBin(commands);
  fakes.push(bin);
  process.env['PATH'] = bin.path;
}

describe('resource detection', () => {
  it('derives UUIDv5 as RFC 9562 does (the RFC example: www.example.com in the DNS namespace)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('reads sw_vers and the IOPlatformUUID of ioreg', () => {
    expect(Object.fromEntries(parseSwVers(readFileSync(M1PRO_BUNDLE_FILES['sw_vers.txt'], 'utf8')))).toEqual({
      ProductName: 'macOS', ProductVersion: '14.4.1', BuildVersion: '23E224',
    });
    expect(parseIoregPlatformUuid(readFileSync(IOREG_FIXTURE, 'utf8'))).toBe('5C8B3A2E-1F4D-4E6A-9B7C-0D1E2F3A4B5C');
    expect(parseIoregPlatformUuid('+-o Root  <class IORegistryEntry>\n')).toBeUndefined();
  });

  it('runs sw_vers, sysctl and ioreg on a Mac (fakes here)', async () => {
    withFakes({
      'ioreg': catScript(IOREG_FIXTURE),
      'sw_vers': catScript(M1PRO_BUNDLE_FILES['sw_vers.txt']),
      'sysctl': catScript(M1PRO_BUNDLE_FILES['hw.txt']),
    });
    const resource = await detectResource({ config, log });
    expect(resource).toMatchObject({
      'host.id': '5C8B3A2E-1F4D-4E6A-9B7C-0D1E2F3A4B5C',
      'service.instance.id': uuidV5('5C8B3A2E-1F4D-4E6A-9B7C-0D1E2F3A4B5C'),
      'os.type': 'darwin', 'os.name': 'macOS', 'os.version': '14.4.1', 'os.build_id': '23E224',
      'macos.hw.model': 'MacBookPro18,1', 'host.cpu.model.name': 'Apple M1 Pro',
    });
  });

  it('never delays start by more than a second: a hanging command is left out', async () => {
    withFakes({ ioreg: '#!/bin/sh\nexec sleep 10\n' });
    const t0 = performance.now();
    const resource = await detectResource({ config, log, replayDir: bundle() });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(resource['host.id']).toBeUndefined();
    expect(resource['service.instance.id']).toBe(uuidV5(String(resource['host.name'])));
  });

  it('takes the OS and the machine from a replay bundle, and OTEL_RESOURCE_ATTRIBUTES last', async () => {
    withFakes({});
    const withAttributes = loadConfig({ env: { OTEL_RESOURCE_ATTRIBUTES: 'macos.hw.model=override,rack=b%2F7' } }).config;
    const resource = await detectResource({ config: withAttributes, log, replayDir: bundle() });
    expect(resource).toMatchObject({ 'os.version': '14.4.1', 'macos.hw.model': 'override', 'rack': 'b/7', 'host.cpu.model.name': 'Apple M1 Pro' });
  });
});
