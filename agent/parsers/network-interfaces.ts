// What the network source knows of one interface, whichever way it was read (the interface MIB
// through the addon, parsers/ifmib.ts, or `netstat -ibdn`, parsers/netstat.ts), and which
// interfaces it reports.

export interface DirectionCounters {
  /** Undefined when the reader has no byte counts (`netstat -i` without -b). */
  readonly bytes?: number;
  readonly packets: number;
  readonly errors: number;
  /** Undefined when the reader has none (netstat prints only send-queue drops, with -d). */
  readonly dropped?: number;
}

export interface InterfaceCounters {
  readonly name: string;
  /** IFF_UP; netstat marks an interface that is not up with `*`. */
  readonly up: boolean;
  readonly loopback: boolean;
  readonly receive: DirectionCounters;
  readonly transmit: DirectionCounters;
}

export interface InterfaceSelection {
  /** Only these names, loopback and down ones included; empty: every interface that is up, but loopback. */
  readonly interfaces: readonly string[];
  /** Names left out, whatever else says. */
  readonly exclude: readonly string[];
}

export function selectInterfaces(all: readonly InterfaceCounters[], selection: InterfaceSelection): InterfaceCounters[] {
  const only = new Set(selection.interfaces);
  const excluded = new Set(selection.exclude);
  return all.filter((i) => !excluded.has(i.name) && (only.size > 0 ? only.has(i.name) : i.up && !i.loopback));
}
