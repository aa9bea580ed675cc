import fs from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
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
  if (options.stderr ?? true) {
    const stderr = pino.destination({ dest: 2, sync: true });
    streams.push({ level: 'trace', stream: stderrIsJournal() ? withJournalPriority(stderr) : stderr });
  }
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

/**
 * Whether stderr is connected to the journal: systemd sets JOURNAL_STREAM to the device and inode
 * of that stream (systemd.exec(5)), which a redirected stderr no longer matches.
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const match = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!match) return false;
  try {
    const stat = fs.fstatSync(2, { bigint: true });
    return stat.dev === BigInt(match[1]!) && stat.ino === BigInt(match[2]!);
  } catch {
    return false;
  }
}

/** The syslog priority of a pino level (SPEC.md section 7): err, warning, info, debug. */
export function journalPriority(level: number): 3 | 4 | 6 | 7 {
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/** Each line prefixed `<N>` (sd-daemon(3)), so that `journalctl -p warning` shows what it should. */
export function withJournalPriority(stream: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      // pino writes the level first: {"level":30,...
      const level = /^\{"level":(\d+)/.exec(line);
      stream.write(`<${journalPriority(level ? Number(level[1]) : 30)}>${line}`);
    },
  };
}

/** A message written to stderr before the logger exists, each line at the given priority. */
export function stderrLines(text: string, priority: 3 | 4 | 6 | 7): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return `${lines.map((line) => (stderrIsJournal() ? `<${priority}>${line}` : line)).join('\n')}\n`;
}

export const silentLog: Logger = pino({ level: 'silent' });
