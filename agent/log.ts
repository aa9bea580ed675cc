import pino, { type Logger } from 'pino';
import { maskCardData } from '../basics/cardholder-data.js';
import type { LogLevel } from './config.js';
import { RotatingFile } from './log-file.js';
import { redact } from './redact.js';

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

/**
 * The agent's logger: pino JSON lines to a rotated file and to stderr, in-process (no worker
 * thread). Cardholder data never reaches either (SPEC.md section 7): the fields of each record are
 * masked before pino serialises them (Buffers would otherwise become byte lists, Errors lose their
 * fields), and the finished line once more, which also covers `msg`, child bindings and what
 * serializers produced. Child loggers share the root's level, so setting `log.level` reaches them.
 */
export function createLog(options: LogOptions): AgentLog {
  const streams: pino.StreamEntry[] = [];
  const file = options.logDir ? new RotatingFile(options.logDir, options.fileBytes, options.files) : undefined;
  if (file) streams.push({ level: 'trace', stream: file });
  if (options.stderr ?? true) streams.push({ level: 'trace', stream: pino.destination({ dest: 2, sync: true }) });
  const log = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { log: (fields) => redact(fields) as Record<string, unknown> },
      // formatters.log has already made Errors plain masked objects (type, message, stack, cause).
      serializers: { err: (err: unknown) => err },
      hooks: { streamWrite: redactLine },
    },
    pino.multistream(streams),
  );
  return { log, file, close: () => file?.close() };
}

/** A serialised record, masked as data: masking the JSON text could break its numbers. */
export function redactLine(line: string): string {
  try {
    return `${JSON.stringify(redact(JSON.parse(line)))}\n`;
  } catch {
    // Not JSON after all: mask it as text, which is safe, if not pretty.
    return maskCardData(line);
  }
}

export const silentLog: Logger = pino({ level: 'silent' });
