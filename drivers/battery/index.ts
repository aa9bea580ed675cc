import * as z from '../../protocol/schema.js';
import { pollSeconds } from '../config-parts.js';
import type { DeviceModule } from '../types.js';
import { createBatteryDriver, type BatteryConfig } from './driver.js';
import { BATTERY_THRESHOLDS, batteryRules } from './faults.js';
import type { BatteryReading } from '../../protocol/readings.js';

const supplyName = z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a folder name under class/power_supply'));

export const battery: DeviceModule<BatteryConfig, BatteryReading, 'battery'> = {
  name: 'battery',
  config: z.strictObject({
    supply: z.optional(supplyName),
    mains: z.optional(supplyName),
    pollSeconds: pollSeconds(30),
  }),
  thresholds: BATTERY_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: createBatteryDriver,
  rules: batteryRules,
  heartbeat(sample) {
    if (!sample.ok) return { online: false };
    const r = sample.reading;
    if (!r.present) return { present: false, mainsOnline: r.mainsOnline };
    return { percent: r.percent, status: r.status, temperatureC: r.temperatureC, mainsOnline: r.mainsOnline };
  },
};
