import { describe, expect, it } from 'vitest';
import {
  ENABLE_STATUS_BACK,
  isBlockByte,
  isBlockStart,
  isStatusReply,
  parseStatusBlock,
  parseStatusReplies,
  PrinterStatusDecoder,
  statusRequest,
  XOFF,
  XON,
} from './codec.js';

const CLEAR = 0x12;
/** Replies to DLE EOT 1..4 with one of them replaced. */
const replies = (n: 1 | 2 | 3 | 4, byte: number) => {
  const all: [number, number, number, number] = [CLEAR, CLEAR, CLEAR, CLEAR];
  all[n - 1] = byte;
  return parseStatusReplies(all);
};

const ALL_CLEAR = {
  offline: false,
  paper: 'ok',
  coverOpen: false,
  cutterError: false,
  overheat: false,
  failure: false,
  recoverableError: false,
  drawerPinHigh: false,
  feedButton: false,
  paperEndStop: false,
  feeding: false,
  errorOccurred: false,
  waitingForRecovery: false,
};

describe('ESC/POS requests (DEVICES.md golden bytes)', () => {
  it('DLE EOT n is 10 04 n, GS a 0x0F is 1D 61 0F', () => {
    expect([1, 2, 3, 4].map((n) => statusRequest(n as 1).toString('hex'))).toEqual(['100401', '100402', '100403', '100404']);
    expect(ENABLE_STATUS_BACK.toString('hex')).toBe('1d610f');
  });
});

describe('DLE EOT replies (DEVICES.md golden values)', () => {
  it('all clear is 0x12; 0x16 on n=1 is the drawer pin high, as Epson TM printers answer', () => {
    expect(parseStatusReplies([0x12, 0x12, 0x12, 0x12])).toEqual(ALL_CLEAR);
    expect(replies(1, 0x16)).toEqual({ ...ALL_CLEAR, drawerPinHigh: true });
  });

  it('n=1 offline 0x1A', () => {
    expect(replies(1, 0x1a)).toEqual({ ...ALL_CLEAR, offline: true });
  });

  it('n=2 cover open 0x16, paper-end stop 0x32', () => {
    expect(replies(2, 0x16)).toEqual({ ...ALL_CLEAR, coverOpen: true });
    expect(replies(2, 0x32)).toEqual({ ...ALL_CLEAR, paperEndStop: true, paper: 'out' });
  });

  it('n=3 autocutter 0x1A, unrecoverable 0x32, overheat 0x52', () => {
    expect(replies(3, 0x1a)).toEqual({ ...ALL_CLEAR, cutterError: true });
    expect(replies(3, 0x32)).toEqual({ ...ALL_CLEAR, failure: true });
    expect(replies(3, 0x52)).toEqual({ ...ALL_CLEAR, overheat: true });
  });

  it('n=4 near end 0x1E, paper end 0x72, both 0x7E: one paper state', () => {
    expect(replies(4, 0x1e).paper).toBe('low');
    expect(replies(4, 0x72).paper).toBe('out');
    expect(replies(4, 0x7e).paper).toBe('out');
  });

  it('every golden value has the reply shape 0xx1xx10', () => {
    for (const byte of [0x12, 0x16, 0x1a, 0x32, 0x52, 0x1e, 0x72, 0x7e]) expect(isStatusReply(byte)).toBe(true);
  });
});

describe('byte shapes', () => {
  it('reply, block start, block byte and flow control never share a byte value', () => {
    const counts = { reply: 0, start: 0, block: 0 };
    for (let byte = 0; byte < 256; byte += 1) {
      const kinds = [isStatusReply(byte), isBlockStart(byte), isBlockByte(byte), byte === XON || byte === XOFF].filter(Boolean);
      expect(kinds.length, `0x${byte.toString(16)}`).toBeLessThanOrEqual(1);
      if (isStatusReply(byte)) counts.reply += 1;
      if (isBlockStart(byte)) counts.start += 1;
      if (isBlockByte(byte)) counts.block += 1;
    }
    // Four fixed bits leave 16 values; two fixed bits leave 64.
    expect(counts).toEqual({ reply: 16, start: 16, block: 64 });
  });
});

