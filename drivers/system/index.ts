import * as z from '../../protocol/schema.js';
import type { DeviceModule } from '../types.js';
import type { SystemReading } from './codec.js';
import { createSystemDriver } from './driver.js';
import { SYSTEM_THRESHOLDS, systemRules } from './faults.js';

export interface SystemConfig {
  pollSeconds: number;
}

/** Always polled, also when `devices` leaves it out; `devices.system.pollSeconds` may change its interval. */
export const system: DeviceModule<SystemConfig, SystemReading, 'system'> = {
  name: 'system',
  config: z.strictObject({ pollSeconds: z._default(z.number().check(z.gte(0.1), z.lte(86_400)), 60) }),
  thresholds: SYSTEM_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: (_config, env) => createSystemDriver(env),
  rules: systemRules,
  heartbeat(sample) {
    if (!sample.ok) return { online: false };
    return { memAvailableMb: sample.reading.memAvailableMb, diskFreeMb: sample.reading.diskFreeMb };
  },
};
