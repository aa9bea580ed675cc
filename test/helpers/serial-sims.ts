import { SerialportTransport } from '../../drivers/serial/serialport-transport.js';
import { SimCardReader } from '../../sim/card-reader.js';
import { SimPrinter } from '../../sim/printer.js';
import { PtyPair } from '../../sim/pty.js';

/**
 * Simulated serial devices on the device end of socat pseudo-terminals, as the agent meets real
 * ones: it opens `pair.agentPath` through `serialport`. `replug()` brings the ttys back after
 * `pair.unplug()` and reopens the device's end.
 */
export interface PtyDevice<D> {
  pair: PtyPair;
  device: D;
  replug(): Promise<void>;
  stop(): Promise<void>;
}

async function onPty<D extends { start(): Promise<void>; stop(): Promise<void> }>(
  socat: string,
  dir: string,
  name: string,
  baudRate: number,
  make: (transport: SerialportTransport) => D,
): Promise<PtyDevice<D>> {
  const pair = await PtyPair.start(socat, dir, name);
  const device = make(new SerialportTransport({ path: pair.devicePath, baudRate }));
  await device.start();
  return {
    pair,
    device,
    async replug() {
      // The device's end may not have noticed the hang-up yet: close it before opening the new tty.
      await device.stop();
      await pair.plug();
      await device.start();
    },
    async stop() {
      await device.stop();
      await pair.stop();
    },
  };
}

export const printerOnPty = (socat: string, dir: string) => onPty(socat, dir, 'printer', 115200, (transport) => new SimPrinter(transport));
export const cardReaderOnPty = (socat: string, dir: string) => onPty(socat, dir, 'reader', 38400, (transport) => new SimCardReader(transport));
