import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../basics/clock.js';
import { errorMessage } from '../../basics/errors.js';
import { writeFileAtomic } from '../files.js';

/**
 * The ids of the commands this terminal has executed, each kept until its `exp` (SPEC.md section 6,
 * REPLAY), in the state folder so that a restart does not open the door to a replay. An id is
 * remembered just before its command runs, never for a refused command.
 */

const FILE = 'command-ids.json';
/** Kept a minute past `exp`: a clock set back a little must not bring an executed command back. */
const SLACK_SECONDS = 60;

export class ReplayCache {
  private readonly file: string;
  private readonly ids = new Map<string, number>();
  private unsaved = false;

  constructor(
    stateDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.file = path.join(stateDir, FILE);
    try {
      const saved = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { ids?: Record<string, unknown> };
      for (const [id, exp] of Object.entries(saved.ids ?? {})) if (typeof exp === 'number') this.ids.set(id, exp);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.error({ file: this.file, err: errorMessage(error) }, 'executed command ids cannot be read; commands from before are not recognised as replays');
      }
    }
    this.prune();
  }

  has(id: string): boolean {
    const exp = this.ids.get(id);
    return exp !== undefined && exp + SLACK_SECONDS >= this.clock.now() / 1000;
  }

  /**
   * Saved before it returns, so a crash right after cannot forget it. When it cannot be saved (a
   * full disk), it is remembered in memory and the command still runs and gets its answer: a
   * technician asking a full terminal what is wrong must hear back. Only a restart before the
   * next successful save forgets it, and the log says so.
   */
  remember(id: string, exp: number): void {
    this.prune();
    this.ids.set(id, exp);
    try {
      writeFileAtomic(this.file, JSON.stringify({ ids: Object.fromEntries(this.ids) }));
      if (this.unsaved) this.log.info({ file: this.file }, 'executed command ids are saved again');
      this.unsaved = false;
    } catch (error) {
      this.log.error(
        { file: this.file, id, err: errorMessage(error) },
        'executed command id could not be saved; it is refused as a replay until the agent restarts',
      );
      this.unsaved = true;
    }
  }

  private prune(): void {
    const now = this.clock.now() / 1000;
    for (const [id, exp] of this.ids) if (exp + SLACK_SECONDS < now) this.ids.delete(id);
  }
}
