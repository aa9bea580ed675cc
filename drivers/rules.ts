import type { FaultCode } from '../protocol/faults.js';
import type { Assessment, FaultRule, Sample } from './types.js';
import type { Thresholds } from './thresholds.js';

/**
 * A rule over successful readings only: when the device could not be read, a value-based fault
 * keeps its state (the device's offline fault speaks for it).
 */
export function readingRule<R>(
  code: FaultCode,
  thresholds: Thresholds,
  assess: (reading: R) => Assessment | undefined,
): FaultRule<R> {
  return {
    code,
    raisePolls: thresholds[code].polls ?? 1,
    clearPolls: thresholds[code].clearPolls ?? 1,
    assess: (sample: Sample<R>) => (sample.ok ? assess(sample.reading) : undefined),
  };
}

/** A value with a raise level and a separate clear level (hysteresis), for "low" faults. */
export function below(value: number | undefined, raiseAt: number, clearAt: number): boolean | undefined {
  if (value === undefined) return undefined;
  if (value <= raiseAt) return true;
  if (value >= clearAt) return false;
  return undefined;
}
