import { describe, expect, it } from 'vitest';
import { parseDuration, parseInstant } from './time.js';

describe('technician times', () => {
  it('reads durations, a bare number in seconds', () => {
    expect(parseDuration('15', '--timeout')).toBe(15_000);
    expect(parseDuration('2.5s', '--timeout')).toBe(2_500);
    expect(parseDuration('2m', '--timeout')).toBe(120_000);
    expect(parseDuration('1h', '--timeout')).toBe(3_600_000);
    expect(parseDuration('10', '--minutes', 'm')).toBe(600_000);
    expect(() => parseDuration('soon', '--timeout')).toThrow('--timeout: "soon" is not a duration');
  });

  it('reads since and until as a time ago, ISO-8601 or epoch ms', () => {
    const now = 1_700_000_000_000;
    expect(parseInstant('1h', '--since', now)).toBe(now - 3_600_000);
    expect(parseInstant('30m', '--since', now)).toBe(now - 1_800_000);
    expect(parseInstant('2023-11-14T22:13:20Z', '--since', now)).toBe(now);
    expect(parseInstant('1700000000000', '--since', now)).toBe(now);
    expect(() => parseInstant('yesterday', '--since', now)).toThrow('not a time');
    expect(() => parseInstant('12', '--since', now)).toThrow('not a time');
  });
});
