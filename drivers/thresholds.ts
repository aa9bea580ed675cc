import * as z from '../protocol/schema.js';
import { FAULTS, type FaultCode } from '../protocol/faults.js';

/**
 * Thresholds are numbers by fault code. Every code also takes `polls` and `clearPolls`: how many
 * consecutive samples raise and clear it (SPEC.md section 5 gives the defaults).
 */
export type ThresholdValues = Record<string, number>;
export type Thresholds = Record<FaultCode, ThresholdValues>;
export type ThresholdDefaults = Partial<Record<FaultCode, ThresholdValues>>;

const DEBOUNCE_DEFAULTS = { polls: 1, clearPolls: 1 };

/** The schema of the config's `thresholds`: known codes only, known keys only. */
export function thresholdsSchema(defaults: ThresholdDefaults) {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const code of Object.keys(FAULTS) as FaultCode[]) {
    const keys: Record<string, z.ZodMiniType> = {
      polls: z.optional(z.int().check(z.gte(1), z.lte(100))),
      clearPolls: z.optional(z.int().check(z.gte(1), z.lte(100))),
    };
    for (const key of Object.keys(defaults[code] ?? {})) {
      if (!(key in keys)) keys[key] = z.optional(z.number());
    }
    shape[code] = z.optional(z.strictObject(keys));
  }
  return z._default(z.strictObject(shape), {});
}

/** Defaults with the config's overrides on top. */
export function resolveThresholds(defaults: ThresholdDefaults, overrides: Record<string, unknown>): Thresholds {
  const resolved = {} as Thresholds;
  for (const code of Object.keys(FAULTS) as FaultCode[]) {
    const values: ThresholdValues = { ...DEBOUNCE_DEFAULTS, ...defaults[code] };
    // The schema has checked that every override is a number under a known key.
    const override = (overrides[code] ?? {}) as Record<string, number | undefined>;
    for (const [key, value] of Object.entries(override)) {
      if (value !== undefined) values[key] = value;
    }
    resolved[code] = values;
  }
  return resolved;
}

/** Reads one threshold; a missing one is a programming error, not a config error. */
export function threshold(thresholds: Thresholds, code: FaultCode, key: string): number {
  const value = thresholds[code][key];
  if (value === undefined) throw new Error(`no threshold ${code}.${key}`);
  return value;
}
