/**
 * Waiting in real time, for the simulator, the benchmark and the tests: on a condition that is
 * polled, never on a guess of how long something takes.
 */

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every `everyMs` until it holds (true) or `ms` have passed (false). */
export async function holdsWithin(condition: () => boolean, ms: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await delay(everyMs);
  }
  return true;
}

/** As holdsWithin, but a condition that does not hold in time is an error naming `what`. */
export async function waitUntil(what: string, condition: () => boolean, ms = 20_000, everyMs = 50): Promise<void> {
  if (!(await holdsWithin(condition, ms, everyMs))) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
