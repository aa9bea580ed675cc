/**
 * Exponential backoff with full jitter: the delay before attempt n is uniform in
 * [0, min(max, base * 2^n)], so terminals that lost the same broker do not come back in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1_000,
    private readonly maxMs = 300_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    if (ceiling < this.maxMs) this.attempt += 1;
    return Math.floor(this.random() * ceiling);
  }

  /** The ceiling the next delay is drawn under, for logs. */
  get ceilingMs(): number {
    return Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
  }

  reset(): void {
    this.attempt = 0;
  }
}
