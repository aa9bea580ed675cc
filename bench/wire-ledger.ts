import type { TcpConnection, TcpPacket } from './wire-capture.js';
import { openRecords, type KeyLog, type TlsRecord } from './wire-tls.js';

/**
 * Every captured IP byte, put down to what caused it: each byte of a TCP stream belongs to an
 * MQTT packet (heartbeat, keepalive, retained snapshot, …) or to the TLS record around it; a
 * packet's IP and TCP headers go with its payload's bytes, and a bare ACK with the bytes it
 * acknowledges. Connections to the probe port are probes, whole.
 */

export const CATEGORIES = ['heartbeat', 'keepalive', 'snapshot', 'fault', 'command', 'session', 'handshake', 'probe'] as const;
export type Category = (typeof CATEGORIES)[number];
export const LAYERS = ['mqtt', 'tls', 'tcpip'] as const;
export type Layer = (typeof LAYERS)[number];

export interface Tally {
  bytes: Record<Layer, number>;
  packets: number;
}

export interface Ledger {
  tallies: Record<Category, Tally>;
  /** MQTT packets that start an event: heartbeat and snapshot publishes, PINGREQs; probe and broker connections. */
  events: { heartbeat: number; keepalive: number; snapshot: number; fault: number; probe: number; connection: number };
}

const EMPTY = 255;

/** Per-byte marks of one direction's stream: category index and layer index. */
interface Marks {
  category: Uint8Array;
  layer: Uint8Array;
}

export function emptyLedger(): Ledger {
  const tallies = {} as Record<Category, Tally>;
  for (const category of CATEGORIES) tallies[category] = { bytes: { mqtt: 0, tls: 0, tcpip: 0 }, packets: 0 };
  return { tallies, events: { heartbeat: 0, keepalive: 0, snapshot: 0, fault: 0, probe: 0, connection: 0 } };
}

export function total(ledger: Ledger, category?: Category): number {
  const tallies = category ? [ledger.tallies[category]] : Object.values(ledger.tallies);
  return tallies.reduce((sum, tally) => sum + tally.bytes.mqtt + tally.bytes.tls + tally.bytes.tcpip, 0);
}

/** Adds the packets of `connections` sent within [from, to] (capture seconds) to a ledger. */
export function account(ledger: Ledger, connections: TcpConnection[], probePort: number, keyLog: KeyLog, window: { from: number; to: number }): Ledger {
  const inWindow = (packet: TcpPacket) => packet.at >= window.from && packet.at <= window.to;
  for (const connection of connections) {
    if (connection.serverPort === probePort) {
      const packets = connection.packets.filter(inWindow);
      if (packets.some((packet) => packet.syn && packet.up)) ledger.events.probe += 1;
      for (const packet of packets) add(ledger, 'probe', 'tcpip', packet.ipBytes, 1);
      continue;
    }
    if (connection.packets.some((packet) => packet.syn && packet.up && inWindow(packet))) ledger.events.connection += 1;
    const records = openRecords(connection.upStream, connection.downStream, keyLog);
    const up = mark(connection.upStream.length, records.up);
    const down = mark(connection.downStream.length, records.down);
    const starts = mqttPackets(records, up, down);
    for (const packet of connection.packets) {
      if (!inWindow(packet)) continue;
      const marks = packet.up ? up.marks : down.marks;
      const counts = new Map<Category, number>();
      for (let at = packet.offset; at < packet.offset + packet.payloadBytes; at++) {
        const category = CATEGORIES[marks.category[at] ?? EMPTY] ?? 'session';
        add(ledger, category, LAYERS[marks.layer[at]!] ?? 'tls', 1, 0);
        counts.set(category, (counts.get(category) ?? 0) + 1);
        const started = (packet.up ? starts.up : starts.down).get(at);
        if (started) ledger.events[started] += 1;
      }
      if (counts.size === 0) counts.set(bareCategory(packet, packet.up ? down.marks : up.marks), 1);
      const weight = [...counts.values()].reduce((a, b) => a + b, 0);
      const headers = packet.ipBytes - packet.payloadBytes;
      const main = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      for (const [category, count] of counts) add(ledger, category, 'tcpip', (headers * count) / weight, category === main ? 1 : 0);
    }
  }
  return ledger;
}

function add(ledger: Ledger, category: Category, layer: Layer, bytes: number, packets: number): void {
  ledger.tallies[category].bytes[layer] += bytes;
  ledger.tallies[category].packets += packets;
}

/** A packet without payload: the handshake and the close are the session's; an ACK goes with what it acknowledges. */
function bareCategory(packet: TcpPacket, other: Marks): Category {
  if (packet.syn || packet.fin || packet.rst || packet.ackOffset === undefined || packet.ackOffset === 0) return 'session';
  return CATEGORIES[other.category[packet.ackOffset - 1] ?? EMPTY] ?? 'session';
}

