import { readingRule } from '../rules.js';
import type { ThresholdDefaults, Thresholds } from '../thresholds.js';
import type { FaultRule } from '../types.js';
import type { MerchantReading } from '../../protocol/readings.js';

export const MERCHANT_THRESHOLDS: ThresholdDefaults = {
  // A file caught half-written by the payment application is not a change: 2 polls.
  MERCHANT_CHANGED: { polls: 2 },
  MERCHANT_PARAMS_UNREADABLE: { polls: 2 },
};

/**
 * A file that cannot be read says nothing about the merchant's identity: while it cannot, the
 * identity faults keep their state (neither a false change nor a false all-clear).
 */
export function merchantRules(t: Thresholds): FaultRule<MerchantReading>[] {
  return [
    readingRule('MERCHANT_CHANGED', t, (r) => {
      if (!r.values || !r.changed) return undefined;
      const fields = Object.keys(r.changed);
      if (fields.length > 0) return { holds: true, detail: { file: r.file, fields, changed: r.changed } };
      // A clear says what the terminal holds now, and who approved it when a technician did.
      const approvedBy = r.baseline.mid?.how === 'approved' ? r.baseline.mid.kid : undefined;
      return { holds: false, detail: { file: r.file, values: r.values, approvedBy } };
    }),

    readingRule('MERCHANT_MCC_UNEXPECTED', t, (r) => {
      if (!r.values || !r.expectedMcc) return undefined;
      return { holds: r.values.mcc === null || !r.expectedMcc.includes(r.values.mcc), detail: { mcc: r.values.mcc, mccFrom: r.mccFrom, expectedMcc: r.expectedMcc } };
    }),

    {
      code: 'MERCHANT_PARAMS_UNREADABLE',
      raisePolls: t.MERCHANT_PARAMS_UNREADABLE.polls ?? 2,
      clearPolls: t.MERCHANT_PARAMS_UNREADABLE.clearPolls ?? 1,
      assess(sample) {
        if (!sample.ok) return { holds: true, detail: { problem: sample.error.message } };
        return { holds: sample.reading.problem !== undefined, detail: { file: sample.reading.file, problem: sample.reading.problem } };
      },
    },
  ];
}
