import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PART_BASE64, packLogParts } from './log-parts.js';

function unpack(gz: string): string[] {
  const text = gunzipSync(Buffer.from(gz, 'base64')).toString();
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

describe('packLogParts', () => {
  it('splits records into parts of at most 64 KiB of base64, each a gzip stream of its own, in order', () => {
    // Random text compresses badly: several parts.
    const lines = Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ level: 30, time: i, msg: randomBytes(60).toString('hex') }));
    const parts = packLogParts(lines);
    expect(parts.length).toBeGreaterThan(5);
    for (const part of parts) {
      expect(part.gz.length).toBeLessThanOrEqual(MAX_PART_BASE64);
      expect(unpack(part.gz)).toHaveLength(part.records);
    }
    expect(parts.flatMap((part) => unpack(part.gz))).toEqual(lines);
  });

  it('sends one empty part for no records, and cuts a record too long for any part', () => {
    expect(packLogParts([])).toEqual([{ records: 0, gz: expect.any(String) }]);
    expect(unpack(packLogParts([])[0]!.gz)).toEqual([]);
    const huge = JSON.stringify({ msg: randomBytes(200_000).toString('base64') });
    const [part, next] = packLogParts([huge, '{"msg":"after"}']);
    expect(JSON.parse(unpack(part!.gz)[0]!)).toMatchObject({ msg: 'record too long for a reply, cut', bytes: huge.length });
    expect(unpack(next!.gz)).toEqual(['{"msg":"after"}']);
  });

  it('keeps every record for any mix of sizes and any part size', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3_000 }), { maxLength: 300 }), fc.integer({ min: 8_192, max: 65_536 }), (texts, max) => {
        const lines = texts.map((msg) => JSON.stringify({ msg }));
        const parts = packLogParts(lines, max);
        for (const part of parts) expect(part.gz.length).toBeLessThanOrEqual(max);
        expect(parts.flatMap((part) => unpack(part.gz))).toEqual(lines);
      }),
      { numRuns: 100 },
    );
  });
});
