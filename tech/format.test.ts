import { describe, expect, it } from 'vitest';
import { formatDiag, formatFaults, formatRecord, formatStatus, style, wantsColour } from './format.js';

const plain = style(false);
const coloured = style(true);

describe('technician output', () => {
  it('shows a log record the way pino-pretty does, other fields indented', () => {
    const record = { level: 40, time: 1_700_000_000_000, pid: 7, device: 'battery', msg: 'capacity: not an integer', file: '/sys/x', detail: { a: 1 } };
    expect(formatRecord(record, plain)).toBe(
      ['[2023-11-14 22:13:20.000Z] WARN (battery): capacity: not an integer', '    file: "/sys/x"', '    detail: {', '      "a": 1', '    }'].join('\n'),
    );
    expect(formatRecord({ level: 30, time: 0, msg: 'no device' }, plain)).toBe('[1970-01-01 00:00:00.000Z] INFO: no device');
    expect(formatRecord({ level: 33, msg: 'odd' }, plain)).toBe('[-] 33: odd');
  });

  it('colours only when asked, and asks only on a terminal that wants colours', () => {
    expect(formatRecord({ level: 50, time: 0, msg: 'x' }, coloured)).toContain('\u001b[31mERROR\u001b[0m');
    expect(formatRecord({ level: 50, time: 0, msg: 'x' }, plain)).not.toContain('\u001b[');
    expect(wantsColour({ isTTY: true }, {})).toBe(true);
    expect(wantsColour({ isTTY: false }, {})).toBe(false);
    expect(wantsColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
  });

  it('sums up status, faults and diag in a few lines', () => {
    const status = formatStatus(
      {
        terminalId: 'T-1',
        availability: 'DEGRADED',
        reasons: ['BATTERY_LOW'],
        faults: [{ id: 'f-3', code: 'BATTERY_LOW', severity: 'warning', raisedAt: 0, message: 'Battery is low' }],
        devices: { battery: { online: true, at: 0, reading: { percent: 12, status: 'Discharging' } }, printer: { online: false, error: 'no reply' } },
        outbox: { depth: 0, dropped: 0 },
        connection: { up: true },
        logLevel: { level: 'debug', configured: 'info', until: 60_000 },
      },
      plain,
    );
    expect(status).toContain('T-1  DEGRADED  BATTERY_LOW');
    expect(status).toMatch(/warning\s+BATTERY_LOW\s+f-3\s+since 1970-01-01 00:00:00.000Z\s+Battery is low/);
    expect(status).toMatch(/battery\s+online .* percent=12 status=Discharging/);
    expect(status).toMatch(/printer\s+offline .* no reply/);
    expect(status).toContain('log level: debug until 1970-01-01 00:01:00.000Z, then info');

    const merchant = {
      file: '/opt/payapp/params.json',
      values: { mid: '102310054110002', tid: '00012345', mcc: '5411', name: null },
      baseline: {
        mid: { value: '102310058120007', how: 'first-read', at: 0 },
        tid: { value: '00012345', how: 'first-read', at: 0 },
        mcc: { value: '5812', how: 'provisioned', at: 0 },
        name: { value: null, how: 'first-read', at: 0 },
      },
      changed: { mid: { baseline: '102310058120007', current: '102310054110002' }, mcc: { baseline: '5812', current: '5411' } },
    };
    const withMerchant = formatStatus({ terminalId: 'T-1', devices: { merchant: { online: true, at: 0, reading: merchant } } }, plain);
    expect(withMerchant).toContain(
      'mid=102310054110002 tid=00012345 mcc=5411 name=(none); baseline mid/tid/name first-read 1970-01-01 00:00:00.000Z, mcc provisioned 1970-01-01 00:00:00.000Z; CHANGED mid 102310058120007 -> 102310054110002, mcc 5812 -> 5411',
    );
    const unreadable = formatStatus({ terminalId: 'T-1', devices: { merchant: { online: true, at: 0, reading: { file: '/p.json', problem: 'missing', baseline: {} } } } }, plain);
    expect(unreadable).toMatch(/merchant\s+online .* \/p\.json: missing/);

    const faults = formatFaults({ faults: [{ ts: 0, id: 'f-3', device: 'battery', code: 'BATTERY_LOW', severity: 'warning', state: 'cleared', message: 'Battery is low', detail: { percent: 50 } }] }, plain);
    expect(faults).toMatch(/^1970-01-01 00:00:00.000Z\s+cleared\s+warning\s+BATTERY_LOW\s+f-3\s+Battery is low\s+percent=50$/);
    expect(formatFaults({ faults: [] }, plain)).toBe('no faults in the journal');

    const diag = formatDiag({ pass: false, devices: { battery: { pass: true, detail: { percent: 80 } }, printer: { pass: false, detail: { error: 'cover open' } } } }, plain);
    expect(diag.split('\n')).toEqual(['battery    PASS  percent=80', 'printer    FAIL  error=cover open', 'a self-test failed']);
  });
});
