import * as z from '../../protocol/schema.js';
import { sysfsAt } from '../sysfs.js';
import { absolutePath, pollSeconds } from '../config-parts.js';
import type { DeviceModule } from '../types.js';
import { createSystemDriver } from './driver.js';
import { SYSTEM_THRESHOLDS, systemRules } from './faults.js';
import type { SystemReading } from '../../protocol/readings.js';

export interface SystemConfig {
  pollSeconds: number;
  /** A file whose presence means the clock is synchronized (systemd-timesyncd's). */
  clockSyncFile?: string;
}

/** Always polled, also when `devices` leaves it out; `devices.system.pollSeconds` may change its interval. */
export const system: DeviceModule<SystemConfig, SystemReading, 'system'> = {
  name: 'system',
  config: z.strictObject({
    pollSeconds: pollSeconds(60),
    clockSyncFile: z.optional(absolutePath()),
  }),
  thresholds: SYSTEM_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: (config, env) => createSystemDriver({ ...env, files: sysfsAt('/'), clockSyncFile: config.clockSyncFile }),
  rules: systemRules,
  heartbeat(sample) {
    if (!sample.ok) return { online: false };
    return { memAvailableMb: sample.reading.memAvailableMb, diskFreeMb: sample.reading.diskFreeMb };
  },
};
