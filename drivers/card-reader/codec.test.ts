import { describe, expect, it } from 'vitest';
import {
  COMMANDS,
  encodeFrame,
  encodeStatus,
  eventFrame,
  frameForLog,
  lrc,
  parseEvent,
  parseStatus,
  parseVersion,
  ReaderDeframer,
  requestFrame,
  selfTestResult,
  type ReaderToken,
} from './codec.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const TRACK = ';4111111111111111=25121010000000000000?';
const PAN = '4111111111111111';

const NO_FLAGS = { cardPresent: false, slotBlocked: false, tamperLive: false, tamperLatched: false, readHeadFault: false, lowPower: false };

describe('card reader frames (DEVICES.md golden vectors)', () => {
  it('the status request is 02 53 00 00 03 52', () => {
    expect(requestFrame(COMMANDS.status)).toEqual(hex('02 53 00 00 03 52'));
  });

  it('ACK then the status reply: all clear, 1204 reads, 3 errors', () => {
    const golden = hex('06 02 53 00 09 00 00 00 04 B4 00 00 00 03 03 E8');
    const deframer = new ReaderDeframer();
    const tokens = deframer.push(golden);
    expect(tokens.map((token) => token.kind)).toEqual(['ack', 'frame']);
    const frame = (tokens[1] as Extract<ReaderToken, { kind: 'frame' }>).frame;
    expect(frame.cmd).toBe(COMMANDS.status);
    expect(frame.status).toBe(0);
    expect(parseStatus(frame.data)).toEqual({ ...NO_FLAGS, reads: 1204, readErrors: 3 });
    expect(deframer.protocolErrors).toBe(0);
  });

  it('encodes that same reply byte for byte', () => {
    const data = encodeStatus({ ...NO_FLAGS, reads: 1204, readErrors: 3 });
    expect(encodeFrame({ cmd: COMMANDS.status, status: 0, data })).toEqual(hex('02 53 00 09 00 00 00 04 B4 00 00 00 03 03 E8'));
  });

  it('a whole good frame XORs to 0', () => {
    expect(lrc(hex('02 53 00 09 00 00 00 04 B4 00 00 00 03 03 E8'))).toBe(0);
    expect(lrc(requestFrame(COMMANDS.version))).toBe(0);
  });

  it('reads each FLAGS bit', () => {
    const names = ['cardPresent', 'slotBlocked', 'tamperLive', 'tamperLatched', 'readHeadFault', 'lowPower'] as const;
    names.forEach((name, bit) => {
      const data = Buffer.alloc(9);
      data[0] = 1 << bit;
      expect(parseStatus(data)).toEqual({ ...NO_FLAGS, [name]: true, reads: 0, readErrors: 0 });
    });
  });

  it('reads counters as u32 big-endian, up to 2^32 - 1', () => {
    expect(parseStatus(hex('00 FF FF FF FF 00 01 00 00'))).toMatchObject({ reads: 4_294_967_295, readErrors: 65_536 });
  });

  it('rejects a status response of the wrong length', () => {
    expect(() => parseStatus(hex('00 00 00'))).toThrow(/9 expected/);
  });

  it('reads the version as firmware;serial', () => {
    expect(parseVersion(Buffer.from('2.4.1;SN0012345'))).toEqual({ firmware: '2.4.1', serial: 'SN0012345' });
    expect(parseVersion(Buffer.from('2.4.1'))).toEqual({ firmware: '2.4.1' });
    expect(parseVersion(hex('32 00 3b 53'))).toEqual({ firmware: '2?', serial: 'S' });
  });

  it('maps the self-test codes', () => {
    expect(selfTestResult(0x00)).toEqual({ pass: true, result: 'pass' });
    expect(selfTestResult(0x10)).toEqual({ pass: false, result: 'read head fault' });
    expect(selfTestResult(0x11)).toEqual({ pass: false, result: 'sensor fault' });
    expect(selfTestResult(0x12)).toEqual({ pass: false, result: 'keys erased (tamper)' });
    expect(selfTestResult(0x7f)).toEqual({ pass: false, result: 'unknown result 0x7f' });
  });

  it('refuses to encode more than 250 bytes of data', () => {
    expect(() => encodeFrame({ cmd: 0x53, status: 0, data: Buffer.alloc(251) })).toThrow(RangeError);
  });
});

