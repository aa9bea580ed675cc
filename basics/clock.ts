/**
 * Time, injected so that debounce, poll intervals and backoff can be tested with vitest's fake
 * timers. The system clock looks the globals up at call time, which is what fake timers patch.
 *
 * Two clocks (SPEC.md section 5, "Time"): `now()` is the wall clock, for `ts` and what people
 * read; `monotonic()` only moves forward at a steady pace, for every interval, timeout, window and
 * rate. An NTP step of the wall clock must neither stall polling nor silence anything. Timers run
 * on the monotonic clock already (libuv).
 */
export interface Clock {
  /** Wall clock, epoch milliseconds. */
  now(): number;
  /** Milliseconds on a clock that never steps; only differences mean anything. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

export type Timer = ReturnType<typeof setTimeout>;

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer),
};

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimeout(done, ms);
    function done() {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
