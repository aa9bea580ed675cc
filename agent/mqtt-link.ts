import type { LinkFigures } from '../protocol/status.js';
import { EventEmitter } from 'node:events';
import mqtt, { ReasonCodes, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { Logger } from 'pino';
import { Backoff } from '../basics/backoff.js';
import type { Clock, Timer } from '../basics/clock.js';
import { errorMessage } from '../basics/errors.js';
import { receivedPacketBytes, sentPacketBytes } from './mqtt-bytes.js';
import { redactUrl } from '../basics/url.js';

// mqtt-packet builds, on its first packet, a cache of 65,536 two-byte Buffers (6 MiB of heap) to
// write packet ids and lengths a little faster. A terminal sends a few packets a minute.
mqttPacket.writeToStream.cacheNumbers = false;

/**
 * One MQTT connection, kept up with our own backoff. Each attempt uses a fresh MQTT.js client
 * with its reconnect turned off: what was in flight on a lost connection is the outbox's to send
 * again, so MQTT.js's in-memory store never holds anything that matters.
 */

export interface LastWill {
  topic: string;
  payload: Buffer;
  /** MQTT 5 will delay: a short drop does not flap the terminal offline. */
  delaySeconds?: number;
}

export interface LinkOptions {
  url: string;
  clientId: string;
  protocolVersion: 4 | 5;
  keepaliveSeconds: number;
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** MQTT 5 session expiry; at least the will delay, or the broker sends the will early. */
  sessionExpirySeconds?: number;
  /** Asked before every attempt: the will carries that connection's session number. */
  will(): LastWill;
  subscriptions: string[];
  clock: Clock;
  log: Logger;
  random?: () => number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A connection that lasted this long resets the backoff. */
  stableMs?: number;
  connect?: typeof mqtt.connect;
}

/**
 * The largest packet the agent takes from the broker (MQTT 5 Maximum Packet Size): a command of
 * 16 KiB (SPEC.md section 6) with its topic and properties. A broker drops a bigger one rather than
 * hand it over, so a flood of large junk costs the terminal neither bytes on its plan nor memory.
 */
export const MAX_INBOUND_PACKET_BYTES = 16 * 1024 + 1024;

/**
 * Correlation data longer than this is not echoed in a reply: each refusal is written to the
 * outbox on flash, and a sender must not make every one of them kilobytes long.
 */
export const MAX_ECHOED_CORRELATION_BYTES = 256;

function echoable(correlationData: Buffer | undefined): Buffer | undefined {
  return correlationData && correlationData.length <= MAX_ECHOED_CORRELATION_BYTES ? correlationData : undefined;
}

export type { LinkFigures } from '../protocol/status.js';

export interface PublishOptions {
  retain?: boolean;
  correlationData?: Buffer;
}

export class MqttLink extends EventEmitter<{
  up: [];
  down: [];
  message: [topic: string, payload: Buffer, correlationData: Buffer | undefined];
}> {
  private client: MqttClient | undefined;
  private readonly backoff: Backoff;
  private retryTimer: Timer | undefined;
  private stableTimer: Timer | undefined;
  private stopped = false;
  private connectedSince: number | undefined;
  private connects = 0;
  private attempts = 0;
  private nextAttemptAt: number | undefined;
  private lastError: string | undefined;
  private bytesSent = 0;
  private bytesReceived = 0;
  private loggedError: string | undefined;
  /**
   * Publishes waiting for their PUBACK on the current connection. MQTT.js answers them when a
   * connection closes only for a clean session, so with MQTT 5's clean start off it would leave
   * them pending for ever: they are failed here, and the outbox sends them again.
   */
  private readonly unacknowledged = new Set<(error: Error) => void>();

  constructor(private readonly options: LinkOptions) {
    super();
    this.backoff = new Backoff(options.backoffBaseMs, options.backoffMaxMs, options.random);
  }

  get isUp(): boolean {
    return this.connectedSince !== undefined;
  }

  figures(): LinkFigures {
    return {
      up: this.isUp,
      connects: this.connects,
      attempts: this.attempts,
      connectedSince: this.connectedSince,
      lastError: this.lastError,
      nextAttemptAt: this.nextAttemptAt,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
    };
  }

  start(): void {
    this.attempt();
  }

  /** QoS 1; resolves on PUBACK, rejects when the connection goes first. */
  publish(topic: string, payload: Buffer | string, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client || !this.isUp) return Promise.reject(new Error('not connected'));
    const publishOptions: IClientPublishOptions = { qos: 1, retain: options.retain ?? false };
    if (this.options.protocolVersion === 5 && options.correlationData) {
      publishOptions.properties = { correlationData: options.correlationData };
    }
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        this.unacknowledged.delete(fail);
        reject(error);
      };
      this.unacknowledged.add(fail);
      client.publish(topic, payload, publishOptions, (error) => {
        this.unacknowledged.delete(fail);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  /**
   * Ends the connection on purpose: publishes `farewell` (the clean-offline state) if connected,
   * then disconnects normally, so that the broker discards the will.
   */
  async stop(farewell?: { topic: string; payload: Buffer; timeoutMs: number }): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimeout(this.retryTimer);
    this.options.clock.clearTimeout(this.stableTimer);
    const client = this.client;
    if (!client) return;
    if (farewell && this.isUp) {
      await withTimeout(this.publish(farewell.topic, farewell.payload, { retain: true }), farewell.timeoutMs, this.options.clock).catch(
        (error: unknown) => this.options.log.warn({ err: errorMessage(error) }, 'clean-offline state not acknowledged'),
      );
    }
    this.connectedSince = undefined;
    await new Promise<void>((resolve) => {
      const force = this.options.clock.setTimeout(() => client.end(true, () => resolve()), 1_000);
      client.end(false, { reasonCode: 0 }, () => {
        this.options.clock.clearTimeout(force);
        resolve();
      });
    });
  }

  private attempt(): void {
    if (this.stopped) return;
    this.nextAttemptAt = undefined;
    this.attempts += 1;
    const { options } = this;
    const will = options.will();
    const v5 = options.protocolVersion === 5;
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: options.protocolVersion,
      keepalive: options.keepaliveSeconds,
      // MQTT 5 keeps the session across a short drop, so the will delay can hold the will back.
      clean: !v5,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      username: options.username,
      password: options.password,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      will: {
        topic: will.topic,
        payload: will.payload,
        qos: 1,
        retain: true,
        ...(v5 && will.delaySeconds ? { properties: { willDelayInterval: will.delaySeconds } } : {}),
      },
      ...(v5 ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds ?? 60, maximumPacketSize: MAX_INBOUND_PACKET_BYTES } } : {}),
      // MQTT 5, where the broker's CONNACK offers aliases: the topic goes once per connection,
      // then two bytes stand for it. Aliases live and die with the connection, as this client does.
      ...(v5 ? { autoAssignTopicAlias: true } : {}),
    };
    const client = (options.connect ?? mqtt.connect)(options.url, clientOptions);
    this.client = client;
    client.on('packetsend', (packet) => (this.bytesSent += sentPacketBytes(packet, options.protocolVersion)));
    client.on('packetreceive', (packet) => (this.bytesReceived += receivedPacketBytes(packet.length ?? 0)));

    client.on('connect', () => {
      if (client !== this.client) return;
      this.connects += 1;
      this.connectedSince = options.clock.now();
      this.lastError = undefined;
      this.loggedError = undefined;
      this.stableTimer = options.clock.setTimeout(() => this.backoff.reset(), options.stableMs ?? 60_000);
      options.log.info({ url: redactUrl(options.url), attempts: this.attempts }, 'connected to broker');
      for (const topic of options.subscriptions) {
        client.subscribe(topic, { qos: 1 }, (error) => {
          if (error) options.log.error({ topic, err: errorMessage(error) }, 'subscribe failed');
        });
      }
      this.emit('up');
    });
    client.on('message', (topic, payload, packet) => {
      if (client !== this.client) return;
      this.emit('message', topic, payload, echoable(packet.properties?.correlationData));
    });
    client.on('error', (error) => {
      if (client !== this.client) return;
      this.lastError = errorMessage(error);
    });
    client.on('disconnect', (packet) => {
      // MQTT 5: the broker says why it ends the connection (session taken over, shutting down…).
      if (client !== this.client) return;
      const code = packet.reasonCode ?? 0;
      this.lastError = `broker disconnected: ${packet.properties?.reasonString ?? reasonName(code)} (${code})`;
    });
    client.on('close', () => {
      if (client !== this.client) return;
      client.removeAllListeners('message');
      client.end(true);
      const wasUp = this.isUp;
      this.connectedSince = undefined;
      this.options.clock.clearTimeout(this.stableTimer);
      if (wasUp) this.emit('down');
      for (const fail of [...this.unacknowledged]) fail(new Error('connection lost before PUBACK'));
      if (this.stopped) return;
      const delay = this.backoff.next();
      this.nextAttemptAt = options.clock.now() + delay;
      const reason = this.lastError ?? (wasUp ? 'connection lost' : 'connection closed');
      const fields = { url: redactUrl(options.url), reason, retryInMs: delay };
      if (reason !== this.loggedError || wasUp) options.log.warn(fields, wasUp ? 'lost the broker' : 'cannot reach the broker');
      else options.log.debug(fields, 'cannot reach the broker');
      this.loggedError = reason;
      this.lastError = undefined;
      this.retryTimer = options.clock.setTimeout(() => this.attempt(), delay);
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The name of an MQTT reason code, for a log line. */
export function reasonName(code: number): string {
  return (ReasonCodes as Record<number, string | undefined>)[code] ?? `reason code ${code}`;
}
