import type { Clock } from '../../basics/clock.js';
import { DeviceError } from '../../basics/errors.js';

/**
 * A serial device answers one request at a time, and a reply carries nothing that says which
 * request it answers: two requests in flight would take each other's replies. A poll and a
 * self-test (the `diag` command) therefore take turns on the line.
 */
export class Turns {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.last.then(work);
    this.last = turn.catch(() => undefined);
    return turn;
  }
}

/** One expected reply: settled by the line's data listener, or failed by its timeout or the abort signal. */
export interface AwaitedReply<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

export function awaitReply<T>(clock: Clock, timeoutMs: number, signal: AbortSignal, what: string): AwaitedReply<T> {
  let settle!: (outcome: { value: T } | { error: Error }) => void;
  const promise = new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = clock.setTimeout(() => settle({ error: new DeviceError('TIMEOUT', `no answer to ${what} within ${timeoutMs} ms`) }), timeoutMs);
    const onAbort = () => settle({ error: new DeviceError('TIMEOUT', `${what} abandoned: the poll was cancelled`) });
    settle = (outcome) => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.value);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return {
    promise,
    resolve: (value) => settle({ value }),
    reject: (error) => settle({ error }),
  };
}
