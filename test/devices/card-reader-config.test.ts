import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../basics/errors.js';
import { parseConfig } from '../../agent/config.js';
import { cardReader } from '../../drivers/card-reader/index.js';
import type { CardReaderReading } from '../../protocol/readings.js';

const base = { terminalId: 'T-000123', mqtt: { url: 'mqtt://127.0.0.1:1883' } };
const problemsOf = (input: unknown) => {
  const result = parseConfig(input, {}, '/etc/pos-agent');
  return result.ok ? [] : result.problems.map((problem) => problem.path);
};

describe('the card reader module', () => {
  it('fills the defaults of SPEC.md section 3', () => {
    expect(cardReader.config.parse({ path: '/dev/ttyS2' })).toEqual({ path: '/dev/ttyS2', baudRate: 38400, pollSeconds: 5 });
  });

  it('reports a missing path and an unknown key with their paths', () => {
    expect(problemsOf({ ...base, devices: { cardReader: { pollSecs: 5 } } }).sort()).toEqual(['devices.cardReader.path', 'devices.cardReader.pollSecs']);
  });

  it('takes the read-error levels and the debounce in the config', () => {
    const thresholds = { READER_READ_ERRORS: { raisePercent: 30, clearPercent: 5, minReads: 50 }, READER_JAMMED: { polls: 3, clearPolls: 2 } };
    expect(problemsOf({ ...base, devices: { cardReader: { path: '/dev/ttyS2' } }, thresholds })).toEqual([]);
    expect(problemsOf({ ...base, thresholds: { READER_READ_ERRORS: { window: 5 } } })).toEqual(['thresholds.READER_READ_ERRORS.window']);
  });

  it('puts only online in the heartbeat', () => {
    const reading = { reads: 1204, readErrors: 3, firmware: '2.4.1' } as CardReaderReading;
    expect(cardReader.heartbeat({ ok: true, at: 1, reading })).toEqual({ online: true });
    expect(cardReader.heartbeat({ ok: false, at: 1, error: new DeviceError('TIMEOUT', 'silent') })).toEqual({ online: false });
  });
});
