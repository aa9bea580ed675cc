import type { Logger } from 'pino';
import type { BirthMessage, FaultMessage, FaultsSnapshot, OfflineMessage, SequencedKind, TopicPayloads } from '../protocol/messages.js';
import type { TerminalTopics } from '../protocol/topics.js';
import { Backoff } from '../basics/backoff.js';
import type { Clock, Timer } from '../basics/clock.js';
import { errorMessage } from '../basics/errors.js';
import { DrainRate } from './drain-rate.js';
import { reasonName, type MqttLink } from './mqtt-link.js';
import type { Outbox } from './outbox/outbox.js';
import { redactMessage } from './redact.js';

/**
 * The one exit of every upstream message. Sequenced messages (heartbeat, fault, reply) are masked,
 * a fault also recorded in the fault history, then queued in the durable outbox and sent in seq
 * order with a bounded window in flight. The retained
 * latest-value messages (state, faults) are not queued: only their newest value matters, and it
 * is published on every connect and on every change. Device strings reach messages (a `status`
 * reply, a fault's detail), so every message is masked here for cardholder data (SPEC.md section 7).
 *
 * A broker that refuses a message (MQTT 5: a PUBACK with a reason code such as 0x87 "not
 * authorized") has not taken it: the message stays in the outbox, nothing after it is sent, and
 * it is offered again alone after a backoff (1 s doubling to 5 min), so a terminal whose
 * identity the broker does not accept neither spins nor loses what it has to say.
 */

export interface UplinkOptions {
  link: MqttLink;
  outbox: Outbox;
  topics: TerminalTopics;
  clock: Clock;
  log: Logger;
  /** The birth message of the connection that just came up. */
  birth(): BirthMessage;
  /** The fault history: every fault message, as it was sent, before it is queued. */
  journal?: { record(message: FaultMessage): void };
  /** Messages on the way to the broker at once; more would only sit in MQTT.js's memory. */
  window?: number;
  random?: () => number;
  /** `mqtt.drainBytesPerSecond`: the outbox sends no faster on average (drain-rate.ts). */
  drainBytesPerSecond?: number;
}

interface Refusal {
  since: number;
  refusals: number;
  reason: string;
  /** When the next single message may go; undefined once it is due. */
  retry?: Timer;
}

export class Uplink {
  private inFlight = 0;
  private generation = 0;
  private snapshot: FaultsSnapshot | undefined;
  private readonly window: number;
  private drained: (() => void)[] = [];
  private refusal: Refusal | undefined;
  private readonly retry: Backoff;
  private readonly rate: DrainRate | undefined;
  private rateTimer: Timer | undefined;

  constructor(private readonly options: UplinkOptions) {
    this.window = options.window ?? 16;
    this.retry = new Backoff(1_000, 300_000, options.random);
    this.rate = options.drainBytesPerSecond ? new DrainRate(options.drainBytesPerSecond, options.clock) : undefined;
    options.link.on('up', () => this.onUp());
    options.link.on('down', () => this.onDown());
    options.outbox.on('ready', () => this.pump());
  }

  /** Creates a sequenced message; `build` receives its seq. Returns the seq. */
  send<K extends SequencedKind>(kind: K, build: (seq: number) => TopicPayloads[K], correlationData?: Buffer): number {
    const seq = this.reserve();
    this.sendReserved(seq, kind, build(seq), correlationData);
    return seq;
  }

  /** Takes the seq of a message that is built later (a fault's id is the seq of its raise). */
  reserve(): number {
    return this.options.outbox.reserve();
  }

  /**
   * Sends a message under a seq from reserve(), or under one above everything written (a fault
   * saved but not yet sent when the agent last stopped). A fault is journaled before it is queued,
   * so that a crash in between repeats the journal line, which the journal skips, rather than lose
   * it. Returns the message as it leaves, masked.
   */
  sendReserved<K extends SequencedKind>(seq: number, kind: K, message: TopicPayloads[K], correlationData?: Buffer): TopicPayloads[K] {
    const masked = redactMessage(message);
    if (kind === 'fault') this.options.journal?.record(masked as FaultMessage);
    this.options.outbox.put(seq, kind, masked, correlationData);
    return masked;
  }

  /** The highest seq written to the outbox; a reserved seq above it was never sent. */
  get lastWrittenSeq(): number {
    return this.options.outbox.lastWrittenSeq;
  }

