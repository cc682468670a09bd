// Network counters per interface: netstat's text against real captures, the interface MIB decoder
// through the real addon code (native/ifmib_darwin.cc + native/binding_kernel.cc compiled against
// a simulated sysctl answering the same captures' counters), the interface selection, and the
// network source with its fallback to netstat.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../agent/config.js';
import { decodeInterfaceMibs, IFMIBDATA_BYTES } from '../agent/parsers/ifmib.js';
import { selectInterfaces, type InterfaceCounters } from '../agent/parsers/network-interfaces.js';
import { NetstatParseError, parseNetstat } from '../agent/parsers/netstat.js';
import { createNetworkSource, networkPoints } from '../agent/sources/network.js';
import { SourceError, type Source } from '../agent/sources/source.js';
import { catScript } from './helpers/fake-bin.js';
import { useAddonHarness } from './native/addon-harness.js';
import { useIfmibSimulation } from './native/simulated-ifmib.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'netstat');
const read = (file: string): string => readFileSync(join(FIXTURES, file), 'utf8');
/** `netstat -b -i`, OS X 10.9 era: en0 has received 4795960389 bytes, past 2^32. */
const MACMON = 'intel-osx10.9-era-netstat-b-i-macmonpl.txt';
/** `netstat -i` (no byte columns), macOS 10.14.6. */
const JC = 'intel-macos10.14.6-netstat-i-jc.txt';
/** `% netstat -ib` head, Apple Silicon, macOS 26 (FRAGMENT). */
const VORSSAINT = 'applesilicon-mbp-macos26-netstat-ib-head-FRAGMENT-vorssaint398.txt';
const ALL = { interfaces: [], exclude: [] };
const FORBIDDEN_NETSTAT = '#!/bin/sh\necho "netstat must not run" >&2\nexit 1\n';
const { work, simulatedAddon, unsupportedAddon, putOnPath } = useAddonHarness('network', 'SIMULATED_IFMIB');

const byName = (interfaces: readonly InterfaceCounters[]): Record<string, InterfaceCounters> => Object.fromEntries(interfaces.map((i) => [i.name, i]));

describe('parseNetstat', () => {
  it('reads one row per interface, the <Link#N> row, with its 64-bit byte counters (OS X 10.9, -b)', () => {
    const sample = parseNetstat(read(MACMON));
    expect(sample.interfaces.map((i) => i.name)).toEqual(['lo0', 'gif0', 'stf0', 'en0', 'en1', 'fw0', 'p2p0']);
    expect(sample).toMatchObject({ hasBytes: true, hasDrops: false, rejected: [] });
    expect(byName(sample.interfaces)['en0']).toEqual({
      name: 'en0', up: true, loopback: false,
      receive: { bytes: 4795960389, packets: 7968840, errors: 0 },
      transmit: { bytes: 43120998925, packets: 30171941, errors: 0 },
    });
    expect(byName(sample.interfaces)['lo0']).toMatchObject({ up: true, loopback: true, receive: { bytes: 4130031, packets: 28338 } });
    expect(byName(sample.interfaces)['gif0']).toMatchObject({ up: false, loopback: false });
    expect(byName(sample.interfaces)['fw0']?.transmit.bytes).toBe(692);
  });

  it('reads packets and errors without byte columns (macOS 10.14.6, -i), and leaves out the names netstat cut to the same 5 characters', () => {
    const sample = parseNetstat(read(JC));
    expect(sample.hasBytes).toBe(false);
    const en0 = byName(sample.interfaces)['en0']!;
    expect(en0).toEqual({ name: 'en0', up: true, loopback: false, receive: { packets: 23300545, errors: 0 }, transmit: { packets: 26448755, errors: 464 } });
    expect(byName(sample.interfaces)['en5']?.transmit).toEqual({ packets: 137522, errors: 721 });
    expect(sample.interfaces.map((i) => i.name)).not.toContain('vmnet');
    expect(sample.rejected).toEqual([{ line: 'vmnet', reason: '2 interfaces print the name "vmnet" (netstat cut their names): left out, since their counters cannot be told apart' }]);
    expect(sample.interfaces).toHaveLength(21);
  });

  it('skips the prompt line and reads the wide columns of macOS 26 (FRAGMENT)', () => {
    const sample = parseNetstat(read(VORSSAINT));
    expect(sample.interfaces.map((i) => [i.name, i.up])).toEqual([
      ['lo0', true], ['gif0', false], ['stf0', false], ['anpi2', true], ['anpi1', true], ['anpi0', true], ['en3', true],
    ]);
    expect(byName(sample.interfaces)['lo0']?.receive).toEqual({ bytes: 3540480, packets: 13426, errors: 0 });
  });

  it('reads the Drop column of -d as transmit drops (handmade: the macmon capture with a Drop column)', () => {
    const lines = read(MACMON).split('\n');
    const withDrops = lines.map((l, n) => (l === '' ? l : n === 0 ? `${l}  Drop` : l.includes('<Link#') ? `${l}     3` : `${l}     -`)).join('\n');
    const sample = parseNetstat(withDrops);
    expect(sample.hasDrops).toBe(true);
    expect(byName(sample.interfaces)['en0']?.transmit).toEqual({ bytes: 43120998925, packets: 30171941, errors: 0, dropped: 3 });
  });

  it('rejects a row it cannot read, and fails on output that is not netstat -i (handmade)', () => {
    const garbled = read(MACMON).replace('7968840     0 4795960389', '7968840     x 4795960389');
    expect(parseNetstat(garbled).rejected).toEqual([{ line: expect.stringContaining('en0   1500  <Link#4>'), reason: 'Ierrs "x" is not a count' }]);
    expect(() => parseNetstat('netstat: illegal option -- b\n')).toThrow(NetstatParseError);
    expect(() => parseNetstat('Name  Mtu   Network       Address            Ipkts Ierrs  Wat\n')).toThrow('unknown netstat column "Wat"');
  });
});

