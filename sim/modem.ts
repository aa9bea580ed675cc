import type { SerialTransport } from '../drivers/serial/transport.js';
import { checkFields } from './device-state.js';
import type { RegistrationStat } from '../protocol/network-reading.js';

/**
 * A cellular modem's AT port (3GPP TS 27.007, V.250 framing) on the device end of any serial
 * transport: a pseudo-terminal through `serialport`, or an in-process pair. It answers the
 * commands the agent sends, byte for byte as DEVICES.md shows, and can be made awkward: echo on
 * or off, URCs at random moments (also between a command's echo and its answer), slow answers,
 * silence.
 */

export type SimCard = 'ready' | 'absent' | 'pin' | 'puk' | 'failure';

export interface ModemState {
  /** V.250 echo, on after power-up until `ATE0`. */
  echo: boolean;
  sim: SimCard;
  /** `+CSQ` rssi: 0..31, or 99 for unknown. */
  rssi: number;
  ber: number;
  creg: RegistrationStat;
  cereg: RegistrationStat;
  /** The operator's name; undefined answers `+COPS: 0` (none). */
  operator?: string;
  /** +COPS AcT: 7 is LTE. */
  accessTechnology: number;
  /** `+CMEE`: 0 plain `ERROR`, 1 `+CME ERROR: <n>`, 2 `+CME ERROR: <text>`. */
  cmee: 0 | 1 | 2;
  /** Reads and answers nothing, as a modem that hangs with its tty still there. */
  silent: boolean;
  /** Delay before each answer. */
  answerDelayMs: number;
  /** Mean time between URCs sent by themselves; 0 sends none. */
  urcEveryMs: number;
  /** Chance (0..1) that a URC comes between a command and its answer. */
  urcInAnswer: number;
  /** Commands this firmware does not know (a 2G modem and `AT+CEREG?`): answered with an error. */
  unsupported: string[];
}

export const HEALTHY_MODEM: ModemState = {
  echo: true,
  sim: 'ready',
  rssi: 21, // -71 dBm
  ber: 99,
  creg: 1,
  cereg: 1,
  operator: 'SimTel',
  accessTechnology: 7,
  cmee: 1,
  silent: false,
  answerDelayMs: 0,
  urcEveryMs: 0,
  urcInAnswer: 0,
  unsupported: [],
};

const CME_TEXT: Record<number, string> = { 4: 'operation not supported', 10: 'SIM not inserted', 11: 'SIM PIN required', 12: 'SIM PUK required', 13: 'SIM failure' };
const SIM_ERROR: Partial<Record<SimCard, number>> = { absent: 10, failure: 13 };
const CPIN_TEXT: Partial<Record<SimCard, string>> = { ready: 'READY', pin: 'SIM PIN', puk: 'SIM PUK' };
/** A modem drops a command line that never ends; so does this one. */
const MAX_COMMAND_BYTES = 512;

export class SimModem {
  private state: ModemState;
  private transport: SerialTransport | undefined;
  private input = '';
  private writing: Promise<unknown> = Promise.resolve();
  private urcTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly urcMode = { '+CREG': 1, '+CEREG': 1 };
  /** Every command line received, for tests. */
  readonly commands: string[] = [];

  constructor(
    initial: Partial<ModemState> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.state = { ...HEALTHY_MODEM, ...initial };
  }

  get current(): Readonly<ModemState> {
    return this.state;
  }

  /** Opens the device end and answers on it; a new transport replaces the old one (plugged back in). */
  async attach(transport: SerialTransport): Promise<void> {
    this.transport = transport;
    this.input = '';
    transport.onData((chunk) => {
      if (this.transport === transport) this.receive(chunk);
    });
    if (!transport.isOpen) await transport.open();
    this.scheduleUrc();
  }

  set(change: Partial<ModemState>): void {
    checkFields('modem', change, HEALTHY_MODEM);
    const urcChanged = change.urcEveryMs !== undefined && change.urcEveryMs !== this.state.urcEveryMs;
    this.state = { ...this.state, ...change };
    if (urcChanged) this.scheduleUrc();
  }

