import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../basics/clock.js';
import { SimCardReader, TEST_TRACK } from '../../sim/card-reader.js';
import { brokenLine } from '../../test/helpers/broken-line.js';
import { memoryLog } from '../../test/helpers/log.js';
import { memoryLine, type Chunking } from '../serial/memory-transport.js';
import type { Driver } from '../types.js';
import { NAK } from './codec.js';
import { createCardReaderDriver } from './driver.js';
import type { CardReaderReading } from '../../protocol/readings.js';

const signal = () => new AbortController().signal;
const opened: Driver<CardReaderReading>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((driver) => driver.close?.()));
});

async function setup(chunking: Chunking = 'whole') {
  const wire = memoryLine('/dev/ttyS2', chunking);
  const reader = new SimCardReader(wire.device);
  await reader.start();
  const { log, records } = memoryLog('trace');
  const driver = createCardReaderDriver({ path: '/dev/ttyS2', baudRate: 38400, pollSeconds: 5 }, { serial: () => wire.host, clock: systemClock, log });
  opened.push(driver);
  return { wire, reader, driver, records };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

async function readEventually(driver: Driver<CardReaderReading>, ms = 10_000): Promise<CardReaderReading> {
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

describe.each(['whole', 'bytewise', 'random'] as const)('card reader driver against the simulated reader (%s chunks)', (chunking) => {
  it('reads flags, counters and the version; counts events between replies', async () => {
    const { reader, driver } = await setup(chunking);
    expect(await driver.read(signal())).toEqual({
      cardPresent: false, slotBlocked: false, tamperLive: false, tamperLatched: false, readHeadFault: false, lowPower: false,
      reads: 0, readErrors: 0, sincePrevious: { reads: 0, readErrors: 0 }, counterResets: 0,
      firmware: '2.4.1', serial: 'SN0012345',
      events: { cardInserted: 0, readOk: 0, readError: 0, cardData: 0 },
      protocolErrors: 0,
    });

    reader.set({ errorRatio: 0.25 });
    reader.swipe(8);
    reader.set({ slotBlocked: true, cardPresent: true, tamperLatched: true, lowPower: true, readHeadFault: true });
    await settle();
    const reading = await driver.read(signal());
    expect(reading).toMatchObject({
      slotBlocked: true, cardPresent: true, tamperLatched: true, tamperLive: false, lowPower: true, readHeadFault: true,
      reads: 8, readErrors: 2, sincePrevious: { reads: 8, readErrors: 2 },
      events: { cardInserted: 8, readOk: 6, readError: 2, cardData: 0 },
      protocolErrors: 0,
    });
  });

  it('takes events that arrive while it waits for a reply for events, not for the reply', async () => {
    const { reader, driver } = await setup(chunking);
    const reading = driver.read(signal());
    reader.swipe(3);
    expect((await reading).protocolErrors).toBe(0);
    await settle();
    expect((await driver.read(signal())).events.cardInserted).toBe(3);
  });
});

describe('card reader driver', () => {
  it('never keeps, logs or returns track data; logs raw frames at debug with D events masked', async () => {
    const { reader, driver, records } = await setup('random');
    await driver.read(signal());
    reader.swipe(2, { track: TEST_TRACK });
    await settle();
    const reading = await driver.read(signal());
    expect(reading.events).toEqual({ cardInserted: 2, readOk: 2, readError: 0, cardData: 2 });
    const pan = '4111111111111111';
    const everything = JSON.stringify({ reading, records });
    for (const encoding of ['latin1', 'hex', 'base64'] as const) {
      expect(everything).not.toContain(Buffer.from(pan).toString(encoding).slice(0, 16));
    }
    const logged = records.filter((record) => record.msg === 'card reader frame in').map((record) => record.frame as string);
    expect(logged.some((frame) => Buffer.from(frame, 'hex').toString('latin1').includes('D[track data]'))).toBe(true);
    expect(records.every((record) => record.level <= 20 || !('frame' in record))).toBe(true);
  });

  it('fails a poll of a silent reader after 1 s', async () => {
    const { reader, driver } = await setup();
    reader.set({ silent: true });
    await expect(driver.read(signal())).rejects.toMatchObject({ code: 'TIMEOUT', message: "no answer to 'S' status within 1000 ms" });
  });

  it('fails a poll at once when the request cannot be written, and leaves no timer to fire later', async () => {
    const { log } = memoryLog();
    const driver = createCardReaderDriver({ path: '/dev/ttyS2', baudRate: 38400, pollSeconds: 5 }, { serial: () => brokenLine('/dev/ttyS2'), clock: systemClock, log });
    await expect(driver.read(signal())).rejects.toThrow(/EIO/);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  });

  it('a NAK fails the command at once and counts as a protocol error', async () => {
    const wire = memoryLine('/dev/ttyS2');
    await wire.device.open();
    wire.device.onData(() => void wire.device.write(Uint8Array.of(NAK)));
    const { log } = memoryLog();
    const driver = createCardReaderDriver({ path: '/dev/ttyS2', baudRate: 38400, pollSeconds: 5 }, { serial: () => wire.host, clock: systemClock, log });
    opened.push(driver);
    const started = Date.now();
    await expect(driver.read(signal())).rejects.toMatchObject({ code: 'PROTOCOL', message: "the reader refused 'S' status (NAK)" });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('does not read counters that went back to 0 after a restart as a negative delta', async () => {
    const { reader, driver } = await setup();
    reader.set({ errorRatio: 0.5 });
    reader.swipe(10, { events: false });
    await driver.read(signal());
    reader.swipe(4, { events: false });
    expect((await driver.read(signal())).sincePrevious).toEqual({ reads: 4, readErrors: 2 });
    reader.restart();
    reader.swipe(2, { events: false });
    const after = await driver.read(signal());
    expect(after).toMatchObject({ reads: 2, readErrors: 1, sincePrevious: { reads: 2, readErrors: 1 }, counterResets: 1 });
  });

  it('skips noise and broken frames between replies, counts them, and reads correctly right after', async () => {
    const { reader, driver } = await setup('bytewise');
    await driver.read(signal());
    reader.sendRaw(Buffer.from('garbage'));
    reader.sendRaw(Uint8Array.of(0x02, 0x53, 0x00, 0x00, 0x03, 0x00)); // bad LRC
    reader.sendRaw(Uint8Array.of(0x02, 0x53, 0x00, 0x09, 0x00)); // cut short
    await settle();
    const reading = await driver.read(signal());
    expect(reading).toMatchObject({ reads: 0, slotBlocked: false });
    expect(reading.protocolErrors).toBeGreaterThanOrEqual(3);
  });

  it('reports an unplugged reader as failed polls and opens it again by itself, asking its version again', async () => {
    const { wire, reader, driver } = await setup();
    await driver.read(signal());
    wire.unplug();
    await expect(driver.read(signal())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    reader.set({ firmware: '2.5.0' });
    wire.plug();
    await reader.start();
    expect(await readEventually(driver)).toMatchObject({ firmware: '2.5.0', serial: 'SN0012345' });
  });

  it("self-test: 'T' with its result code mapped to pass or fail", async () => {
    const { reader, driver } = await setup();
    expect(await driver.selfTest!(signal())).toEqual({ pass: true, detail: { result: 'pass', code: '0x00' } });
    reader.set({ readHeadFault: true });
    expect(await driver.selfTest!(signal())).toEqual({ pass: false, detail: { result: 'read head fault', code: '0x10' } });
    reader.set({ readHeadFault: false, sensorFault: true });
    expect(await driver.selfTest!(signal())).toEqual({ pass: false, detail: { result: 'sensor fault', code: '0x11' } });
    reader.set({ tamperLatched: true });
    expect(await driver.selfTest!(signal())).toEqual({ pass: false, detail: { result: 'keys erased (tamper)', code: '0x12' } });
  });

  it('a poll and a self-test at once take turns: each gets its own reply', async () => {
    const { reader, driver } = await setup('random');
    const [reading, test] = await Promise.all([driver.read(signal()), driver.selfTest!(signal()), driver.read(signal())]);
    expect(reading.reads).toBe(0);
    expect(test.pass).toBe(true);
    expect(reader.refused).toBe(0);
    expect(reader.answered).toBe(4);
  });
});