describe('selecting interfaces', () => {
  const interfaces = parseNetstat(read(MACMON)).interfaces;

  it('by default: every interface that is up, loopback excluded', () => {
    expect(selectInterfaces(interfaces, ALL).map((i) => i.name)).toEqual(['en0', 'en1', 'fw0', 'p2p0']);
  });

  it('a list names exactly the interfaces wanted, down and loopback ones too; exclude leaves names out', () => {
    expect(selectInterfaces(interfaces, { interfaces: ['lo0', 'gif0', 'en0'], exclude: [] }).map((i) => i.name)).toEqual(['lo0', 'gif0', 'en0']);
    expect(selectInterfaces(interfaces, { interfaces: [], exclude: ['p2p0', 'fw0'] }).map((i) => i.name)).toEqual(['en0', 'en1']);
  });
});

describe('decoding the interface MIB (the addon compiled against a simulated sysctl answering the captures)', () => {
  it('the kernel\'s ifmibdata of the macmon capture decodes to netstat\'s counters, with both drop counters', () => {
    const fromNetstat = parseNetstat(read(MACMON)).interfaces;
    useIfmibSimulation(mkdtempSync(join(work, 'mib-')), fromNetstat);
    const addon = createRequire(import.meta.url)(simulatedAddon()) as { readInterfaceMibs: () => { index: number; mib: Buffer }[] };
    const rows = addon.readInterfaceMibs();
    expect(rows.map((r) => [r.index, r.mib.length])).toEqual(fromNetstat.map((_, n) => [n + 1, IFMIBDATA_BYTES]));
    expect(decodeInterfaceMibs(rows)).toEqual({
      interfaces: fromNetstat.map((i) => ({ ...i, receive: { ...i.receive, dropped: 0 }, transmit: { ...i.transmit, dropped: 0 } })),
      rejected: [],
    });
  });

  it('rejects a short row and a counter past 2^53, keeping the others (handmade)', () => {
    const row = Buffer.alloc(IFMIBDATA_BYTES);
    row.write('en0', 0, 'latin1');
    const huge = Buffer.from(row);
    huge.writeBigUInt64LE(2n ** 60n, 52 + 64);
    expect(decodeInterfaceMibs([{ index: 1, mib: row.subarray(0, 100) }, { index: 2, mib: huge }, { index: 3, mib: row }])).toEqual({
      interfaces: [expect.objectContaining({ name: 'en0', up: false })],
      rejected: ['interface 1: 100 bytes, not the 180 of struct ifmibdata', `en0: ifi_ibytes ${2n ** 60n} is beyond 2^53`],
    });
  });

  it('reads each 64-bit counter whole up to 2^53 - 1, and rejects 2^53 (handmade boundaries)', () => {
    const row = Buffer.alloc(IFMIBDATA_BYTES);
    row.write('en0', 0, 'latin1');
    row.writeUInt32LE(1, 20);
    row.writeBigUInt64LE(2n ** 53n - 1n, 52 + 64);
    row.writeBigUInt64LE(2n ** 32n + 7n, 52 + 72);
    row.writeBigUInt64LE(0xffffffffn, 52 + 24);
    const [counters] = decodeInterfaceMibs([{ index: 1, mib: row }]).interfaces;
    expect(counters).toMatchObject({ up: true, receive: { bytes: 2 ** 53 - 1, packets: 0xffffffff }, transmit: { bytes: 2 ** 32 + 7 } });
    row.writeBigUInt64LE(2n ** 53n, 52 + 64);
    expect(decodeInterfaceMibs([{ index: 1, mib: row }]).rejected).toEqual([`en0: ifi_ibytes ${2n ** 53n} is beyond 2^53`]);
  });
});

