import { afterAll, describe, expect, it } from 'vitest';
import { SerialportTransport } from '../drivers/serial/serialport-transport.js';
import { PtyPair } from '../sim/pty.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

const socat = requireTool('socat', 'the serial hang-up test on pseudo-terminals');
afterAll(() => removeTempDirs());

describe.skipIf(!socat)('a pseudo-terminal that goes away after traffic', () => {
  // After some traffic, `serialport` often does not see a pty hang up (it reads 0 bytes in a loop);
  // several rounds make it near certain that the case comes up at least once.
  it('is reported closed on both ends within seconds, without a write', async () => {
    for (let round = 0; round < 4; round += 1) {
      const pair = await PtyPair.start(socat!, tempDir());
      const host = new SerialportTransport({ path: pair.agentPath, baudRate: 115200 });
      const device = new SerialportTransport({ path: pair.devicePath, baudRate: 115200 });
      const closed: string[] = [];
      host.onClose(() => closed.push('host'));
      device.onClose(() => closed.push('device'));
      let answered: () => void = () => {};
      host.onData(() => answered());
      device.onData(() => void device.write(Uint8Array.of(0x12)));
      try {
        await host.open();
        await device.open();
        for (let i = 0; i < 4; i += 1) {
          const reply = new Promise<void>((resolve) => (answered = resolve));
          await host.write(Uint8Array.of(0x10, 0x04, 0x01));
          await reply;
        }
        await pair.unplug();
        const deadline = Date.now() + 5_000;
        while (closed.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(closed.sort(), `round ${round}`).toEqual(['device', 'host']);
        expect(host.isOpen || device.isOpen).toBe(false);
      } finally {
        await host.close();
        await device.close();
        await pair.stop();
      }
    }
  });
});
