import { describe, expect, it } from 'vitest';
import { holdsWithin, waitUntil } from './wait.js';

describe('waiting on a condition', () => {
  it('resolves once the condition holds', async () => {
    let polls = 0;
    expect(await holdsWithin(() => ++polls >= 3, 5_000, 1)).toBe(true);
    expect(polls).toBe(3);
    await expect(waitUntil('the third poll', () => ++polls >= 6, 5_000, 1)).resolves.toBeUndefined();
  });

  it('gives up after its time: false, or an error naming what it waited for', async () => {
    expect(await holdsWithin(() => false, 30, 5)).toBe(false);
    await expect(waitUntil('a reply', () => false, 30, 5)).rejects.toThrow('timed out after 30 ms waiting for a reply');
  });
});
