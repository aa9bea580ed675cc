import type { Logger } from 'pino';
import type { Clock } from '../../basics/clock.js';
import { InputProblems } from '../problems.js';
import type { Driver } from '../types.js';
import { adoptFirstRead, approve, differences, provision, type BaselineStore, type SavedBaseline } from './baseline.js';
import { decodeParams, MERCHANT_FIELDS, type FieldMap, type ParamsFormat } from './codec.js';
import type { ParamsSource } from './params-file.js';
import type { MerchantField, MerchantReading, MerchantValues } from '../../protocol/readings.js';

export interface MerchantConfig {
  file: string;
  format: ParamsFormat;
  pollSeconds: number;
  fields: FieldMap;
  expectedMcc?: string[];
  expected?: Partial<Record<MerchantField, string>>;
}

export type ApprovalCheck = { ok: true } | { ok: false; field?: MerchantField; message: string };

export interface MerchantDriver extends Driver<MerchantReading> {
  /** Whether `values` are exactly those of the last read: an approval may name nothing else. */
  check(values: MerchantValues): ApprovalCheck;
  /**
   * Makes the values of the last read the baseline, when `values` are exactly those, and reports
   * a reading against the new baseline, so that the fault engine sees the change like any other.
   */
  approve(values: MerchantValues, kid: string): ApprovalCheck;
}

export interface MerchantDriverEnv {
  source: ParamsSource;
  store: BaselineStore;
  clock: Clock;
  log: Logger;
}

export function createMerchantDriver(config: MerchantConfig, env: MerchantDriverEnv): MerchantDriver {
  const { source, store, clock } = env;
  const problems = new InputProblems(env.log);
  let saved: SavedBaseline | undefined;
  let last: { values: MerchantValues; mccFrom: MerchantReading['mccFrom'] } | undefined;
  const listeners: ((reading: MerchantReading) => void)[] = [];

  /** Loaded on first use, so that a state folder that cannot be read is a failed poll, not a failed start. */
  function baseline(): SavedBaseline {
    if (!saved) {
      saved = store.load();
      if (provision(saved, config.expected ?? {}, clock.now())) store.save(saved);
    }
    return saved;
  }

  function reading(): MerchantReading {
    const current = baseline();
    const base: MerchantReading = { file: source.file, baseline: structuredClone(current.fields) };
    if (config.expectedMcc) base.expectedMcc = config.expectedMcc;
    if (!last) return base;
    return { ...base, values: last.values, mccFrom: last.mccFrom, changed: differences(current.fields, last.values) };
  }

  function check(values: MerchantValues): ApprovalCheck {
    if (!last) return { ok: false, message: 'the parameters file cannot be read now, so there is nothing to approve' };
    for (const field of MERCHANT_FIELDS) {
      if (values[field] !== last.values[field]) {
        const now = last.values[field] === null ? 'no value' : JSON.stringify(last.values[field]);
        return { ok: false, field, message: `${field}: the parameters file now holds ${now}, not ${values[field] === null ? 'no value' : JSON.stringify(values[field])}` };
      }
    }
    return { ok: true };
  }

  return {
    async read() {
      const current = baseline();
      const read = await source.read();
      const decoded = read.ok ? decodeParams(read.bytes, config.format, config.fields) : { ok: false as const, problem: read.problem };
      problems.report(source.file, decoded.ok ? undefined : decoded.problem);
      if (!decoded.ok) {
        // What was read before no longer says anything about the file: an approval must wait for a good read.
        last = undefined;
        return { ...reading(), problem: decoded.problem };
      }
      last = { values: decoded.values, mccFrom: decoded.mccFrom };
      if (adoptFirstRead(current, decoded.values, clock.now())) {
        store.save(current);
        env.log.info({ merchant: { baseline: current.fields } }, 'merchant baseline taken from the parameters file (first read)');
      }
      return reading();
    },
    watch(listener) {
      listeners.push(listener);
    },
    check,
    approve(values, kid) {
      const verdict = check(values);
      if (!verdict.ok) return verdict;
      const next = structuredClone(baseline());
      approve(next, last!.values, kid, clock.now());
      store.save(next);
      saved = next;
      env.log.info({ merchant: { baseline: next.fields }, kid }, 'merchant values approved as the new baseline');
      const fresh = reading();
      for (const listener of listeners) listener(fresh);
      return verdict;
    },
  };
}
