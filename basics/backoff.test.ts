import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

/** A random source that replays the given values, then repeats the last one. */
function replay(...values: number[]): () => number {
  let index = 0;
  return () => values[Math.min(index++, values.length - 1)]!;
}

const JUST_BELOW_ONE = 1 - Number.EPSILON;

describe('Backoff (full jitter, 1 s doubling to 5 min)', () => {
  it('draws each delay uniformly under a ceiling that doubles from 1 s and stops at 5 min', () => {
    const top = new Backoff(1_000, 300_000, () => JUST_BELOW_ONE);
    const delays = Array.from({ length: 12 }, () => top.next());
    expect(delays).toEqual([999, 1_999, 3_999, 7_999, 15_999, 31_999, 63_999, 127_999, 255_999, 299_999, 299_999, 299_999]);
  });

  it('can draw anything down to 0 (full jitter, not "ceiling plus a little")', () => {
    const bottom = new Backoff(1_000, 300_000, () => 0);
    expect(Array.from({ length: 12 }, () => bottom.next())).toEqual(Array(12).fill(0));

    const half = new Backoff(1_000, 300_000, () => 0.5);
    expect(Array.from({ length: 4 }, () => half.next())).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('keeps every draw of a real random source inside [0, ceiling)', () => {
    const backoff = new Backoff();
    for (let attempt = 0; attempt < 200; attempt++) {
      const ceiling = backoff.ceilingMs;
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(ceiling);
      expect(ceiling).toBeLessThanOrEqual(300_000);
    }
    expect(backoff.ceilingMs).toBe(300_000);
  });

  it('starts again from 1 s after a reset', () => {
    const backoff = new Backoff(1_000, 300_000, replay(JUST_BELOW_ONE));
    for (let attempt = 0; attempt < 15; attempt++) backoff.next();
    expect(backoff.ceilingMs).toBe(300_000);
    backoff.reset();
    expect(backoff.ceilingMs).toBe(1_000);
    expect(backoff.next()).toBe(999);
    expect(backoff.next()).toBe(1_999);
  });
});
