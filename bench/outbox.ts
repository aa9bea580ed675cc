import fs from 'node:fs';
import path from 'node:path';
import { systemClock } from '../basics/clock.js';
import { silentLog } from '../agent/log.js';
import { MqttLink } from '../agent/mqtt-link.js';
import { FileStore } from '../agent/outbox/file-store.js';
import { Outbox } from '../agent/outbox/outbox.js';
import { heartbeatMessage } from '../agent/telemetry.js';
import { Uplink } from '../agent/uplink.js';
import { terminalTopics } from '../protocol/topics.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { findTool } from '../sim/tools.js';
import type { BenchContext, Figure } from './index.js';

/**
 * What the outbox costs a terminal's flash and what it can carry: appends with batched
 * fdatasync, bytes written per message, and how fast a backlog drains once the broker is back.
 */

const BURST = 20_000;
const PACED = 1_000;
const BACKLOG = 10_000;
/** Large enough that nothing is evicted and, when paced, no segment is rolled or retired. */
const MAX_BYTES = 64 * 1024 * 1024;

/** A steady terminal's heartbeat, about the size SPEC.md section 4 shows. */
function heartbeat(seq: number) {
  return heartbeatMessage(
    seq,
    Date.now(),
    { availability: 'IN_SERVICE', reasons: [] },
    {
      printer: { online: true, paper: 'ok' },
      cardReader: { online: true },
      battery: { percent: 87, status: 'Discharging', temperatureC: 31.5, mainsOnline: false },
      network: { up: true, rssiDbm: -71, registration: 'home', probeRttMs: 43 },
      system: { memAvailableMb: 512, diskFreeMb: 81037 },
    },
    { depth: 0, dropped: 0 },
  );
}

/**
 * Counts every fsync and fdatasync the process makes (segments, ack files, folders, meta.json)
 * while `measure` runs, by wrapping the calls on the `fs` module that the store uses.
 */
async function countingFsyncs<T>(measure: () => Promise<T>): Promise<{ result: T; fsyncs: number }> {
  const patched = ['fsync', 'fsyncSync', 'fdatasync', 'fdatasyncSync'] as const;
  const originals = patched.map((name) => fs[name]);
  let fsyncs = 0;
  patched.forEach((name, index) => {
    const original = originals[index] as (...args: unknown[]) => unknown;
    (fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      fsyncs += 1;
      return original(...args);
    };
  });
  try {
    return { result: await measure(), fsyncs };
  } finally {
    patched.forEach((name, index) => ((fs as unknown as Record<string, unknown>)[name] = originals[index]));
  }
}

async function openOutbox(dir: string) {
  fs.mkdirSync(dir, { recursive: true });
  const store = new FileStore({ dir, maxBytes: MAX_BYTES, log: silentLog });
  return Outbox.open({ store, maxBytes: MAX_BYTES, log: silentLog });
}

