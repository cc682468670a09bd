// Parses macOS `sysctl NAME...` output (`name: value` lines) and the value of vm.swapusage.

export interface SysctlMalformedLine {
  readonly line: string;
  readonly reason: string;
}

const LINE = /^([A-Za-z0-9_%.-]+):(?: (.*))?$/;

/**
 * `name: value` lines to a map (values as printed, trailing whitespace removed). Blank lines are
 * skipped; a shell prompt or echoed command (`➜  ~ sysctl vm`), any other line that is not
 * `name: value`, and a last line with no newline after it (cut short) are passed to `onMalformed`
 * and skipped. A name seen twice keeps its last value.
 */
export function parseSysctl(text: string, onMalformed?: (bad: SysctlMalformedLine) => void): Map<string, string> {
  const values = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  // sysctl ends every line with a newline; text after the last one was cut, maybe inside a number.
  const unterminated = lines.pop()!.trimEnd();
  if (unterminated !== '') onMalformed?.({ line: unterminated, reason: 'the output ends inside this line (no newline after it): it was cut short, so its value may be too' });
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (m) {
      values.set(m[1]!, m[2] ?? '');
    } else if (!/(^|\s)sysctl(\s|$)/.test(line)) {
      onMalformed?.({ line, reason: 'not a "name: value" line' });
    }
  }
  return values;
}

export interface SwapUsage {
  readonly totalBytes: number;
  readonly usedBytes: number;
  readonly freeBytes: number;
  readonly encrypted: boolean;
}

const MiB = 1024 * 1024;
// Matched on trimmed text, so the optional `(encrypted)` is the only thing after the last `M`:
// two optional runs of spaces around it let a hostile value split its spaces every way.
const SWAP = /^total = (\d+(?:\.\d+)?)M\s+used = (\d+(?:\.\d+)?)M\s+free = (\d+(?:\.\d+)?)M(\s+\(encrypted\))?$/;

/**
 * `total = 2048.00M  used = 1024.00M  free = 1024.00M  (encrypted)` (sysctl prints MiB with two
 * decimals) to bytes, rounded to the byte. Undefined when the text is not in that form.
 */
export function parseSwapUsage(text: string): SwapUsage | undefined {
  const m = SWAP.exec(text.trim());
  if (!m) return undefined;
  const bytes = (s: string): number => Math.round(Number(s) * MiB);
  return { totalBytes: bytes(m[1]!), usedBytes: bytes(m[2]!), freeBytes: bytes(m[3]!), encrypted: m[4] !== undefined };
}
