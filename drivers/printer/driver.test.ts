import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../basics/clock.js';
import { SimPrinter } from '../../sim/printer.js';
import { brokenLine } from '../../test/helpers/broken-line.js';
import { memoryLog } from '../../test/helpers/log.js';
import { memoryLine, type Chunking, type MemoryLine } from '../serial/memory-transport.js';
import type { Driver } from '../types.js';
import { createPrinterDriver } from './driver.js';
import type { PrinterReading } from '../../protocol/readings.js';

const signal = () => new AbortController().signal;
const opened: Driver<PrinterReading>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((driver) => driver.close?.()));
});

async function setup(options: { chunking?: Chunking; statusBack?: boolean } = {}) {
  const wire: MemoryLine = memoryLine('/dev/ttyS1', options.chunking ?? 'whole');
  const printer = new SimPrinter(wire.device);
  await printer.start();
  const { log, records } = memoryLog();
  const driver = createPrinterDriver(
    { path: '/dev/ttyS1', baudRate: 115200, pollSeconds: 5, statusBack: options.statusBack ?? false },
    { serial: () => wire.host, clock: systemClock, log },
  );
  opened.push(driver);
  const pushed: PrinterReading[] = [];
  driver.watch!((reading) => pushed.push(reading));
  return { wire, printer, driver, pushed, records };
}

