import * as z from '../../protocol/schema.js';
import { pollSeconds } from '../config-parts.js';
import type { DeviceModule } from '../types.js';
import { createAppDriver, type AppConfig } from './driver.js';
import { APP_THRESHOLDS, appRules } from './faults.js';
import type { AppReading } from '../../protocol/readings.js';

const label = z.string().check(z.minLength(1), z.maxLength(64));

/** The payment application's processes; all that matters of them is a fault, so nothing in the heartbeat. */
export const app: DeviceModule<AppConfig, AppReading, 'app'> = {
  name: 'app',
  config: z.strictObject({
    processes: z.array(
      z.strictObject({
        name: label,
        comm: z.optional(label),
        minCount: z._default(z.int().check(z.gte(1), z.lte(1000)), 1),
      }),
    ).check(z.minLength(1)),
    pollSeconds: pollSeconds(10),
  }),
  thresholds: APP_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: createAppDriver,
  rules: appRules,
  heartbeat: () => undefined,
};
