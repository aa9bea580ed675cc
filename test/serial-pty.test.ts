import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../basics/clock.js';
import { SerialLine } from '../drivers/serial/line.js';
import { SerialportTransport, serialportOpener } from '../drivers/serial/serialport-transport.js';
import { memoryLog } from './helpers/log.js';
import { PtyPair } from '../sim/pty.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

const socat = requireTool('socat', 'the serial tests on pseudo-terminals');

afterAll(() => removeTempDirs());

function received(transport: { onData(listener: (chunk: Buffer) => void): void }) {
  const chunks: Buffer[] = [];
  transport.onData((chunk) => chunks.push(chunk));
  return {
    async waitFor(bytes: number, ms = 3_000): Promise<Buffer> {
      const deadline = Date.now() + ms;
      while (Buffer.concat(chunks).length < bytes) {
        if (Date.now() > deadline) throw new Error(`received ${Buffer.concat(chunks).length} of ${bytes} bytes`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return Buffer.concat(chunks);
    },
  };
}

describe.skipIf(!socat)('serial transport on pseudo-terminals (serialport)', () => {
  it('carries bytes both ways, byte for byte', async () => {
    const pair = await PtyPair.start(socat!, tempDir());
    const host = new SerialportTransport({ path: pair.agentPath, baudRate: 115200 });
    const device = new SerialportTransport({ path: pair.devicePath, baudRate: 115200 });
    try {
      await host.open();
      await device.open();
      const atDevice = received(device);
      const atHost = received(host);
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await host.write(all);
      expect(await atDevice.waitFor(256)).toEqual(all);
      await device.write(Buffer.from([0x12, 0x16, 0x7e]));
      expect(await atHost.waitFor(3)).toEqual(Buffer.from([0x12, 0x16, 0x7e]));
    } finally {
      await host.close();
      await device.close();
      await pair.stop();
    }
  });

  it('reports an unplug, fails while the tty is gone, and reopens by itself when it is back', async () => {
    const pair = await PtyPair.start(socat!, tempDir());
    const { log, records } = memoryLog();
    const line = new SerialLine(serialportOpener, { path: pair.agentPath, baudRate: 115200 }, { clock: systemClock, log, random: () => 0 });
    try {
      await line.ensureOpen();
      expect(line.isOpen).toBe(true);

      await pair.unplug();
      const deadline = Date.now() + 3_000;
      while (line.isOpen && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(line.isOpen).toBe(false);
      expect(records.some((record) => /closed by itself/.test(record.msg))).toBe(true);
      await expect(line.ensureOpen()).rejects.toMatchObject({ code: 'UNAVAILABLE' });

      await pair.plug();
      await line.ensureOpen();
      expect(line.isOpen).toBe(true);
      const device = new SerialportTransport({ path: pair.devicePath, baudRate: 115200 });
      await device.open();
      const atDevice = received(device);
      await line.write(Buffer.from('AT\r'));
      expect((await atDevice.waitFor(3)).toString()).toBe('AT\r');
      await device.close();
    } finally {
      await line.close();
      await pair.stop();
    }
  });
});
