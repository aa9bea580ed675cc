/**
 * Log levels, by name in the config and in commands, by number in the log records (pino's
 * numbers), so that a `logs` filter and the technician client read records the same way.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LEVEL_NUMBERS: Record<LogLevel, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10 };

/** The name of a record's numeric level; undefined for a number pino does not use. */
export function levelName(level: unknown): LogLevel | undefined {
  return LOG_LEVELS.find((name) => LEVEL_NUMBERS[name] === level);
}
