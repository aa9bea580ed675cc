import { crc32 } from 'node:zlib';
import { SEQUENCED_KINDS as KINDS } from '../../protocol/messages.js';
import type { OutboxRecord } from './store.js';

/**
 * One outbox record on flash:
 *   u32 LE length of the body | u32 LE crc32 of the body | body
 *   body = f64 LE seq | u8 kind | u16 LE correlation length | correlation data | payload
 *
 * A segment is read from its start, record after record, and reading stops at the first record
 * that fails its checks: whatever follows is dropped, never searched for something that looks like
 * a record. Payload and correlation data are chosen by others (a command's sender picks the MQTT 5
 * correlation data that every refusal stores), so bytes inside a record can imitate a whole record,
 * crc and all; only the chain of lengths from the segment's start says where records begin. A power
 * cut tears only the unsynced tail, so stopping there loses nothing that was ever sent.
 */

export const RECORD_HEADER = 8;
const BODY_FIXED = 11;
const MAX_BODY = 4 * 1024 * 1024;

export function encodeRecord(record: OutboxRecord): Buffer {
  const correlation = record.correlationData ?? Buffer.alloc(0);
  const bodyLength = BODY_FIXED + correlation.length + record.payload.length;
  const buffer = Buffer.alloc(RECORD_HEADER + bodyLength);
  buffer.writeUInt32LE(bodyLength, 0);
  buffer.writeDoubleLE(record.seq, RECORD_HEADER);
  buffer.writeUInt8(KINDS.indexOf(record.kind), RECORD_HEADER + 8);
  buffer.writeUInt16LE(correlation.length, RECORD_HEADER + 9);
  correlation.copy(buffer, RECORD_HEADER + BODY_FIXED);
  record.payload.copy(buffer, RECORD_HEADER + BODY_FIXED + correlation.length);
  buffer.writeUInt32LE(crc32(buffer.subarray(RECORD_HEADER)), 4);
  return buffer;
}

/** Decodes the record at `offset`, or undefined when what is there is not a whole, intact record. */
export function decodeRecord(data: Buffer, offset: number): { record: OutboxRecord; length: number } | undefined {
  if (offset + RECORD_HEADER > data.length) return undefined;
  const bodyLength = data.readUInt32LE(offset);
  if (bodyLength < BODY_FIXED || bodyLength > MAX_BODY || offset + RECORD_HEADER + bodyLength > data.length) return undefined;
  const body = data.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + bodyLength);
  if (crc32(body) !== data.readUInt32LE(offset + 4)) return undefined;
  const seq = body.readDoubleLE(0);
  const kind = KINDS[body.readUInt8(8)];
  const correlationLength = body.readUInt16LE(9);
  if (!kind || !Number.isSafeInteger(seq) || seq < 1 || BODY_FIXED + correlationLength > bodyLength) return undefined;
  const record: OutboxRecord = {
    seq,
    kind,
    payload: Buffer.from(body.subarray(BODY_FIXED + correlationLength)),
  };
  if (correlationLength > 0) record.correlationData = Buffer.from(body.subarray(BODY_FIXED, BODY_FIXED + correlationLength));
  return { record, length: RECORD_HEADER + bodyLength };
}

export interface SegmentRecord {
  record: OutboxRecord;
  offset: number;
  length: number;
}

/** The records of a segment up to its first bad one, and where the good part ends. */
export function readSegment(data: Buffer): { records: SegmentRecord[]; goodEnd: number } {
  const records: SegmentRecord[] = [];
  let offset = 0;
  while (offset < data.length) {
    const decoded = decodeRecord(data, offset);
    if (!decoded) break;
    records.push({ record: decoded.record, offset, length: decoded.length });
    offset += decoded.length;
  }
  return { records, goodEnd: offset };
}
