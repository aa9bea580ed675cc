import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** A subscriber that records what a fleet back end would receive, with waits bounded in time. */
export interface Received {
  topic: string;
  payload: Buffer;
  json: any;
  /** MQTT 5 correlation data, when the message carried some. */
  correlationData?: Buffer;
  retain: boolean;
  at: number;
}

export class Recorder {
  readonly messages: Received[] = [];
  private waiters: { predicate: (message: Received) => boolean; resolve: (message: Received) => void }[] = [];

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString());
      } catch {
        json = undefined;
      }
      const message = { topic, payload, json, retain: packet.retain, at: Date.now(), correlationData: packet.properties?.correlationData };
      this.messages.push(message);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.predicate(message)) return true;
        waiter.resolve(message);
        return false;
      });
    });
  }

  static async connect(url: string, filter: string, options: IClientOptions = {}): Promise<Recorder> {
    const client = await mqtt.connectAsync(url, { clientId: `rec-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 200, ...options });
    const recorder = new Recorder(client);
    await client.subscribeAsync(filter, { qos: 1 });
    return recorder;
  }

  /** Messages on topics ending in `/suffix`, as JSON. */
  of(suffix: string): any[] {
    return this.messages.filter((message) => message.topic.endsWith(`/${suffix}`)).map((message) => message.json);
  }

  /** The first message, already received or still to come, that satisfies the predicate. */
  waitFor(what: string, predicate: (message: Received) => boolean, timeoutMs = 15_000): Promise<Received> {
    const seen = this.messages.find(predicate);
    if (seen) return Promise.resolve(seen);
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
    await this.client.endAsync(true);
  }
}
