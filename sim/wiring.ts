import { DeviceError } from '../basics/errors.js';
import { memoryLine, type MemoryLine } from '../drivers/serial/memory-transport.js';
import { SerialportTransport } from '../drivers/serial/serialport-transport.js';
import type { SerialOpener, SerialTransport } from '../drivers/serial/transport.js';
import { PtyPair } from './pty.js';

/**
 * The line between a simulated serial device and the agent. On pseudo-terminals (socat) the
 * agent opens a real tty through `serialport`, its production path; in process, both ends are
 * an in-memory pair, for the demo, fleet mode and fast tests. Either can be unplugged.
 */
export interface SimWire {
  /** What the agent's config names as the device's `path`. */
  readonly agentPath: string;
  /** The simulated device's end of the line. */
  readonly deviceEnd: SerialTransport;
  unplug(): Promise<void>;
  /** The line is back and the device's end open again. */
  plug(): Promise<void>;
  close(): Promise<void>;
}

export type SerialWiring = { kind: 'pty'; socat: string } | { kind: 'memory' };

export async function ptyWire(socat: string, dir: string, name: string, baudRate: number): Promise<SimWire> {
  const pair = await PtyPair.start(socat, dir, name);
  const deviceEnd = new SerialportTransport({ path: pair.devicePath, baudRate });
  await deviceEnd.open();
  return {
    agentPath: pair.agentPath,
    deviceEnd,
    unplug: () => pair.unplug(),
    async plug() {
      // The device's end may not have noticed the hang-up yet: close it before the new tty.
      await deviceEnd.close();
      await pair.plug();
      await deviceEnd.open();
    },
    async close() {
      await deviceEnd.close();
      await pair.stop();
    },
  };
}

export class MemoryWire implements SimWire {
  readonly line: MemoryLine;

  constructor(name: string) {
    // The demo and a fleet poll for hours: a copy of every byte written would only grow.
    this.line = memoryLine(`/dev/sim/${name}`, 'whole', { record: false });
  }

  get agentPath(): string {
    return this.line.host.path;
  }

  get deviceEnd(): SerialTransport {
    return this.line.device;
  }

  async open(): Promise<void> {
    await this.line.device.open();
  }

  async unplug(): Promise<void> {
    this.line.unplug();
  }

  async plug(): Promise<void> {
    this.line.plug();
    await this.line.device.open();
  }

  async close(): Promise<void> {
    await this.line.device.close();
  }
}

/** The agent's serial opener for in-process lines: the path names the wire. */
export function memoryOpener(wires: () => Iterable<SimWire>): SerialOpener {
  return ({ path }) => {
    for (const wire of wires()) {
      if (wire instanceof MemoryWire && wire.agentPath === path) return wire.line.host;
    }
    throw new DeviceError('UNAVAILABLE', `cannot open ${path}: no such simulated line`);
  };
}