describe('Automatic Status Back blocks (DEVICES.md bit layout)', () => {
  const block = (first: number, errors = 0, paper = 0) => parseStatusBlock([first, errors, paper, 0]);
  const CLEAR_BLOCK = {
    offline: false, paper: 'ok', coverOpen: false, cutterError: false, overheat: false, failure: false,
    recoverableError: false, drawerPinHigh: false, feedButton: false,
  };

  it('reads byte 1: drawer, offline, cover open, feed button', () => {
    expect(block(0x10)).toEqual(CLEAR_BLOCK);
    expect(block(0x14)).toEqual({ ...CLEAR_BLOCK, drawerPinHigh: true });
    expect(block(0x18)).toEqual({ ...CLEAR_BLOCK, offline: true });
    expect(block(0x38)).toEqual({ ...CLEAR_BLOCK, offline: true, coverOpen: true });
    expect(block(0x50)).toEqual({ ...CLEAR_BLOCK, feedButton: true });
  });

  it('reads byte 2: recoverable, autocutter, unrecoverable, auto-recoverable', () => {
    expect(block(0x10, 0x04)).toEqual({ ...CLEAR_BLOCK, recoverableError: true });
    expect(block(0x10, 0x08)).toEqual({ ...CLEAR_BLOCK, cutterError: true });
    expect(block(0x10, 0x20)).toEqual({ ...CLEAR_BLOCK, failure: true });
    expect(block(0x10, 0x40)).toEqual({ ...CLEAR_BLOCK, overheat: true });
  });

  it('reads byte 3: near end 0x03, paper end 0x0C', () => {
    expect(block(0x10, 0, 0x03).paper).toBe('low');
    expect(block(0x10, 0, 0x0c).paper).toBe('out');
    expect(block(0x10, 0, 0x0f).paper).toBe('out');
  });
});

describe('PrinterStatusDecoder', () => {
  it('tells replies from blocks by shape, byte by byte, and skips XON/XOFF even inside a block', () => {
    const decoder = new PrinterStatusDecoder();
    const stream = [0x12, 0x10, XOFF, 0x08, XON, 0x0c, 0x00, 0x1a, XON];
    const messages = stream.flatMap((byte) => decoder.push(Uint8Array.of(byte)));
    expect(messages).toEqual([
      { kind: 'reply', byte: 0x12 },
      { kind: 'block', bytes: [0x10, 0x08, 0x0c, 0x00] },
      { kind: 'reply', byte: 0x1a },
    ]);
    expect(decoder.protocolErrors).toBe(0);
  });

  it('lets a reply through in the middle of a block', () => {
    const decoder = new PrinterStatusDecoder();
    expect(decoder.push(Uint8Array.of(0x30, 0x00, 0x16, 0x00, 0x00))).toEqual([
      { kind: 'reply', byte: 0x16 },
      { kind: 'block', bytes: [0x30, 0x00, 0x00, 0x00] },
    ]);
  });

  it('drops and counts bytes of no known shape, and a block cut short', () => {
    const decoder = new PrinterStatusDecoder();
    expect(decoder.push(Uint8Array.of(0xff, 0x01, 0x12))).toEqual([{ kind: 'reply', byte: 0x12 }]);
    expect(decoder.protocolErrors).toBe(2);
    // A block start, one byte, then the next block: the first is incomplete.
    expect(decoder.push(Uint8Array.of(0x10, 0x00, 0x18, 0x00, 0x00, 0x00))).toEqual([{ kind: 'block', bytes: [0x18, 0x00, 0x00, 0x00] }]);
    expect(decoder.protocolErrors).toBe(3);
    // A byte with bit 7 set inside a block breaks it.
    expect(decoder.push(Uint8Array.of(0x10, 0x00, 0x80, 0x00, 0x00))).toEqual([]);
    expect(decoder.protocolErrors).toBe(6);
    expect(decoder.buffered).toBe(0);
  });
});