/** Marks the TLS framing; application bytes are marked by `mqttPackets`. */
function mark(length: number, records: TlsRecord[]): { marks: Marks; records: TlsRecord[] } {
  const marks = { category: new Uint8Array(length).fill(EMPTY), layer: new Uint8Array(length).fill(1) };
  for (const record of records) {
    if (record.kind !== 'application') marks.category.fill(CATEGORIES.indexOf(record.kind === 'handshake' ? 'handshake' : 'session'), record.start, record.end);
  }
  return { marks, records };
}

type EventName = 'heartbeat' | 'keepalive' | 'snapshot' | 'fault';

/** Parses the MQTT packets in each direction's application data and marks their bytes. */
function mqttPackets(records: { up: TlsRecord[]; down: TlsRecord[] }, up: { marks: Marks }, down: { marks: Marks }) {
  const publishes = { up: new Map<number, Category>(), down: new Map<number, Category>() };
  const starts = { up: new Map<number, EventName>(), down: new Map<number, EventName>() };
  for (const side of ['up', 'down'] as const) {
    const marks = side === 'up' ? up.marks : down.marks;
    const other = side === 'up' ? publishes.down : publishes.up;
    // The application data as one stream, with where each of its bytes sits in the TCP stream.
    const list = records[side].filter((record) => record.kind === 'application');
    const data = Buffer.concat(list.map((record) => record.plaintext!));
    const where = new Int32Array(data.length);
    let n = 0;
    for (const record of list) for (let i = 0; i < record.plaintext!.length; i++) where[n++] = record.start + 5 + i;
    const aliases = new Map<number, string>();
    for (let at = 0; at < data.length; ) {
      const packet = readPacket(data, at, aliases);
      if (!packet) break;
      let category: Category = 'session';
      if (packet.type === 3) {
        category = topicCategory(packet.topic ?? '');
        if (packet.id !== undefined) publishes[side].set(packet.id, category);
      } else if (packet.type === 4) category = other.get(packet.id ?? -1) ?? 'session';
      else if (packet.type === 12 || packet.type === 13) category = 'keepalive';
      const event: EventName | undefined = packet.type === 12 ? 'keepalive' : packet.type === 3 && category !== 'command' && category !== 'session' ? (category as EventName) : undefined;
      if (event) starts[side].set(where[at]!, event);
      for (let i = at; i < packet.end; i++) {
        marks.category[where[i]!] = CATEGORIES.indexOf(category);
        marks.layer[where[i]!] = 0;
      }
      at = packet.end;
    }
    // The TLS bytes of an application record go with the MQTT packet whose bytes it carries first.
    for (const record of list) {
      const category = marks.category[record.start + 5] ?? EMPTY;
      for (let i = record.start; i < record.end; i++) if (marks.layer[i] === 1) marks.category[i] = category;
    }
  }
  return starts;
}

function topicCategory(topic: string): Category {
  const last = topic.slice(topic.lastIndexOf('/') + 1);
  if (last === 'heartbeat') return 'heartbeat';
  if (last === 'state' || last === 'faults') return 'snapshot';
  if (last === 'fault') return 'fault';
  return 'command';
}

/** One MQTT packet's type, its topic and packet id when it has them, and where it ends. */
function readPacket(data: Buffer, at: number, aliases: Map<number, string>): { type: number; end: number; topic?: string; id?: number } | undefined {
  const first = data[at];
  if (first === undefined) return undefined;
  let length = 0;
  let shift = 0;
  let at2 = at + 1;
  for (;;) {
    const byte = data[at2++];
    if (byte === undefined) return undefined;
    length += (byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) === 0) break;
  }
  const type = first >> 4;
  const end = at2 + length;
  if (end > data.length) return undefined;
  if (type === 4) return { type, end, id: data.readUInt16BE(at2) };
  if (type !== 3) return { type, end };
  const qos = (first >> 1) & 3;
  const topicLength = data.readUInt16BE(at2);
  let topic = data.toString('utf8', at2 + 2, at2 + 2 + topicLength);
  let p = at2 + 2 + topicLength;
  const id = qos > 0 ? data.readUInt16BE(p) : undefined;
  if (qos > 0) p += 2;
  const alias = topicAlias(data, p, end);
  if (alias !== undefined) {
    if (topic) aliases.set(alias, topic);
    else topic = aliases.get(alias) ?? '';
  }
  return { type, end, topic, id };
}

/** The MQTT 5 topic alias among a PUBLISH's properties (none on MQTT 3.1.1: the read fails harmlessly). */
function topicAlias(data: Buffer, at: number, end: number): number | undefined {
  let length = 0;
  let shift = 0;
  for (;;) {
    const byte = data[at++];
    if (byte === undefined || at > end) return undefined;
    length += (byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) === 0) break;
  }
  const stop = Math.min(end, at + length);
  while (at < stop) {
    const id = data[at++]!;
    if (id === 0x23) return data.readUInt16BE(at);
    if (id === 0x01) at += 1;
    else if (id === 0x02) at += 4;
    else if (id === 0x03 || id === 0x08 || id === 0x09) at += 2 + data.readUInt16BE(at);
    else if (id === 0x26) {
      at += 2 + data.readUInt16BE(at);
      at += 2 + data.readUInt16BE(at);
    } else return undefined;
  }
  return undefined;
}
