import { SimCardReader } from '../../sim/card-reader.js';
import { SimPrinter } from '../../sim/printer.js';
import type { SerialTransport } from '../../drivers/serial/transport.js';
import { ptyWire, type SimWire } from '../../sim/wiring.js';

/**
 * A simulated serial device on the device end of a socat pseudo-terminal (sim/wiring.ts), as the
 * agent meets a real one: it opens `agentPath` through `serialport`. `replug()` brings the ttys
 * back after `unplug()` and reopens the device's end.
 */
export interface PtyDevice<D> {
  wire: SimWire;
  device: D;
  agentPath: string;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  stop(): Promise<void>;
}

async function onPty<D>(socat: string, dir: string, name: string, baudRate: number, make: (deviceEnd: SerialTransport) => D): Promise<PtyDevice<D>> {
  const wire = await ptyWire(socat, dir, name, baudRate);
  return {
    wire,
    device: make(wire.deviceEnd),
    agentPath: wire.agentPath,
    unplug: () => wire.unplug(),
    replug: () => wire.plug(),
    stop: () => wire.close(),
  };
}

export const printerOnPty = (socat: string, dir: string) => onPty(socat, dir, 'printer', 115200, (deviceEnd) => new SimPrinter(deviceEnd));
export const cardReaderOnPty = (socat: string, dir: string) => onPty(socat, dir, 'reader', 38400, (deviceEnd) => new SimCardReader(deviceEnd));
