import { describe, expect, it } from 'vitest';
import { FaultEngine } from '../../agent/fault-engine.js';
import { memoryFaultStore } from '../../agent/fault-store.js';
import { parseConfig } from '../../agent/config.js';
import { allThresholdDefaults } from '../../drivers/index.js';
import { merchantRules } from '../../drivers/merchant/faults.js';
import { resolveThresholds } from '../../drivers/thresholds.js';
import type { FaultRule, Sample } from '../../drivers/types.js';
import type { MerchantReading } from '../../protocol/readings.js';

const BASELINE = { mid: { value: 'M1', how: 'first-read' as const, at: 0 }, mcc: { value: '5812', how: 'first-read' as const, at: 0 } };
const same: Partial<MerchantReading> = { values: { mid: 'M1', tid: 'T1', mcc: '5812', name: null }, changed: {} };
const jumped: Partial<MerchantReading> = { values: { mid: 'M1', tid: 'T1', mcc: '5411', name: null }, changed: { mcc: { baseline: '5812', current: '5411' } } };
const unreadable: Partial<MerchantReading> = { problem: 'missing' };

/** Feeds one sample a poll and returns the active codes after each; `null` is a failed poll. */
function run(readings: (Partial<MerchantReading> | null)[], expectedMcc?: string[]): string[][] {
  let seq = 0;
  const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
  engine.setRules('merchant', merchantRules(resolveThresholds(allThresholdDefaults(), {})) as FaultRule<unknown>[]);
  return readings.map((reading, at) => {
    const sample: Sample<unknown> = reading
      ? { ok: true, at, reading: { file: '/p.json', baseline: BASELINE, ...(expectedMcc ? { expectedMcc } : {}), ...reading } }
      : { ok: false, at, error: new Error('poll did not finish') };
    engine.observe('merchant', sample);
    return engine.list().map((fault) => fault.code).sort();
  });
}

describe('merchant faults (SPEC.md section 5)', () => {
  it('MERCHANT_CHANGED raises after 2 polls that differ, so one half-written read is not a change, and clears when the values go back', () => {
    expect(run([same, jumped, same, jumped, jumped, same])).toEqual([[], [], [], [], ['MERCHANT_CHANGED'], []]);
  });

  it('a file that cannot be read is neither a change nor an all-clear, and is MERCHANT_PARAMS_UNREADABLE after 2 polls', () => {
    expect(run([jumped, unreadable, jumped, unreadable, unreadable, null, same])).toEqual([
      [],
      [],
      [],
      [],
      ['MERCHANT_PARAMS_UNREADABLE'],
      ['MERCHANT_PARAMS_UNREADABLE'],
      [],
    ]);
    expect(run([jumped, jumped, unreadable, unreadable, jumped])).toEqual([[], ['MERCHANT_CHANGED'], ['MERCHANT_CHANGED'], ['MERCHANT_CHANGED', 'MERCHANT_PARAMS_UNREADABLE'], ['MERCHANT_CHANGED']]);
  });

  it('MERCHANT_MCC_UNEXPECTED raises at once for an MCC outside expectedMcc, or none, and only when expectedMcc is set', () => {
    expect(run([same, jumped, same], ['5812'])).toEqual([[], ['MERCHANT_MCC_UNEXPECTED'], []]);
    expect(run([{ values: { mid: 'M1', tid: 'T1', mcc: null, name: null }, changed: {} }], ['5812'])).toEqual([['MERCHANT_MCC_UNEXPECTED']]);
    expect(run([jumped])).toEqual([[]]);
  });
});

describe('merchant config (SPEC.md section 3)', () => {
  const base = { terminalId: 'T-1', mqtt: { url: 'mqtt://127.0.0.1:1883' } };
  const problems = (merchant: unknown) => {
    const result = parseConfig({ ...base, devices: { merchant } }, {}, '/etc/pos-agent');
    return result.ok ? [] : result.problems.map((problem) => problem.path);
  };

  it('takes the example of the contract, with a poll every 10 s by default', () => {
    const merchant = { file: '/opt/payapp/params.json', format: 'json', fields: { mid: 'merchant.mid', tid: 'merchant.tid' }, expectedMcc: ['5411'], expected: { mcc: '5411' } };
    const result = parseConfig({ ...base, devices: { merchant } }, {}, '/etc/pos-agent');
    expect(result.ok && result.config.devices.merchant).toMatchObject({ ...merchant, pollSeconds: 10 });
  });

  it('names each problem by its path', () => {
    expect(problems({ file: 'params.json', format: 'ini', fields: { mid: 'm' }, expectedMcc: ['581'], expected: { mcc: 'x', iban: 'y' } }).sort()).toEqual([
      'devices.merchant.expected.iban',
      'devices.merchant.expected.mcc',
      'devices.merchant.expectedMcc[0]',
      'devices.merchant.fields.tid',
      'devices.merchant.file',
      'devices.merchant.format',
    ]);
  });
});