  /** The retained R/faults snapshot: published now if connected, else after the next birth. */
  setFaults(snapshot: FaultsSnapshot): void {
    this.snapshot = snapshot;
    // After the fault messages that changed it are on disk and on their way: a back end reading
    // R/fault and R/faults then never sees a snapshot ahead of the raise or clear behind it.
    void this.options.outbox.flush().then(() => {
      if (this.snapshot === snapshot && this.options.link.isUp) this.publishRetained(this.options.topics.faults, snapshot);
    });
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
    this.options.clock.clearTimeout(this.rateTimer);
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
      const refused = reasonCode(error) !== undefined;
      this.options.log[refused ? 'warn' : 'debug'](
        { topic, err: errorMessage(error) },
        refused ? 'broker refused a retained message; it is published again on the next connect or change' : 'retained message not acknowledged; it is sent again on the next connect',
      );
    });
  }

  /** How many sequenced messages may be on their way now: none while a refusal waits for its retry. */
  private allowance(): number {
    if (!this.refusal) return this.window;
    return this.refusal.retry ? 0 : 1;
  }

  private pump(): void {
    const { link, outbox, topics, log } = this.options;
    while (link.isUp && this.inFlight < this.allowance() && !this.rateLimited()) {
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
      const retrying = this.refusal !== undefined;
      this.rate?.spend(record.payload.length + Buffer.byteLength(topics[record.kind]));
      link.publish(topics[record.kind], record.payload, { correlationData: record.correlationData }).then(
        () => {
          outbox.ack(seq);
          if (generation === this.generation) this.inFlight -= 1;
          if (retrying) this.accepted();
          this.pump();
        },
        (error: unknown) => {
          // A lost connection has released everything already (onDown).
          if (generation !== this.generation) return;
          this.inFlight -= 1;
          outbox.release(seq);
          this.refused(seq, record.kind, error);
        },
      );
    }
    if (outbox.depth === 0) for (const waiter of [...this.drained]) waiter();
  }

  /** Whether the drain rate cap holds the next message back; if so, the pump runs again when it may go. */
  private rateLimited(): boolean {
    const waitMs = this.rate?.waitMs() ?? 0;
    if (waitMs === 0 || this.options.outbox.depth === 0) return false;
    if (this.rateTimer === undefined) {
      this.rateTimer = this.options.clock.setTimeout(() => {
        this.rateTimer = undefined;
        this.pump();
      }, waitMs);
    }
    return true;
  }

  private refused(seq: number, kind: SequencedKind, error: unknown): void {
    const { clock, log } = this.options;
    const code = reasonCode(error);
    const reason = code === undefined ? errorMessage(error) : `${reasonName(code)} (0x${code.toString(16)})`;
    const first = this.refusal === undefined;
    const refusal = (this.refusal ??= { since: clock.monotonic(), refusals: 0, reason });
    refusal.refusals += 1;
    refusal.reason = reason;
    // Several messages of one window come back refused together: one retry for all of them.
    if (refusal.retry) return;
    const delay = this.retry.next();
    refusal.retry = clock.setTimeout(() => {
      refusal.retry = undefined;
      this.pump();
    }, delay);
    const fields = { seq, kind, reason, refusals: refusal.refusals, retryInMs: delay, depth: this.options.outbox.depth };
    if (first) {
      log.error(
        fields,
        code === 0x87
          ? 'broker refused a message: not authorized to publish under this terminal id (does terminalId match the identity the broker gives this connection, its certificate CN or username?); the outbox keeps it and everything after it, and offers it again'
          : code !== undefined
            ? 'broker refused a message; the outbox keeps it and everything after it, and offers it again'
            : 'a publish failed on an open connection; the outbox keeps it and everything after it, and offers it again',
      );
    } else {
      log.debug(fields, 'broker still refuses the oldest message');
    }
  }

  private accepted(): void {
    const refusal = this.refusal;
    if (!refusal) return;
    this.options.clock.clearTimeout(refusal.retry);
    this.refusal = undefined;
    this.retry.reset();
    this.options.log.info(
      { refusals: refusal.refusals, refusedForMs: Math.round(this.options.clock.monotonic() - refusal.since) },
      'broker accepts messages again; the outbox drains',
    );
  }
}

/** The reason code of a refusal (MQTT.js's ErrorWithReasonCode), undefined for other failures. */
function reasonCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') return error.code;
  return undefined;
}
