import type { Logger } from 'pino';
import type { Clock, Timer } from '../../basics/clock.js';

/**
 * At most one refusal answered (and logged) in any one-second window (SPEC.md section 6): a flood
 * of junk on R/cmd must not turn into a flood of replies, outbox records and log lines. The
 * refusals beyond that are dropped, counted, and the count logged once a minute.
 */
export class RefusalLimiter {
  private lastAnswered = Number.NEGATIVE_INFINITY;
  private dropped = 0;
  private summary: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly windowMs = 1_000,
    private readonly summaryMs = 60_000,
  ) {}

  /** Whether this refusal may be answered; if not, it is counted. */
  allow(): boolean {
    const now = this.clock.monotonic();
    if (now - this.lastAnswered >= this.windowMs) {
      this.lastAnswered = now;
      return true;
    }
    this.dropped += 1;
    this.summary ??= this.clock.setTimeout(() => this.report(), this.summaryMs);
    return false;
  }

  stop(): void {
    this.clock.clearTimeout(this.summary);
    this.report();
  }

  private report(): void {
    this.summary = undefined;
    if (this.dropped === 0) return;
    this.log.warn({ dropped: this.dropped }, `${this.dropped} refused commands were not answered: at most one refusal per second is`);
    this.dropped = 0;
  }
}
