import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/**
 * Packets as a carrier counts them: tcpdump writes every IPv4 packet on the loopback to or from
 * the given ports into a pcap file; `readCapture` turns it into TCP connections, each with its
 * packets (the whole IP length) and the byte streams of both directions reassembled.
 */

export interface TcpPacket {
  at: number;
  /** The whole IP packet: IP header, TCP header with its options, payload. */
  ipBytes: number;
  up: boolean;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  /** Offset of the payload in its direction's stream (0 = first byte after the SYN). */
  offset: number;
  payloadBytes: number;
  /** Offset of the next byte expected from the other side, when the ACK flag is set. */
  ackOffset?: number;
}

export interface TcpConnection {
  serverPort: number;
  clientPort: number;
  packets: TcpPacket[];
  upStream: Buffer;
  downStream: Buffer;
}

export class Capture {
  private constructor(
    private readonly child: ChildProcess,
    readonly file: string,
  ) {}

  /** Starts tcpdump on `lo`; resolves once it listens (it says so on stderr). */
  static async start(tcpdump: string, file: string, ports: number[]): Promise<Capture> {
    const filter = ports.map((port) => `tcp port ${port}`).join(' or ');
    const child = spawn(tcpdump, ['-i', 'lo', '-n', '-U', '-s', '0', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${said.trim()}`)), 10_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (said.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcpdump exited with ${code}: ${said.trim()}`));
      });
    });
    return new Capture(child, file);
  }

  /** Stops tcpdump (SIGINT flushes its file) and reads what it captured. */
  async stop(serverPorts: number[]): Promise<TcpConnection[]> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      process.kill(this.child.pid!, 'SIGINT');
      await exited;
    }
    return readCapture(fs.readFileSync(this.file), serverPorts);
  }
}

/** Link-layer header sizes of the link types tcpdump writes for `lo`. */
const LINK_HEADER: Record<number, number> = { 1: 14, 113: 16, 276: 20, 0: 4 };

export function readCapture(pcap: Buffer, serverPorts: number[]): TcpConnection[] {
  const magic = pcap.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (at: number) => (little ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at));
  const linkHeader = LINK_HEADER[u32(20)];
  if (linkHeader === undefined) throw new Error(`pcap link type ${u32(20)} is not read here`);
  const connections = new Map<string, TcpConnection & { isn: { up?: number; down?: number }; parts: { up: Buffer[]; down: Buffer[] }; length: { up: number; down: number } }>();
  for (let at = 24; at + 16 <= pcap.length; ) {
    const seconds = u32(at);
    const fraction = u32(at + 4);
    const captured = u32(at + 8);
    const frame = pcap.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    const ip = frame.subarray(linkHeader);
    if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 6) continue;
    const ipBytes = ip.readUInt16BE(2);
    const tcp = ip.subarray((ip[0]! & 0xf) * 4);
    const sourcePort = tcp.readUInt16BE(0);
    const destinationPort = tcp.readUInt16BE(2);
    const up = serverPorts.includes(destinationPort);
    if (!up && !serverPorts.includes(sourcePort)) continue;
    const key = up ? `${destinationPort}:${sourcePort}` : `${sourcePort}:${destinationPort}`;
    let connection = connections.get(key);
    if (!connection) {
      connection = {
        serverPort: up ? destinationPort : sourcePort, clientPort: up ? sourcePort : destinationPort, packets: [],
        upStream: Buffer.alloc(0), downStream: Buffer.alloc(0), isn: {}, parts: { up: [], down: [] }, length: { up: 0, down: 0 },
      };
      connections.set(key, connection);
    }
    const flags = tcp[13]!;
    const syn = (flags & 0x02) !== 0;
    const seq = tcp.readUInt32BE(4);
    const side = up ? 'up' : 'down';
    const other = up ? 'down' : 'up';
    if (syn) connection.isn[side] = seq;
    const payload = tcp.subarray((tcp[12]! >> 4) * 4, ipBytes - (ip[0]! & 0xf) * 4);
    const isn = connection.isn[side] ?? seq - 1;
    const offset = (seq - isn - 1) >>> 0;
    // Loopback delivers in order; a retransmission repeats bytes already in the stream.
    if (payload.length > 0 && offset === connection.length[side]) {
      connection.parts[side].push(Buffer.from(payload));
      connection.length[side] += payload.length;
    }
    const otherIsn = connection.isn[other];
    connection.packets.push({
      at: seconds + fraction / (nanos ? 1e9 : 1e6),
      ipBytes,
      up,
      syn,
      fin: (flags & 0x01) !== 0,
      rst: (flags & 0x04) !== 0,
      offset: syn ? 0 : offset,
      payloadBytes: payload.length,
      ackOffset: flags & 0x10 && otherIsn !== undefined ? (tcp.readUInt32BE(8) - otherIsn - 1) >>> 0 : undefined,
    });
  }
  return [...connections.values()].map(({ isn: _isn, parts, length: _length, ...connection }) => ({
    ...connection,
    upStream: Buffer.concat(parts.up),
    downStream: Buffer.concat(parts.down),
  }));
}
