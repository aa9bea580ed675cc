import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../basics/errors.js';
import { FaultEngine } from '../../agent/fault-engine.js';
import { memoryFaultStore } from '../../agent/fault-store.js';
import { allThresholdDefaults } from '../../drivers/index.js';
import { resolveThresholds } from '../../drivers/thresholds.js';
import type { FaultRule, Sample } from '../../drivers/types.js';
import { cardReaderRules } from '../../drivers/card-reader/faults.js';
import type { CardReaderReading } from '../../protocol/readings.js';

const HEALTHY: CardReaderReading = {
  cardPresent: false,
  slotBlocked: false,
  tamperLive: false,
  tamperLatched: false,
  readHeadFault: false,
  lowPower: false,
  reads: 0,
  readErrors: 0,
  sincePrevious: { reads: 0, readErrors: 0 },
  counterResets: 0,
  events: { cardInserted: 0, readOk: 0, readError: 0, cardData: 0 },
  protocolErrors: 0,
};

/** `null` is a poll with no valid reply; `[reads, errors]` a poll that saw that many reads since the last. */
type Poll = Partial<CardReaderReading> | [number, number] | null;

function engineFor(overrides: Record<string, unknown> = {}) {
  let seq = 0;
  const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
  engine.setRules('cardReader', cardReaderRules(resolveThresholds(allThresholdDefaults(), overrides)) as FaultRule<unknown>[]);
  let at = 0;
  return {
    engine,
    poll(poll: Poll): string[] {
      at += 1;
      let sample: Sample<CardReaderReading>;
      if (poll === null) sample = { ok: false, at, error: new DeviceError('TIMEOUT', "no answer to 'S' status within 1000 ms") };
      else if (Array.isArray(poll)) sample = { ok: true, at, reading: { ...HEALTHY, sincePrevious: { reads: poll[0], readErrors: poll[1] } } };
      else sample = { ok: true, at, reading: { ...HEALTHY, ...poll } };
      engine.observe('cardReader', sample);
      return engine.list().map((fault) => fault.code).sort();
    },
  };
}

const run = (polls: Poll[], overrides?: Record<string, unknown>) => {
  const reader = engineFor(overrides);
  return polls.map((poll) => reader.poll(poll));
};

describe('card reader faults (SPEC.md section 5)', () => {
  it('READER_OFFLINE: no valid reply in 2 consecutive polls; one valid reply clears it', () => {
    expect(run([null, {}, null, null, {}])).toEqual([[], [], [], ['READER_OFFLINE'], []]);
  });

  it('READER_JAMMED: slot blocked in 2 consecutive polls, clear in 1', () => {
    const blocked = { slotBlocked: true, cardPresent: true };
    expect(run([blocked, {}, blocked, blocked, {}])).toEqual([[], [], [], ['READER_JAMMED'], []]);
  });

  it('READER_TAMPER at once on a live or latched tamper, cleared only when both are clear', () => {
    expect(run([{ tamperLive: true }, { tamperLive: false, tamperLatched: true }, {}])).toEqual([
      ['READER_TAMPER'],
      ['READER_TAMPER'],
      [],
    ]);
    expect(run([{ tamperLatched: true }])).toEqual([['READER_TAMPER']]);
  });

  it('READER_READ_ERRORS: 20 % of at least 10 reads raises it; 19 % does not', () => {
    expect(run([[10, 2]])).toEqual([['READER_READ_ERRORS']]);
    expect(run([[100, 19]])).toEqual([[]]);
  });

  it('waits for at least 10 reads, gathered over as many polls as it takes', () => {
    expect(run([[3, 3], [0, 0], [6, 0], [1, 0]])).toEqual([[], [], [], ['READER_READ_ERRORS']]);
  });

  it('clears below 10 % over the next 10 reads or more, and stays between 10 % and 20 %', () => {
    expect(run([[10, 5], [10, 1], [10, 0]])).toEqual([['READER_READ_ERRORS'], ['READER_READ_ERRORS'], []]);
    expect(run([[10, 5], [9, 0], [1, 0]])).toEqual([['READER_READ_ERRORS'], ['READER_READ_ERRORS'], []]);
  });

  it('a failed poll leaves the read-error window as it is', () => {
    expect(run([[5, 5], null, [5, 0]])).toEqual([[], [], ['READER_READ_ERRORS']]);
  });

  it('takes its levels from the config', () => {
    const strict = { READER_READ_ERRORS: { raisePercent: 5, clearPercent: 1, minReads: 20 } };
    expect(run([[10, 1], [10, 0]], strict)).toEqual([[], ['READER_READ_ERRORS']]);
    expect(run([{ slotBlocked: true }], { READER_JAMMED: { polls: 1 } })).toEqual([['READER_JAMMED']]);
  });

  it('gives the window in the detail', () => {
    const reader = engineFor();
    reader.poll([12, 3]);
    expect(reader.engine.list()[0]!.detail).toEqual({ reads: 12, readErrors: 3, percent: 25 });
  });
});
