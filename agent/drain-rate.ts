import type { Clock } from '../basics/clock.js';

/**
 * `mqtt.drainBytesPerSecond`: a cap on the rate at which the outbox sends, so that a backlog
 * piled up during an outage drains on a thin cellular link without crowding out the payments
 * that share it. A token bucket holding one second's worth: a message goes when the bucket is
 * not empty and takes its size out of it (it may go below zero, and the next message waits until
 * the debt is paid), so a single fault on a quiet link leaves at once, and a backlog goes at
 * the cap on average.
 */
export class DrainRate {
  private balance: number;
  private updatedAt: number;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly clock: Clock,
  ) {
    this.balance = bytesPerSecond;
    this.updatedAt = clock.monotonic();
  }

  /** Milliseconds until the next message may go; 0 when it may go now. */
  waitMs(): number {
    this.refill();
    return this.balance > 0 ? 0 : Math.ceil(((1 - this.balance) / this.bytesPerSecond) * 1000);
  }

  /** A message of `bytes` goes now. */
  spend(bytes: number): void {
    this.refill();
    this.balance -= bytes;
  }

  private refill(): void {
    const now = this.clock.monotonic();
    this.balance = Math.min(this.bytesPerSecond, this.balance + ((now - this.updatedAt) / 1000) * this.bytesPerSecond);
    this.updatedAt = now;
  }
}