/** Bytes this process has caused to be written to storage (page granular), if the kernel says. */
function writeBytes(): number | undefined {
  try {
    const match = /^write_bytes:\s*(\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function filesBytes(dir: string): number {
  return fs
    .readdirSync(dir)
    .filter((name) => /\.(log|ack)$/.test(name))
    .reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Runs `write` (which writes `messages` messages into `dir`) and reports what it cost. */
async function perMessage(label: string, dir: string, messages: number, write: () => Promise<void>): Promise<Figure[]> {
  const before = writeBytes();
  const started = performance.now();
  const { fsyncs } = await countingFsyncs(write);
  const seconds = (performance.now() - started) / 1000;
  const after = writeBytes();
  const figures: Figure[] = [
    { name: `${label}: rate`, value: Math.round(messages / seconds), unit: 'msg/s' },
    { name: `${label}: fsyncs per message`, value: fsyncs / messages, unit: '', note: 'fsync and fdatasync calls of every file and folder' },
    { name: `${label}: file bytes per message`, value: filesBytes(dir) / messages, unit: 'B', note: 'growth of the segment and ack files' },
  ];
  if (before === undefined || after === undefined) figures.push({ name: `${label}: write_bytes per message`, unit: 'B', skipped: '/proc/self/io is not readable here' });
  else figures.push({ name: `${label}: write_bytes per message`, value: Math.round((after - before) / messages), unit: 'B', note: '/proc/self/io: pages dirtied, without the filesystem journal' });
  return figures;
}

/** One producer as fast as it goes: the batched fdatasync carries many records at once. */
async function burst(context: BenchContext): Promise<Figure[]> {
  const dir = path.join(context.dir, 'burst');
  const outbox = await openOutbox(dir);
  context.progress(`${BURST.toLocaleString('en-US')} heartbeats, as fast as they can be written`);
  const figures = await perMessage('append, burst', dir, BURST, async () => {
    for (let index = 0; index < BURST; index++) {
      outbox.enqueue('heartbeat', heartbeat);
      if (index % 100 === 99) await tick();
    }
    await outbox.flush();
  });
  await outbox.close();
  return figures;
}

/** A connected terminal's heartbeat: written, fsynced on its own, sent, acknowledged. */
async function paced(context: BenchContext): Promise<Figure[]> {
  const dir = path.join(context.dir, 'paced');
  const outbox = await openOutbox(dir);
  context.progress(`${PACED.toLocaleString('en-US')} heartbeats one at a time, each fsynced, taken and acknowledged`);
  const figures = await perMessage('append, one at a time', dir, PACED, async () => {
    for (let index = 0; index < PACED; index++) {
      const seq = outbox.enqueue('heartbeat', heartbeat);
      await outbox.flush();
      outbox.take();
      outbox.ack(seq);
    }
  });
  await outbox.close();
  return figures;
}

/** A backlog left by an outage, sent to mosquitto on loopback with the agent's link and window. */
async function drain(context: BenchContext): Promise<Figure[]> {
  const name = `drain of ${BACKLOG.toLocaleString('en-US')} after an outage`;
  const binary = findTool('mosquitto');
  if (!binary) return [{ name, unit: 'msg/s', skipped: 'mosquitto is not installed (apt-get install mosquitto)' }];

  const outbox = await openOutbox(path.join(context.dir, 'drain'));
  for (let index = 0; index < BACKLOG; index++) {
    outbox.enqueue('heartbeat', heartbeat);
    if (index % 100 === 99) await tick();
  }
  await outbox.flush();
  context.progress(`${BACKLOG.toLocaleString('en-US')} heartbeats waiting; mosquitto comes back`);

  const broker = await Mosquitto.start(binary);
  const topics = terminalTopics('pos/v1', 'BENCH-1');
  const link = new MqttLink({
    url: broker.url,
    clientId: 'BENCH-1',
    protocolVersion: 5,
    keepaliveSeconds: 60,
    will: () => ({ topic: topics.state, payload: Buffer.from('{"online":false}'), delaySeconds: 30 }),
    subscriptions: [],
    clock: systemClock,
    log: silentLog,
  });
  const uplink = new Uplink({
    link,
    outbox,
    topics,
    clock: systemClock,
    log: silentLog,
    birth: () => ({ online: true, ts: Date.now(), session: 1, boot: 'bench', agentVersion: 'bench', heartbeatSeconds: 60, devices: [], restart: 'first' }),
  });
  try {
    const up = new Promise<number>((resolve) => link.once('up', () => resolve(performance.now())));
    link.start();
    const connectedAt = await up;
    await uplink.drain(300_000);
    const seconds = (performance.now() - connectedAt) / 1000;
    if (outbox.depth > 0) throw new Error(`${outbox.depth} messages still waiting after 5 minutes`);
    return [{ name, value: Math.round(BACKLOG / seconds), unit: 'msg/s', note: `MQTT 5, QoS 1, 16 in flight, ${seconds.toFixed(2)} s from CONNACK to empty` }];
  } finally {
    await link.stop();
    await broker.stop();
    await outbox.close();
    removeTempDirs();
  }
}

export async function outboxSection(context: BenchContext): Promise<Figure[]> {
  return [...(await burst(context)), ...(await paced(context)), ...(await drain(context))];
}
