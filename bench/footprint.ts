import net from 'node:net';
import path from 'node:path';
import type { BenchContext, Figure } from './index.js';
import { AgentProcess, bareNode, BenchTerminal, benchTools, benchWorld, cpuSeconds, median, rssMiB, sleep, backEnd } from './rig.js';

/**
 * A healthy terminal at the default intervals of SPEC.md section 3: resident memory against a
 * bare Node.js process measured in the same run, CPU per hour, and the bytes it sends, counted by
 * a relay between the agent and the broker.
 */
export async function footprintSection(context: BenchContext): Promise<Figure[]> {
  const tools = benchTools();
  if (typeof tools === 'string') return [{ name: 'footprint', unit: '', skipped: tools }];
  const windowSeconds = context.quick ? 120 : 600;
  const world = await benchWorld(tools);
  const relay = await CountingRelay.start(world.broker.port);
  const terminal = await BenchTerminal.create(path.join(context.dir, 'terminal'), tools, {
    brokerUrl: relay.url,
    terminalId: 'BENCH-FOOT',
    probeHost: world.probeHost,
  });
  const subscriber = await backEnd(world.broker.url, 'pos/v1/BENCH-FOOT/+');
  const agent = new AgentProcess(terminal.configFile);
  try {
    await subscriber.waitFor('first heartbeat', (message) => message.topic.endsWith('/heartbeat'), 30_000);
    context.progress('agent up; settling for 20 s');
    await sleep(20_000);
    const rssStart = rssMiB(agent.pid);
    const bare = await bareNode(async (child) => rssMiB(child.pid!));
    const cpu0 = cpuSeconds(agent.pid);
    const bytes0 = relay.counts();
    const heartbeats0 = subscriber.messages.filter((m) => m.topic.endsWith('/heartbeat')).length;
    context.progress(`measuring CPU and bytes for ${windowSeconds} s at the default intervals`);
    await sleep(windowSeconds * 1000);
    const cpu = cpuSeconds(agent.pid) - cpu0;
    const bytes = relay.counts();
    const up = bytes.up - bytes0.up;
    const down = bytes.down - bytes0.down;
    const heartbeats = subscriber.messages.filter((m) => m.topic.endsWith('/heartbeat'), 30_000);
    const inWindow = heartbeats.length - heartbeats0;
    const payload = median(heartbeats.map((m) => m.bytes));
    const last = heartbeats.at(-1)!;
    // The contract's example counts a six-digit seq; a young terminal's is shorter.
    const payloadAtSixDigits = payload + (6 - String(last.json.seq).length);
    const topic = 'pos/v1/BENCH-FOOT/heartbeat';
    const cpuPerHour = (cpu / windowSeconds) * 3600;
    return [
      { name: 'RSS after start', value: round1(rssStart), unit: 'MiB', note: 'every device configured and answering' },
      { name: 'bare Node.js process', value: round1(bare), unit: 'MiB', note: 'node -e "setInterval(…)", same run' },
      { name: 'RSS ratio to bare Node.js', value: round2(rssStart / bare), unit: '×', note: 'target ≤ 1.35' },
      { name: 'CPU at default intervals', value: round2(cpuPerHour), unit: 's/h', note: `${round2(cpu)} s over ${windowSeconds} s` },
      { name: 'CPU at default intervals, share of a core', value: round3((cpuPerHour / 3600) * 100), unit: '%', note: 'target ≤ 0.2 %' },
      { name: 'heartbeat payload', value: payloadAtSixDigits, unit: 'B', note: `healthy, all devices, with a six-digit seq (${payload} B measured at seq ${last.json.seq})` },
      { name: 'MQTT bytes per heartbeat', value: mqtt5PublishBytes(topic, payloadAtSixDigits), unit: 'B', note: 'PUBLISH QoS 1, MQTT 5, no properties; PUBACK 4 B back' },
      // A window shorter than the 900 s heartbeat interval may hold no heartbeat: what it counts
      // is MQTT over TCP in that window, not a day. The wire section measures the day, IP and TLS included.
      { name: 'MQTT bytes in the window', value: up + down, unit: 'B', note: `MQTT over TCP: ${up} B up, ${down} B down, ${inWindow} heartbeats in ${windowSeconds} s; a day at the IP level: the wire section` },
    ];
  } finally {
    await agent.stop();
    await subscriber.close();
    await terminal.close();
    await relay.close();
    await world.close();
  }
}

/** Size of an MQTT 5 PUBLISH at QoS 1 without properties: fixed header, topic, packet id, props length, payload. */
export function mqtt5PublishBytes(topic: string, payloadBytes: number): number {
  const remaining = 2 + Buffer.byteLength(topic) + 2 + 1 + payloadBytes;
  const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
  return 1 + lengthBytes + remaining;
}

/** A TCP relay on loopback that counts the bytes in each direction. */
class CountingRelay {
  private up = 0;
  private down = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetPort: number): Promise<CountingRelay> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const relay = new CountingRelay(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => {
      const broker = net.connect(targetPort, '127.0.0.1');
      for (const socket of [client, broker]) {
        relay.sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => {
          relay.sockets.delete(socket);
          client.destroy();
          broker.destroy();
        });
      }
      client.on('data', (chunk) => {
        relay.up += chunk.length;
        broker.write(chunk);
      });
      broker.on('data', (chunk) => {
        relay.down += chunk.length;
        client.write(chunk);
      });
    });
    return relay;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  counts(): { up: number; down: number } {
    return { up: this.up, down: this.down };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;
const round3 = (value: number) => Math.round(value * 1000) / 1000;
