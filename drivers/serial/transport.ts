/**
 * A byte stream to one serial device. Three implementations share it: a real tty and a
 * pseudo-terminal through the `serialport` package (serialport-transport.ts), and an in-process
 * pair for fast tests (memory-transport.ts). Drivers and simulated devices see only this.
 */
export interface SerialOptions {
  path: string;
  baudRate: number;
}

export interface SerialTransport {
  readonly path: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  /** Resolves when the bytes have left (tcdrain on a tty). */
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Bytes as they arrive, in chunks of any size: framing is the codec's job, never the chunk's. */
  onData(listener: (chunk: Buffer) => void): void;
  /** The line closed by itself: the device was unplugged, its tty vanished. */
  onClose(listener: (error?: Error) => void): void;
}

export type SerialOpener = (options: SerialOptions) => SerialTransport;
