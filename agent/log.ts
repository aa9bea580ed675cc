import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { RotatingFile } from './log-file.js';

export interface LogOptions {
  level: LogLevel;
  /** JSON lines go to `{logDir}/agent.log`, rotated by size. */
  logDir?: string;
  /** Also to stderr, for journald. */
  stderr?: boolean;
  fileBytes?: number;
  files?: number;
}

export interface AgentLog {
  log: Logger;
  file?: RotatingFile;
  close(): void;
}

/** The agent's logger: pino JSON lines to a rotated file and to stderr, in-process (no worker thread). */
export function createLog(options: LogOptions): AgentLog {
  const streams: pino.StreamEntry[] = [];
  const file = options.logDir ? new RotatingFile(options.logDir, options.fileBytes, options.files) : undefined;
  if (file) streams.push({ level: 'trace', stream: file });
  if (options.stderr ?? true) streams.push({ level: 'trace', stream: pino.destination({ dest: 2, sync: true }) });
  const log = pino(
    { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime },
    pino.multistream(streams),
  );
  return { log, file, close: () => file?.close() };
}

export const silentLog: Logger = pino({ level: 'silent' });
