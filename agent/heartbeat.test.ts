import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../basics/clock.js';
import type { HeartbeatMessage } from '../protocol/messages.js';
import { memoryLog } from '../test/helpers/log.js';
import { Heartbeat } from './heartbeat.js';

function setup(seconds = 60) {
  const { log, records } = memoryLog();
  const sent: { seq: number; at: number }[] = [];
  let seq = 0;
  let failing = false;
  const heartbeat = new Heartbeat({
    clock: systemClock,
    log,
    seconds,
    uplink: {
      send: (_kind, build) => {
        if (failing) throw new Error('ENOSPC');
        const message = build(++seq) as HeartbeatMessage;
        sent.push({ seq: message.seq, at: message.ts });
        return seq;
      },
    },
    build: (next) => ({ seq: next, ts: Date.now(), availability: 'IN_SERVICE', reasons: [], outbox: { depth: 0, dropped: 0 } }),
  });
  return { heartbeat, sent, records, fail: (on: boolean) => (failing = on) };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Heartbeat', () => {
  it('beats first when begun, once, then every interval', () => {
    const { heartbeat, sent } = setup(60);
    vi.advanceTimersByTime(120_000);
    expect(sent).toEqual([]);
    heartbeat.begin();
    heartbeat.begin();
    expect(sent.map((beat) => beat.at)).toEqual([120_000]);
    vi.advanceTimersByTime(120_000);
    expect(sent.map((beat) => beat.at)).toEqual([120_000, 180_000, 240_000]);
  });

  it('takes a new interval from the moment it is set, and none after stop', () => {
    const { heartbeat, sent } = setup(60);
    heartbeat.begin();
    vi.advanceTimersByTime(30_000);
    heartbeat.setSeconds(10);
    vi.advanceTimersByTime(25_000);
    expect(sent.map((beat) => beat.at)).toEqual([0, 40_000, 50_000]);
    heartbeat.stop();
    heartbeat.begin();
    vi.advanceTimersByTime(60_000);
    expect(sent).toHaveLength(3);
  });

  it('logs a heartbeat that cannot be queued and keeps beating', () => {
    const { heartbeat, sent, records, fail } = setup(60);
    fail(true);
    heartbeat.begin();
    expect(records.filter((line) => line.level === 50).map((line) => [line.msg, line.err])).toEqual([['heartbeat could not be queued', 'ENOSPC']]);
    fail(false);
    vi.advanceTimersByTime(60_000);
    expect(sent.map((beat) => beat.at)).toEqual([60_000]);
  });
});
