import { describe, expect, it } from 'vitest';
import { ReaderDeframer, type ReaderToken } from '../drivers/card-reader/codec.js';
import { memoryLine } from '../drivers/serial/memory-transport.js';
import { SimCardReader, TEST_TRACK } from './card-reader.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

async function readerLine() {
  const wire = memoryLine('/dev/ttyS2', 'random');
  const reader = new SimCardReader(wire.device);
  await reader.start();
  await wire.host.open();
  const received: Buffer[] = [];
  wire.host.onData((chunk) => received.push(chunk));
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
  return {
    reader,
    async send(bytes: Buffer): Promise<Buffer> {
      received.length = 0;
      await wire.host.write(bytes);
      await settle();
      return Buffer.concat(received);
    },
    received: () => Buffer.concat(received),
    settle,
  };
}

describe('simulated card reader (DEVICES.md golden vectors)', () => {
  it('answers the golden status request with ACK and the golden reply: 1204 reads, 3 errors', async () => {
    const line = await readerLine();
    line.reader.set({ errorRatio: 3 / 1204 });
    line.reader.swipe(1204, { events: false });
    expect(await line.send(hex('02 53 00 00 03 52'))).toEqual(hex('06 02 53 00 09 00 00 00 04 B4 00 00 00 03 03 E8'));
  });

  it('answers V with firmware;serial and T with the code of its state', async () => {
    const line = await readerLine();
    const frames = (bytes: Buffer) => new ReaderDeframer().push(bytes).filter((t): t is Extract<ReaderToken, { kind: 'frame' }> => t.kind === 'frame');
    const [version] = frames(await line.send(hex('02 56 00 00 03 57')));
    expect(version!.frame.data.toString()).toBe('2.4.1;SN0012345');
    const selfTest = async () => frames(await line.send(hex('02 54 00 00 03 55')))[0]!.frame.status;
    expect(await selfTest()).toBe(0x00);
    line.reader.set({ readHeadFault: true });
    expect(await selfTest()).toBe(0x10);
    line.reader.set({ readHeadFault: false, sensorFault: true });
    expect(await selfTest()).toBe(0x11);
    line.reader.set({ tamperLive: true });
    expect(await selfTest()).toBe(0x12);
  });

  it('answers a bad LRC, a bad length and an unknown command with NAK alone, and skips noise', async () => {
    const line = await readerLine();
    expect(await line.send(hex('02 53 00 00 03 00'))).toEqual(hex('15'));
    expect(await line.send(hex('02 53 00 FB'))).toEqual(hex('15'));
    expect(await line.send(hex('02 5A 00 00 03 5B'))).toEqual(hex('15'));
    expect(await line.send(Buffer.from('noise'))).toEqual(Buffer.alloc(0));
    expect(line.reader.refused).toBe(3);
  });

  it('sets each FLAGS bit', async () => {
    const line = await readerLine();
    line.reader.set({ cardPresent: true, slotBlocked: true, tamperLive: true, tamperLatched: true, readHeadFault: true, lowPower: true });
    const reply = await line.send(hex('02 53 00 00 03 52'));
    expect(reply[5]).toBe(0x3f);
  });

  it('sends K, D with the test track and R for a good read, K and X for a failed one', async () => {
    const line = await readerLine();
    line.reader.swipe(1, { track: TEST_TRACK });
    line.reader.set({ errorRatio: 1 });
    line.reader.swipe(1, { track: TEST_TRACK });
    await line.settle();
    const bytes = line.received();
    expect(bytes.toString('latin1')).toContain(TEST_TRACK);
    const tokens = new ReaderDeframer().push(bytes);
    expect(tokens.map((t) => (t.kind === 'frame' ? t.frame.data.toString('latin1') : t.kind))).toEqual(['K', 'D', 'R', 'K', 'X']);
    expect([line.reader.reads, line.reader.readErrors]).toEqual([2, 1]);
  });

  it('keeps its error ratio exactly, restarts with counters at 0, and answers nothing while silent', async () => {
    const line = await readerLine();
    line.reader.set({ errorRatio: 0.2 });
    line.reader.swipe(50, { events: false });
    expect([line.reader.reads, line.reader.readErrors]).toEqual([50, 10]);
    line.reader.restart();
    expect([line.reader.reads, line.reader.readErrors]).toEqual([0, 0]);
    line.reader.set({ silent: true });
    expect(await line.send(hex('02 53 00 00 03 52'))).toEqual(Buffer.alloc(0));
    expect(() => line.reader.set({ errorRatio: 1.5 })).toThrow(/between 0 and 1/);
  });
});