describe('events', () => {
  it('K, R, X and D events, with no ACK before them', () => {
    const deframer = new ReaderDeframer();
    const tokens = deframer.push(Buffer.concat([eventFrame('K'), eventFrame('R'), eventFrame('X'), eventFrame('D', TRACK)]));
    const events = tokens.map((token) => (token.kind === 'frame' ? parseEvent(token.frame) : token.kind));
    expect(events).toEqual(['cardInserted', 'readOk', 'readError', 'cardData']);
    expect(parseEvent({ cmd: COMMANDS.event, status: 0, data: Buffer.from('Q') })).toBeUndefined();
  });

  it('drops the track data of a D event as the frame is read: only the event comes out', () => {
    const deframer = new ReaderDeframer();
    const [token] = deframer.push(eventFrame('D', TRACK));
    expect(token).toEqual({ kind: 'frame', frame: { cmd: COMMANDS.event, status: 0, data: Buffer.from('D') } });
  });

  it('frameForLog shows a D event without its track, in any encoding', () => {
    const frame = { cmd: COMMANDS.event, status: 0, data: Buffer.from(`D${TRACK}`) };
    const logged = frameForLog(frame);
    const bytes = Buffer.from(logged, 'hex');
    for (const text of [logged, bytes.toString('latin1'), bytes.toString('base64')]) {
      expect(text).not.toContain(PAN);
      expect(text).not.toContain(Buffer.from(PAN).toString('hex'));
      expect(text).not.toContain(Buffer.from(PAN).toString('base64').slice(0, 12));
    }
    expect(bytes.toString('latin1')).toContain('D[track data]');
    // Still a well-formed frame, its LRC computed over what is shown.
    expect(lrc(bytes)).toBe(0);
    // Other frames are shown as they are.
    expect(frameForLog({ cmd: COMMANDS.status, status: 0, data: Buffer.alloc(0) })).toBe('025300000352');
  });
});

describe('ReaderDeframer', () => {
  it('frames the golden reply delivered one byte at a time', () => {
    const deframer = new ReaderDeframer();
    const tokens = [...hex('06 02 53 00 09 00 00 00 04 B4 00 00 00 03 03 E8')].flatMap((byte) => deframer.push(Uint8Array.of(byte)));
    expect(tokens.map((token) => token.kind)).toEqual(['ack', 'frame']);
    expect(deframer.buffered).toBe(0);
  });

  it('skips noise between frames and counts each run once', () => {
    const deframer = new ReaderDeframer();
    const tokens = deframer.push(Buffer.concat([hex('FF FE 00'), requestFrame(COMMANDS.status), hex('41 42'), Buffer.from([0x15])]));
    expect(tokens.map((token) => token.kind)).toEqual(['frame', 'nak']);
    expect(deframer.protocolErrors).toBe(2);
  });

  it('rejects a bad LRC, a missing ETX and a length over 250, and finds the good frame behind each', () => {
    const good = requestFrame(COMMANDS.version);
    const badLrc = Buffer.from(requestFrame(COMMANDS.status));
    badLrc[5]! ^= 0x01;
    const noEtx = hex('02 53 00 00 04 57');
    const tooLong = hex('02 53 00 FB 00');
    for (const bad of [badLrc, noEtx, tooLong]) {
      const deframer = new ReaderDeframer();
      const tokens = deframer.push(Buffer.concat([bad, good]));
      expect(tokens[0]).toMatchObject({ kind: 'bad' });
      expect(tokens.at(-1)).toEqual({ kind: 'frame', frame: { cmd: COMMANDS.version, status: 0, data: Buffer.alloc(0) } });
      expect(deframer.protocolErrors).toBe(1);
    }
  });

  it('does not let a truncated frame swallow the good frame after it', () => {
    const deframer = new ReaderDeframer();
    // The first 5 bytes of a 15-byte status reply, then a whole 6-byte frame: 11 bytes, so the
    // cut frame alone would wait for 4 more and take the good one with it.
    const truncated = hex('02 53 00 09 00');
    const tokens = deframer.push(Buffer.concat([truncated, requestFrame(COMMANDS.version)]));
    expect(tokens.map((token) => token.kind)).toEqual(['bad', 'frame']);
    expect(tokens[1]).toMatchObject({ frame: { cmd: COMMANDS.version } });
    expect(deframer.buffered).toBe(0);
  });

  it('keeps less than one frame between chunks', () => {
    const deframer = new ReaderDeframer();
    deframer.push(hex('02 53 00 FA'));
    deframer.push(Buffer.alloc(200, 0x41));
    expect(deframer.buffered).toBe(204);
    deframer.push(Buffer.alloc(200, 0x41));
    expect(deframer.buffered).toBe(0);
    expect(deframer.protocolErrors).toBe(1);
  });
});
