import type { Logger } from 'pino';
import type { Clock, Timer } from '../basics/clock.js';
import type { ClockFigures } from '../protocol/status.js';

/**
 * Notices the wall clock being stepped (NTP correcting a clock that ran ahead, a real-time clock
 * that lost its power being set): the distance between the wall clock and the monotonic clock
 * stays put while both run, and changes by the size of a step. Every step of 2 s or more is logged
 * with its size and counted for the `status` answer (SPEC.md section 5, "Time"). The agent's own
 * timing is on the monotonic clock and does not care; people reading timestamps do.
 */

const STEP_MS = 2_000;
const CHECK_MS = 5_000;

export class ClockSteps {
  private offset: number;
  private steps = 0;
  private lastStepMs: number | undefined;
  private lastStepAt: number | undefined;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly checkMs = CHECK_MS,
  ) {
    this.offset = clock.now() - clock.monotonic();
  }

  start(): void {
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  figures(): ClockFigures {
    this.check();
    return { steps: this.steps, lastStepMs: this.lastStepMs, lastStepAt: this.lastStepAt };
  }

  /** Compares the clocks now; runs every few seconds, and before the figures are read. */
  check(): void {
    const offset = this.clock.now() - this.clock.monotonic();
    const step = Math.round(offset - this.offset);
    if (Math.abs(step) < STEP_MS) return;
    this.offset = offset;
    this.steps += 1;
    this.lastStepMs = step;
    this.lastStepAt = this.clock.now();
    this.log.warn({ stepMs: step, steps: this.steps }, `the wall clock stepped ${step > 0 ? 'forward' : 'back'} by ${formatMs(Math.abs(step))}`);
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.check();
      this.arm();
    }, this.checkMs);
  }
}

function formatMs(ms: number): string {
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
