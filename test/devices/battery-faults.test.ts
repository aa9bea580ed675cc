import { describe, expect, it } from 'vitest';
import { FaultEngine } from '../../agent/fault-engine.js';
import { memoryFaultStore } from '../../agent/fault-store.js';
import { allThresholdDefaults } from '../../drivers/index.js';
import { resolveThresholds } from '../../drivers/thresholds.js';
import type { FaultRule } from '../../drivers/types.js';
import { batteryRules } from '../../drivers/battery/faults.js';
import type { BatteryReading } from '../../protocol/readings.js';

/** Feeds readings one poll each and returns the active codes after each. */
function run(readings: Partial<BatteryReading>[], overrides: Record<string, unknown> = {}): string[][] {
  let seq = 0;
  const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
  const rules = batteryRules(resolveThresholds(allThresholdDefaults(), overrides));
  engine.setRules('battery', rules as FaultRule<unknown>[]);
  return readings.map((reading, at) => {
    engine.observe('battery', { ok: true, at, reading: { present: true, ...reading } });
    return engine.list().map((fault) => fault.code).sort();
  });
}

const onBattery = { status: 'Discharging' as const, mainsOnline: false };

describe('battery faults (SPEC.md section 5)', () => {
  it('BATTERY_LOW raises at <= 15 % not charging and clears at >= 20 %', () => {
    const active = run([{ percent: 16, ...onBattery }, { percent: 15, ...onBattery }, { percent: 19, ...onBattery }, { percent: 20, ...onBattery }]);
    expect(active).toEqual([[], ['BATTERY_LOW'], ['BATTERY_LOW'], []]);
  });

  it('BATTERY_LOW clears as soon as the battery charges, and does not raise while it charges or is full', () => {
    expect(run([{ percent: 10, ...onBattery }, { percent: 10, status: 'Charging', mainsOnline: true }])).toEqual([['BATTERY_LOW'], []]);
    expect(run([{ percent: 10, status: 'Full' }])).toEqual([[]]);
    // "Not charging" is not charging.
    expect(run([{ percent: 10, status: 'Not charging' }])).toEqual([['BATTERY_LOW']]);
  });

  it('BATTERY_CRITICAL raises at <= 5 % beside BATTERY_LOW, and clears at >= 8 %', () => {
    const active = run([{ percent: 5, ...onBattery }, { percent: 7, ...onBattery }, { percent: 8, ...onBattery }]);
    expect(active).toEqual([['BATTERY_CRITICAL', 'BATTERY_LOW'], ['BATTERY_CRITICAL', 'BATTERY_LOW'], ['BATTERY_LOW']]);
  });

  it('takes the thresholds from the config', () => {
    expect(run([{ percent: 19, ...onBattery }], { BATTERY_LOW: { raisePercent: 20, clearPercent: 25 } })).toEqual([['BATTERY_LOW']]);
  });

  it('BATTERY_OVERHEAT: >= 55.0 °C or a hot health; clears below 50.0 °C with health not hot', () => {
    expect(run([{ temperatureC: 54.9 }, { temperatureC: 55 }, { temperatureC: 50 }, { temperatureC: 49.9 }])).toEqual([
      [], ['BATTERY_OVERHEAT'], ['BATTERY_OVERHEAT'], [],
    ]);
    expect(run([{ temperatureC: 30, health: 'Hot' }, { temperatureC: 30, health: 'Overheat' }, { temperatureC: 30, health: 'Good' }])).toEqual([
      ['BATTERY_OVERHEAT'], ['BATTERY_OVERHEAT'], [],
    ]);
  });

  it('BATTERY_DEGRADED: state of health < 70 % or a failing health; clears above 75 % with health fine', () => {
    expect(run([{ stateOfHealthPercent: 69.9 }, { stateOfHealthPercent: 75 }, { stateOfHealthPercent: 75.1 }])).toEqual([
      ['BATTERY_DEGRADED'], ['BATTERY_DEGRADED'], [],
    ]);
    for (const health of ['Dead', 'Over voltage', 'Unspecified failure', 'Over current'] as const) {
      expect(run([{ health }])).toEqual([['BATTERY_DEGRADED']]);
    }
    expect(run([{ health: 'Cold' }])).toEqual([[]]);
  });

  it('BATTERY_NOT_CHARGING: mains online, < 95 %, not charging, for 2 polls; clears when charging, full or mains off', () => {
    const stuck = { percent: 60, status: 'Not charging' as const, mainsOnline: true };
    expect(run([stuck, stuck, { ...stuck, status: 'Charging' }])).toEqual([[], ['BATTERY_NOT_CHARGING'], []]);
    expect(run([stuck, stuck, { ...stuck, mainsOnline: false }])).toEqual([[], ['BATTERY_NOT_CHARGING'], []]);
    expect(run([{ ...stuck, percent: 96 }, { ...stuck, percent: 96 }])).toEqual([[], []]);
  });

  it('BATTERY_MISSING while present is 0 or the folder is gone; other faults keep their state meanwhile', () => {
    const active = run([{ percent: 10, ...onBattery }, { present: false }, { present: true, percent: 30, ...onBattery }]);
    expect(active).toEqual([['BATTERY_LOW'], ['BATTERY_LOW', 'BATTERY_MISSING'], []]);
  });

  it('a failed read changes nothing', () => {
    let seq = 0;
    const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
    engine.setRules('battery', batteryRules(resolveThresholds(allThresholdDefaults(), {})) as FaultRule<unknown>[]);
    engine.observe('battery', { ok: true, at: 0, reading: { present: true, percent: 3, ...onBattery } });
    engine.observe('battery', { ok: false, at: 1, error: new Error('EIO') });
    expect(engine.list().map((f) => f.code).sort()).toEqual(['BATTERY_CRITICAL', 'BATTERY_LOW']);
  });
});
