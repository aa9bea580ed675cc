import type { Logger } from 'pino';
import type { BirthMessage, FaultsSnapshot, OfflineMessage, SequencedKind } from '../protocol/messages.js';
import type { TerminalTopics } from '../protocol/topics.js';
import type { Clock } from './clock.js';
import { errorMessage } from './errors.js';
import type { MqttLink } from './mqtt-link.js';
import type { Outbox } from './outbox/outbox.js';
import { redactMessage } from './redact.js';

/**
 * The one exit of every upstream message. Sequenced messages (heartbeat, fault, reply) go through
 * the durable outbox and are sent in seq order with a bounded window in flight. The retained
 * latest-value messages (state, faults) are not queued: only their newest value matters, and it
 * is published on every connect and on every change. Device strings reach messages (a `status`
 * reply, a fault's detail), so every message is masked here for cardholder data (SPEC.md section 7).
 */

export interface UplinkOptions {
  link: MqttLink;
  outbox: Outbox;
  topics: TerminalTopics;
  clock: Clock;
  log: Logger;
  /** The birth message of the connection that just came up. */
  birth(): BirthMessage;
  /** Messages on the way to the broker at once; more would only sit in MQTT.js's memory. */
  window?: number;
}

export class Uplink {
  private inFlight = 0;
  private generation = 0;
  private snapshot: FaultsSnapshot | undefined;
  private readonly window: number;
  private drained: (() => void)[] = [];

  constructor(private readonly options: UplinkOptions) {
    this.window = options.window ?? 16;
    options.link.on('up', () => this.onUp());
    options.link.on('down', () => this.onDown());
    options.outbox.on('ready', () => this.pump());
  }

  /** Creates a sequenced message; `build` receives its seq. Returns the seq. */
  send(kind: SequencedKind, build: (seq: number) => object, correlationData?: Buffer): number {
    return this.options.outbox.enqueue(kind, (seq) => redactMessage(build(seq)), correlationData);
  }

  /** The retained R/faults snapshot: published now if connected, else after the next birth. */
  setFaults(snapshot: FaultsSnapshot): void {
    this.snapshot = snapshot;
    if (this.options.link.isUp) this.publishRetained(this.options.topics.faults, snapshot);
  }

  /** Publishes state and faults again (the `rebirth` command). */
  rebirth(): void {
    if (this.options.link.isUp) this.onUp();
  }

  /** Resolves when the outbox is empty or after `ms`, whichever comes first. */
  drain(ms: number): Promise<void> {
    if (this.options.outbox.depth === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimeout(finish, ms);
      const waiter = () => finish();
      this.drained.push(waiter);
      const self = this;
      function finish() {
        self.options.clock.clearTimeout(timer);
        self.drained = self.drained.filter((entry) => entry !== waiter);
        resolve();
      }
    });
  }

  /** Publishes the clean-offline state and ends the connection. */
  async close(offline: OfflineMessage, timeoutMs: number): Promise<void> {
    await this.options.link.stop({ topic: this.options.topics.state, payload: Buffer.from(JSON.stringify(redactMessage(offline))), timeoutMs });
  }

  private onUp(): void {
    this.publishRetained(this.options.topics.state, this.options.birth());
    if (this.snapshot) this.publishRetained(this.options.topics.faults, this.snapshot);
    this.pump();
  }

  private onDown(): void {
    // Whatever was in flight may or may not have arrived: send it again, in order.
    this.generation += 1;
    this.inFlight = 0;
    this.options.outbox.releaseAll();
  }

  private publishRetained(topic: string, message: object): void {
    this.options.link.publish(topic, Buffer.from(JSON.stringify(redactMessage(message))), { retain: true }).catch((error: unknown) => {
      this.options.log.debug({ topic, err: errorMessage(error) }, 'retained message not acknowledged; it is sent again on the next connect');
    });
  }

  private pump(): void {
    const { link, outbox, topics, log } = this.options;
    while (link.isUp && this.inFlight < this.window) {
      let record;
      try {
        record = outbox.take();
      } catch (error) {
        log.error({ err: errorMessage(error) }, 'cannot read a message back from the outbox');
        return;
      }
      if (!record) break;
      const { seq } = record;
      const generation = this.generation;
      this.inFlight += 1;
      link.publish(topics[record.kind], record.payload, { correlationData: record.correlationData }).then(
        () => {
          outbox.ack(seq);
          if (generation === this.generation) this.inFlight -= 1;
          this.pump();
        },
        () => {
          if (generation !== this.generation) return;
          this.inFlight -= 1;
          outbox.release(seq);
        },
      );
    }
    if (outbox.depth === 0) for (const waiter of [...this.drained]) waiter();
  }
}
