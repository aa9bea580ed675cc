import type { Clock } from '../../basics/clock.js';

/**
 * When the acquirer probe runs. A TCP connect costs a few hundred bytes on a plan paid per byte,
 * and a host that answered a moment ago most likely still does: while it answers, one probe
 * every `answeringSeconds`, and none while the payment application holds a connection to it (one
 * at once when that connection ends or stalls); once a probe fails, or before the first, every
 * poll, so that `NET_HOST_UNREACHABLE` (2 polls) is raised within a poll of the first failure,
 * and cleared by the first success.
 */

/** A probe every 5 minutes while the host answers: 288 a day instead of 8,640 at a 10 s poll. */
export const ANSWERING_PROBE_SECONDS = 300;

export type ProbeDecision = 'probe' | 'skip';

export class ProbeSchedule {
  /** When the host last showed it answers (a probe that connected, or a held connection). */
  private answeredAt: number | undefined;
  private lastProbeFailed = false;
  /** Whether the last poll found the application's connection held open. */
  private held = false;

  constructor(
    private readonly clock: Clock,
    private readonly pollMs: number,
    private readonly answeringMs = ANSWERING_PROBE_SECONDS * 1000,
  ) {}

  /** Whether this poll probes; a poll that lands half an interval early counts as on time. */
  due(): boolean {
    if (this.answeredAt === undefined) return true;
    return this.clock.monotonic() - this.answeredAt >= this.answeringMs - this.pollMs / 2;
  }

  /**
   * Once a probe failed, only a probe that connects says the host is back: a connection the
   * application opened before the host went away can sit established for many minutes.
   */
  get failing(): boolean {
    return this.lastProbeFailed;
  }

  /**
   * A probe's outcome: success starts a quiet interval, failure asks for a probe every poll.
   * The interval counts from the probe's start, so a slow connect does not push the next one a
   * poll later.
   */
  probed(ok: boolean, startedAt: number): void {
    this.answeredAt = ok ? startedAt : undefined;
    this.lastProbeFailed = !ok;
  }

  /**
   * What this poll found of the application's connection. Held open, it is as good as a probe
   * that connected now. Once it is no longer (closed, or data waiting for an acknowledgement,
   * which is how a host that went away shows first), a probe is due at once: it says which.
   */
  connection(held: boolean): void {
    if (held) this.answeredAt = this.clock.monotonic();
    else if (this.held) this.answeredAt = undefined;
    this.held = held;
  }
}
