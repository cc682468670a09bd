// The network source: bytes, packets, errors and drops per interface, received and transmitted,
// as monotonic counters.
//
// On a Mac it reads the interface MIB through the native addon (parsers/ifmib.ts, as
// node_exporter does): the kernel's 64-bit counters, no process. getifaddrs() is no substitute:
// its if_data is 32-bit and wraps every 4 GiB. Without the addon it runs `netstat -ibdn`, whose
// counters are 64-bit too, each collection, and says so once. `--replay` and `capture` use
// netstat's text (netstat.txt).
//
// Interfaces that are up, loopback excluded, unless sources.network.interfaces names them;
// sources.network.exclude leaves names out.

import { ATTR, point, type Point } from '../metrics/catalog.js';
import { decodeInterfaceMibs } from '../parsers/ifmib.js';
import { selectInterfaces, type DirectionCounters, type InterfaceCounters } from '../parsers/network-interfaces.js';
import { NetstatParseError, parseNetstat } from '../parsers/netstat.js';
import { AddonReader, type NativeAddonOptions } from '../native/addon.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type Source, type SourceContext, type SourceModule } from './source.js';
import { RejectedInput } from './rejected-input.js';

const REPLAY_FILE = 'netstat.txt';
const NETSTAT_RUN: RunCommandOptions = { source: 'network', command: 'netstat', args: ['-ibdn'], timeoutMs: 5000, replayFile: REPLAY_FILE };

function directionPoints(name: string, direction: 'receive' | 'transmit', c: DirectionCounters): Point[] {
  const attributes = { [ATTR.networkInterface]: name, [ATTR.networkDirection]: direction };
  return [
    ...(c.bytes !== undefined ? [point('networkIo', c.bytes, attributes)] : []),
    point('networkPackets', c.packets, attributes),
    point('networkErrors', c.errors, attributes),
    ...(c.dropped !== undefined ? [point('networkDropped', c.dropped, attributes)] : []),
  ];
}

/** The points of the chosen interfaces; a counter the reader lacks is a missing point. */
export function networkPoints(interfaces: readonly InterfaceCounters[]): Point[] {
  return interfaces.flatMap((i) => [...directionPoints(i.name, 'receive', i.receive), ...directionPoints(i.name, 'transmit', i.transmit)]);
}

export type NetworkSourceOptions = NativeAddonOptions;

class NetworkSource implements Source {
  readonly name = 'network' as const;
  readonly #ctx: SourceContext;
  readonly #rejected: RejectedInput;
  readonly #host: AddonReader<unknown>;

  constructor(ctx: SourceContext, opts: NetworkSourceOptions) {
    this.#ctx = ctx;
    this.#rejected = new RejectedInput(ctx, 'network');
    this.#host = new AddonReader({
      source: 'network', addonPath: opts.addonPath, log: ctx.log, notOnMacos: 'the interface MIB is only available on macOS',
      fn: 'readInterfaceMibs', reads: 'the interface MIB (sysctl)', command: 'netstat', what: 'the interface counters',
    });
  }

  async collect(): Promise<Point[]> {
    const rows = this.#ctx.replayDir === undefined ? this.#host.read() : undefined;
    const all = rows !== undefined ? this.#fromMib(rows) : await this.#fromNetstat();
    const { interfaces, exclude } = this.#ctx.config.sources.network;
    for (const name of interfaces) {
      if (!all.some((i) => i.name === name)) this.#rejected.warnOnce(`network: interface ${name} (sources.network.interfaces) is not on this machine`);
    }
    return networkPoints(selectInterfaces(all, { interfaces, exclude }));
  }

  #fromMib(rows: unknown): InterfaceCounters[] {
    const sample = decodeInterfaceMibs(rows);
    for (const reason of sample.rejected) this.#rejected.report(`network: ${reason}; the interface is left out`);
    return sample.interfaces;
  }

  async #fromNetstat(): Promise<InterfaceCounters[]> {
    let text: string;
    try {
      text = await runCommand({ ...NETSTAT_RUN, replayDir: this.#ctx.replayDir });
    } catch (error) {
      // Another OS's netstat has no -b (Linux's: "invalid option -- 'b'").
      if (this.#ctx.replayDir !== undefined || process.platform === 'darwin' || !(error instanceof SourceError)) throw error;
      throw new SourceError('network', 'missing', `network counters need macOS (its interface MIB or netstat -ibdn): ${error.message}; disable the network source to silence this`, { cause: error });
    }
    try {
      const sample = parseNetstat(text);
      for (const bad of sample.rejected) this.#rejected.report(`network: netstat row ${JSON.stringify(bad.line.slice(0, 120))}: ${bad.reason}`);
      return sample.interfaces;
    } catch (error) {
      if (!(error instanceof NetstatParseError)) throw error;
      const where = this.#ctx.replayDir !== undefined ? `${REPLAY_FILE} in ${this.#ctx.replayDir}` : 'netstat -ibdn output';
      throw new SourceError('network', 'parse', `${where}: ${error.message}`, { cause: error });
    }
  }

  async stop(): Promise<void> {}
}

export function createNetworkSource(ctx: SourceContext, opts: NetworkSourceOptions = {}): Source {
  return new NetworkSource(ctx, opts);
}

export const networkModule: SourceModule = {
  name: 'network',
  create: (ctx) => createNetworkSource(ctx),
  replayFile: REPLAY_FILE,
  capture: () => runCommand(NETSTAT_RUN),
};