describe('network source', () => {
  function source(addonPath: string, opts: { logs?: object[]; replayDir?: string; set?: Record<string, string> } = {}): Source {
    const log = pino({ level: 'debug' }, { write: (line: string) => opts.logs?.push(JSON.parse(line) as object) });
    return createNetworkSource({
      config: loadConfig({ env: {}, overrides: opts.set ?? {} }).config, mode: 'once', log, ...(opts.replayDir !== undefined && { replayDir: opts.replayDir }),
    }, { addonPath });
  }

  it('reads the interface MIB through the addon and runs no netstat', async () => {
    useIfmibSimulation(mkdtempSync(join(work, 'mib-')), parseNetstat(read(MACMON)).interfaces);
    putOnPath({ netstat: FORBIDDEN_NETSTAT });
    const points = await source(simulatedAddon()).collect();
    const en0In = points.filter((p) => p.attributes['network.interface.name'] === 'en0' && p.attributes['network.io.direction'] === 'receive');
    expect(en0In.map((p) => [p.metric, p.value])).toEqual([['networkIo', 4795960389], ['networkPackets', 7968840], ['networkErrors', 0], ['networkDropped', 0]]);
    expect(new Set(points.map((p) => p.attributes['network.interface.name']))).toEqual(new Set(['en0', 'en1', 'fw0', 'p2p0']));
  });

  it('a failing MIB read is the collection\'s failure, naming the sysctl and errno; netstat does not replace it', async () => {
    useIfmibSimulation(mkdtempSync(join(work, 'mib-')), parseNetstat(read(MACMON)).interfaces);
    const s = source(simulatedAddon());
    await s.collect();
    useIfmibSimulation(mkdtempSync(join(work, 'mib-')), [], { fail: 12 });
    putOnPath({ netstat: catScript(join(FIXTURES, MACMON)) });
    const error = await s.collect().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/^sysctl net\.link\.generic\.system\.ifcount failed: errno 12 .* — the interface counters cannot be read/);
  });

  it('without the addon runs netstat -ibdn, said once; sources.network.interfaces picks the interfaces', async () => {
    putOnPath({ netstat: `#!/bin/sh\n[ "$*" = "-ibdn" ] || exit 64\nexec cat '${join(FIXTURES, MACMON)}'\n` });
    const logs: object[] = [];
    const s = source(unsupportedAddon(), { logs, set: { 'sources.network.interfaces': 'lo0,en1,en9' } });
    const points = await s.collect();
    expect(points).toEqual(networkPoints(parseNetstat(read(MACMON)).interfaces.filter((i) => i.name === 'lo0' || i.name === 'en1')));
    await s.collect();
    expect(logs.filter((l) => /running netstat every collection/.test((l as { msg: string }).msg))).toHaveLength(1);
    expect(logs.filter((l) => (l as { msg: string }).msg === 'network: interface en9 (sources.network.interfaces) is not on this machine')).toHaveLength(1);
  });

  it('replays netstat.txt: en0 with 4795960389 bytes in and 43120998925 out', async () => {
    const points = await source(unsupportedAddon(), { replayDir: join(import.meta.dirname, 'fixtures', 'bundles', 'pressure-network') }).collect();
    const value = (metric: string, name: string, direction: string) =>
      points.find((p) => p.metric === metric && p.attributes['network.interface.name'] === name && p.attributes['network.io.direction'] === direction)?.value;
    expect(value('networkIo', 'en0', 'receive')).toBe(4795960389);
    expect(value('networkIo', 'en0', 'transmit')).toBe(43120998925);
    expect(value('networkPackets', 'en1', 'receive')).toBe(205460);
    expect(value('networkDropped', 'en0', 'transmit')).toBeUndefined();
  });
});
