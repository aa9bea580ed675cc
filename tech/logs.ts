import { gunzipSync } from 'node:zlib';
import { EXIT } from '../basics/exit.js';
import type { OpInput } from '../protocol/command.js';
import { formatRecord, type Style } from './format.js';
import { Progress } from './progress.js';
import type { TechSession } from './session.js';

/**
 * `pos-agent tech logs`: the records of a terminal's log, readable or as JSON lines, with progress
 * while parts arrive; `--follow` asks again every few seconds for what came since, for a while.
 */

export interface LogOutput {
  json: boolean;
  style: Style;
  write(text: string): void;
}

/** Where the printed records end: the next request starts there, and skips what it shows again. */
export interface LogCursor {
  last?: number;
  atLast: Set<string>;
}

const FOLLOW_EVERY_MS = 2_000;

export async function printLogs(
  session: TechSession,
  terminalId: string,
  args: OpInput<'logs'>,
  out: LogOutput,
): Promise<{ code: number; cursor: LogCursor }> {
  const progress = new Progress(process.stderr);
  progress.show(`${terminalId}: asking for logs…`);
  const answer = await session.request('logs', args, (received, parts) => progress.show(`${terminalId}: receiving logs, part ${received} of ${parts}`)).finally(
    () => progress.done(),
  );
  const cursor: LogCursor = { atLast: new Set() };
  if (!answer.ok) {
    process.stderr.write(`pos-agent tech: ${terminalId} refused logs: ${answer.code}: ${answer.message}\n`);
    return { code: 1, cursor };
  }
  printRecords(decodeParts(answer.parts), cursor, out);
  return { code: EXIT.OK, cursor };
}

export async function followLogs(session: TechSession, args: OpInput<'logs'>, cursor: LogCursor, out: LogOutput & { forMs: number }): Promise<number> {
  const end = Date.now() + out.forMs;
  let stop: () => void = () => {};
  let stopped = false;
  const interrupted = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => {
    stopped = true;
    stop();
  };
  process.once('SIGINT', onSignal);
  try {
    while (!stopped && Date.now() < end) {
      await Promise.race([interrupted, new Promise((resolve) => setTimeout(resolve, Math.min(FOLLOW_EVERY_MS, Math.max(0, end - Date.now()))))]);
      if (stopped || Date.now() >= end) break;
      const answer = await session.request('logs', { ...args, lines: 5_000, ...(cursor.last !== undefined ? { since: cursor.last } : {}) });
      if (!answer.ok) {
        // Another technician's logs or diag: ask again next time.
        if (answer.code === 'BUSY') continue;
        process.stderr.write(`pos-agent tech: logs refused: ${answer.code}: ${answer.message}\n`);
        return 1;
      }
      printRecords(decodeParts(answer.parts), cursor, out);
    }
    return EXIT.OK;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** The JSON lines of every part, in order. */
export function decodeParts(parts: unknown[]): string[] {
  return parts.flatMap((part) => {
    const gz = (part as { gz?: unknown }).gz;
    if (typeof gz !== 'string') return [];
    return gunzipSync(Buffer.from(gz, 'base64'))
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '');
  });
}

/** Prints the records that a cursor has not seen yet, and moves it. */
export function printRecords(lines: string[], cursor: LogCursor, out: LogOutput): void {
  // Skipped: what an earlier answer showed (a follow request starts at the last time it saw).
  const from = cursor.last;
  const seen = new Set(cursor.atLast);
  for (const line of lines) {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const time = typeof record.time === 'number' ? record.time : undefined;
    if (time !== undefined && from !== undefined && (time < from || (time === from && seen.has(line)))) continue;
    if (time !== undefined && (cursor.last === undefined || time >= cursor.last)) {
      if (time !== cursor.last) cursor.atLast.clear();
      cursor.last = time;
      cursor.atLast.add(line);
    }
    out.write(`${out.json ? line : formatRecord(record, out.style)}\n`);
  }
}
