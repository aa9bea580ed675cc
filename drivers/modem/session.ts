import { ReadlineParser } from '@serialport/parser-readline';
import type { Logger } from 'pino';
import type { Clock } from '../../basics/clock.js';
import { DeviceError } from '../../basics/errors.js';
import { classifyLine, parseRegistrationUrc, type FinalResult } from './codec.js';
import type { RegistrationStat } from '../../protocol/network-reading.js';

/** SPEC.md section 5: some modems take that long for `AT+CPIN?`. */
export const AT_TIMEOUT_MS = 5_000;
/** The longest line a modem sends is far shorter; more is garbage, dropped before it grows. */
export const MAX_LINE_BYTES = 1_024;
/** Information lines kept for one answer; a modem babbling more is not answering. */
const MAX_ANSWER_LINES = 64;

export interface AtAnswer {
  /** Information lines, without echo, URCs or empty lines. */
  lines: string[];
  final: FinalResult;
}

/** What the session needs from a serial line: a SerialLine in production, a fake in tests. */
export interface AtPort {
  write(data: Uint8Array): Promise<void>;
  onData(listener: (chunk: Buffer) => void): void;
}

interface Pending {
  command: string;
  expected: string | undefined;
  lines: string[];
  resolve(answer: AtAnswer): void;
}

/**
 * One AT conversation on a serial line: one command at a time, each with its timeout. Echo on or
 * off is both fine (the echoed command line is recognised and skipped), so the session does not
 * change the modem's echo setting: a modem reset turns echo back on without the host noticing,
 * and other software on the same port may expect the default. URCs update the latest
 * registration and go to listeners; they never answer a command.
 */
export class AtSession {
  private readonly parser = this.newParser();
  /** The tail of an oversized line is dropped with it. */
  private discardNextLine = false;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly urcListeners: ((text: string) => void)[] = [];
  /** The latest registration stat seen, from an answer or a URC. */
  readonly registration: { '+CREG'?: RegistrationStat; '+CEREG'?: RegistrationStat } = {};

  constructor(
    private readonly port: AtPort,
    private readonly env: { clock: Clock; log: Logger },
  ) {
    port.onData((chunk) => this.receive(chunk));
  }

  /** Bytes waiting for their end of line; never more than MAX_LINE_BYTES. */
  get bufferedBytes(): number {
    return this.parser.buffer.length;
  }

  onUnsolicited(listener: (text: string) => void): void {
    this.urcListeners.push(listener);
  }

  /**
   * Sends `command` (without `\r`) once the previous command has finished, and resolves with its
   * answer. Rejects with a TIMEOUT DeviceError when no final result arrives within `timeoutMs`.
   */
  command(command: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<AtAnswer> {
    const run = this.queue.then(() => this.send(command, options.timeoutMs ?? AT_TIMEOUT_MS, options.signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private send(command: string, timeoutMs: number, signal?: AbortSignal): Promise<AtAnswer> {
    const { clock } = this.env;
    return new Promise<AtAnswer>((resolve, reject) => {
      if (signal?.aborted) return reject(new DeviceError('TIMEOUT', `${command}: aborted`));
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const finish = (error: Error | undefined, answer?: AtAnswer) => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.pending === pending) this.pending = undefined;
        if (error) reject(error);
        else resolve(answer!);
      };
      const onAbort = () => finish(new DeviceError('TIMEOUT', `${command}: aborted`));
      const pending: Pending = {
        command,
        expected: answerPrefix(command),
        lines: [],
        resolve: (answer) => finish(undefined, answer),
      };
      this.pending = pending;
      // A partial line received before the command left cannot be part of its answer.
      this.parser.buffer = Buffer.alloc(0);
      this.discardNextLine = false;
      timer = clock.setTimeout(() => finish(new DeviceError('TIMEOUT', `no answer to ${command} within ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.env.log.trace({ command }, 'AT command');
      this.port.write(Buffer.from(`${command}\r`, 'latin1')).catch((error: unknown) => {
        finish(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  private newParser(): ReadlineParser {
    const parser = new ReadlineParser({ delimiter: '\r\n', encoding: 'latin1' });
    parser.on('data', (line: string) => this.onLine(line));
    return parser;
  }

  private receive(chunk: Buffer): void {
    this.parser.write(chunk);
    if (this.parser.buffer.length > MAX_LINE_BYTES) {
      this.parser.buffer = Buffer.alloc(0);
      this.discardNextLine = true;
      this.env.log.debug({ maxBytes: MAX_LINE_BYTES }, 'modem sent a line longer than any AT answer; dropped');
    }
  }

  private onLine(raw: string): void {
    if (this.discardNextLine) {
      this.discardNextLine = false;
      return;
    }
    // A long line that arrived whole in one chunk never sat in the buffer: drop it here.
    if (raw.length > MAX_LINE_BYTES) return;
    // With echo on, the command comes back ending in its own `\r`; some modems add one more.
    const text = raw.replace(/^[\r\n]+|[\r\n]+$/g, '').trim();
    if (text === '') return;
    const pending = this.pending;
    if (pending && text === pending.command) return;
    const line = classifyLine(text, pending?.expected);
    if (line.kind === 'unsolicited') {
      this.unsolicited(text);
      return;
    }
    if (!pending) return; // a late answer to a command that timed out, or noise
    if (line.kind === 'final') {
      pending.resolve({ lines: pending.lines, final: line.final });
    } else if (pending.lines.length < MAX_ANSWER_LINES) {
      pending.lines.push(text);
    }
  }

  private unsolicited(text: string): void {
    const registration = parseRegistrationUrc(text);
    if (registration) this.registration[registration.prefix] = registration.stat;
    this.env.log.debug({ urc: text }, 'modem URC');
    for (const listener of this.urcListeners) listener(text);
  }
}

/** `AT+CSQ` answers with `+CSQ:`, `AT+CREG?` with `+CREG:`; plain `AT` with nothing. */
export function answerPrefix(command: string): string | undefined {
  const match = /^AT(\+[A-Z]+)/i.exec(command);
  return match ? `${match[1]!.toUpperCase()}:` : undefined;
}
