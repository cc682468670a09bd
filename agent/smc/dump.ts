// `macos-agent smc dump` and the capture bundle's smc.txt: every key with its type, size, raw
// bytes and decoded value. The text is smcread's line format with ` = <value>` appended, so
// tools that read smcread dumps read ours, and `--replay` reads both.

import { MACOS_AGENT_DUMP_HEADER } from '../parsers/smc-dump.js';
import { decodeSmcValue, toHex, type SmcValue } from './decode.js';
import { discoverKeys, type SmcBackend, type SmcKeyInfo } from './keys.js';

export interface SmcDumpRow {
  readonly info: SmcKeyInfo;
  readonly bytes: Uint8Array | undefined;
  readonly error: string | undefined;
}

export interface SmcFullDump {
  readonly description: string;
  readonly rows: readonly SmcDumpRow[];
  /** Keys listed by index whose info could not be read. */
  readonly failures: readonly { key: string; message: string }[];
}

/** The largest value one SMC read returns; longer keys are listed but not read. */
const MAX_READ_BYTES = 32;

export function readFullDump(backend: SmcBackend): SmcFullDump {
  const { keys, failures: keyFailures, clamped } = discoverKeys(backend);
  const failures = clamped !== undefined ? [{ key: '#KEY', message: clamped }, ...keyFailures] : keyFailures;
  const rows = keys.map((info): SmcDumpRow => {
    if (info.size < 1 || info.size > MAX_READ_BYTES) {
      return { info, bytes: undefined, error: `NOT READABLE, ${info.size} bytes (one SMC read returns 1 to ${MAX_READ_BYTES})` };
    }
    const read = backend.read(info);
    return read.ok ? { info, bytes: read.bytes, error: undefined } : { info, bytes: undefined, error: `NOT READABLE, ${read.message}` };
  });
  return { description: backend.description, rows, failures };
}

function fourCCHex(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex').toUpperCase();
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function formatValue(value: SmcValue): string | undefined {
  switch (value.kind) {
    case 'number': return String(value.value);
    case 'flag': return String(value.value);
    case 'text': return JSON.stringify(value.value);
    case 'bytes': return undefined;
    case 'unknown': return `? (${value.reason})`;
  }
}

export function formatDumpText(dump: SmcFullDump): string {
  const lines = [
    `${MACOS_AGENT_DUMP_HEADER}: ${dump.rows.length} keys from ${dump.description}`,
    '# [key] type [type] type-code len [size] attr [attributes] -> raw bytes = decoded value',
  ];
  for (const { info, bytes, error } of dump.rows) {
    const head = `[${printable(info.key)}] type [${printable(info.type)}] ${fourCCHex(info.type)} len [${String(info.size).padStart(2)}] attr [${info.attributes.toString(16).toUpperCase().padStart(2, '0')}] -> `;
    if (bytes === undefined) {
      lines.push(`${head}${error ?? 'NOT READABLE'}`);
      continue;
    }
    const shown = formatValue(decodeSmcValue(info.type, bytes));
    lines.push(`${head}${toHex(bytes)}${shown !== undefined ? ` = ${shown}` : ''}`);
  }
  for (const f of dump.failures) lines.push(`# ${f.key}: ${f.message}`);
  return `${lines.join('\n')}\n`;
}

export function dumpJson(dump: SmcFullDump): object {
  return {
    source: dump.description,
    keys: dump.rows.map(({ info, bytes, error }) => {
      const decoded = bytes === undefined ? undefined : decodeSmcValue(info.type, bytes);
      return {
        key: info.key,
        type: info.type,
        size: info.size,
        attributes: info.attributes,
        raw: bytes === undefined ? null : toHex(bytes),
        value: decoded === undefined ? null
          : decoded.kind === 'bytes' ? decoded.hex
            : decoded.kind === 'unknown' ? null
              : decoded.value,
        ...(decoded?.kind === 'unknown' ? { unknown: decoded.reason } : {}),
        ...(error !== undefined ? { error } : {}),
      };
    }),
    failures: dump.failures,
  };
}
