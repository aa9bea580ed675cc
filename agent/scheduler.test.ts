import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Driver, Sample } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';
import { memoryLog } from '../test/helpers/log.js';
import { systemClock } from '../basics/clock.js';
import { Scheduler } from './scheduler.js';

function setup() {
  const samples: [DeviceName, Sample<unknown>][] = [];
  const { log, records } = memoryLog();
  const scheduler = new Scheduler({ clock: systemClock, log, onSample: (device, sample) => samples.push([device, sample]) });
  const of = (device: DeviceName) => samples.filter(([name]) => name === device).map(([, sample]) => sample);
  return { scheduler, samples, records, of };
}

describe('scheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls each device on its own interval', async () => {
    const { scheduler, of } = setup();
    scheduler.add('battery', { read: async () => 'b' }, 30_000);
    scheduler.add('system', { read: async () => 's' }, 60_000);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(of('battery')).toHaveLength(5); // 0, 30, 60, 90, 120 s
    expect(of('system')).toHaveLength(3);
    await scheduler.stop();
  });

  it('turns a throwing driver into a failed sample and keeps the others going', async () => {
    const { scheduler, of, records } = setup();
    let calls = 0;
    scheduler.add('battery', {
      read: async () => {
        calls += 1;
        throw new Error('EIO reading capacity');
      },
    }, 1_000);
    scheduler.add('system', { read: async () => ({ fine: true }) }, 1_000);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(of('battery').map((sample) => sample.ok)).toEqual([false, false, false, false]);
    expect(of('system').every((sample) => sample.ok)).toBe(true);
    expect(calls).toBe(4);
    // One warning per episode, not one per poll.
    expect(records.filter((record) => record.msg.includes('device read failed'))).toHaveLength(1);
    await scheduler.stop();
  });

  it('reports a hung read as offline at its interval and never starts it twice', async () => {
    const { scheduler, of } = setup();
    let started = 0;
    let finish: (value: unknown) => void = () => {};
    let aborted = false;
    const driver: Driver<unknown> = {
      read: (signal) => {
        started += 1;
        signal.addEventListener('abort', () => (aborted = true));
        return new Promise((resolve) => (finish = resolve));
      },
    };
    scheduler.add('battery', driver, 5_000);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(aborted).toBe(true);
    expect(of('battery')).toHaveLength(1);
    expect(of('battery')[0]).toMatchObject({ ok: false, error: { message: 'poll did not finish within 5000 ms' } });

    await vi.advanceTimersByTimeAsync(10_000);
    expect(started).toBe(1);
    expect(of('battery').map((sample) => sample.ok)).toEqual([false, false, false]);

    finish('late');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(started).toBe(2);
    // The late answer of the abandoned poll is not reported as a fresh sample.
    expect(of('battery').some((sample) => sample.ok && sample.reading === 'late')).toBe(false);
    // stop() gives a read that ignores its abort signal one second, then closes anyway.
    const stopping = scheduler.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    await stopping;
  });

  it('passes pushed readings on between polls', async () => {
    const { scheduler, of } = setup();
    let push: (reading: unknown) => void = () => {};
    scheduler.add('battery', { read: async () => 'polled', watch: (listener) => (push = listener) }, 10_000);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1);
    push('pushed');
    expect(of('battery').map((sample) => sample.ok && sample.reading)).toEqual(['polled', 'pushed']);
    await scheduler.stop();
  });

  it('skips polls missed during a stall instead of bursting', async () => {
    const { scheduler, of } = setup();
    scheduler.add('battery', { read: async () => 1 }, 1_000);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    vi.setSystemTime(Date.now() + 10_000); // the process was suspended
    await vi.advanceTimersByTimeAsync(1_000);
    expect(of('battery').length).toBeLessThanOrEqual(3);
    await scheduler.stop();
  });

  it('takes a new interval from the next poll', async () => {
    const { scheduler, of } = setup();
    scheduler.add('battery', { read: async () => 1 }, 10_000);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    scheduler.setInterval('battery', 1_000);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(of('battery')).toHaveLength(4);
    await scheduler.stop();
  });

  it('keeps polling after a failure to open, and closes drivers on stop', async () => {
    const { scheduler, of } = setup();
    const close = vi.fn(async () => {});
    scheduler.add('battery', { open: async () => Promise.reject(new Error('ENOENT /dev/ttyS1')), read: async () => 1, close }, 1_000);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(of('battery')).toHaveLength(2);
    await scheduler.stop();
    expect(close).toHaveBeenCalledOnce();
  });
});
