import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

/**
 * The agent's logger: JSON, one line per event. The daemon logs to stdout (launchd sends it to a
 * file); commands that print results log to stderr so their stdout stays clean.
 */
export function createLogger(level: LogLevel, destination: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino(
    {
      level,
      base: { service: 'macos-agent' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['headers', '*.headers', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    pino.destination({ fd: destination === 'stdout' ? 1 : 2, sync: true }),
  );
}
