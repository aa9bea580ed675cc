import * as z from '../../protocol/schema.js';
import { absolutePath, pollSeconds } from '../config-parts.js';
import type { DeviceModule } from '../types.js';
import { BaselineStore } from './baseline.js';
import { createMerchantDriver, type MerchantConfig } from './driver.js';
import { MERCHANT_THRESHOLDS, merchantRules } from './faults.js';
import { paramsFileAt } from './params-file.js';
import type { MerchantReading } from '../../protocol/readings.js';

const location = z.string().check(z.minLength(1), z.maxLength(200));
const mcc = z.string().check(z.regex(/^\d{4}$/, 'a 4-digit merchant category code'));
const value = z.string().check(z.minLength(1), z.maxLength(128));

/** The payment application's merchant parameters file, held against a baseline (SPEC.md section 10). */
export const merchant: DeviceModule<MerchantConfig, MerchantReading, 'merchant'> = {
  name: 'merchant',
  config: z.strictObject({
    file: absolutePath(),
    format: z.enum(['json', 'properties']),
    pollSeconds: pollSeconds(10),
    fields: z.strictObject({ mid: location, tid: location, mcc: z.optional(location), name: z.optional(location) }),
    expectedMcc: z.optional(z.array(mcc).check(z.minLength(1))),
    expected: z.optional(z.strictObject({ mid: z.optional(value), tid: z.optional(value), mcc: z.optional(mcc), name: z.optional(value) })),
  }),
  thresholds: MERCHANT_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: (config, env) =>
    createMerchantDriver(config, { source: paramsFileAt(config.file), store: new BaselineStore(env.stateDir, env.log), clock: env.clock, log: env.log }),
  rules: merchantRules,
  // All that matters of the merchant is a fault; its values are in the status answer.
  heartbeat: () => undefined,
};
