import { z } from 'zod';
import type { DeviceModule } from '../types.js';
import type { SystemReading } from './codec.js';
import { createSystemDriver } from './driver.js';
import { SYSTEM_THRESHOLDS, systemRules } from './faults.js';

export interface SystemConfig {
  pollSeconds: number;
}

/** Always polled, also when `devices` leaves it out; `devices.system.pollSeconds` may change its interval. */
export const system: DeviceModule<SystemConfig, SystemReading> = {
  name: 'system',
  config: z.strictObject({ pollSeconds: z.number().min(0.1).max(86_400).default(60) }),
  thresholds: SYSTEM_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: (_config, env) => createSystemDriver(env),
  rules: systemRules,
  heartbeat(sample) {
    if (!sample.ok) return { online: false };
    return { memAvailableMb: sample.reading.memAvailableMb, diskFreeMb: sample.reading.diskFreeMb };
  },
};
