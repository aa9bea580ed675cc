import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { allThresholdDefaults } from '../drivers/index.js';
import { resolveThresholds } from '../drivers/thresholds.js';
import { readingRule } from '../drivers/rules.js';
import type { Driver, FaultRule, Sample } from '../drivers/types.js';
import { memoryLog } from '../test/helpers/log.js';
import { systemClock } from '../basics/clock.js';
import { FaultEngine, type FaultTransition } from './fault-engine.js';
import { memoryFaultStore } from './fault-store.js';
import { Scheduler } from './scheduler.js';

interface Level {
  value?: number;
}

/** A "low value" rule like BATTERY_LOW: raise at <= 10, clear at >= 20, N polls to raise. */
function lowRule(raisePolls: number, clearPolls = 1): FaultRule<Level> {
  const rule = readingRule<Level>('BATTERY_LOW', resolveThresholds({}, {}), (r) => {
    if (r.value === undefined) return undefined;
    if (r.value <= 10) return { holds: true, detail: { value: r.value } };
    if (r.value >= 20) return { holds: false, detail: { value: r.value } };
    return undefined;
  });
  return { ...rule, raisePolls, clearPolls };
}

function harness(initial = memoryFaultStore()) {
  let seq = 0;
  const announced: FaultTransition[] = [];
  const savedAtAnnounce: string[][] = [];
  const activeAtChange: string[][] = [];
  const engine: FaultEngine = new FaultEngine({
    store: initial,
    reserveSeq: () => ++seq,
    announce: (transition) => {
      announced.push(transition);
      savedAtAnnounce.push(initial.saved.map((fault) => fault.code));
    },
    changed: () => activeAtChange.push(engine.list().map((fault) => fault.code)),
  });
  const feed = (value: number | undefined, at = 0) =>
    engine.observe('battery', { ok: true, at, reading: { value } } as Sample<unknown>);
  return { engine, announced, savedAtAnnounce, activeAtChange, store: initial, feed };
}

