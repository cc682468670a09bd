// Decodes the rows the addon's readInterfaceMibs() returns: one struct ifmibdata (<net/if_mib.h>)
// per interface, raw bytes in the Mac's byte order (little-endian: Intel and Apple Silicon). The
// layout of the macOS SDK's <net/if_mib.h> and <net/if_var.h> (if_data64 is declared under
// #pragma pack(4), so it starts at byte 52, not 56):
//
//   offset  size  field
//        0    16  ifmd_name            NUL-terminated
//       16     4  ifmd_pcount
//       20     4  ifmd_flags           IFF_UP 0x1, IFF_LOOPBACK 0x8
//       24     4  ifmd_snd_len
//       28     4  ifmd_snd_maxlen
//       32     4  ifmd_snd_drops       transmit drops: what `netstat -d` prints as Drop
//       36    16  ifmd_filler
//       52   128  ifmd_data            struct if_data64:
//       76     8    ifi_ipackets       (if_data64 + 24)
//       84     8    ifi_ierrors
//       92     8    ifi_opackets
//      100     8    ifi_oerrors
//      108     8    ifi_collisions
//      116     8    ifi_ibytes
//      124     8    ifi_obytes
//      148     8    ifi_iqdrops        receive drops (netstat does not print them)
//      180          end (sizeof struct ifmibdata)
//
// These are the kernel's 64-bit counters: unlike getifaddrs' if_data, which is 32-bit and wraps
// at 4 GiB. Pure: bytes in, InterfaceCounters out; a row too short or a counter beyond 2^53 is
// rejected with the reason.

import type { InterfaceCounters } from './network-interfaces.js';

export const IFMIBDATA_BYTES = 180;
const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IF_DATA = 52;

/** One row of readInterfaceMibs, unchecked. */
export interface HostInterfaceMib {
  readonly index?: unknown;
  readonly mib?: unknown;
}

export interface IfmibSample {
  readonly interfaces: InterfaceCounters[];
  readonly rejected: string[];
}

function decodeRow(index: unknown, mib: Uint8Array): InterfaceCounters | string {
  if (mib.length < IFMIBDATA_BYTES) return `interface ${String(index)}: ${mib.length} bytes, not the ${IFMIBDATA_BYTES} of struct ifmibdata`;
  const view = new DataView(mib.buffer, mib.byteOffset, mib.byteLength);
  const nul = mib.subarray(0, 16).indexOf(0);
  const name = Buffer.from(mib.subarray(0, nul === -1 ? 16 : nul)).toString('utf8');
  if (name === '') return `interface ${String(index)}: no name`;
  let tooLarge: string | undefined;
  // Two 32-bit halves rather than a BigInt: a counter within 2^53 (high half below 2^21) is an
  // exact double, with no allocation for the ~56 counters a cycle reads.
  const u64 = (offset: number, field: string): number => {
    const low = view.getUint32(IF_DATA + offset, true);
    const high = view.getUint32(IF_DATA + offset + 4, true);
    if (high >= 2 ** 21) tooLarge ??= `${name}: ${field} ${(BigInt(high) << 32n) | BigInt(low)} is beyond 2^53`;
    return high * 2 ** 32 + low;
  };
  const flags = view.getUint32(20, true);
  const counters: InterfaceCounters = {
    name,
    up: (flags & IFF_UP) !== 0,
    loopback: (flags & IFF_LOOPBACK) !== 0,
    receive: { bytes: u64(64, 'ifi_ibytes'), packets: u64(24, 'ifi_ipackets'), errors: u64(32, 'ifi_ierrors'), dropped: u64(96, 'ifi_iqdrops') },
    transmit: { bytes: u64(72, 'ifi_obytes'), packets: u64(40, 'ifi_opackets'), errors: u64(48, 'ifi_oerrors'), dropped: view.getUint32(32, true) },
  };
  return tooLarge ?? counters;
}

/** The interfaces of one readInterfaceMibs answer. */
export function decodeInterfaceMibs(rows: unknown): IfmibSample {
  if (!Array.isArray(rows)) return { interfaces: [], rejected: [`readInterfaceMibs answered ${typeof rows}, not a list of rows`] };
  const interfaces: InterfaceCounters[] = [];
  const rejected: string[] = [];
  for (const row of rows as HostInterfaceMib[]) {
    const mib = row?.mib;
    const decoded = mib instanceof Uint8Array ? decodeRow(row.index, mib) : `interface ${String(row?.index)}: no ifmibdata bytes`;
    if (typeof decoded === 'string') rejected.push(decoded);
    else interfaces.push(decoded);
  }
  return { interfaces, rejected };
}
