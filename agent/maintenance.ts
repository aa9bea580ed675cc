import type { MaintenanceState } from '../protocol/status.js';
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../basics/clock.js';
import { errnoCode, errorMessage } from '../basics/errors.js';
import { writeFileAtomic } from './files.js';

/**
 * Maintenance mode is the file `maintenance` in the state folder: an upgrade tool creates and
 * removes it, and the technician command writes it too, so there is one switch that survives
 * restarts. The file may be empty or hold `{"reason", "until"}`; past `until` it is removed.
 */

export type { MaintenanceState } from '../protocol/status.js';

const POLL_MS = 2_000;

export class Maintenance extends EventEmitter<{ change: [MaintenanceState] }> {
  private readonly file: string;
  private current: MaintenanceState = { on: false };
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    stateDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    super();
    this.file = path.join(stateDir, 'maintenance');
  }

  get state(): MaintenanceState {
    return this.current;
  }

  /** Reads the file once (so the first verdict is right) and then every 2 s. */
  async start(): Promise<void> {
    await this.check();
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  async set(on: boolean, reason?: string, minutes?: number): Promise<MaintenanceState> {
    if (on) {
      const until = minutes !== undefined ? this.clock.now() + minutes * 60_000 : undefined;
      // Atomic: a file torn by a full disk or a power cut would read as maintenance with no end.
      writeFileAtomic(this.file, `${JSON.stringify({ reason, until })}\n`);
    } else {
      await fs.rm(this.file, { force: true });
    }
    await this.check();
    return this.current;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      void this.check().finally(() => this.arm());
    }, POLL_MS);
  }

  async check(): Promise<void> {
    const next = await this.read();
    if (next.on === this.current.on && next.reason === this.current.reason && next.until === this.current.until) return;
    this.current = next;
    this.log.info({ maintenance: next }, next.on ? 'maintenance mode on' : 'maintenance mode off');
    this.emit('change', next);
  }

  private async read(): Promise<MaintenanceState> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') this.log.warn({ file: this.file, err: errorMessage(error) }, 'cannot read the maintenance file');
      return { on: false };
    }
    const state: MaintenanceState = { on: true };
    if (text.trim() === '') return state;
    try {
      const content = JSON.parse(text) as { reason?: unknown; until?: unknown };
      if (typeof content.reason === 'string') state.reason = content.reason.slice(0, 200);
      if (typeof content.until === 'number') state.until = content.until;
    } catch {
      // Free text from an upgrade tool is its reason.
      state.reason = text.trim().slice(0, 200);
    }
    if (state.until !== undefined && state.until <= this.clock.now()) {
      await fs.rm(this.file, { force: true });
      return { on: false };
    }
    return state;
  }
}
