import fs from 'node:fs';
import type { FaultMessage } from '../protocol/messages.js';
import { RotatingFile } from './log-file.js';

/**
 * The fault history behind the `faults` command (SPEC.md section 6): every raise and clear, as
 * the R/fault message it was, one JSON line each, in the state folder so that it survives
 * restarts, rotated by size so that it stays bounded.
 */

const FILE = 'fault-journal.jsonl';
/** Entries whose key is remembered: a raise sent again after a crash is not journaled twice. */
const RECENT = 256;

export interface JournalOptions {
  fileBytes?: number;
  files?: number;
}

export interface JournalQuery {
  /** Epoch ms: entries at or after it. */
  since?: number;
  /** The newest this many. */
  limit: number;
}

export class FaultJournal {
  private readonly file: RotatingFile;
  private readonly recent: string[] = [];

  constructor(stateDir: string, options: JournalOptions = {}) {
    this.file = new RotatingFile(stateDir, options.fileBytes ?? 256 * 1024, options.files ?? 4, FILE);
    this.resume();
  }

  record(message: FaultMessage): void {
    const key = `${message.id} ${message.state}`;
    if (this.recent.includes(key)) return;
    this.file.write(`${JSON.stringify(message)}\n`);
    this.recent.push(key);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  /** Entries oldest first, the newest `limit` of those at or after `since`. */
  async query(query: JournalQuery): Promise<FaultMessage[]> {
    const found: FaultMessage[] = [];
    for (const file of this.file.paths()) {
      let text: string;
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch {
        continue; // rotated away meanwhile
      }
      for (const line of text.split('\n')) {
        const entry = parseEntry(line);
        if (entry && (query.since === undefined || entry.ts >= query.since)) found.push(entry);
      }
    }
    return found.slice(-query.limit);
  }

  close(): void {
    this.file.close();
  }

  /** Remembers the last entries, and ends a line that a crash cut short so the next one stands alone. */
  private resume(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file.file, 'utf8');
    } catch {
      return;
    }
    if (text.length > 0 && !text.endsWith('\n')) this.file.write('\n');
    for (const line of text.split('\n').slice(-RECENT - 1)) {
      const entry = parseEntry(line);
      if (entry) this.recent.push(`${entry.id} ${entry.state}`);
    }
  }
}

function parseEntry(line: string): FaultMessage | undefined {
  if (line === '') return undefined;
  try {
    const entry = JSON.parse(line) as FaultMessage;
    return typeof entry.ts === 'number' && typeof entry.id === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}