async function until(what: string, condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Polls until one succeeds, as the scheduler would (the line backs off between opens). */
async function readEventually(driver: Driver<PrinterReading>, ms = 10_000): Promise<PrinterReading> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await driver.read(signal());
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe.each(['whole', 'bytewise', 'random'] as const)('printer driver against the simulated printer (%s chunks)', (chunking) => {
  it('reads every state the simulated printer can be in', async () => {
    const { printer, driver } = await setup({ chunking });
    expect(await driver.read(signal())).toMatchObject({
      offline: false, paper: 'ok', coverOpen: false, cutterError: false, overheat: false, failure: false,
      via: 'poll', statusBack: false, protocolErrors: 0,
    });

    const cases: [Parameters<SimPrinter['set']>[0], Partial<PrinterReading>][] = [
      [{ paper: 'low' }, { paper: 'low', offline: false }],
      [{ paper: 'out' }, { paper: 'out', offline: true, paperEndStop: true, coverOpen: false }],
      [{ coverOpen: true }, { coverOpen: true, offline: true, paper: 'ok' }],
      [{ cutterError: true }, { cutterError: true, offline: true, errorOccurred: true }],
      [{ overheat: true }, { overheat: true, offline: true, errorOccurred: true }],
      [{ failure: true }, { failure: true, offline: true, errorOccurred: true }],
      [{ offline: true }, { offline: true, waitingForRecovery: true, coverOpen: false, failure: false }],
      [{ drawerPinHigh: true }, { drawerPinHigh: true, offline: false }],
    ];
    for (const [state, expected] of cases) {
      printer.set({ paper: 'ok', coverOpen: false, cutterError: false, overheat: false, failure: false, offline: false, drawerPinHigh: false, ...state });
      expect(await driver.read(signal()), JSON.stringify(state)).toMatchObject(expected);
    }
    expect(printer.answered.slice(1)).toEqual([9, 9, 9, 9]);
  });

  it('with status back, reports a change as it happens, without a poll', async () => {
    const { printer, driver, pushed } = await setup({ chunking, statusBack: true });
    await driver.open!();
    // The printer answers GS a with a block at once.
    await until('the first status back block', () => pushed.length === 1);
    expect(printer.statusBackEnabled).toBe(true);
    expect(pushed[0]).toMatchObject({ via: 'statusBack', paper: 'ok', offline: false, statusBack: true, statusBackBlocks: 1 });

    printer.set({ coverOpen: true });
    await until('the cover-open block', () => pushed.length === 2);
    printer.set({ coverOpen: false, paper: 'out' });
    await until('the paper-out block', () => pushed.length === 3);
    expect(pushed.slice(1).map((r) => ({ coverOpen: r.coverOpen, paper: r.paper, offline: r.offline }))).toEqual([
      { coverOpen: true, paper: 'ok', offline: true },
      { coverOpen: false, paper: 'out', offline: true },
    ]);
    expect(printer.answered.slice(1)).toEqual([0, 0, 0, 0]);
    // And it still polls.
    expect(await driver.read(signal())).toMatchObject({ via: 'poll', paper: 'out', statusBackBlocks: 3 });
  });
});

describe('printer driver', () => {
  it('without status back, never sends GS a and pushes nothing', async () => {
    const { printer, driver, pushed } = await setup({ statusBack: false });
    await driver.read(signal());
    printer.set({ coverOpen: true });
    expect(await driver.read(signal())).toMatchObject({ coverOpen: true });
    expect(printer.statusBackEnabled).toBe(false);
    expect(printer.blocksSent).toBe(0);
    expect(pushed).toEqual([]);
  });

  it('does not answer a poll with replies older than a status back block that came in between them', async () => {
    const { wire, printer, driver, pushed } = await setup({ statusBack: true });
    await driver.read(signal());
    await until('status back on', () => pushed.length === 1);
    printer.set({ coverOpen: true });
    await until('the cover-open block', () => pushed.length === 2);
    // The cover is closed right after the printer answered DLE EOT 2 of the next poll: replies 1
    // and 2 say open, the block and replies 3 and 4 say closed.
    let closed = false;
    const askedBefore = printer.answered[1]!;
    wire.device.onData((chunk) => {
      if (!closed && chunk.equals(Buffer.from([0x10, 0x04, 2]))) {
        closed = true;
        printer.set({ coverOpen: false });
      }
    });
    const reading = await driver.read(signal());
    expect(closed).toBe(true);
    expect(pushed.at(-1)).toMatchObject({ via: 'statusBack', coverOpen: false });
    expect(reading).toMatchObject({ via: 'poll', coverOpen: false, offline: false });
    // Asked twice: once across the change, once after it.
    expect(printer.answered[1]! - askedBefore).toBe(2);
  });

  it('fails a poll of a silent printer after 500 ms for the first byte', async () => {
    const { printer, driver } = await setup();
    printer.set({ silent: true });
    await expect(driver.read(signal())).rejects.toMatchObject({ code: 'TIMEOUT', message: 'no answer to DLE EOT 1 within 500 ms' });
  });

  it('asks for status back again when a power-cycled printer answers again (its tty never closed)', async () => {
    const { printer, driver, pushed } = await setup({ statusBack: true });
    await driver.read(signal());
    expect(printer.statusBackEnabled).toBe(true);
    printer.set({ silent: true });
    await expect(driver.read(signal())).rejects.toThrow(/no answer/);
    printer.set({ silent: false });
    expect(printer.statusBackEnabled).toBe(false);
    await driver.read(signal());
    await until('status back asked for again', () => printer.statusBackEnabled);
    const before = pushed.length;
    printer.set({ paper: 'low' });
    await until('a block after the power cycle', () => pushed.length > before && pushed.at(-1)!.paper === 'low');
  });

  it('fails a poll at once when the request cannot be written, and leaves no timer to fire later', async () => {
    const { log } = memoryLog();
    const driver = createPrinterDriver({ path: '/dev/ttyS1', baudRate: 115200, pollSeconds: 5, statusBack: false }, { serial: () => brokenLine('/dev/ttyS1'), clock: systemClock, log });
    await expect(driver.read(signal())).rejects.toThrow(/EIO/);
    // Past the reply timeout: a timer left behind would now reject with nobody listening.
    await new Promise((resolve) => setTimeout(resolve, 600));
  });

  it('drops and counts bytes of no known shape, and reads correctly right after', async () => {
    const { wire, driver } = await setup({ chunking: 'bytewise' });
    await driver.read(signal());
    await wire.device.write(Uint8Array.of(0xff, 0x80, 0x01));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await driver.read(signal())).toMatchObject({ paper: 'ok', offline: false, protocolErrors: 3 });
  });

  it('reports an unplugged printer as failed polls and opens it again by itself when it is back', async () => {
    const { wire, printer, driver, records } = await setup();
    await driver.read(signal());
    wire.unplug();
    await expect(driver.read(signal())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    wire.plug();
    await printer.start();
    expect(await readEventually(driver)).toMatchObject({ paper: 'ok' });
    expect(records.some((record) => /closed by itself/.test(record.msg))).toBe(true);
  });

  it('self-test: a full status poll that passes when online with no error, with every flag', async () => {
    const { printer, driver } = await setup();
    expect(await driver.selfTest!(signal())).toMatchObject({ pass: true, detail: { offline: false, paper: 'ok', coverOpen: false } });
    printer.set({ paper: 'low' });
    expect((await driver.selfTest!(signal())).pass).toBe(true);
    printer.set({ coverOpen: true });
    const open = await driver.selfTest!(signal());
    expect(open).toMatchObject({ pass: false, detail: { coverOpen: true, offline: true } });
    expect(Object.keys(open.detail)).toEqual(expect.arrayContaining(['cutterError', 'overheat', 'failure', 'drawerPinHigh', 'feedButton']));
  });

  it('a poll and a self-test at once take turns on the line', async () => {
    const { printer, driver } = await setup({ chunking: 'random' });
    printer.set({ cutterError: true });
    const [reading, test] = await Promise.all([driver.read(signal()), driver.selfTest!(signal())]);
    expect(reading).toMatchObject({ cutterError: true, offline: true });
    expect(test).toMatchObject({ pass: false, detail: { cutterError: true } });
    expect(printer.answered.slice(1)).toEqual([2, 2, 2, 2]);
  });
});
