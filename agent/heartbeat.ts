import type { Logger } from 'pino';
import type { Clock, Timer } from '../basics/clock.js';
import { errorMessage } from '../basics/errors.js';
import type { HeartbeatMessage } from '../protocol/messages.js';
import type { Uplink } from './uplink.js';

export interface HeartbeatOptions {
  clock: Clock;
  log: Logger;
  uplink: Pick<Uplink, 'send'>;
  seconds: number;
  /** The heartbeat of this moment, under the seq it was given. */
  build(seq: number): HeartbeatMessage;
}

/**
 * The heartbeat timer (SPEC.md section 4, R/heartbeat): the first beat once every configured device
 * has been read (the agent says when, with begin()), then one every `heartbeatSeconds`; none after
 * stop(), so that nothing new is queued while the agent shuts down.
 */
export class Heartbeat {
  private timer: Timer | undefined;
  private seconds: number;
  private beating = false;
  private stopped = false;

  constructor(private readonly options: HeartbeatOptions) {
    this.seconds = options.seconds;
  }

  /** Sends the first heartbeat; later calls do nothing. */
  begin(): void {
    if (this.beating || this.stopped) return;
    this.beating = true;
    this.beat();
  }

  /** A new interval (a reload): the next beat is one new interval from now. */
  setSeconds(seconds: number): void {
    if (seconds === this.seconds) return;
    this.seconds = seconds;
    if (this.beating && !this.stopped) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.options.clock.clearTimeout(this.timer);
  }

  private beat(): void {
    if (this.stopped) return;
    try {
      this.options.uplink.send('heartbeat', (seq) => this.options.build(seq));
    } catch (error) {
      this.options.log.error({ err: errorMessage(error) }, 'heartbeat could not be queued');
    }
    this.schedule();
  }

  private schedule(): void {
    this.options.clock.clearTimeout(this.timer);
    this.timer = this.options.clock.setTimeout(() => this.beat(), this.seconds * 1000);
  }
}
