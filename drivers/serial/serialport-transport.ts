import fs from 'node:fs';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';

/**
 * `serialport`'s own SerialPort is exactly this stream with the platform's binding; taking the two
 * packages directly leaves out the dozen parsers that `serialport` also loads.
 */
const binding = autoDetect();
type SerialPort = SerialPortStream;
import { DeviceError, errorMessage } from '../../basics/errors.js';
import type { SerialOpener, SerialOptions, SerialTransport } from './transport.js';

/**
 * How often an open port checks that its tty still exists. When a pseudo-terminal's other side
 * goes away, `serialport` can keep reading 0 bytes in a loop instead of reporting the hang-up
 * (about a core's worth of CPU) until a write fails; a tty node that is gone ends that.
 */
const PRESENCE_CHECK_MS = 1_000;

/** A tty (or a pseudo-terminal) through the `serialport` package. */
export class SerialportTransport implements SerialTransport {
  private port: SerialPort | undefined;
  private closing = false;
  private presence: ReturnType<typeof setInterval> | undefined;
  private readonly dataListeners: ((chunk: Buffer) => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];

  constructor(private readonly options: SerialOptions) {}

  get path(): string {
    return this.options.path;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  open(): Promise<void> {
    if (this.port) return Promise.resolve();
    this.closing = false;
    const port = new SerialPortStream({ binding, path: this.options.path, baudRate: this.options.baudRate, autoOpen: false });
    // Without a listener an 'error' event would be thrown; errors surface through open/write/close.
    port.on('error', () => {});
    // Listeners go on before open: a port that starts reading at once notices a hang-up at once.
    port.on('data', (chunk: Buffer) => {
      for (const listener of this.dataListeners) listener(chunk);
    });
    port.on('close', (closeError?: Error) => {
      clearInterval(this.presence);
      if (this.port !== port) return;
      this.port = undefined;
      if (this.closing) return;
      for (const listener of this.closeListeners) listener(closeError ?? new DeviceError('CLOSED', `${this.options.path} closed`));
    });
    return new Promise((resolve, reject) => {
      port.open((error) => {
        if (error) {
          reject(new DeviceError('UNAVAILABLE', `cannot open ${this.options.path}: ${errorMessage(error)}`, { cause: error }));
          return;
        }
        this.port = port;
        this.presence = setInterval(() => this.checkPresence(port), PRESENCE_CHECK_MS);
        this.presence.unref();
        resolve();
      });
    });
  }

  write(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new DeviceError('CLOSED', `${this.options.path} is not open`));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(data), (error) => {
        if (error) return reject(new DeviceError('CLOSED', `write to ${this.options.path} failed: ${errorMessage(error)}`, { cause: error }));
        port.drain((drainError) => (drainError ? reject(drainError) : resolve()));
      });
    });
  }

  close(): Promise<void> {
    clearInterval(this.presence);
    const port = this.port;
    this.port = undefined;
    this.closing = true;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }

  /** The tty vanished (unplugged): close the port, which reports the close to the listeners. */
  private checkPresence(port: SerialPort): void {
    fs.stat(this.options.path, (error) => {
      if (error?.code === 'ENOENT' && this.port === port && port.isOpen && !this.closing) port.close(() => {});
    });
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }
}

export const serialportOpener: SerialOpener = (options) => new SerialportTransport(options);