  /** Sends a URC now, e.g. `RING` or `+CREG: 5`. */
  sendUrc(text: string): void {
    this.send(`\r\n${text}\r\n`);
  }

  async close(): Promise<void> {
    clearTimeout(this.urcTimer);
    this.urcTimer = undefined;
    const transport = this.transport;
    this.transport = undefined;
    await this.writing;
    await transport?.close();
  }

  private receive(chunk: Buffer): void {
    if (this.state.silent) return;
    const text = chunk.toString('latin1');
    if (this.state.echo) this.send(text.replace(/\n/g, ''));
    for (const char of text) {
      if (char === '\r') {
        const line = this.input.trim();
        this.input = '';
        if (line !== '') this.commandLine(line);
      } else if (char !== '\n') {
        this.input += char;
        if (this.input.length > MAX_COMMAND_BYTES) this.input = '';
      }
    }
  }

  private commandLine(line: string): void {
    this.commands.push(line);
    const answer = this.answer(line.toUpperCase());
    const urc = this.random() < this.state.urcInAnswer ? this.randomUrc() : undefined;
    const reply = () => {
      if (urc) this.sendUrc(urc);
      this.send(answer);
    };
    if (this.state.answerDelayMs > 0) setTimeout(reply, this.state.answerDelayMs);
    else reply();
  }

  /** The bytes of the answer: information lines, then the final result, each framed `\r\n…\r\n`. */
  private answer(command: string): string {
    const s = this.state;
    const lines = (...info: string[]) => [...info, 'OK'].map((text) => `\r\n${text}\r\n`).join('');
    const error = (code: number) => {
      if (s.cmee === 0) return '\r\nERROR\r\n';
      return `\r\n+CME ERROR: ${s.cmee === 2 ? CME_TEXT[code] ?? 'unknown' : code}\r\n`;
    };
    let match: RegExpExecArray | null;
    if (s.unsupported.includes(command)) return error(4);
    if (command === 'AT') return lines();
    if ((match = /^ATE([01]?)$/.exec(command))) {
      this.state = { ...s, echo: match[1] === '1' };
      return lines();
    }
    if ((match = /^AT\+CMEE=([012])$/.exec(command))) {
      this.state = { ...s, cmee: Number(match[1]) as 0 | 1 | 2 };
      return lines();
    }
    if (command === 'AT+CPIN?') {
      const text = CPIN_TEXT[s.sim];
      return text ? lines(`+CPIN: ${text}`) : error(SIM_ERROR[s.sim] ?? 13);
    }
    if (command === 'AT+CSQ') return lines(`+CSQ: ${s.rssi},${s.ber}`);
    if (command === 'AT+CREG?') return lines(`+CREG: ${this.urcMode['+CREG']},${s.creg}`);
    if (command === 'AT+CEREG?') return lines(`+CEREG: ${this.urcMode['+CEREG']},${s.cereg}`);
    if ((match = /^AT(\+CE?REG)=([0-2])$/.exec(command))) {
      this.urcMode[match[1] as '+CREG' | '+CEREG'] = Number(match[2]);
      return lines();
    }
    if (command === 'AT+COPS?') return lines(s.operator === undefined ? '+COPS: 0' : `+COPS: 0,0,"${s.operator}",${s.accessTechnology}`);
    return error(4);
  }

  private randomUrc(): string {
    const pick = Math.floor(this.random() * 3);
    if (pick === 0) return `+CREG: ${this.state.creg}`;
    if (pick === 1) return `+CEREG: ${this.state.cereg}`;
    return 'RING';
  }

  private scheduleUrc(): void {
    clearTimeout(this.urcTimer);
    this.urcTimer = undefined;
    if (this.state.urcEveryMs <= 0 || !this.transport) return;
    this.urcTimer = setTimeout(() => {
      if (!this.state.silent) this.sendUrc(this.randomUrc());
      this.scheduleUrc();
    }, this.random() * 2 * this.state.urcEveryMs);
    this.urcTimer.unref?.();
  }

  private send(text: string): void {
    const transport = this.transport;
    if (!transport) return;
    this.writing = this.writing.then(() => (transport.isOpen ? transport.write(Buffer.from(text, 'latin1')) : undefined)).catch(() => undefined);
  }
}
