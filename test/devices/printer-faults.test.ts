import { describe, expect, it } from 'vitest';
import { FaultEngine } from '../../agent/fault-engine.js';
import { memoryFaultStore } from '../../agent/fault-store.js';
import { DeviceError } from '../../basics/errors.js';
import { allThresholdDefaults } from '../../drivers/index.js';
import { resolveThresholds } from '../../drivers/thresholds.js';
import type { FaultRule, Sample } from '../../drivers/types.js';
import { printerRules } from '../../drivers/printer/faults.js';
import type { PrinterReading } from '../../protocol/readings.js';

const HEALTHY: PrinterReading = {
  offline: false,
  paper: 'ok',
  coverOpen: false,
  cutterError: false,
  overheat: false,
  failure: false,
  recoverableError: false,
  drawerPinHigh: false,
  feedButton: false,
  paperEndStop: false,
  feeding: false,
  errorOccurred: false,
  waitingForRecovery: false,
  via: 'poll',
  statusBack: true,
  statusBackBlocks: 0,
  protocolErrors: 0,
};

/** `null` is a poll with no valid reply. */
type Poll = Partial<PrinterReading> | null;

function engineFor(overrides: Record<string, unknown> = {}) {
  let seq = 0;
  const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
  engine.setRules('printer', printerRules(resolveThresholds(allThresholdDefaults(), overrides)) as FaultRule<unknown>[]);
  let at = 0;
  return {
    engine,
    poll(change: Poll): string[] {
      at += 1;
      const sample: Sample<PrinterReading> =
        change === null ? { ok: false, at, error: new DeviceError('TIMEOUT', 'no answer to DLE EOT 1 within 500 ms') } : { ok: true, at, reading: { ...HEALTHY, ...change } };
      engine.observe('printer', sample);
      return engine.list().map((fault) => fault.code).sort();
    },
  };
}

/** Active codes after each poll. */
const run = (polls: Poll[], overrides?: Record<string, unknown>) => {
  const printer = engineFor(overrides);
  return polls.map((poll) => printer.poll(poll));
};

describe('printer faults (SPEC.md section 5)', () => {
  it('PRINTER_OFFLINE: no valid reply in 2 consecutive polls; one valid online reply clears it', () => {
    expect(run([null, {}, null, null, null, {}])).toEqual([[], [], [], ['PRINTER_OFFLINE'], ['PRINTER_OFFLINE'], []]);
  });

  it('PRINTER_OFFLINE at once when the printer reports offline for no cause another fault names', () => {
    expect(run([{ offline: true, waitingForRecovery: true }, {}])).toEqual([['PRINTER_OFFLINE'], []]);
    expect(run([{ offline: true, recoverableError: true }])).toEqual([['PRINTER_OFFLINE']]);
  });

  it('an open cover or the paper end takes the printer offline: then only that fault', () => {
    expect(run([{ offline: true, coverOpen: true }])).toEqual([['PRINTER_COVER_OPEN']]);
    expect(run([{ offline: true, paper: 'out', paperEndStop: true }])).toEqual([['PRINTER_PAPER_OUT']]);
    expect(run([{ offline: true, failure: true }])).toEqual([['PRINTER_FAILURE']]);
    expect(run([{ offline: true, cutterError: true }])).toEqual([['PRINTER_CUTTER_ERROR']]);
    expect(run([{ offline: true, overheat: true }])).toEqual([['PRINTER_OVERHEAT']]);
  });

  it('feeding paper with the button is no fault, though the printer is offline meanwhile', () => {
    expect(run([{ offline: true, feeding: true }])).toEqual([[]]);
    // A status back block has no "feeding" bit, only the button.
    expect(run([{ offline: true, feedButton: true, feeding: undefined, via: 'statusBack' }])).toEqual([[]]);
  });

  it('a silent printer that answers again with its cover open: offline clears, cover open raises', () => {
    expect(run([null, null, { offline: true, coverOpen: true }])).toEqual([[], ['PRINTER_OFFLINE'], ['PRINTER_COVER_OPEN']]);
  });

  it('paper is one state: low, then out (low clears), then ok (out clears)', () => {
    expect(run([{ paper: 'low' }, { paper: 'out', offline: true }, { paper: 'low' }, { paper: 'ok' }])).toEqual([
      ['PRINTER_PAPER_LOW'],
      ['PRINTER_PAPER_OUT'],
      ['PRINTER_PAPER_LOW'],
      [],
    ]);
  });

  it('raises each error flag at once and clears it at once', () => {
    for (const [flag, code] of [
      ['coverOpen', 'PRINTER_COVER_OPEN'],
      ['cutterError', 'PRINTER_CUTTER_ERROR'],
      ['overheat', 'PRINTER_OVERHEAT'],
      ['failure', 'PRINTER_FAILURE'],
    ] as const) {
      expect(run([{ [flag]: true }, {}]), flag).toEqual([[code], []]);
    }
  });

  it('a printer that stops answering keeps its other faults until it answers again', () => {
    expect(run([{ paper: 'out', offline: true }, null, null, {}])).toEqual([
      ['PRINTER_PAPER_OUT'],
      ['PRINTER_PAPER_OUT'],
      ['PRINTER_OFFLINE', 'PRINTER_PAPER_OUT'],
      [],
    ]);
  });

  it('a status back block between two silent polls shows the printer answers: the count starts over', () => {
    expect(run([null, { via: 'statusBack' }, null])).toEqual([[], [], []]);
  });

  it('takes the debounce from the config', () => {
    expect(run([null, null, null], { PRINTER_OFFLINE: { polls: 3 } })).toEqual([[], [], ['PRINTER_OFFLINE']]);
    expect(run([{ paper: 'low' }, { paper: 'low' }], { PRINTER_PAPER_LOW: { polls: 2 } })).toEqual([[], ['PRINTER_PAPER_LOW']]);
  });

  it('says in the detail what was seen and where it came from', () => {
    const printer = engineFor();
    printer.poll({ paper: 'out', paperEndStop: true, offline: true, via: 'statusBack' });
    printer.poll(null);
    printer.poll(null);
    const byCode = Object.fromEntries(printer.engine.list().map((fault) => [fault.code, fault.detail]));
    expect(byCode.PRINTER_PAPER_OUT).toEqual({ paper: 'out', paperEndStop: true, via: 'statusBack' });
    expect(byCode.PRINTER_OFFLINE).toEqual({ error: 'no answer to DLE EOT 1 within 500 ms' });
  });
});
