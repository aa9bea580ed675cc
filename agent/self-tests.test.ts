import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../basics/clock.js';
import type { Driver } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';
import { runSelfTests, SELF_TEST_TIMEOUT_MS } from './self-tests.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const drivers = new Map<DeviceName, Driver<unknown>>([
  ['printer', { read: async () => ({}), selfTest: async () => ({ pass: true, detail: { printed: 'test page' } }) }],
  ['battery', { read: async () => ({ percent: 80 }) }],
  ['system', { read: async () => Promise.reject(new Error('statfs failed')) }],
  ['cardReader', { read: () => new Promise(() => {}) }],
]);

describe('runSelfTests', () => {
  it("runs each driver's own test, or one read; a throw or a hang is a failure with its reason", async () => {
    const results = runSelfTests(drivers, systemClock);
    await vi.advanceTimersByTimeAsync(SELF_TEST_TIMEOUT_MS);
    expect(await results).toEqual({
      printer: { pass: true, detail: { printed: 'test page' } },
      battery: { pass: true, detail: { reading: { percent: 80 } } },
      system: { pass: false, detail: { error: 'statfs failed' } },
      cardReader: { pass: false, detail: { error: `no result within ${SELF_TEST_TIMEOUT_MS} ms` } },
    });
  });

  it('runs only the device asked for', async () => {
    expect(await runSelfTests(drivers, systemClock, 'battery')).toEqual({ battery: { pass: true, detail: { reading: { percent: 80 } } } });
  });
});
