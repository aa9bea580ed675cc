import type { Clock } from '../basics/clock.js';
import { errorMessage } from '../basics/errors.js';
import type { Driver, SelfTest } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';

/** A self-test that gives no result within this long has failed. */
export const SELF_TEST_TIMEOUT_MS = 10_000;

export type SelfTestResults = Partial<Record<DeviceName, SelfTest>>;

/**
 * Active self-tests now (the `diag` command): each driver's own, or one read for a driver that
 * has none, all at once. A test that throws or hangs is a failure with its reason, never an exception.
 */
export async function runSelfTests(
  drivers: ReadonlyMap<DeviceName, Driver<unknown>>,
  clock: Clock,
  only?: DeviceName,
): Promise<SelfTestResults> {
  const results: SelfTestResults = {};
  const chosen = [...drivers].filter(([name]) => only === undefined || name === only);
  await Promise.all(
    chosen.map(async ([name, driver]) => {
      results[name] = await selfTest(driver, clock);
    }),
  );
  return results;
}

async function selfTest(driver: Driver<unknown>, clock: Clock): Promise<SelfTest> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), SELF_TEST_TIMEOUT_MS);
  try {
    const test = driver.selfTest
      ? driver.selfTest(controller.signal)
      : driver.read(controller.signal).then((reading) => ({ pass: true, detail: { reading } }));
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(new Error(`no result within ${SELF_TEST_TIMEOUT_MS} ms`)), { once: true }),
    );
    return await Promise.race([test, aborted]);
  } catch (error) {
    return { pass: false, detail: { error: errorMessage(error) } };
  } finally {
    clock.clearTimeout(timer);
  }
}
