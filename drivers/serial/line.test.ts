import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { systemClock } from '../../basics/clock.js';
import { SerialLine } from './line.js';
import { memoryLine } from './memory-transport.js';

describe('SerialLine', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('opens once, delivers bytes across a reopen, and backs off while the device is gone', async () => {
    const wire = memoryLine();
    let opens = 0;
    const opener = () => {
      opens += 1;
      return wire.host;
    };
    const { log } = memoryLog();
    const line = new SerialLine(opener, { path: '/dev/ttyS1', baudRate: 115200 }, { clock: systemClock, log, random: () => 1 });
    const got: string[] = [];
    line.onData((chunk) => got.push(chunk.toString()));
    let setups = 0;
    line.onOpen(() => {
      setups += 1;
    });

    await line.ensureOpen();
    await line.ensureOpen();
    expect(opens).toBe(1);
    await wire.device.open();
    await wire.device.write(Buffer.from('one'));
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toEqual(['one']);

    wire.unplug();
    expect(line.isOpen).toBe(false);
    await expect(line.ensureOpen()).rejects.toThrow(/ENOENT/);
    // Backing off: no new open attempt until the delay has passed.
    await expect(line.ensureOpen()).rejects.toThrow(/next attempt in/);
    expect(opens).toBe(2);

    wire.plug();
    await vi.advanceTimersByTimeAsync(500);
    await line.ensureOpen();
    expect(opens).toBe(3);
    expect(setups).toBe(2);
    await wire.device.open();
    await wire.device.write(Buffer.from('two'));
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toEqual(['one', 'two']);
  });

  it('treats a failed set-up after open as not open', async () => {
    const wire = memoryLine();
    const { log } = memoryLog();
    const line = new SerialLine(() => wire.host, { path: '/dev/ttyS1', baudRate: 9600 }, { clock: systemClock, log, random: () => 0 });
    let fail = true;
    line.onOpen(() => {
      if (fail) throw new Error('enable status back failed');
    });
    await expect(line.ensureOpen()).rejects.toThrow(/status back/);
    expect(line.isOpen).toBe(false);
    fail = false;
    await line.ensureOpen();
    expect(line.isOpen).toBe(true);
  });
});
