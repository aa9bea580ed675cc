import {
  ACK,
  COMMANDS,
  encodeFrame,
  encodeStatus,
  eventFrame,
  NAK,
  ReaderDeframer,
  type Frame,
} from '../drivers/card-reader/codec.js';
import type { SerialTransport } from '../drivers/serial/transport.js';
import { checkFields } from './device-state.js';
import type { ReaderFlags } from '../protocol/readings.js';

/**
 * A card reader on the device end of a serial line (DEVICES.md, "Card reader"): it answers
 * good requests with ACK and a response, bad frames and unknown commands with NAK, and sends
 * events as simulated cards go through it. Its counters advance with each simulated read, a
 * settable share of which fail. It works on any SerialTransport.
 */
export interface CardReaderState extends ReaderFlags {
  /** Answers nothing (powered off, tty still there). */
  silent: boolean;
  /** The share of simulated reads that fail, 0 to 1. */
  errorRatio: number;
  /** A sensor fault that only the self-test reports. */
  sensorFault: boolean;
  firmware: string;
  serial: string;
}

export const HEALTHY_CARD_READER: CardReaderState = {
  cardPresent: false,
  slotBlocked: false,
  tamperLive: false,
  tamperLatched: false,
  readHeadFault: false,
  lowPower: false,
  silent: false,
  errorRatio: 0,
  sensorFault: false,
  firmware: '2.4.1',
  serial: 'SN0012345',
};

/** The test card of the simulator: track 2 of a well-known test PAN. */
export const TEST_TRACK = ';4111111111111111=25121010000000000000?';

export class SimCardReader {
  private state: CardReaderState = { ...HEALTHY_CARD_READER };
  private readonly deframer = new ReaderDeframer();
  /** Card reads and failed reads since the simulated power-on. */
  reads = 0;
  readErrors = 0;
  /** Carries the fraction of a failure from one read to the next, so the ratio holds exactly. */
  private failureDebt = 0;
  /** Requests answered and refused, for assertions. */
  answered = 0;
  refused = 0;

  constructor(readonly transport: SerialTransport) {
    transport.onData((chunk) => this.receive(chunk));
  }

  get current(): Readonly<CardReaderState> {
    return this.state;
  }

  async start(): Promise<void> {
    if (!this.transport.isOpen) await this.transport.open();
  }

  async stop(): Promise<void> {
    await this.transport.close();
  }

  set(change: Partial<CardReaderState>): void {
    checkFields('card reader', change, HEALTHY_CARD_READER);
    if (change.errorRatio !== undefined && !(change.errorRatio >= 0 && change.errorRatio <= 1)) {
      throw new Error(`errorRatio must be between 0 and 1, not ${change.errorRatio}`);
    }
    this.state = { ...this.state, ...change };
  }

  /** A power cycle: counters back to 0. A latched tamper stays latched: only a reset clears it. */
  restart(): void {
    this.reads = 0;
    this.readErrors = 0;
    this.failureDebt = 0;
  }

  /**
   * `count` cards go through the reader: each read advances the counters and, unless `events`
   * is false, sends K then R or X; with `track`, a good read also sends its 'D' event.
   */
  swipe(count = 1, options: { events?: boolean; track?: string } = {}): void {
    for (let i = 0; i < count; i += 1) {
      this.failureDebt += this.state.errorRatio;
      const failed = this.failureDebt >= 1 - 1e-9;
      if (failed) this.failureDebt -= 1;
      this.reads += 1;
      if (failed) this.readErrors += 1;
      if (options.events === false) continue;
      this.send(eventFrame('K'));
      if (!failed && options.track !== undefined) this.send(eventFrame('D', options.track));
      this.send(eventFrame(failed ? 'X' : 'R'));
    }
  }

  /** Sends any bytes, to test what the host makes of noise and broken frames. */
  sendRaw(bytes: Uint8Array): void {
    this.send(Buffer.from(bytes));
  }

  private receive(chunk: Buffer): void {
    for (const token of this.deframer.push(chunk)) {
      if (this.state.silent) continue;
      if (token.kind === 'bad') this.refuse();
      else if (token.kind === 'frame') this.answer(token.frame);
    }
  }

  private answer(request: Frame): void {
    const response = this.respond(request);
    if (!response) return this.refuse();
    this.answered += 1;
    this.send(Buffer.concat([Buffer.from([ACK]), encodeFrame(response)]));
  }

  private respond({ cmd, data }: Frame): Frame | undefined {
    if (data.length > 0) return undefined;
    switch (cmd) {
      case COMMANDS.status:
        return { cmd, status: 0, data: encodeStatus({ ...this.state, reads: this.reads, readErrors: this.readErrors }) };
      case COMMANDS.version:
        return { cmd, status: 0, data: Buffer.from(`${this.state.firmware};${this.state.serial}`, 'latin1') };
      case COMMANDS.selfTest:
        return { cmd, status: this.selfTestCode(), data: Buffer.alloc(0) };
      default:
        return undefined;
    }
  }

  private selfTestCode(): number {
    const s = this.state;
    if (s.tamperLive || s.tamperLatched) return 0x12;
    if (s.readHeadFault) return 0x10;
    if (s.sensorFault) return 0x11;
    return 0x00;
  }

  private refuse(): void {
    this.refused += 1;
    this.send(Buffer.from([NAK]));
  }

  private send(bytes: Buffer): void {
    if (!this.transport.isOpen || this.state.silent) return;
    this.transport.write(bytes).catch(() => {});
  }
}
