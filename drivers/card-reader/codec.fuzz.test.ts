import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunked, chunkSizes } from '../../test/helpers/chunks.js';
import { ACK, COMMANDS, encodeFrame, eventFrame, MAX_FRAME, NAK, ReaderDeframer, STX, type Frame, type ReaderToken } from './codec.js';

const RUNS = 5_000;

const frame: fc.Arbitrary<Frame> = fc.record({
  // Event frames are left to their own property: their 'D' data is dropped on purpose.
  cmd: fc.integer({ min: 0, max: 255 }).filter((cmd) => cmd !== COMMANDS.event),
  status: fc.integer({ min: 0, max: 255 }),
  data: fc.oneof({ weight: 9, arbitrary: fc.uint8Array({ maxLength: 24 }) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 250 }) }).map((bytes) => Buffer.from(bytes)),
});

type Expected = { kind: 'ack' } | { kind: 'nak' } | { kind: 'frame'; frame: Frame };
const token: fc.Arbitrary<Expected> = fc.oneof(
  { weight: 4, arbitrary: frame.map((f) => ({ kind: 'frame' as const, frame: f })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'ack' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'nak' as const }) },
);
const bytesOf = (expected: Expected) => (expected.kind === 'frame' ? encodeFrame(expected.frame) : Buffer.from([expected.kind === 'ack' ? ACK : NAK]));

/** Broken input whose every kind is a protocol error: a frame cut short, a bit flipped, a length over 250. */
const broken = fc.oneof(
  frame.chain((f) => {
    const bytes = encodeFrame(f);
    return fc.integer({ min: 1, max: bytes.length - 1 }).map((cut) => bytes.subarray(0, cut));
  }),
  fc.tuple(frame, fc.nat(), fc.integer({ min: 0, max: 7 })).map(([f, at, bit]) => {
    const bytes = Buffer.from(encodeFrame(f));
    bytes[at % bytes.length]! ^= 1 << bit;
    return bytes;
  }),
  fc.tuple(fc.integer({ min: 251, max: 255 }), fc.uint8Array({ maxLength: 8 })).map(([length, rest]) => Buffer.from([STX, 0x53, 0, length, ...rest])),
);

function deframe(bytes: Uint8Array, sizes: number[]) {
  const deframer = new ReaderDeframer();
  const tokens: ReaderToken[] = [];
  for (const chunk of chunked(bytes, sizes)) {
    tokens.push(...deframer.push(chunk));
    expect(deframer.buffered).toBeLessThan(MAX_FRAME);
  }
  return { tokens, errors: deframer.protocolErrors, buffered: deframer.buffered };
}

const goodTokens = (tokens: ReaderToken[]) => tokens.filter((t) => t.kind !== 'bad');

describe('ReaderDeframer properties (fast-check)', () => {
  it('random bytes in random chunks: never throws, holds less than a frame, and counts what it drops', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), chunkSizes, (bytes, sizes) => {
        const { tokens, errors, buffered } = deframe(bytes, sizes);
        for (const t of tokens) if (t.kind === 'frame') expect(t.frame.data.length).toBeLessThanOrEqual(250);
        const noise = bytes.some((byte) => byte !== STX && byte !== ACK && byte !== NAK);
        if (noise && !tokens.some((t) => t.kind === 'frame')) expect(errors > 0 || buffered > 0).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('good frames, ACKs and NAKs come out exactly as sent, whatever the chunks, with no error', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 10 }), chunkSizes, (expected, sizes) => {
        const { tokens, errors, buffered } = deframe(Buffer.concat(expected.map(bytesOf)), sizes);
        expect(tokens).toEqual(expected);
        expect(errors).toBe(0);
        expect(buffered).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('after a broken frame the good frames come back: every one after the first for sure, and the error is counted', () => {
    // A broken frame's false start can end inside the first good frame only if an ETX and an LRC
    // happen to match there: that first frame may be lost, never the ones after it.
    fc.assert(
      fc.property(broken, fc.array(frame, { minLength: 2, maxLength: 5 }), chunkSizes, (garbage, frames, sizes) => {
        const { tokens, errors } = deframe(Buffer.concat([garbage, ...frames.map((f) => encodeFrame(f))]), sizes);
        const framesOut = goodTokens(tokens).filter((t) => t.kind === 'frame');
        expect(framesOut.slice(-(frames.length - 1))).toEqual(frames.slice(1).map((f) => ({ kind: 'frame', frame: f })));
        expect(errors).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('after random garbage the good frames come back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.array(frame, { minLength: 2, maxLength: 5 }), chunkSizes, (garbage, frames, sizes) => {
        const { tokens } = deframe(Buffer.concat([garbage, ...frames.map((f) => encodeFrame(f))]), sizes);
        const framesOut = goodTokens(tokens).filter((t) => t.kind === 'frame');
        expect(framesOut.slice(-(frames.length - 1))).toEqual(frames.slice(1).map((f) => ({ kind: 'frame', frame: f })));
      }),
      { numRuns: RUNS },
    );
  });

  it('no track data comes out of a D event, whole or broken, among noise and other frames', () => {
    const track = fc.stringMatching(/^;\d{13,19}=\d{4,20}\?$/);
    // Noise without STX: an STX in random bytes could start a false frame that ends, by a 1 in
    // 65,536 chance of ETX and LRC, inside the D event; broken D events are covered below.
    const noise = fc.uint8Array({ maxLength: 40 }).map((bytes) => bytes.map((byte) => (byte === STX ? 0x20 : byte)));
    const dEvent = fc.tuple(track, fc.oneof(fc.constant('whole'), fc.constant('cut'), fc.constant('flip')), fc.nat(), fc.integer({ min: 0, max: 7 }));
    fc.assert(
      fc.property(noise, dEvent, fc.array(frame, { maxLength: 3 }), chunkSizes, (garbage, [data, how, at, bit], frames, sizes) => {
        let d = Buffer.from(eventFrame('D', data));
        if (how === 'cut') d = d.subarray(0, 1 + (at % (d.length - 1)));
        if (how === 'flip') d[at % d.length]! ^= 1 << bit;
        const stream = Buffer.concat([garbage, eventFrame('K'), d, ...frames.map((f) => encodeFrame(f)), eventFrame('R')]);
        const { tokens } = deframe(stream, sizes);
        const digits = data.slice(1, 14);
        for (const t of tokens) {
          if (t.kind !== 'frame') continue;
          expect(t.frame.data.toString('latin1')).not.toContain(digits);
          if (t.frame.cmd === COMMANDS.event && t.frame.data[0] === 0x44) expect(t.frame.data.length).toBe(1);
        }
        expect(goodTokens(tokens).at(-1)).toEqual({ kind: 'frame', frame: { cmd: COMMANDS.event, status: 0, data: Buffer.from('R') } });
        if (how === 'whole') expect(tokens.filter((t) => t.kind === 'frame').length).toBe(frames.length + 3);
      }),
      { numRuns: RUNS },
    );
  });
});