describe('fault engine', () => {
  it('raises after N consecutive samples, once per episode', () => {
    const { engine, announced, feed } = harness();
    engine.setRules('battery', [lowRule(2) as FaultRule<unknown>]);
    feed(5);
    expect(announced).toHaveLength(0);
    feed(15); // in the hysteresis band: breaks the run
    feed(5);
    expect(announced).toHaveLength(0);
    feed(5);
    expect(announced.map((t) => t.state)).toEqual(['raised']);
    feed(4);
    feed(3);
    expect(announced).toHaveLength(1);
  });

  it('keeps a fault between its raise and clear levels (hysteresis)', () => {
    const { engine, announced, feed } = harness();
    engine.setRules('battery', [lowRule(1) as FaultRule<unknown>]);
    feed(10);
    feed(11);
    feed(19);
    expect(engine.list().map((f) => f.code)).toEqual(['BATTERY_LOW']);
    feed(20);
    expect(announced.map((t) => t.state)).toEqual(['raised', 'cleared']);
    expect(engine.list()).toEqual([]);
  });

  it('clears with the id and raisedAt of its raise', () => {
    const { engine, announced, feed } = harness();
    engine.setRules('battery', [lowRule(1) as FaultRule<unknown>]);
    feed(1, 1000);
    feed(50, 2000);
    const [raised, cleared] = announced;
    expect(raised!.fault.id).toBe(`f-${raised!.seq}`);
    expect(cleared!.fault.id).toBe(raised!.fault.id);
    expect(cleared!.fault.raisedAt).toBe(1000);
    expect(cleared!.state === 'cleared' && cleared!.clearedAt).toBe(2000);
  });

  it('needs N clear samples when clearPolls is N', () => {
    const { engine, announced, feed } = harness();
    engine.setRules('battery', [lowRule(1, 3) as FaultRule<unknown>]);
    feed(1);
    feed(30);
    feed(30);
    feed(1);
    feed(30);
    feed(30);
    expect(announced).toHaveLength(1);
    feed(30);
    expect(announced.map((t) => t.state)).toEqual(['raised', 'cleared']);
  });

  it('raises at once what the device itself reports (now), despite a debounce', () => {
    const { engine, announced } = harness();
    const rule: FaultRule<unknown> = { code: 'PRINTER_OFFLINE', raisePolls: 2, clearPolls: 1, assess: () => ({ holds: true, now: true }) };
    engine.setRules('printer', [rule]);
    engine.observe('printer', { ok: true, at: 0, reading: {} });
    expect(announced).toHaveLength(1);
  });

  it('saves a raise before announcing it, and a clear after', () => {
    const { engine, savedAtAnnounce, feed } = harness();
    engine.setRules('battery', [lowRule(1) as FaultRule<unknown>]);
    feed(1);
    feed(50);
    expect(savedAtAnnounce).toEqual([['BATTERY_LOW'], ['BATTERY_LOW']]);
  });

  it('keeps restored faults: no second raise while they hold, a clear with the old id when gone', () => {
    const first = harness();
    first.engine.setRules('battery', [lowRule(1) as FaultRule<unknown>]);
    first.feed(1);
    const id = first.engine.list()[0]!.id;

    const second = harness(memoryFaultStore(first.store.saved));
    second.engine.setRules('battery', [lowRule(1) as FaultRule<unknown>]);
    second.feed(2);
    expect(second.announced).toHaveLength(0);
    second.feed(80);
    expect(second.announced).toHaveLength(1);
    expect(second.announced[0]!.state).toBe('cleared');
    expect(second.announced[0]!.fault.id).toBe(id);
  });

  it('announces a clear once across a crash: again under its own seq if it was not written, not at all if it was', () => {
    const store = memoryFaultStore();
    let seq = 0;
    // The process dies inside the clear's announcement, before the message is written.
    const dying = new FaultEngine({
      store,
      reserveSeq: () => ++seq,
      announce: (transition) => {
        if (transition.state === 'cleared') throw new Error('killed');
      },
    });
    dying.setRules('battery', [lowRule(1) as FaultRule<unknown>]);
    dying.observe('battery', { ok: true, at: 1, reading: { value: 1 } });
    expect(() => dying.observe('battery', { ok: true, at: 2, reading: { value: 50 } })).toThrow('killed');
    expect(store.saved).toMatchObject([{ id: 'f-1', clearing: { seq: 2, clearedAt: 2, detail: { value: 50 } } }]);

    const restart = (lastWrittenSeq: number) => {
      const engine = new FaultEngine({ store: memoryFaultStore(structuredClone(store.saved)), reserveSeq: () => ++seq, announce: () => {} });
      const written: FaultTransition[] = [];
      engine.resumeClears(lastWrittenSeq, (transition) => written.push(transition));
      return { engine, written };
    };
    const unwritten = restart(1);
    expect(unwritten.written).toHaveLength(1);
    expect(unwritten.written[0]).toMatchObject({ state: 'cleared', seq: 2, clearedAt: 2, detail: { value: 50 }, fault: { id: 'f-1' } });
    expect(unwritten.written[0]!.fault).not.toHaveProperty('clearing');
    expect(unwritten.engine.list()).toEqual([]);

    const written = restart(2);
    expect(written.written).toEqual([]);
    expect(written.engine.list()).toEqual([]);
  });

  it('clears the faults of a device that is no longer polled', () => {
    const first = harness();
    first.engine.setRules('battery', [lowRule(1) as FaultRule<unknown>]);
    first.feed(1);
    const second = harness(memoryFaultStore(first.store.saved));
    second.engine.retireDevices(['system'], 5);
    expect(second.announced.map((t) => [t.state, t.fault.code])).toEqual([['cleared', 'BATTERY_LOW']]);
    expect(second.engine.list()).toEqual([]);
  });

  it('says the active set changed once per sample that changed it, after the set is final', () => {
    const { engine, activeAtChange, feed } = harness();
    engine.setRules('battery', [lowRule(1, 1) as FaultRule<unknown>]);
    feed(50);
    expect(activeAtChange).toEqual([]);
    feed(5);
    expect(activeAtChange).toEqual([['BATTERY_LOW']]);
    feed(5);
    expect(activeAtChange).toEqual([['BATTERY_LOW']]);
    feed(50);
    expect(activeAtChange).toEqual([['BATTERY_LOW'], []]);
  });

  it('orders critical faults first, each group in the order raised', () => {
    const { engine } = harness();
    const rule = (code: FaultRule<unknown>['code']): FaultRule<unknown> => ({
      code,
      raisePolls: 1,
      clearPolls: 1,
      assess: (sample) => ({ holds: (sample as { reading: { raise: string[] } }).reading.raise.includes(code) }),
    });
    engine.setRules('battery', [rule('BATTERY_LOW'), rule('BATTERY_OVERHEAT'), rule('BATTERY_DEGRADED'), rule('BATTERY_CRITICAL')]);
    engine.observe('battery', { ok: true, at: 0, reading: { raise: ['BATTERY_DEGRADED'] } });
    engine.observe('battery', { ok: true, at: 1, reading: { raise: ['BATTERY_DEGRADED', 'BATTERY_CRITICAL'] } });
    engine.observe('battery', { ok: true, at: 2, reading: { raise: ['BATTERY_DEGRADED', 'BATTERY_CRITICAL', 'BATTERY_LOW', 'BATTERY_OVERHEAT'] } });
    expect(engine.list().map((f) => f.code)).toEqual(['BATTERY_CRITICAL', 'BATTERY_OVERHEAT', 'BATTERY_DEGRADED', 'BATTERY_LOW']);
  });
});

describe('debounce in time, through the scheduler (fake timers)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('raises a 2-poll fault on the second poll, not before', async () => {
    const values = [5, 5, 50];
    const driver: Driver<Level> = { read: async () => ({ value: values.shift() ?? 50 }) };
    const { engine, announced } = harness();
    engine.setRules('battery', [lowRule(2) as FaultRule<unknown>]);
    const scheduler = new Scheduler({ clock: systemClock, log: memoryLog().log, onSample: (device, sample) => engine.observe(device, sample) });
    scheduler.add('battery', driver as Driver<unknown>, 30_000);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(announced).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(announced).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(announced.map((t) => t.state)).toEqual(['raised']);
    expect(announced[0]!.fault.raisedAt).toBe(Date.now());
    await vi.advanceTimersByTimeAsync(30_000);
    expect(announced.map((t) => t.state)).toEqual(['raised', 'cleared']);
    await scheduler.stop();
  });

  it('uses the thresholds of the config (BATTERY_LOW raisePercent override)', () => {
    const thresholds = resolveThresholds(allThresholdDefaults(), { BATTERY_LOW: { raisePercent: 20 } });
    expect(thresholds.BATTERY_LOW).toEqual({ polls: 1, clearPolls: 1, raisePercent: 20, clearPercent: 20 });
    expect(thresholds.BATTERY_NOT_CHARGING.polls).toBe(2);
  });
});
