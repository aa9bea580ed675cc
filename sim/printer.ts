import type { SerialTransport } from '../drivers/serial/transport.js';
import { checkFields } from './device-state.js';
import type { Paper } from '../protocol/heartbeat.js';

/**
 * A receipt printer on the device end of a serial line (DEVICES.md, "Printer: ESC/POS"): it
 * answers DLE EOT n at once and, once `GS a` has asked for it, sends a status back block
 * right away and on every change. It works on any SerialTransport: an in-process pair for unit
 * tests, a pseudo-terminal for the agent's real serial path.
 */
export interface PrinterState {
  paper: Paper;
  coverOpen: boolean;
  cutterError: boolean;
  /** Head overheat: an auto-recoverable error. */
  overheat: boolean;
  /** An unrecoverable error. */
  failure: boolean;
  /** Offline for no other cause (e.g. waiting for online recovery). */
  offline: boolean;
  /** Answers nothing: its power is off, its tty still there. */
  silent: boolean;
  drawerPinHigh: boolean;
}

export const HEALTHY_PRINTER: PrinterState = {
  paper: 'ok',
  coverOpen: false,
  cutterError: false,
  overheat: false,
  failure: false,
  offline: false,
  silent: false,
  drawerPinHigh: false,
};

const DLE = 0x10;
const EOT = 0x04;
const GS = 0x1d;

export class SimPrinter {
  private state: PrinterState = { ...HEALTHY_PRINTER };
  private statusBack = false;
  /** The bytes of a command whose end has not arrived yet (bytes come in chunks of any size). */
  private partial: number[] = [];
  /** DLE EOT requests answered, by n (index 1 to 4). */
  readonly answered = [0, 0, 0, 0, 0];
  blocksSent = 0;

  constructor(readonly transport: SerialTransport) {
    transport.onData((chunk) => this.receive(chunk));
  }

  get current(): Readonly<PrinterState> {
    return this.state;
  }

  get statusBackEnabled(): boolean {
    return this.statusBack;
  }

  /** Opens the device end (again, after an unplug). */
  async start(): Promise<void> {
    if (!this.transport.isOpen) await this.transport.open();
  }

  async stop(): Promise<void> {
    await this.transport.close();
  }

  set(change: Partial<PrinterState>): void {
    checkFields('printer', change, HEALTHY_PRINTER);
    const before = this.statusBlock().toString('hex');
    this.state = { ...this.state, ...change };
    // A power cycle forgets status back: the host has to ask for it again.
    if (change.silent) this.statusBack = false;
    if (this.statusBack && this.statusBlock().toString('hex') !== before) this.sendBlock();
  }

  /** The printer is offline whenever an error or a cause of its own stops it. */
  private get isOffline(): boolean {
    const s = this.state;
    return s.offline || s.coverOpen || s.paper === 'out' || s.cutterError || s.failure || s.overheat;
  }

  private get hasError(): boolean {
    return this.state.cutterError || this.state.failure || this.state.overheat;
  }

  /** The reply to DLE EOT n: shape `0xx1xx10`. */
  statusByte(n: number): number {
    const s = this.state;
    const flag = (on: boolean, mask: number) => (on ? mask : 0);
    switch (n) {
      case 1:
        return 0x12 | flag(s.drawerPinHigh, 0x04) | flag(this.isOffline, 0x08) | flag(s.offline, 0x20);
      case 2:
        return 0x12 | flag(s.coverOpen, 0x04) | flag(s.paper === 'out', 0x20) | flag(this.hasError, 0x40);
      case 3:
        return 0x12 | flag(s.cutterError, 0x08) | flag(s.failure, 0x20) | flag(s.overheat, 0x40);
      default:
        // At paper end the near-end sensor sees no paper either.
        return 0x12 | flag(s.paper !== 'ok', 0x0c) | flag(s.paper === 'out', 0x60);
    }
  }

  /** The 4-byte status back block. */
  statusBlock(): Buffer {
    const s = this.state;
    const flag = (on: boolean, mask: number) => (on ? mask : 0);
    return Buffer.from([
      0x10 | flag(s.drawerPinHigh, 0x04) | flag(this.isOffline, 0x08) | flag(s.coverOpen, 0x20),
      flag(s.cutterError, 0x08) | flag(s.failure, 0x20) | flag(s.overheat, 0x40),
      flag(s.paper !== 'ok', 0x03) | flag(s.paper === 'out', 0x0c),
      0x00,
    ]);
  }

  private receive(chunk: Buffer): void {
    for (const byte of chunk) {
      if (this.partial.length === 0) {
        // Anything else is print data: a printer prints it, this one ignores it.
        if (byte === DLE || byte === GS) this.partial.push(byte);
        continue;
      }
      this.partial.push(byte);
      const [first, second, third] = this.partial;
      if ((first === DLE && second !== EOT) || (first === GS && second !== 0x61)) {
        this.partial = [];
        continue;
      }
      if (third === undefined) continue;
      this.partial = [];
      if (this.state.silent) continue;
      if (first === DLE && third >= 1 && third <= 4) {
        this.answered[third]! += 1;
        this.send(Buffer.from([this.statusByte(third)]));
      } else if (first === GS) {
        this.statusBack = (third & 0x0f) !== 0;
        if (this.statusBack) this.sendBlock();
      }
    }
  }

  private sendBlock(): void {
    this.blocksSent += 1;
    this.send(this.statusBlock());
  }

  private send(bytes: Buffer): void {
    if (!this.transport.isOpen || this.state.silent) return;
    // An unplugged line fails the write; the printer has nobody to tell.
    this.transport.write(bytes).catch(() => {});
  }
}
