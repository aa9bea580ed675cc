import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';

/**
 * A back end's view of the broker, for the fleet's observer, the benchmark and the tests: one
 * MQTT connection of its own, subscribed at QoS 1 to a filter, as a consumer would be.
 */

/** Connects and subscribes; `onMessage` sees every message, retained ones included. */
export async function subscribe(
  url: string,
  filter: string,
  onMessage: (topic: string, payload: Buffer, packet: IPublishPacket) => void,
  options: IClientOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId: `rec-${process.pid}-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200, ...options });
  client.on('message', onMessage);
  await client.subscribeAsync(filter, { qos: 1 });
  return client;
}

export interface Received {
  topic: string;
  payload: Buffer;
  /** The payload parsed, or undefined when it is not JSON. */
  json: any;
  bytes: number;
  /** MQTT 5 correlation data, when the message carried some. */
  correlationData?: Buffer;
  retain: boolean;
  /** When it arrived, on the recorder's clock (Date.now unless given). */
  at: number;
}

/** Records every message it receives, with waits bounded in time. */
export class Recorder {
  readonly messages: Received[] = [];
  private waiters: { predicate: (message: Received) => boolean; resolve: (message: Received) => void }[] = [];
  private client: MqttClient | undefined;

  private constructor(private readonly now: () => number) {}

  static async connect(url: string, filter: string, options: IClientOptions = {}, now: () => number = Date.now): Promise<Recorder> {
    const recorder = new Recorder(now);
    recorder.client = await subscribe(url, filter, (topic, payload, packet) => recorder.receive(topic, payload, packet), options);
    return recorder;
  }

  /** Messages on topics ending in `/suffix`, as JSON. */
  of(suffix: string): any[] {
    return this.messages.filter((message) => message.topic.endsWith(`/${suffix}`)).map((message) => message.json);
  }

  /** The first message, already received or still to come, that satisfies the predicate. */
  waitFor(what: string, predicate: (message: Received) => boolean, timeoutMs = 15_000): Promise<Received> {
    const seen = this.messages.find(predicate);
    return seen ? Promise.resolve(seen) : this.next(what, predicate, timeoutMs);
  }

  /** The next message to come that satisfies the predicate; those received already do not count. */
  next(what: string, predicate: (message: Received) => boolean, timeoutMs = 15_000): Promise<Received> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        const recent = this.messages.slice(-8).map((message) => `${message.topic} ${message.payload.toString().slice(0, 200)}`);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last messages:\n${recent.join('\n')}`));
      }, timeoutMs);
      const done = (message: Received) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.waiters.push({ predicate, resolve: done });
    });
  }

  /** Waits for a JSON message on `R/suffix` that matches. */
  waitForJson(suffix: string, what: string, predicate: (json: any) => boolean = () => true, timeoutMs?: number): Promise<any> {
    return this.waitFor(`${suffix}: ${what}`, (message) => message.topic.endsWith(`/${suffix}`) && message.json !== undefined && predicate(message.json), timeoutMs).then(
      (message) => message.json,
    );
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
  }

  private receive(topic: string, payload: Buffer, packet: IPublishPacket): void {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      json = undefined;
    }
    const message: Received = { topic, payload, json, bytes: payload.length, retain: packet.retain, at: this.now(), correlationData: packet.properties?.correlationData };
    this.messages.push(message);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.predicate(message)) return true;
      waiter.resolve(message);
      return false;
    });
  }
}
