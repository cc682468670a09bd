/**
 * The launchd label of the agent's job, in both modes: the one place it is written. launchd keys
 * the job, its `launchctl` target (`system/<label>`, `gui/<uid>/<label>`) and its plist file name
 * on it, so changing it orphans installed services.
 */
export const SERVICE_LABEL = 'io.github.macos-agent';

/** The short name used for files that are not keyed by the label: logs, newsyslog entry, state. */
export const SERVICE_NAME = 'macos-agent';
