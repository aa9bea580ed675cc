import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { DeviceName } from '../../protocol/devices.js';
import { LEVEL_NUMBERS, type LogLevel } from '../../protocol/log-levels.js';
import { redactLine } from '../log.js';

/**
 * The `logs` command's reading of the log folder: the agent's files oldest to newest, records
 * that match every filter given, the newest `lines` of them, newest last. Nothing outside the log
 * folder is read, and `grep` is plain text, never a pattern.
 */

export interface LogQuery {
  lines: number;
  /** Epoch ms, inclusive. */
  since?: number;
  until?: number;
  /** The minimum level. */
  level?: LogLevel;
  grep?: string;
  device?: DeviceName;
}

const LOG_FILE = /^agent\.log(?:\.(\d+))?$/;

/** The agent's log files in the folder, oldest first (`agent.log.4` … `agent.log.1`, `agent.log`). */
export function logFiles(logDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(logDir);
  } catch {
    return [];
  }
  const age = (name: string) => Number(LOG_FILE.exec(name)![1] ?? 0);
  return names
    .filter((name) => LOG_FILE.test(name))
    .sort((a, b) => age(b) - age(a))
    .map((name) => path.join(logDir, name));
}

/** The matching records as JSON lines (masked once more), newest last. */
export async function queryLogs(files: readonly string[], query: LogQuery): Promise<string[]> {
  const minLevel = query.level ? LEVEL_NUMBERS[query.level] : undefined;
  const grep = query.grep?.toLowerCase();
  const kept: string[] = [];
  for (const file of files) {
    let lines: readline.Interface;
    try {
      const stream = fs.createReadStream(file, { encoding: 'utf8' });
      await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
      lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
    } catch {
      continue; // rotated away meanwhile
    }
    for await (const line of lines) {
      if (grep !== undefined && !line.toLowerCase().includes(grep)) continue;
      const record = parseRecord(line);
      if (!record) continue;
      if (minLevel !== undefined && !(typeof record.level === 'number' && record.level >= minLevel)) continue;
      if (query.since !== undefined && !(typeof record.time === 'number' && record.time >= query.since)) continue;
      if (query.until !== undefined && !(typeof record.time === 'number' && record.time <= query.until)) continue;
      if (query.device !== undefined && record.device !== query.device) continue;
      kept.push(line);
      // Trimmed in batches: a shift per line would cost a copy per line.
      if (kept.length >= query.lines * 2) kept.splice(0, kept.length - query.lines);
    }
  }
  // Files written by another version, or edited by hand, are masked all the same.
  return kept.slice(-query.lines).map((line) => redactLine(line).trimEnd());
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
