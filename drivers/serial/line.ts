import type { Logger } from 'pino';
import { Backoff } from '../../basics/backoff.js';
import type { Clock } from '../../basics/clock.js';
import { DeviceError, errorMessage } from '../../basics/errors.js';
import type { SerialOpener, SerialOptions, SerialTransport } from './transport.js';

/**
 * A serial line that keeps itself open: a driver calls ensureOpen() at each poll; a line that is
 * closed (never opened, or unplugged since) is opened again, but not before its backoff allows,
 * so a missing tty costs one failed open per poll at most and never a busy loop.
 */
export class SerialLine {
  private transport: SerialTransport | undefined;
  private opening: Promise<void> | undefined;
  private retryAt = 0;
  private lastProblem: string | undefined;
  private readonly backoff: Backoff;
  private readonly dataListeners: ((chunk: Buffer) => void)[] = [];
  private readonly openListeners: (() => Promise<void> | void)[] = [];
  /** Transports already listened to: an opener may hand out the same one again. */
  private readonly attached = new WeakSet<SerialTransport>();

  constructor(
    private readonly opener: SerialOpener,
    private readonly options: SerialOptions,
    private readonly env: { clock: Clock; log: Logger; random?: () => number },
  ) {
    this.backoff = new Backoff(500, 30_000, env.random);
  }

  get path(): string {
    return this.options.path;
  }

  get isOpen(): boolean {
    return this.transport?.isOpen ?? false;
  }

  /** Bytes from the device, across reopens. */
  onData(listener: (chunk: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  /** Runs after every successful open (a printer enables Automatic Status Back there). */
  onOpen(listener: () => Promise<void> | void): void {
    this.openListeners.push(listener);
  }

  async ensureOpen(): Promise<void> {
    if (this.isOpen) return;
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  async write(data: Uint8Array): Promise<void> {
    await this.ensureOpen();
    await this.transport!.write(data);
  }

  async close(): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    await transport?.close();
  }

  private closedByItself(transport: SerialTransport, error?: Error): void {
    if (this.transport !== transport) return;
    this.transport = undefined;
    this.lastProblem = error ? errorMessage(error) : 'closed';
    this.env.log.warn({ path: this.path, err: this.lastProblem }, 'serial line closed by itself (unplugged?); it is reopened at the next poll');
  }

  private async open(): Promise<void> {
    const { clock, log } = this.env;
    const now = clock.monotonic();
    if (now < this.retryAt) {
      throw new DeviceError('UNAVAILABLE', `${this.path} is not open (${this.lastProblem ?? 'closed'}); next attempt in ${Math.ceil((this.retryAt - now) / 1000)} s`);
    }
    const transport = this.opener(this.options);
    try {
      await transport.open();
    } catch (error) {
      const problem = errorMessage(error);
      this.retryAt = clock.monotonic() + this.backoff.next();
      if (problem !== this.lastProblem) log.warn({ path: this.path, err: problem }, 'serial line cannot be opened');
      this.lastProblem = problem;
      throw error instanceof DeviceError ? error : new DeviceError('UNAVAILABLE', problem, { cause: error });
    }
    if (!this.attached.has(transport)) {
      this.attached.add(transport);
      transport.onData((chunk) => {
        if (this.transport !== transport) return;
        for (const listener of this.dataListeners) listener(chunk);
      });
      transport.onClose((error) => this.closedByItself(transport, error));
    }
    this.transport = transport;
    this.backoff.reset();
    if (this.lastProblem !== undefined) log.info({ path: this.path }, 'serial line open again');
    this.lastProblem = undefined;
    try {
      for (const listener of this.openListeners) await listener();
    } catch (error) {
      // A line whose set-up failed is not open: the next poll starts over.
      this.transport = undefined;
      await transport.close();
      this.retryAt = clock.monotonic() + this.backoff.next();
      this.lastProblem = errorMessage(error);
      throw error;
    }
  }
}
