import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../basics/errors.js';
import { parseConfig } from '../../agent/config.js';
import { printer } from '../../drivers/printer/index.js';
import type { PrinterReading } from '../../protocol/readings.js';

const base = { terminalId: 'T-000123', mqtt: { url: 'mqtt://127.0.0.1:1883' } };
const problemsOf = (input: unknown) => {
  const result = parseConfig(input, {}, '/etc/pos-agent');
  return result.ok ? [] : result.problems.map((problem) => problem.path);
};

describe('the printer module', () => {
  it('fills the defaults of SPEC.md section 3, status back on', () => {
    expect(printer.config.parse({ path: '/dev/ttyS1' })).toEqual({ path: '/dev/ttyS1', baudRate: 115200, pollSeconds: 5, statusBack: true });
    expect(printer.pollSeconds(printer.config.parse({ path: '/dev/ttyS1', pollSeconds: 2 }))).toBe(2);
  });

  it('reports a missing path, a bad baud rate and an unknown key with their paths', () => {
    expect(problemsOf({ ...base, devices: { printer: { baudRate: 0, statusback: true } } }).sort()).toEqual([
      'devices.printer.baudRate',
      'devices.printer.path',
      'devices.printer.statusback',
    ]);
  });

  it('takes its fault thresholds in the config, and no unknown ones', () => {
    expect(problemsOf({ ...base, devices: { printer: { path: '/dev/ttyS1' } }, thresholds: { PRINTER_OFFLINE: { polls: 3 } } })).toEqual([]);
    expect(problemsOf({ ...base, thresholds: { PRINTER_PAPER_LOW: { raisePercent: 3 } } })).toEqual(['thresholds.PRINTER_PAPER_LOW.raisePercent']);
  });

  it('puts online and paper in the heartbeat, and only online: false when it does not answer', () => {
    const reading = { paper: 'low', coverOpen: true, offline: true } as PrinterReading;
    expect(printer.heartbeat({ ok: true, at: 1, reading })).toEqual({ online: true, paper: 'low' });
    expect(printer.heartbeat({ ok: false, at: 1, error: new DeviceError('TIMEOUT', 'silent') })).toEqual({ online: false });
  });
});
