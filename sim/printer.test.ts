import { describe, expect, it } from 'vitest';
import { memoryLine } from '../drivers/serial/memory-transport.js';
import { SimPrinter, type PrinterState } from './printer.js';

/** The host's end of a line to a simulated printer: what it writes, and the bytes that come back. */
async function printerLine() {
  const wire = memoryLine('/dev/ttyS1', 'bytewise');
  const printer = new SimPrinter(wire.device);
  await printer.start();
  await wire.host.open();
  const received: number[] = [];
  wire.host.onData((chunk) => received.push(...chunk));
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
  return {
    printer,
    received,
    async send(bytes: number[]): Promise<number[]> {
      received.length = 0;
      await wire.host.write(Uint8Array.from(bytes));
      await settle();
      return [...received];
    },
    settle,
  };
}

const HEALTHY: Partial<PrinterState> = { paper: 'ok', coverOpen: false, cutterError: false, overheat: false, failure: false, offline: false, drawerPinHigh: false };

describe('simulated printer (DEVICES.md golden values)', () => {
  it('answers DLE EOT 1..4 with the golden bytes of each state', async () => {
    const line = await printerLine();
    const answers = async (state: Partial<PrinterState>) => {
      line.printer.set({ ...HEALTHY, ...state });
      return line.send([0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4]);
    };
    expect(await answers({})).toEqual([0x12, 0x12, 0x12, 0x12]);
    expect((await answers({ drawerPinHigh: true }))[0]).toBe(0x16);
    expect((await answers({ offline: true }))[0]! & 0x08).toBe(0x08);
    expect(await answers({ coverOpen: true })).toEqual([0x1a, 0x16, 0x12, 0x12]);
    expect(await answers({ paper: 'low' })).toEqual([0x12, 0x12, 0x12, 0x1e]);
    expect(await answers({ paper: 'out' })).toEqual([0x1a, 0x32, 0x12, 0x7e]);
    expect((await answers({ cutterError: true }))[2]).toBe(0x1a);
    expect((await answers({ failure: true }))[2]).toBe(0x32);
    expect((await answers({ overheat: true }))[2]).toBe(0x52);
  });

  it('ignores print data and answers a request split across chunks', async () => {
    const line = await printerLine();
    expect(await line.send([0x1b, 0x40, 0x41, 0x42, 0x0a, 0x10])).toEqual([]);
    expect(await line.send([0x04, 0x04])).toEqual([0x12]);
    expect(line.printer.answered[4]).toBe(1);
  });

  it('sends a status back block after GS a, and on every change, but not when nothing changed', async () => {
    const line = await printerLine();
    expect(await line.send([0x1d, 0x61, 0x0f])).toEqual([0x10, 0x00, 0x00, 0x00]);
    line.received.length = 0;
    line.printer.set({ coverOpen: true });
    await line.settle();
    expect(line.received).toEqual([0x38, 0x00, 0x00, 0x00]);
    line.received.length = 0;
    line.printer.set({ coverOpen: true });
    line.printer.set({ paper: 'out' });
    await line.settle();
    expect(line.received).toEqual([0x38, 0x00, 0x0f, 0x00]);
    // GS a 0 turns it off.
    await line.send([0x1d, 0x61, 0x00]);
    line.received.length = 0;
    line.printer.set({ paper: 'ok' });
    await line.settle();
    expect(line.received).toEqual([]);
  });

  it('answers nothing while silent, and forgets status back as a power cycle does', async () => {
    const line = await printerLine();
    await line.send([0x1d, 0x61, 0x0f]);
    line.printer.set({ silent: true });
    expect(await line.send([0x10, 0x04, 1])).toEqual([]);
    line.printer.set({ silent: false });
    expect(line.printer.statusBackEnabled).toBe(false);
    expect(await line.send([0x10, 0x04, 1])).toEqual([0x12]);
  });

  it('refuses a field it does not have', async () => {
    const line = await printerLine();
    expect(() => line.printer.set({ papr: 'out' } as Partial<PrinterState>)).toThrow(/no field "papr"/);
  });
});
