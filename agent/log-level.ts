import type { LogLevelState } from '../protocol/status.js';
import type { Logger } from 'pino';
import type { LogLevel } from '../protocol/log-levels.js';
import type { Clock, Timer } from '../basics/clock.js';

export type { LogLevelState } from '../protocol/status.js';

/**
 * The `loglevel` command: another level for a while, then the configured one again by itself,
 * so that a technician who forgets cannot leave a terminal writing debug lines to its flash.
 */
export class TemporaryLogLevel {
  private override: { level: LogLevel; until: number; timer: Timer } | undefined;

  constructor(
    private configured: LogLevel,
    private readonly apply: (level: LogLevel) => void,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  get state(): LogLevelState {
    if (!this.override) return { level: this.configured, configured: this.configured };
    return { level: this.override.level, configured: this.configured, until: this.override.until };
  }

  set(level: LogLevel, minutes: number): LogLevelState {
    this.clock.clearTimeout(this.override?.timer);
    const ms = Math.round(minutes * 60_000);
    const until = this.clock.now() + ms;
    // Said before the change: at a quieter level the line would not be written.
    this.log.info({ level, configured: this.configured, until }, `log level ${level} for ${minutes} min`);
    this.override = { level, until, timer: this.clock.setTimeout(() => this.restore(), ms) };
    this.apply(level);
    return this.state;
  }

  /** A reloaded config: its level applies now unless a temporary one is in force, and after it. */
  configure(level: LogLevel): void {
    this.configured = level;
    if (!this.override) this.apply(level);
  }

  stop(): void {
    this.clock.clearTimeout(this.override?.timer);
    this.override = undefined;
  }

  private restore(): void {
    this.override = undefined;
    this.apply(this.configured);
    this.log.info({ level: this.configured }, `log level back to the configured ${this.configured}`);
  }
}
