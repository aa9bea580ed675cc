import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../basics/clock.js';
import { FaultEngine } from '../agent/fault-engine.js';
import { memoryFaultStore } from '../agent/fault-store.js';
import { createCardReaderDriver } from '../drivers/card-reader/driver.js';
import { allThresholdDefaults, deviceModule } from '../drivers/index.js';
import { createPrinterDriver } from '../drivers/printer/driver.js';
import { serialportOpener } from '../drivers/serial/serialport-transport.js';
import { resolveThresholds } from '../drivers/thresholds.js';
import type { Driver, FaultRule, Sample } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';
import { TEST_TRACK } from '../sim/card-reader.js';
import { memoryLog } from './helpers/log.js';
import { cardReaderOnPty, printerOnPty } from './helpers/serial-sims.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import type { CardReaderReading, PrinterReading } from '../protocol/readings.js';

/**
 * The drivers on the production path: `serialport` on a tty (a socat pseudo-terminal), the
 * simulated device on the other end, and the device's own fault rules in the one fault engine.
 */

const socat = requireTool('socat', 'the printer and card reader tests on pseudo-terminals');
afterAll(() => removeTempDirs());

const signal = () => new AbortController().signal;

/** Polls a driver by hand, one sample at a time, into a fault engine with the device's rules. */
function poller<R>(device: DeviceName, driver: Driver<R>) {
  let seq = 0;
  const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
  engine.setRules(device, deviceModule(device).rules(resolveThresholds(allThresholdDefaults(), {})) as FaultRule<unknown>[]);
  return {
    async poll(): Promise<Sample<R>> {
      let sample: Sample<R>;
      try {
        sample = { ok: true, at: Date.now(), reading: await driver.read(signal()) };
      } catch (error) {
        sample = { ok: false, at: Date.now(), error: error as Error };
      }
      engine.observe(device, sample);
      return sample;
    },
    codes: () => engine.list().map((fault) => fault.code).sort(),
  };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!socat)('printer on a pseudo-terminal', () => {
  it('polls, gets status back blocks, goes offline after 2 polls when unplugged, and reopens by itself', async () => {
    const sim = await printerOnPty(socat!, tempDir());
    const { log } = memoryLog();
    const driver = createPrinterDriver({ path: sim.agentPath, baudRate: 115200, pollSeconds: 1, statusBack: true }, { serial: serialportOpener, clock: systemClock, log });
    const pushed: PrinterReading[] = [];
    driver.watch!((reading) => pushed.push(reading));
    const printer = poller('printer', driver);
    try {
      expect(await printer.poll()).toMatchObject({ ok: true, reading: { paper: 'ok', offline: false, via: 'poll' } });
      await until('the block sent after GS a', () => pushed.length >= 1);
      sim.device.set({ paper: 'out' });
      await until('the paper-out block', () => pushed.some((reading) => reading.paper === 'out'));
      expect(sim.device.answered.slice(1)).toEqual([1, 1, 1, 1]);
      expect(await printer.poll()).toMatchObject({ ok: true, reading: { paper: 'out', paperEndStop: true } });
      expect(printer.codes()).toEqual(['PRINTER_PAPER_OUT']);
      sim.device.set({ paper: 'ok' });
      await printer.poll();
      expect(printer.codes()).toEqual([]);

      await sim.unplug();
      expect((await printer.poll()).ok).toBe(false);
      expect(printer.codes()).toEqual([]);
      expect((await printer.poll()).ok).toBe(false);
      expect(printer.codes()).toEqual(['PRINTER_OFFLINE']);

      await sim.replug();
      await until('a good poll after the replug', async () => (await printer.poll()).ok);
      expect(printer.codes()).toEqual([]);
      // Reopened, so status back is on again: a change arrives by itself.
      const before = pushed.length;
      sim.device.set({ coverOpen: true });
      await until('a block after the replug', () => pushed.slice(before).some((reading) => reading.coverOpen));
    } finally {
      await driver.close!();
      await sim.stop();
    }
  });
});

describe.skipIf(!socat)('card reader on a pseudo-terminal', () => {
  it('polls, counts events, goes offline after 2 polls when unplugged, and reopens by itself', async () => {
    const sim = await cardReaderOnPty(socat!, tempDir());
    const { log, records } = memoryLog();
    const driver = createCardReaderDriver({ path: sim.agentPath, baudRate: 38400, pollSeconds: 1 }, { serial: serialportOpener, clock: systemClock, log });
    const reader = poller<CardReaderReading>('cardReader', driver);
    try {
      expect(await reader.poll()).toMatchObject({ ok: true, reading: { reads: 0, firmware: '2.4.1', serial: 'SN0012345' } });
      sim.device.set({ errorRatio: 0.5 });
      sim.device.swipe(10, { track: TEST_TRACK });
      await until('the events', async () => {
        const sample = await reader.poll();
        return sample.ok && sample.reading.events.cardInserted === 10;
      });
      const last = await reader.poll();
      expect(last).toMatchObject({ ok: true, reading: { reads: 10, readErrors: 5, events: { readOk: 5, readError: 5, cardData: 5 } } });
      expect(reader.codes()).toEqual(['READER_READ_ERRORS']);
      expect(JSON.stringify(records)).not.toContain('4111111111111111');

      await sim.unplug();
      expect((await reader.poll()).ok).toBe(false);
      expect(reader.codes()).toEqual(['READER_READ_ERRORS']);
      expect((await reader.poll()).ok).toBe(false);
      expect(reader.codes()).toEqual(['READER_OFFLINE', 'READER_READ_ERRORS']);

      await sim.replug();
      await until('a good poll after the replug', async () => (await reader.poll()).ok);
      expect(reader.codes()).toEqual(['READER_READ_ERRORS']);
    } finally {
      await driver.close!();
      await sim.stop();
    }
  });
});
