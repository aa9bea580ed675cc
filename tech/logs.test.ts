import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { style } from './format.js';
import { decodeParts, printRecords, type LogCursor } from './logs.js';

const line = (time: number, msg: string) => JSON.stringify({ level: 30, time, msg });
const part = (lines: string[]) => ({ records: lines.length, gz: gzipSync(`${lines.join('\n')}\n`).toString('base64') });

describe('technician logs', () => {
  it('decodes parts into their records, in order', () => {
    expect(decodeParts([part([line(1, 'a'), line(2, 'b')]), part([line(3, 'c')]), { records: 0, gz: gzipSync('').toString('base64') }])).toEqual([
      line(1, 'a'),
      line(2, 'b'),
      line(3, 'c'),
    ]);
  });

  it('prints what a follow-up answer brings anew, also a record in the same millisecond as the last one seen', () => {
    const printed: string[] = [];
    const out = { json: true, style: style(false), write: (text: string) => printed.push(text.trimEnd()) };
    const cursor: LogCursor = { atLast: new Set() };
    printRecords([line(1, 'a'), line(5, 'b'), line(5, 'c')], cursor, out);
    // The next answer starts at time 5 (since is inclusive).
    printRecords([line(5, 'b'), line(5, 'c'), line(5, 'd'), line(6, 'e'), 'not json'], cursor, out);
    printRecords([line(6, 'e')], cursor, out);
    expect(printed.map((text) => JSON.parse(text).msg)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(cursor.last).toBe(6);
  });
});
