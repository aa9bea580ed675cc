import { describe, expect, it } from 'vitest';
import { parseBattery, parseInteger, parseMainsOnline } from './codec.js';

describe('power_supply values (kernel sysfs-class-power)', () => {
  it('converts units: µV to V, µA to mA (magnitude), tenths of °C', () => {
    const { reading, problems } = parseBattery({ voltage_now: '3987000', current_now: '-1500000', temp: '285', capacity: '50' });
    expect(problems).toEqual({});
    expect(reading).toEqual({ present: true, voltageV: 3.987, currentMa: 1500, temperatureC: 28.5, percent: 50 });
  });

  it('leaves out a missing file without calling it a problem', () => {
    expect(parseBattery({})).toEqual({ reading: { present: true }, problems: {} });
  });

  it('treats cycle_count 0 as unknown', () => {
    expect(parseBattery({ cycle_count: '0' }).reading.cycleCount).toBeUndefined();
    expect(parseBattery({ cycle_count: '7' }).reading.cycleCount).toBe(7);
  });

  it('takes state of health from charge, else from energy', () => {
    expect(parseBattery({ charge_full: '2100000', charge_full_design: '3000000' }).reading.stateOfHealthPercent).toBe(70);
    expect(parseBattery({ energy_full: '900', energy_full_design: '1000' }).reading.stateOfHealthPercent).toBe(90);
    expect(parseBattery({ charge_full: '2100000', charge_full_design: '0' }).reading.stateOfHealthPercent).toBeUndefined();
  });

  it('rejects garbage and absurd values, naming the file', () => {
    const { reading, problems } = parseBattery({ capacity: '101', temp: '1e3', status: 'charging', health: '' });
    expect(reading).toEqual({ present: true });
    expect(Object.keys(problems).sort()).toEqual(['capacity', 'health', 'status', 'temp']);
    expect(problems.capacity).toMatch(/out of range 0\.\.100: 101/);
  });

  it('reads present 0 as a missing battery and ignores the rest', () => {
    expect(parseBattery({ present: '0', capacity: '80' })).toEqual({ reading: { present: false }, problems: {} });
  });

  it('parses integers strictly', () => {
    expect(parseInteger(' 5', 0, 10).problem).toBeDefined();
    expect(parseInteger('5.0', 0, 10).problem).toBeDefined();
    expect(parseInteger('-3', -5, 0).value).toBe(-3);
  });

  it('reads mains online 1 and 2 as online', () => {
    expect(parseMainsOnline('0').value).toBe(false);
    expect(parseMainsOnline('1').value).toBe(true);
    expect(parseMainsOnline('2').value).toBe(true);
    expect(parseMainsOnline('3').problem).toBeDefined();
  });
});
