import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../test/helpers/log.js';
import { systemClock } from '../basics/clock.js';
import { TemporaryLogLevel } from './log-level.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TemporaryLogLevel', () => {
  it('applies a level for the minutes asked, then the configured one by itself', () => {
    const applied: string[] = [];
    const { log, records } = memoryLog();
    const level = new TemporaryLogLevel('info', (next) => applied.push(next), systemClock, log);
    expect(level.set('debug', 2)).toEqual({ level: 'debug', configured: 'info', until: 1_700_000_120_000 });
    vi.advanceTimersByTime(119_999);
    expect(applied).toEqual(['debug']);
    vi.advanceTimersByTime(1);
    expect(applied).toEqual(['debug', 'info']);
    expect(level.state).toEqual({ level: 'info', configured: 'info' });
    expect(records.map((record) => record.msg)).toEqual(['log level debug for 2 min', 'log level back to the configured info']);
  });

  it('starts over when set again, and returns to a level reloaded meanwhile', () => {
    const applied: string[] = [];
    const level = new TemporaryLogLevel('info', (next) => applied.push(next), systemClock, memoryLog().log);
    level.set('debug', 1);
    vi.advanceTimersByTime(50_000);
    level.set('trace', 1);
    level.configure('warn');
    vi.advanceTimersByTime(50_000);
    expect(applied).toEqual(['debug', 'trace']);
    vi.advanceTimersByTime(10_000);
    expect(applied).toEqual(['debug', 'trace', 'warn']);
    level.configure('error');
    expect(applied.at(-1)).toBe('error');
  });
});
