import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, readSegment } from './record-codec.js';
import type { OutboxRecord } from './store.js';

const RUNS = 2_000;

const plain: fc.Arbitrary<OutboxRecord> = fc
  .record({
    seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    kind: fc.constantFrom('heartbeat' as const, 'fault' as const, 'reply' as const),
    payload: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    correlationData: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)), { nil: undefined }),
  })
  .map((record) => (record.correlationData ? record : { seq: record.seq, kind: record.kind, payload: record.payload }));

/** A record whose correlation data or payload holds whole encoded records: what a hostile sender can choose. */
const hostile: fc.Arbitrary<OutboxRecord> = fc.tuple(plain, fc.array(plain, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([record, forged, inCorrelation]) => {
  const inner = Buffer.concat(forged.map(encodeRecord));
  return inCorrelation ? { ...record, correlationData: inner } : { ...record, payload: Buffer.concat([inner, record.payload]) };
});

const records = fc.array(fc.oneof(plain, hostile), { minLength: 1, maxLength: 6 });

/** The records read back are the first n of those written, for some n: never another one. */
function expectPrefix(read: OutboxRecord[], written: OutboxRecord[]): void {
  expect(read).toEqual(written.slice(0, read.length));
}

describe('outbox record codec', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(plain, (record) => {
        const encoded = encodeRecord(record);
        expect(decodeRecord(encoded, 0)).toEqual({ record, length: encoded.length });
      }),
      { numRuns: RUNS },
    );
  });

  it('reads a segment back whole, also records that carry forged records inside', () => {
    fc.assert(
      fc.property(records, (written) => {
        const data = Buffer.concat(written.map(encodeRecord));
        const { records: read, goodEnd } = readSegment(data);
        expect(read.map((entry) => entry.record)).toEqual(written);
        expect(goodEnd).toBe(data.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('after a tear at any byte reads only whole records written before it, never a forged one', () => {
    fc.assert(
      fc.property(records, fc.nat(), (written, at) => {
        const data = Buffer.concat(written.map(encodeRecord));
        const cut = at % (data.length + 1);
        const { records: read, goodEnd } = readSegment(data.subarray(0, cut));
        expectPrefix(
          read.map((entry) => entry.record),
          written,
        );
        expect(goodEnd).toBeLessThanOrEqual(cut);
      }),
      { numRuns: RUNS },
    );
  });

  it('after a damaged byte anywhere reads only records written before it, never a forged one', () => {
    fc.assert(
      fc.property(records, fc.nat(), fc.integer({ min: 1, max: 255 }), (written, at, flip) => {
        const data = Buffer.concat(written.map(encodeRecord));
        const index = at % data.length;
        data[index] = data[index]! ^ flip;
        const read = readSegment(data).records;
        expectPrefix(
          read.map((entry) => entry.record),
          written,
        );
        expect(read.every((entry) => entry.offset + entry.length <= index)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
