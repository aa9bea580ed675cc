import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { systemClock } from '../../basics/clock.js';
import { RefusalLimiter } from './refusal-limiter.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RefusalLimiter', () => {
  it('allows one refusal in any one-second window and logs the dropped count once a minute', () => {
    const { log, records } = memoryLog();
    const limiter = new RefusalLimiter(systemClock, log);
    const allowed: number[] = [];
    for (let ms = 0; ms < 3_000; ms += 100) {
      if (limiter.allow()) allowed.push(Date.now());
      vi.advanceTimersByTime(100);
    }
    expect(allowed).toEqual([0, 1_000, 2_000]);
    expect(records).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(records).toMatchObject([{ level: 40, dropped: 27 }]);
    vi.advanceTimersByTime(120_000);
    expect(records).toHaveLength(1);
    limiter.allow();
    limiter.allow();
    limiter.stop();
    expect(records.at(-1)).toMatchObject({ dropped: 1 });
  });
});
