/**
 * What `launchctl print <domain>/<label>` says about one job. Apple documents that output as not
 * an API, so only the few top-level fields below are read, and anything absent stays undefined.
 */
export interface LaunchdJobState {
  /** `running`, `not running`, `spawn scheduled`, ... as launchctl prints it. */
  readonly state: string | undefined;
  readonly pid: number | undefined;
  /** Number of times launchd started the job since it was loaded. */
  readonly runs: number | undefined;
  /** The last exit code; undefined while the job has never exited ("(never exited)"). */
  readonly lastExitCode: number | undefined;
  /** The signal that ended the last run, e.g. "Killed: 9", if one did. */
  readonly lastTerminatingSignal: string | undefined;
  readonly path: string | undefined;
  readonly stdoutPath: string | undefined;
  readonly stderrPath: string | undefined;
}

/** Parses the job's own `key = value` lines, skipping nested blocks (arguments, environment, endpoints). */
export function parseLaunchctlPrint(text: string): LaunchdJobState {
  const fields = new Map<string, string>();
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '}') {
      depth--;
      continue;
    }
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const key = line.slice(0, equals).trimEnd();
    const value = line.slice(equals + 1).trimStart();
    if (value === '{') {
      depth++;
      continue;
    }
    if (depth === 1 && !fields.has(key)) fields.set(key, value);
  }
  return {
    state: fields.get('state'),
    pid: integer(fields.get('pid')),
    runs: integer(fields.get('runs')),
    lastExitCode: integer(fields.get('last exit code')),
    lastTerminatingSignal: fields.get('last terminating signal'),
    path: fields.get('path'),
    stdoutPath: fields.get('stdout path'),
    stderrPath: fields.get('stderr path'),
  };
}

/** "0", "78: EX_CONFIG" give the leading integer; "(never exited)" gives undefined. */
function integer(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(-?\d+)\b/.exec(value);
  return m === null ? undefined : Number(m[1]);
}
