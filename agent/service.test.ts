import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../basics/clock.js';
import { silentLog } from './log.js';
import { ServiceNotifications, serviceFromEnvironment, type StatusSource } from './service.js';

/** A manager that records what it was told; the status is set by each test. */
function rig(watchdogUsec?: number) {
  const sent: string[][] = [];
  const state = {
    availability: 'IN_SERVICE' as const,
    reasons: [] as string[],
    up: false,
    dueAt: undefined as number | undefined,
  };
  const status = (() => ({
    availability: state.availability,
    reasons: state.reasons,
    connection: { up: state.up, connects: 0, attempts: 0 },
    devices: { printer: { online: true, polls: { polls: 1, failures: 0, dueAt: state.dueAt } } },
  })) as unknown as StatusSource;
  const service = new ServiceNotifications({
    notifier: { send: (assignments) => sent.push(assignments), flush: async () => {} },
    status,
    log: silentLog,
    clock: systemClock,
    watchdogUsec,
  });
  return { sent, state, service };
}

describe('the service notifications', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('says READY=1 with the status line, then a STATUS= line on each change and only then', () => {
    const { sent, state, service } = rig();
    service.changed();
    expect(sent).toEqual([]);
    service.ready();
    expect(sent).toEqual([['READY=1', 'STATUS=IN_SERVICE; broker not connected']]);
    state.up = true;
    service.changed();
    service.changed();
    Object.assign(state, { availability: 'OUT_OF_SERVICE', reasons: ['PRINTER_PAPER_OUT', 'NET_NO_SIGNAL'] });
    service.changed();
    expect(sent.slice(1)).toEqual([['STATUS=IN_SERVICE; broker connected'], ['STATUS=OUT_OF_SERVICE (PRINTER_PAPER_OUT, NET_NO_SIGNAL); broker connected']]);
  });

  it('says RELOADING=1 then READY=1 around a reload, and STOPPING=1 at the stop, after which nothing', () => {
    const { sent, service } = rig(30_000_000);
    service.ready();
    service.reloading();
    service.reloaded();
    service.stopping();
    service.changed();
    vi.advanceTimersByTime(60_000);
    expect(sent.map((message) => message[0])).toEqual(['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
  });

  it('pings the watchdog every WATCHDOG_USEC / 2 while the polls are on time, and withholds it while they are late', () => {
    const { sent, state, service } = rig(30_000_000);
    service.ready();
    state.dueAt = Date.now() + 5_000;
    vi.advanceTimersByTime(15_000);
    expect(sent.filter((message) => message[0] === 'WATCHDOG=1')).toHaveLength(1);
    // The poll's timer never fired: its due time falls ever further behind while the loop runs.
    vi.advanceTimersByTime(45_000);
    expect(sent.filter((message) => message[0] === 'WATCHDOG=1')).toHaveLength(1);
    expect(service.pollLoopOnTime()).toBe(false);
    state.dueAt = Date.now() + 5_000;
    vi.advanceTimersByTime(15_000);
    expect(sent.filter((message) => message[0] === 'WATCHDOG=1')).toHaveLength(2);
  });

  it('does nothing without NOTIFY_SOCKET, and leaves a watchdog meant for another process alone', () => {
    const status = (() => ({})) as unknown as StatusSource;
    expect(serviceFromEnvironment({}, status, silentLog)).toBeUndefined();
    const other = serviceFromEnvironment({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid + 1) }, status, silentLog);
    expect(other).toBeDefined();
    expect((other as unknown as { pingMs?: number }).pingMs).toBeUndefined();
    const ours = serviceFromEnvironment({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid) }, status, silentLog);
    expect((ours as unknown as { pingMs?: number }).pingMs).toBe(15_000);
  });
});
