import { createDecipheriv, createHmac } from 'node:crypto';

/**
 * TLS 1.3 records of a captured connection, opened with the secrets the agent wrote to its key
 * log (Node.js's `--tls-keylog`), so the benchmark can tell an MQTT heartbeat from a keepalive
 * inside the encrypted stream and count the bytes TLS adds around each.
 */

export type RecordKind = 'handshake' | 'application' | 'alert';

export interface TlsRecord {
  /** Offsets of the whole record (header, ciphertext, tag) in its direction's stream. */
  start: number;
  end: number;
  kind: RecordKind;
  /** The application data inside, for `application` records. */
  plaintext?: Buffer;
}

const SUITES: Record<number, { cipher: string; keyBytes: number; hash: string }> = {
  0x1301: { cipher: 'aes-128-gcm', keyBytes: 16, hash: 'sha256' },
  0x1302: { cipher: 'aes-256-gcm', keyBytes: 32, hash: 'sha384' },
  0x1303: { cipher: 'chacha20-poly1305', keyBytes: 32, hash: 'sha256' },
};

/** Secrets by client random (hex), then by label: `CLIENT_TRAFFIC_SECRET_0 <random> <secret>`. */
export type KeyLog = Map<string, Map<string, Buffer>>;

export function parseKeyLog(text: string): KeyLog {
  const log: KeyLog = new Map();
  for (const line of text.split('\n')) {
    const [label, random, secret] = line.trim().split(' ');
    if (!label || !random || !secret) continue;
    const entry = log.get(random.toLowerCase()) ?? new Map<string, Buffer>();
    entry.set(label, Buffer.from(secret, 'hex'));
    log.set(random.toLowerCase(), entry);
  }
  return log;
}

function expandLabel(secret: Buffer, label: string, length: number, hash: string): Buffer {
  const full = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0, 1])]);
  return createHmac(hash, secret).update(info).digest().subarray(0, length);
}

/** The framing of a stream: each record's offsets and outer content type. */
function frames(stream: Buffer): { start: number; end: number; type: number }[] {
  const out = [];
  for (let at = 0; at + 5 <= stream.length; ) {
    const end = at + 5 + stream.readUInt16BE(at + 3);
    if (end > stream.length) break;
    out.push({ start: at, end, type: stream[at]! });
    at = end;
  }
  return out;
}

class Opener {
  private keys: { key: Buffer; iv: Buffer }[];
  private stage = 0;
  private seq = 0n;

  constructor(secrets: Buffer[], private readonly suite: { cipher: string; keyBytes: number; hash: string }) {
    this.keys = secrets.map((secret) => ({ key: expandLabel(secret, 'key', suite.keyBytes, suite.hash), iv: expandLabel(secret, 'iv', 12, suite.hash) }));
  }

  /** Handshake keys first; the first record they cannot open is the first under the traffic keys. */
  open(record: Buffer): { type: number; content: Buffer } | undefined {
    while (this.stage < this.keys.length) {
      const opened = this.tryOpen(record, this.keys[this.stage]!);
      if (opened) {
        this.seq += 1n;
        return opened;
      }
      this.stage += 1;
      this.seq = 0n;
    }
    return undefined;
  }

  private tryOpen(record: Buffer, { key, iv }: { key: Buffer; iv: Buffer }) {
    const nonce = Buffer.from(iv);
    for (let i = 0; i < 8; i++) nonce[11 - i]! ^= Number((this.seq >> BigInt(8 * i)) & 0xffn);
    try {
      const decipher = createDecipheriv(this.suite.cipher as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
      decipher.setAAD(record.subarray(0, 5));
      decipher.setAuthTag(record.subarray(record.length - 16));
      const inner = Buffer.concat([decipher.update(record.subarray(5, record.length - 16)), decipher.final()]);
      let end = inner.length;
      while (end > 0 && inner[end - 1] === 0) end--;
      return { type: inner[end - 1]!, content: inner.subarray(0, end - 1) };
    } catch {
      return undefined;
    }
  }
}

/** Both directions' records of one connection; throws when its secrets are not in the key log. */
export function openRecords(upStream: Buffer, downStream: Buffer, keyLog: KeyLog): { up: TlsRecord[]; down: TlsRecord[] } {
  const upFrames = frames(upStream);
  const downFrames = frames(downStream);
  const hello = upFrames[0];
  const serverHello = downFrames[0];
  if (!hello || !serverHello || hello.type !== 22 || serverHello.type !== 22) throw new Error('not a TLS connection');
  const random = upStream.subarray(hello.start + 11, hello.start + 43).toString('hex');
  const sessionIdLength = downStream[serverHello.start + 43]!;
  const suiteId = downStream.readUInt16BE(serverHello.start + 44 + sessionIdLength);
  const suite = SUITES[suiteId];
  if (!suite) throw new Error(`cipher suite 0x${suiteId.toString(16)} is not TLS 1.3`);
  const secrets = keyLog.get(random);
  if (!secrets) throw new Error('the key log has no secrets for this connection');
  const need = (label: string) => {
    const secret = secrets.get(label);
    if (!secret) throw new Error(`the key log has no ${label}`);
    return secret;
  };
  const read = (stream: Buffer, list: typeof upFrames, opener: Opener): TlsRecord[] =>
    list.map(({ start, end, type }) => {
      if (type !== 23) return { start, end, kind: type === 21 ? 'alert' : 'handshake' };
      const opened = opener.open(stream.subarray(start, end));
      if (!opened) throw new Error(`a record at ${start} cannot be opened`);
      if (opened.type === 23) return { start, end, kind: 'application', plaintext: opened.content };
      return { start, end, kind: opened.type === 21 ? 'alert' : 'handshake' };
    });
  return {
    up: read(upStream, upFrames, new Opener([need('CLIENT_HANDSHAKE_TRAFFIC_SECRET'), need('CLIENT_TRAFFIC_SECRET_0')], suite)),
    down: read(downStream, downFrames, new Opener([need('SERVER_HANDSHAKE_TRAFFIC_SECRET'), need('SERVER_TRAFFIC_SECRET_0')], suite)),
  };
}
