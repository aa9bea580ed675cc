import { EventEmitter } from 'node:events';
import { ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../test/helpers/log.js';
import { systemClock } from '../basics/clock.js';
import { MqttLink } from './mqtt-link.js';

/** Stands in for one MQTT.js client: the test plays the broker's side with emit(). */
class FakeClient extends EventEmitter {
  readonly publishes: { topic: string; callback: (error?: Error) => void }[] = [];
  ended = false;

  constructor(readonly options: IClientOptions) {
    super();
  }

  publish(topic: string, _payload: unknown, _options: unknown, callback: (error?: Error) => void) {
    this.publishes.push({ topic, callback });
  }

  subscribe(_topic: string, _options: unknown, callback: (error: Error | null) => void) {
    callback(null);
  }

  end(...args: unknown[]) {
    this.ended = true;
    const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
  }
}

const JUST_BELOW_ONE = 1 - Number.EPSILON;

function makeLink(protocolVersion: 4 | 5 = 5) {
  const clients: FakeClient[] = [];
  const { log, records } = memoryLog();
  let session = 0;
  const link = new MqttLink({
    url: 'mqtt://127.0.0.1:1883',
    clientId: 'T-1',
    protocolVersion,
    keepaliveSeconds: 30,
    sessionExpirySeconds: 60,
    will: () => ({ topic: 'pos/v1/T-1/state', payload: Buffer.from(JSON.stringify({ online: false, session: ++session })), delaySeconds: 30 }),
    subscriptions: ['pos/v1/T-1/cmd'],
    clock: systemClock,
    log,
    random: () => JUST_BELOW_ONE,
    connect: ((_url: string, options: IClientOptions) => {
      const client = new FakeClient(options);
      clients.push(client);
      return client as unknown as MqttClient;
    }) as never,
  });
  const latest = () => clients.at(-1)!;
  /** Delay until the next attempt, as the link scheduled it. */
  const nextDelay = () => link.figures().nextAttemptAt! - Date.now();
  return { link, clients, latest, records, nextDelay };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MqttLink', () => {
  it('keeps trying after refused CONNACKs, with delays that double, and says why once', async () => {
    const { link, clients, latest, records, nextDelay } = makeLink();
    link.start();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      latest().emit('error', new ErrorWithReasonCode('Connection refused: Not authorized', 135));
      latest().emit('close');
      delays.push(nextDelay());
      vi.advanceTimersByTime(nextDelay());
    }
    expect(clients).toHaveLength(6);
    expect(delays).toEqual([999, 1_999, 3_999, 7_999, 15_999]);
    const refusals = records.filter((line) => line.msg === 'cannot reach the broker');
    expect(refusals.map((line) => line.level)).toEqual([40, 20, 20, 20, 20]);
    expect(refusals[0].reason).toBe('Connection refused: Not authorized');
  });

  it('resets the backoff after a connection that lasted a minute, not after a shorter one', () => {
    const { link, latest, nextDelay } = makeLink();
    link.start();
    for (let attempt = 0; attempt < 3; attempt++) {
      latest().emit('close');
      vi.advanceTimersByTime(nextDelay());
    }
    latest().emit('connect');
    vi.advanceTimersByTime(59_000);
    latest().emit('close');
    expect(nextDelay()).toBe(7_999);

    vi.advanceTimersByTime(nextDelay());
    latest().emit('connect');
    vi.advanceTimersByTime(60_000);
    latest().emit('close');
    expect(nextDelay()).toBe(999);
  });

  it('connects with MQTT 5 clean start off, a session that outlives the 30 s will delay, and a fresh client each time', () => {
    const { link, clients, latest, nextDelay } = makeLink(5);
    link.start();
    latest().emit('close');
    vi.advanceTimersByTime(nextDelay());
    expect(clients).toHaveLength(2);
    const { options } = latest();
    expect(options).toMatchObject({ clientId: 'T-1', protocolVersion: 5, clean: false, reconnectPeriod: 0, properties: { sessionExpiryInterval: 60 } });
    expect(options.will).toMatchObject({ topic: 'pos/v1/T-1/state', qos: 1, retain: true, properties: { willDelayInterval: 30 } });
    // Each attempt asks for the will again: it carries that attempt's session number.
    expect(JSON.parse(String(options.will!.payload))).toEqual({ online: false, session: 2 });
    expect(clients[0]!.ended).toBe(true);
  });

  it('fails publishes still waiting for PUBACK when the connection closes, also with clean start off', async () => {
    const { link, latest } = makeLink(5);
    link.start();
    latest().emit('connect');
    const waiting = link.publish('pos/v1/T-1/heartbeat', '{}');
    const acknowledged = link.publish('pos/v1/T-1/heartbeat', '{}');
    latest().publishes[1]!.callback();
    await expect(acknowledged).resolves.toBeUndefined();
    // MQTT.js itself never answers the first one: its store is not flushed without a clean session.
    latest().emit('close');
    await expect(waiting).rejects.toThrow('connection lost before PUBACK');
    await expect(link.publish('pos/v1/T-1/heartbeat', '{}')).rejects.toThrow('not connected');
  });

  it('passes on a refusing PUBACK as the error of that publish', async () => {
    const { link, latest } = makeLink(5);
    link.start();
    latest().emit('connect');
    const refused = link.publish('pos/v1/T-2/heartbeat', '{}');
    latest().publishes[0]!.callback(new ErrorWithReasonCode('Publish error: Not authorized', 135));
    await expect(refused).rejects.toMatchObject({ code: 135 });
    expect(link.isUp).toBe(true);
  });

  it('logs the reason the broker gave for ending the connection (MQTT 5 DISCONNECT)', () => {
    const { link, latest, records } = makeLink(5);
    link.start();
    latest().emit('connect');
    latest().emit('disconnect', { cmd: 'disconnect', reasonCode: 142 });
    latest().emit('close');
    const lost = records.find((line) => line.msg === 'lost the broker');
    expect(lost).toMatchObject({ level: 40, reason: 'broker disconnected: Session taken over (142)' });
  });
});
