import type { IClientOptions, MqttClient, Packet } from 'mqtt';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../basics/clock.js';
import { MqttLink } from '../agent/mqtt-link.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { requireTool } from '../sim/tools.js';
import { memoryLog } from './helpers/log.js';
import { Recorder } from './helpers/recorder.js';

/**
 * MQTT 5 topic aliases against mosquitto, which offers 10 in its CONNACK: the agent's link sends
 * a topic once per connection and its alias after that, starts over on every new connection
 * (each attempt is a fresh MQTT.js client, and a broker forgets aliases with the connection),
 * and a subscriber receives every message under its full topic. On MQTT 3.1.1 nothing changes.
 */

const binary = requireTool('mosquitto', 'the topic alias test (MQTT 5 with aliases needs mosquitto)');

let broker: Mosquitto;
beforeAll(async () => {
  broker = await Mosquitto.start(binary!);
});
afterAll(async () => {
  await broker?.stop();
});

function link(protocolVersion: 4 | 5, sent: { topic: string; alias?: number }[], clients: MqttClient[]) {
  return new MqttLink({
    url: broker.url,
    clientId: `ALIAS-${protocolVersion}-${Math.random().toString(36).slice(2, 8)}`,
    protocolVersion,
    keepaliveSeconds: 30,
    will: () => ({ topic: 'pos/v1/ALIAS/state', payload: Buffer.from('{"online":false}') }),
    subscriptions: [],
    clock: systemClock,
    log: memoryLog().log,
    backoffBaseMs: 50,
    backoffMaxMs: 100,
    connect: ((url: string, options: IClientOptions) => {
      const client = mqtt.connect(url, options);
      client.on('packetsend', (packet: Packet) => {
        if (packet.cmd === 'publish') sent.push({ topic: String(packet.topic), alias: packet.properties?.topicAlias });
      });
      clients.push(client);
      return client;
    }) as typeof mqtt.connect,
  });
}

const up = (target: MqttLink) => new Promise<void>((resolve) => (target.isUp ? resolve() : target.once('up', () => resolve())));

describe.skipIf(!binary)('MQTT 5 topic aliases', () => {
  it('sends each topic once per connection, its alias after, and starts over on a new connection', async () => {
    const recorder = await Recorder.connect(broker.url, 'pos/v1/ALIAS/#', { protocolVersion: 5 });
    const sent: { topic: string; alias?: number }[] = [];
    const clients: MqttClient[] = [];
    const agent = link(5, sent, clients);
    agent.start();
    await up(agent);
    for (let i = 1; i <= 3; i++) await agent.publish('pos/v1/ALIAS/heartbeat', JSON.stringify({ seq: i }));
    await agent.publish('pos/v1/ALIAS/fault', JSON.stringify({ seq: 4 }));
    expect(sent).toEqual([
      { topic: 'pos/v1/ALIAS/heartbeat', alias: 1 },
      { topic: '', alias: 1 },
      { topic: '', alias: 1 },
      { topic: 'pos/v1/ALIAS/fault', alias: 2 },
    ]);

    // The connection drops; the link's next attempt is a fresh client with no aliases yet.
    const down = new Promise<void>((resolve) => agent.once('down', () => resolve()));
    clients[0]!.stream.destroy();
    await down;
    await up(agent);
    sent.length = 0;
    await agent.publish('pos/v1/ALIAS/heartbeat', JSON.stringify({ seq: 5 }));
    await agent.publish('pos/v1/ALIAS/heartbeat', JSON.stringify({ seq: 6 }));
    expect(sent).toEqual([
      { topic: 'pos/v1/ALIAS/heartbeat', alias: 1 },
      { topic: '', alias: 1 },
    ]);

    const seen = await recorder.waitForJson('heartbeat', 'seq 6', (json) => json.seq === 6);
    expect(seen.seq).toBe(6);
    expect(recorder.of('heartbeat').map((json) => json.seq)).toEqual([1, 2, 3, 5, 6]);
    expect(recorder.of('fault').map((json) => json.seq)).toEqual([4]);
    await agent.stop();
    await recorder.close();
  });

  it('sends full topics on MQTT 3.1.1', async () => {
    const sent: { topic: string; alias?: number }[] = [];
    const agent = link(4, sent, []);
    agent.start();
    await up(agent);
    await agent.publish('pos/v1/ALIAS/heartbeat', '{}');
    await agent.publish('pos/v1/ALIAS/heartbeat', '{}');
    expect(sent).toEqual([{ topic: 'pos/v1/ALIAS/heartbeat', alias: undefined }, { topic: 'pos/v1/ALIAS/heartbeat', alias: undefined }]);
    await agent.stop();
  });
});
