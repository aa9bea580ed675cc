import { DeviceError } from '../../basics/errors.js';
import type { SerialTransport } from './transport.js';

/**
 * Two in-process ends of one serial line, for fast tests: what one end writes the other receives,
 * later (never in the same tick, as on a real line). Chunking can be set to deliver bytes one at
 * a time or in random pieces, so a codec that frames by chunk boundaries fails its tests here.
 */
export type Chunking = 'whole' | 'bytewise' | 'random';

export class MemoryTransport implements SerialTransport {
  peer!: MemoryTransport;
  /** Everything this end wrote, for assertions (unless the line was made with `record: false`). */
  readonly written: Buffer[] = [];
  private open_ = false;
  private readonly dataListeners: ((chunk: Buffer) => void)[] = [];
  private readonly closeListeners: ((error?: Error) => void)[] = [];

  constructor(
    readonly path: string,
    private readonly line: { plugged: boolean; chunking: Chunking; record: boolean },
  ) {}

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    if (!this.line.plugged) throw new DeviceError('UNAVAILABLE', `cannot open ${this.path}: ENOENT`);
    this.open_ = true;
  }

  async write(data: Uint8Array): Promise<void> {
    if (!this.open_) throw new DeviceError('CLOSED', `${this.path} is not open`);
    const bytes = Buffer.from(data);
    if (this.line.record) this.written.push(bytes);
    const peer = this.peer;
    for (const chunk of split(bytes, this.line.chunking)) {
      setImmediate(() => {
        if (peer.open_ && this.line.plugged) peer.emitData(chunk);
      });
    }
  }

  async close(): Promise<void> {
    this.open_ = false;
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  /** Delivers bytes to this end's reader as if they had arrived on the line. */
  emitData(chunk: Buffer): void {
    for (const listener of this.dataListeners) listener(chunk);
  }

  /** The line went away under this end. */
  drop(): void {
    if (!this.open_) return;
    this.open_ = false;
    const error = new DeviceError('CLOSED', `${this.path} disconnected`);
    for (const listener of this.closeListeners) listener(error);
  }
}

export interface MemoryLine {
  /** The end a driver opens. */
  host: MemoryTransport;
  /** The end a simulated device opens. */
  device: MemoryTransport;
  unplug(): void;
  plug(): void;
  setChunking(chunking: Chunking): void;
}

/**
 * `record: false` keeps no copy of what either end writes: for lines that carry polls for hours
 * (the demo, fleet mode), where `written` would grow without bound.
 */
export function memoryLine(path = '/dev/ttySIM0', chunking: Chunking = 'whole', options: { record?: boolean } = {}): MemoryLine {
  const state = { plugged: true, chunking, record: options.record ?? true };
  const host = new MemoryTransport(path, state);
  const device = new MemoryTransport(`${path}#device`, state);
  host.peer = device;
  device.peer = host;
  return {
    host,
    device,
    unplug() {
      state.plugged = false;
      host.drop();
      device.drop();
    },
    plug() {
      state.plugged = true;
    },
    setChunking(next) {
      state.chunking = next;
    },
  };
}

function split(bytes: Buffer, chunking: Chunking): Buffer[] {
  if (chunking === 'whole' || bytes.length <= 1) return [bytes];
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const size = chunking === 'bytewise' ? 1 : 1 + Math.floor(Math.random() * Math.min(8, bytes.length - offset));
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}
