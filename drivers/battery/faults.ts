import { below, readingRule } from '../rules.js';
import type { Thresholds, ThresholdDefaults } from '../thresholds.js';
import type { FaultRule } from '../types.js';
import type { BatteryHealth, BatteryReading } from '../../protocol/readings.js';

export const BATTERY_THRESHOLDS: ThresholdDefaults = {
  BATTERY_LOW: { raisePercent: 15, clearPercent: 20 },
  BATTERY_CRITICAL: { raisePercent: 5, clearPercent: 8 },
  BATTERY_OVERHEAT: { raiseC: 55, clearC: 50 },
  BATTERY_DEGRADED: { raisePercent: 70, clearPercent: 75 },
  BATTERY_NOT_CHARGING: { belowPercent: 95, polls: 2 },
};

const HOT: ReadonlySet<BatteryHealth | undefined> = new Set(['Overheat', 'Hot']);
const FAILING: ReadonlySet<BatteryHealth | undefined> = new Set(['Dead', 'Over voltage', 'Unspecified failure', 'Over current']);

/** Charging or full: a low charge is then on its way back up. */
function charging(reading: BatteryReading): boolean {
  return reading.status === 'Charging' || reading.status === 'Full';
}

function lowCharge(reading: BatteryReading, raiseAt: number, clearAt: number) {
  if (!reading.present) return undefined;
  if (charging(reading)) return { holds: false, detail: { percent: reading.percent, status: reading.status } };
  const holds = below(reading.percent, raiseAt, clearAt);
  return holds === undefined ? undefined : { holds, detail: { percent: reading.percent, status: reading.status } };
}

export function batteryRules(t: Thresholds): FaultRule<BatteryReading>[] {
  return [
    readingRule('BATTERY_MISSING', t, (r) => ({ holds: !r.present, detail: r.supply ? { supply: r.supply } : {} })),

    readingRule('BATTERY_LOW', t, (r) =>
      lowCharge(r, t.BATTERY_LOW.raisePercent!, t.BATTERY_LOW.clearPercent!)),

    readingRule('BATTERY_CRITICAL', t, (r) =>
      lowCharge(r, t.BATTERY_CRITICAL.raisePercent!, t.BATTERY_CRITICAL.clearPercent!)),

    readingRule('BATTERY_OVERHEAT', t, (r) => {
      if (!r.present || (r.temperatureC === undefined && r.health === undefined)) return undefined;
      const detail = { temperatureC: r.temperatureC, health: r.health };
      const { raiseC, clearC } = t.BATTERY_OVERHEAT as { raiseC: number; clearC: number };
      if (HOT.has(r.health) || (r.temperatureC !== undefined && r.temperatureC >= raiseC)) return { holds: true, detail };
      if (r.temperatureC === undefined || r.temperatureC < clearC) return { holds: false, detail };
      return undefined;
    }),

    readingRule('BATTERY_DEGRADED', t, (r) => {
      const soh = r.stateOfHealthPercent;
      if (!r.present || (soh === undefined && r.health === undefined)) return undefined;
      const detail = { stateOfHealthPercent: soh, health: r.health };
      const { raisePercent, clearPercent } = t.BATTERY_DEGRADED as { raisePercent: number; clearPercent: number };
      if (FAILING.has(r.health) || (soh !== undefined && soh < raisePercent)) return { holds: true, detail };
      if (soh === undefined || soh > clearPercent) return { holds: false, detail };
      return undefined;
    }),

    readingRule('BATTERY_NOT_CHARGING', t, (r) => {
      if (!r.present || r.mainsOnline === undefined) return undefined;
      const detail = { percent: r.percent, status: r.status, mainsOnline: r.mainsOnline };
      if (!r.mainsOnline || charging(r)) return { holds: false, detail };
      if (r.percent !== undefined && r.percent < t.BATTERY_NOT_CHARGING.belowPercent!) return { holds: true, detail };
      return undefined;
    }),
  ];
}
