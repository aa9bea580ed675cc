import { gzipSync } from 'node:zlib';

/**
 * Log records for the `logs` reply (SPEC.md section 6): JSON lines, gzip-compressed and
 * base64-encoded, in parts whose `gz` is at most 64 KiB of base64 and each a complete gzip stream,
 * so that a client can show every part as it arrives and a lost part costs only its records.
 */

export const MAX_PART_BASE64 = 64 * 1024;

export interface LogPart {
  /** Records in this part. */
  records: number;
  gz: string;
}

/** A first guess of how well log lines compress; each part corrects it. */
const FIRST_RATIO = 4;

export function packLogParts(lines: readonly string[], maxBase64 = MAX_PART_BASE64): LogPart[] {
  const maxGzip = Math.floor(maxBase64 / 4) * 3;
  if (lines.length === 0) return [{ records: 0, gz: gzipSync('').toString('base64') }];
  const parts: LogPart[] = [];
  let ratio = FIRST_RATIO;
  let start = 0;
  while (start < lines.length) {
    let count = linesWithin(lines, start, maxGzip * ratio * 0.9);
    for (;;) {
      const text = `${lines.slice(start, start + count).join('\n')}\n`;
      const gz = gzipSync(text);
      if (gz.length <= maxGzip) {
        parts.push({ records: count, gz: gz.toString('base64') });
        ratio = Math.max(1, Buffer.byteLength(text) / gz.length);
        break;
      }
      if (count === 1) {
        parts.push({ records: 1, gz: gzipSync(`${tooLong(lines[start]!)}\n`).toString('base64') });
        break;
      }
      // Too big: shrink in proportion, a little more than needed.
      count = Math.max(1, Math.min(count - 1, Math.floor((count * maxGzip * 0.9) / gz.length)));
    }
    start += count;
  }
  return parts;
}

/** How many lines from `start` fit in `bytes` of text (at least one). */
function linesWithin(lines: readonly string[], start: number, bytes: number): number {
  let total = 0;
  let count = 0;
  while (start + count < lines.length) {
    total += Buffer.byteLength(lines[start + count]!) + 1;
    if (total > bytes && count > 0) break;
    count++;
  }
  return count;
}

/** A record that does not fit a part even alone (a megabyte of noise in one line) is cut. */
function tooLong(line: string): string {
  return JSON.stringify({ msg: 'record too long for a reply, cut', bytes: Buffer.byteLength(line), start: line.slice(0, 4096) });
}
