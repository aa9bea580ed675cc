import type { Logger } from 'pino';
import type { Clock } from '../basics/clock.js';
import type { FaultMessage } from '../protocol/messages.js';
import type { FaultEngine, FaultTransition } from './fault-engine.js';
import { faultMessage } from './telemetry.js';
import type { Uplink } from './uplink.js';

/**
 * Fault transitions become R/fault messages, each under the seq the engine gave it, through the
 * one exit (uplink.ts), which masks, journals and queues it; and the log says what happened.
 */
export class FaultAnnouncer {
  constructor(
    private readonly uplink: Pick<Uplink, 'sendReserved' | 'lastWrittenSeq'>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  announce(transition: FaultTransition): void {
    const message = this.write(transition);
    const fields = { device: message.device, code: message.code, id: message.id, seq: message.seq, detail: message.detail };
    if (transition.state === 'raised') this.log.warn(fields, `fault raised: ${message.message}`);
    else this.log.info(fields, `fault cleared: ${message.message}`);
  }

  /**
   * A raise is saved as active before its message is written, a clear as clearing. If the agent
   * died in between, the message was never written: write it now, under the seq it was given.
   * Runs before anything else is sent.
   */
  resendUnwritten(engine: FaultEngine): void {
    const written = this.uplink.lastWrittenSeq;
    const unwritten = engine
      .list()
      .filter((fault) => fault.raiseSeq > written)
      .sort((a, b) => a.raiseSeq - b.raiseSeq);
    for (const fault of unwritten) {
      this.write({ state: 'raised', fault, seq: fault.raiseSeq });
      this.log.warn({ code: fault.code, id: fault.id }, 'fault raise was not sent before the last stop; sending it now');
    }
    engine.resumeClears(this.uplink.lastWrittenSeq, (transition) => {
      this.write(transition);
      this.log.warn({ code: transition.fault.code, id: transition.fault.id }, 'fault clear was not sent before the last stop; sending it now');
    });
  }

  private write(transition: FaultTransition): FaultMessage {
    return this.uplink.sendReserved(transition.seq, 'fault', faultMessage(transition, this.clock.now()));
  }
}
