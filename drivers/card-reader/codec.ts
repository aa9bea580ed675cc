import { DeviceError } from '../../basics/errors.js';
import type { ReaderEvent, ReaderFlags, ReaderStatus } from '../../protocol/readings.js';

/**
 * The card reader's STX/ETX/LRC framing (DEVICES.md, "Card reader"):
 * `STX | CMD | STATUS | LEN | DATA | ETX | LRC`, LRC the XOR of STX through ETX, so a whole good
 * frame XORs to 0. A request is answered by ACK and a response frame, or by NAK alone; event
 * frames ('E') arrive unasked. Track data in 'D' events is dropped here, as the frame is read,
 * so that no other part of the agent ever holds it.
 */

export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;
export const MAX_DATA = 250;
/** STX, CMD, STATUS, LEN, 250 bytes of data, ETX, LRC. */
export const MAX_FRAME = MAX_DATA + 6;

export const COMMANDS = { status: 0x53, version: 0x56, selfTest: 0x54, event: 0x45 } as const;
export type Command = (typeof COMMANDS)[keyof typeof COMMANDS];

export interface Frame {
  cmd: number;
  status: number;
  data: Buffer;
}

export function lrc(bytes: Uint8Array): number {
  let value = 0;
  for (const byte of bytes) value ^= byte;
  return value;
}

export function encodeFrame({ cmd, status, data }: Frame): Buffer {
  if (data.length > MAX_DATA) throw new RangeError(`frame data of ${data.length} bytes; at most ${MAX_DATA}`);
  const frame = Buffer.alloc(data.length + 6);
  frame[0] = STX;
  frame[1] = cmd;
  frame[2] = status;
  frame[3] = data.length;
  data.copy(frame, 4);
  frame[data.length + 4] = ETX;
  frame[data.length + 5] = lrc(frame.subarray(0, data.length + 5));
  return frame;
}

/** A request: STATUS 0, no data. */
export function requestFrame(cmd: Command): Buffer {
  return encodeFrame({ cmd, status: 0, data: Buffer.alloc(0) });
}

// ---- events ----

export const EVENTS = { K: 'cardInserted', R: 'readOk', X: 'readError', D: 'cardData' } as const satisfies Record<string, ReaderEvent>;
const TRACK_DATA = 0x44; // 'D'

export function isTrackDataFrame(frame: Frame): boolean {
  return frame.cmd === COMMANDS.event && frame.data[0] === TRACK_DATA;
}

export function parseEvent(frame: Frame): ReaderEvent | undefined {
  if (frame.cmd !== COMMANDS.event || frame.data.length === 0) return undefined;
  const kind = String.fromCharCode(frame.data[0]!);
  return Object.hasOwn(EVENTS, kind) ? EVENTS[kind as keyof typeof EVENTS] : undefined;
}

/** An event frame as the reader sends it; `track` only with a 'D' event. */
export function eventFrame(kind: keyof typeof EVENTS, track = ''): Buffer {
  return encodeFrame({ cmd: COMMANDS.event, status: 0, data: Buffer.from(kind + track, 'latin1') });
}

/**
 * A frame as hex for a debug log, with the data of a 'D' event replaced before it is encoded
 * (and its LRC computed afresh, which would otherwise leak a digest of the track), so that a
 * card number cannot be recovered from a log in any encoding.
 */
export function frameForLog(frame: Frame): string {
  const shown = isTrackDataFrame(frame) ? { ...frame, data: Buffer.from('D[track data]', 'latin1') } : frame;
  return encodeFrame(shown).toString('hex');
}

// ---- responses ----

const FLAG_BITS: [keyof ReaderFlags, number][] = [
  ['cardPresent', 0x01],
  ['slotBlocked', 0x02],
  ['tamperLive', 0x04],
  ['tamperLatched', 0x08],
  ['readHeadFault', 0x10],
  ['lowPower', 0x20],
];

/** The 'S' response: FLAGS, READS (u32 BE), READ_ERRORS (u32 BE). */
export function parseStatus(data: Buffer): ReaderStatus {
  if (data.length !== 9) throw new DeviceError('PROTOCOL', `status response of ${data.length} bytes; 9 expected`);
  const flags = Object.fromEntries(FLAG_BITS.map(([name, mask]) => [name, (data[0]! & mask) !== 0])) as unknown as ReaderFlags;
  return { ...flags, reads: data.readUInt32BE(1), readErrors: data.readUInt32BE(5) };
}

export function encodeStatus(status: ReaderStatus): Buffer {
  const data = Buffer.alloc(9);
  data[0] = FLAG_BITS.reduce((byte, [name, mask]) => (status[name] ? byte | mask : byte), 0);
  data.writeUInt32BE(status.reads >>> 0, 1);
  data.writeUInt32BE(status.readErrors >>> 0, 5);
  return data;
}

export interface ReaderVersion {
  firmware: string;
  serial?: string;
}

