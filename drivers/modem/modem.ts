import type { Logger } from 'pino';
import type { Clock } from '../../basics/clock.js';
import { DeviceError, errorMessage } from '../../basics/errors.js';
import { SerialLine } from '../serial/line.js';
import type { SerialOpener, SerialOptions } from '../serial/transport.js';
import type { SelfTest } from '../types.js';
import { parseCops, parseCpin, parseCsq, parseRegistrationAnswer, registrationOf } from './codec.js';
import { AT_TIMEOUT_MS, AtSession, type AtAnswer } from './session.js';
import type { ModemStatus, RegistrationStat } from '../../protocol/network-reading.js';

/** When this poll must be over (epoch ms), and the scheduler's abort. */
export interface Budget {
  deadline: number;
  signal: AbortSignal;
}

/**
 * The modem on its AT port. One poll asks for SIM, signal, registration and operator, one command
 * after another; the first command that gets no answer ends the poll, so a silent modem costs
 * one timeout per poll and not one per command.
 */
export class Modem {
  private readonly line: SerialLine;
  private readonly session: AtSession;

  constructor(
    opener: SerialOpener,
    options: SerialOptions,
    private readonly env: { clock: Clock; log: Logger; random?: () => number },
  ) {
    this.line = new SerialLine(opener, options, env);
    this.session = new AtSession(this.line, env);
  }

  get path(): string {
    return this.line.path;
  }

  open(): Promise<void> {
    return this.line.ensureOpen();
  }

  close(): Promise<void> {
    return this.line.close();
  }

  async status(budget: Budget): Promise<ModemStatus> {
    const status: ModemStatus = { online: false };
    try {
      await this.line.ensureOpen();
    } catch (error) {
      return { online: false, error: errorMessage(error) };
    }
    const steps: [string, (answer: AtAnswer) => void][] = [
      ['AT+CPIN?', (answer) => (status.sim = parseCpin(answer.lines, answer.final))],
      ['AT+CSQ', (answer) => this.applySignal(status, answer)],
      ['AT+CREG?', (answer) => (status.creg = this.registrationAnswer(answer, '+CREG'))],
      ['AT+CEREG?', (answer) => (status.cereg = this.registrationAnswer(answer, '+CEREG'))],
      ['AT+COPS?', (answer) => Object.assign(status, operatorFields(answer))],
    ];
    for (const [command, apply] of steps) {
      try {
        apply(await this.ask(command, budget));
        status.online = true;
      } catch (error) {
        status.error = errorMessage(error);
        break;
      }
    }
    if (status.online) {
      // A query that failed still has the latest URC to go by.
      status.creg ??= this.session.registration['+CREG'];
      status.cereg ??= this.session.registration['+CEREG'];
      status.registration = registrationOf(status.creg, status.cereg);
    }
    return dropUndefined(status);
  }

  /** The `diag` self-test: does the modem answer a plain `AT`? */
  async ping(signal: AbortSignal): Promise<SelfTest> {
    try {
      await this.line.ensureOpen();
      const answer = await this.session.command('AT', { signal });
      return { pass: answer.final.result === 'OK', detail: { path: this.path, final: answer.final.result } };
    } catch (error) {
      return { pass: false, detail: { path: this.path, error: errorMessage(error) } };
    }
  }

  private ask(command: string, { deadline, signal }: Budget): Promise<AtAnswer> {
    const remaining = Math.floor(deadline - this.env.clock.monotonic());
    if (remaining <= 0) return Promise.reject(new DeviceError('TIMEOUT', `no time left in this poll for ${command}`));
    return this.session.command(command, { timeoutMs: Math.min(AT_TIMEOUT_MS, remaining), signal });
  }

  private applySignal(status: ModemStatus, answer: AtAnswer): void {
    const signal = answer.final.result === 'OK' ? parseCsq(answer.lines) : undefined;
    if (!signal) return;
    status.rssi = signal.rssi;
    status.ber = signal.ber;
    if (signal.rssiDbm === undefined) status.signalUnknown = true;
    else status.rssiDbm = signal.rssiDbm;
  }

  private registrationAnswer(answer: AtAnswer, prefix: '+CREG' | '+CEREG'): RegistrationStat | undefined {
    const stat = answer.final.result === 'OK' ? parseRegistrationAnswer(answer.lines, prefix) : undefined;
    if (stat !== undefined) this.session.registration[prefix] = stat;
    return stat;
  }
}

function operatorFields(answer: AtAnswer): Pick<ModemStatus, 'operator' | 'accessTechnology'> {
  const operator = answer.final.result === 'OK' ? parseCops(answer.lines) : undefined;
  return { operator: operator?.name, accessTechnology: operator?.accessTechnology };
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
