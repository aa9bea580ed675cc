import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunked, chunkSizes } from '../../test/helpers/chunks.js';
import { isBlockByte, isBlockStart, isStatusReply, PrinterStatusDecoder, XOFF, XON, type PrinterMessage } from './codec.js';

const RUNS = 5_000;

/** A reply byte: the shape 0xx1xx10 with any of its four free bits. */
const replyByte = fc.integer({ min: 0, max: 15 }).map((free) => 0x12 | ((free & 1) << 2) | ((free & 2) << 2) | ((free & 4) << 3) | ((free & 8) << 3));
const blockStart = replyByte.map((byte) => byte & ~0x02);
const blockByte = fc.integer({ min: 0, max: 63 }).map((free) => (free & 0x0f) | ((free & 0x30) << 1));
const message: fc.Arbitrary<PrinterMessage> = fc.oneof(
  replyByte.map((byte) => ({ kind: 'reply' as const, byte })),
  fc.tuple(blockStart, blockByte, blockByte, blockByte).map((bytes) => ({ kind: 'block' as const, bytes })),
);
/** Messages on the wire, with XON/XOFF sprinkled anywhere, also inside blocks. */
const wire = fc.array(fc.tuple(message, fc.array(fc.constantFrom(XON, XOFF), { maxLength: 2 }), fc.nat(3)), { maxLength: 12 }).map((items) => ({
  messages: items.map(([m]) => m),
  bytes: Uint8Array.from(
    items.flatMap(([m, flow, where]) => {
      const bytes = m.kind === 'reply' ? [m.byte] : [...m.bytes];
      bytes.splice(Math.min(where, bytes.length), 0, ...flow);
      return bytes;
    }),
  ),
}));

function decode(bytes: Uint8Array, sizes: number[]) {
  const decoder = new PrinterStatusDecoder();
  const messages: PrinterMessage[] = [];
  for (const chunk of chunked(bytes, sizes)) {
    messages.push(...decoder.push(chunk));
    expect(decoder.buffered).toBeLessThanOrEqual(3);
  }
  return { messages, errors: decoder.protocolErrors };
}

describe('PrinterStatusDecoder properties (fast-check)', () => {
  it('random bytes in random chunks: never throws, holds at most 3 bytes, yields only well-shaped messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), chunkSizes, (bytes, sizes) => {
        const { messages, errors } = decode(bytes, sizes);
        for (const m of messages) {
          if (m.kind === 'reply') expect(isStatusReply(m.byte)).toBe(true);
          else expect(isBlockStart(m.bytes[0]!) && m.bytes.slice(1).every(isBlockByte) && m.bytes.length === 4).toBe(true);
        }
        // A byte with bit 7 set has no valid shape at all.
        if (bytes.some((byte) => byte & 0x80)) expect(errors).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('valid replies and blocks, with flow control anywhere, decode exactly whatever the chunks', () => {
    fc.assert(
      fc.property(wire, chunkSizes, ({ messages, bytes }, sizes) => {
        expect(decode(bytes, sizes)).toEqual({ messages, errors: 0 });
      }),
      { numRuns: RUNS },
    );
  });

  it('after any garbage, the valid messages that follow are all decoded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), wire, chunkSizes, (garbage, { messages, bytes }, sizes) => {
        const decoded = decode(Uint8Array.from([...garbage, ...bytes]), sizes);
        expect(decoded.messages.slice(decoded.messages.length - messages.length)).toEqual(messages);
        if (garbage.some((byte) => byte & 0x80)) expect(decoded.errors).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });
});
