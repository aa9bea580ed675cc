import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../basics/errors.js';
import { writeFileAtomic } from './files.js';

/**
 * The `session` of R/state: +1 for each connection, persisted so that a consumer can order an
 * offline message against the last birth across restarts. A number is written once, before its
 * first attempt; failed attempts reuse it, so a flapping network does not wear the flash.
 */
export class SessionCounter {
  private readonly file: string;
  private saved: number;
  private current: number;
  private unsaved = false;

  constructor(
    stateDir: string,
    private readonly log?: Logger,
  ) {
    this.file = path.join(stateDir, 'session');
    let stored = 0;
    try {
      stored = Number.parseInt(fs.readFileSync(this.file, 'utf8'), 10);
    } catch {
      // first start
    }
    this.saved = Number.isSafeInteger(stored) && stored > 0 ? stored : 0;
    this.current = this.saved + 1;
  }

  /** The number the next connection attempt announces in its will and birth. */
  forAttempt(): number {
    if (this.saved < this.current) {
      try {
        writeFileAtomic(this.file, `${this.current}\n`);
        this.saved = this.current;
        this.unsaved = false;
      } catch (error) {
        // A full disk must not keep the terminal off the broker; the number may repeat after a restart.
        if (!this.unsaved) this.log?.error({ file: this.file, err: errorMessage(error) }, 'session number could not be saved; connecting anyway');
        this.unsaved = true;
      }
    }
    return this.current;
  }

  /** The attempt succeeded: the next connection gets the next number. */
  connected(): number {
    const used = this.current;
    this.current += 1;
    return used;
  }
}
