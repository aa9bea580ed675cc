import { describe, expect, it } from 'vitest';
import { SimPrinter } from './printer.js';
import { memoryLine } from '../drivers/serial/memory-transport.js';
import { checkFields } from './device-state.js';

describe('checkFields', () => {
  it('passes a change of known fields and the extra ones, and names the device and the field it does not have', () => {
    const current = { paper: 'ok', coverOpen: false };
    expect(checkFields('printer', { paper: 'out' }, current)).toEqual({ paper: 'out' });
    expect(checkFields('battery', { raw: {} } as object, current, ['raw'])).toEqual({ raw: {} });
    expect(() => checkFields('printer', { papper: 'out' } as object, current)).toThrow('printer has no field "papper"');
  });

  it("is what a simulated device's set checks first: a typo changes nothing", () => {
    const printer = new SimPrinter(memoryLine('/dev/sim/printer').device);
    expect(() => printer.set({ paper: 'out', coverOpn: true } as object)).toThrow('printer has no field "coverOpn"');
    expect(printer.current.paper).toBe('ok');
  });
});