/** The 'V' response, `firmware;serial` in ASCII; anything unprintable becomes `?`. */
export function parseVersion(data: Buffer): ReaderVersion {
  const text = data.toString('latin1').replace(/[^\x20-\x7e]/g, '?');
  const split = text.indexOf(';');
  if (split < 0) return { firmware: text };
  return { firmware: text.slice(0, split), serial: text.slice(split + 1) };
}

/** The STATUS byte of a 'T' response. */
export const SELF_TEST_RESULTS: Readonly<Record<number, string>> = {
  0x00: 'pass',
  0x10: 'read head fault',
  0x11: 'sensor fault',
  0x12: 'keys erased (tamper)',
};

export function selfTestResult(code: number): { pass: boolean; result: string } {
  const result = SELF_TEST_RESULTS[code] ?? `unknown result 0x${code.toString(16).padStart(2, '0')}`;
  return { pass: code === 0x00, result };
}

// ---- the byte stream ----

export type ReaderToken =
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'frame'; frame: Frame }
  /** A frame that was rejected (a reader answers it with NAK). */
  | { kind: 'bad'; reason: string };

type Examined = { kind: 'incomplete' } | { kind: 'invalid'; reason: string } | { kind: 'valid'; end: number };

function examine(bytes: Buffer, at: number): Examined {
  if (bytes.length - at < 4) return { kind: 'incomplete' };
  const length = bytes[at + 3]!;
  if (length > MAX_DATA) return { kind: 'invalid', reason: `length ${length} over ${MAX_DATA}` };
  const end = at + length + 6;
  if (bytes.length < end) return { kind: 'incomplete' };
  if (bytes[end - 2] !== ETX) return { kind: 'invalid', reason: 'no ETX where the length says' };
  if (lrc(bytes.subarray(at, end)) !== 0) return { kind: 'invalid', reason: 'bad LRC' };
  return { kind: 'valid', end };
}

/** Where a complete, good frame starts between `from` and `end`, ending by `end`; -1 if none. */
function goodFrameWithin(bytes: Buffer, from: number, end: number): number {
  for (let at = bytes.indexOf(STX, from); at >= 0 && at < end; at = bytes.indexOf(STX, at + 1)) {
    const found = examine(bytes, at);
    if (found.kind === 'valid' && found.end <= end) return at;
  }
  return -1;
}

const startsToken = (byte: number) => byte === STX || byte === ACK || byte === NAK;

/**
 * Turns the byte stream from (or to) a reader into ACK, NAK and frames, whatever the chunks.
 * Noise between frames is skipped; a frame with a bad length, ETX or LRC is rejected and the
 * search goes on from the byte after its STX. An STX in garbage can make a frame seem to start
 * that swallows the real one behind it: when a good frame starts inside a frame that is
 * incomplete or that ends after it, the good frame wins. Each run of noise and each rejected
 * frame counts one protocol error. It holds less than one frame (256 bytes) between chunks.
 */
export class ReaderDeframer {
  protocolErrors = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** Noise right after a rejected frame is that frame's remains, not a new error. */
  private resyncing = false;

  get buffered(): number {
    return this.pending.length;
  }

  push(chunk: Uint8Array): ReaderToken[] {
    const bytes = Buffer.concat([this.pending, chunk]);
    this.pending.fill(0);
    const tokens: ReaderToken[] = [];
    let at = 0;
    while (at < bytes.length) {
      const byte = bytes[at]!;
      if (byte === ACK || byte === NAK) {
        tokens.push({ kind: byte === ACK ? 'ack' : 'nak' });
        this.resyncing = false;
        at += 1;
        continue;
      }
      if (byte !== STX) {
        while (at < bytes.length && !startsToken(bytes[at]!)) at += 1;
        if (!this.resyncing) this.protocolErrors += 1;
        this.resyncing = true;
        continue;
      }
      const found = examine(bytes, at);
      if (found.kind === 'invalid') {
        this.reject(tokens, found.reason);
        at += 1;
        continue;
      }
      const inner = goodFrameWithin(bytes, at + 1, found.kind === 'valid' ? found.end : bytes.length);
      if (inner >= 0) {
        this.reject(tokens, 'cut short by the next frame');
        at = inner;
        continue;
      }
      if (found.kind === 'incomplete') break;
      tokens.push({ kind: 'frame', frame: takeFrame(bytes, at, found.end) });
      this.resyncing = false;
      at = found.end;
    }
    this.pending = Buffer.from(bytes.subarray(at));
    // What was read is wiped, so that no copy of a card's track stays in memory here.
    bytes.fill(0);
    return tokens;
  }

  private reject(tokens: ReaderToken[], reason: string): void {
    this.protocolErrors += 1;
    this.resyncing = true;
    tokens.push({ kind: 'bad', reason });
  }
}

function takeFrame(bytes: Buffer, start: number, end: number): Frame {
  const frame = { cmd: bytes[start + 1]!, status: bytes[start + 2]!, data: bytes.subarray(start + 4, end - 2) };
  // Track data goes no further than this line: the event is kept, its data is not.
  const data = isTrackDataFrame(frame) ? Buffer.from([TRACK_DATA]) : Buffer.from(frame.data);
  return { cmd: frame.cmd, status: frame.status, data };
}
