import { describe, expect, it } from 'vitest';
import { FAULTS, type FaultCode } from '../protocol/faults.js';
import { verdict } from './availability.js';
import type { ActiveFault } from './fault-engine.js';

const fault = (code: FaultCode, raiseSeq: number): ActiveFault => ({
  id: `f-${raiseSeq}`,
  code,
  device: FAULTS[code].device,
  severity: FAULTS[code].severity,
  raisedAt: raiseSeq,
  message: FAULTS[code].message,
  detail: {},
  raiseSeq,
});

describe('availability verdict', () => {
  it('is IN_SERVICE with no faults', () => {
    expect(verdict([], false)).toEqual({ availability: 'IN_SERVICE', reasons: [] });
  });

  it('is DEGRADED with warnings only', () => {
    expect(verdict([fault('BATTERY_LOW', 1)], false)).toEqual({ availability: 'DEGRADED', reasons: ['BATTERY_LOW'] });
  });

  it('is OUT_OF_SERVICE with any critical fault', () => {
    expect(verdict([fault('BATTERY_CRITICAL', 2), fault('BATTERY_LOW', 1)], false)).toEqual({
      availability: 'OUT_OF_SERVICE',
      reasons: ['BATTERY_CRITICAL', 'BATTERY_LOW'],
    });
  });

  it('is MAINTENANCE under maintenance, whatever the faults, with MAINTENANCE first', () => {
    expect(verdict([fault('BATTERY_CRITICAL', 2)], true)).toEqual({ availability: 'MAINTENANCE', reasons: ['MAINTENANCE', 'BATTERY_CRITICAL'] });
    expect(verdict([], true)).toEqual({ availability: 'MAINTENANCE', reasons: ['MAINTENANCE'] });
  });
});
