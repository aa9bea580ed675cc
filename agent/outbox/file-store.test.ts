import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { FileStore } from './file-store.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import type { OutboxRecord } from './store.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-store-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const record = (seq: number, kind: OutboxRecord['kind'] = 'heartbeat', size = 40): OutboxRecord => ({
  seq,
  kind,
  payload: Buffer.from(JSON.stringify({ seq, pad: 'p'.repeat(size) })),
});

function store(options: { maxBytes?: number; segmentBytes?: number } = {}) {
  const { log, records } = memoryLog();
  return { store: new FileStore({ dir, maxBytes: options.maxBytes ?? 1024 * 1024, segmentBytes: options.segmentBytes, log }), logs: records };
}

const segments = () => fs.readdirSync(dir).filter((name) => name.endsWith('.log')).sort();

describe('FileStore on disk', () => {
  it('encodes records with a length and a crc that catch every flipped byte', () => {
    const encoded = encodeRecord({ seq: 7, kind: 'reply', payload: Buffer.from('{"ok":true}'), correlationData: Buffer.from('abc') });
    expect(decodeRecord(encoded, 0)?.record.seq).toBe(7);
    for (let index = 0; index < encoded.length; index++) {
      const damaged = Buffer.from(encoded);
      damaged[index] = damaged[index]! ^ 0x40;
      expect(decodeRecord(damaged, 0), `byte ${index}`).toBeUndefined();
    }
    expect(decodeRecord(encoded.subarray(0, encoded.length - 1), 0)).toBeUndefined();
  });

  it('drops a torn last record (a crash mid-write) and appends cleanly after it', async () => {
    const first = store().store;
    await first.open();
    for (let seq = 1; seq <= 3; seq++) first.append(record(seq));
    await first.close();
    const [segment] = segments();
    const file = path.join(dir, segment!);
    const torn = encodeRecord(record(4)).subarray(0, 20);
    fs.appendFileSync(file, torn);
    const sizeBefore = fs.statSync(file).size;

    const { store: second, logs } = store();
    const state = await second.open();
    expect(state.pending.map((info) => info.seq)).toEqual([1, 2, 3]);
    expect(state.lastSeq).toBe(3);
    expect(fs.statSync(file).size).toBe(sizeBefore - torn.length);
    expect(logs.some((line) => line.msg.includes('torn or corrupt'))).toBe(true);

    second.append(record(4));
    await second.close();
    const third = store().store;
    expect((await third.open()).pending.map((info) => info.seq)).toEqual([1, 2, 3, 4]);
    expect(third.read(4)).toEqual(record(4));
  });

  it('after a power cut at any byte of the unsynced tail keeps every whole record, and never a damaged one', async () => {
    const records = Array.from({ length: 12 }, (_, i) => record(i + 1, i % 4 === 0 ? 'fault' : 'heartbeat', (i * 37) % 90));
    const ends: number[] = [];
    let offset = 0;
    for (const each of records) ends.push((offset += encodeRecord(each).length));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: offset }), fc.nat(600), async (cut, zeros) => {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        const first = store().store;
        await first.open();
        for (const each of records) first.append(each);
        await first.close();
        // What the disk holds after the cut: a prefix, and maybe blocks the kernel allocated but never filled.
        const file = path.join(dir, segments()[0]!);
        fs.truncateSync(file, cut);
        fs.appendFileSync(file, Buffer.alloc(zeros));

        const after = store().store;
        const state = await after.open();
        const whole = records.filter((_, index) => ends[index]! <= cut);
        expect(state.pending.map((info) => info.seq)).toEqual(whole.map((each) => each.seq));
        for (const each of whole) expect(after.read(each.seq)).toEqual(each);
        // The next record goes right after the last whole one, and reads back.
        const next = record(whole.length + 1);
        after.append(next);
        await after.close();
        const again = store().store;
        expect((await again.open()).pending.map((info) => info.seq)).toEqual([...whole.map((each) => each.seq), next.seq]);
        expect(again.read(next.seq)).toEqual(next);
        await again.close();
      }),
      { numRuns: 80 },
    );
  });

  it('writes an acknowledgement the full disk refused once there is room, so a restart sends nothing twice', async () => {
    const s = store().store;
    await s.open();
    for (let seq = 1; seq <= 5; seq++) s.append(record(seq));
    await s.sync();
    // The disk fills up halfway through an ack entry.
    const write = fs.writeSync;
    let full = true;
    let room = 4;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buffer: Buffer, offset: number, length: number) => {
      if (!full) return write(fd, buffer, offset, length);
      if (room > 0) {
        const part = Math.min(length, room);
        room -= part;
        return write(fd, buffer, offset, part);
      }
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    expect(() => s.remove(1, 'acked')).toThrow(/ENOSPC/);
    expect(() => s.remove(2, 'evicted')).toThrow(/ENOSPC/);
    expect(s.usage().liveBytes).toBe(3 * encodeRecord(record(3)).length);

    full = false;
    await s.sync();
    await s.close();
    const state = await store().store.open();
    expect(state.pending.map((info) => info.seq)).toEqual([3, 4, 5]);
    expect(state.dropped).toBe(1);
  });

  it('stops at a corrupt record in the middle: what follows is dropped, never searched for records', async () => {
    const first = store().store;
    await first.open();
    for (let seq = 1; seq <= 3; seq++) first.append(record(seq));
    await first.close();
    const file = path.join(dir, segments()[0]!);
    const data = fs.readFileSync(file);
    const second = encodeRecord(record(1)).length + 12;
    data[second] = data[second]! ^ 0xff;
    fs.writeFileSync(file, data);

    const { store: reopened, logs } = store();
    const state = await reopened.open();
    expect(state.pending.map((info) => info.seq)).toEqual([1]);
    expect(fs.statSync(file).size).toBe(encodeRecord(record(1)).length);
    expect(logs.find((line) => line.msg.includes('torn or corrupt'))).toMatchObject({ level: 40, records: 1, droppedBytes: data.length - encodeRecord(record(1)).length });
  });

  it('never takes a record forged inside correlation data for a record, when the one holding it is torn', async () => {
    const forged = encodeRecord({ seq: 999, kind: 'fault', payload: Buffer.from('{"forged":true}') });
    const holder = { seq: 2, kind: 'reply' as const, payload: Buffer.from('{"ok":false}'), correlationData: forged };
    const first = store().store;
    await first.open();
    first.append(record(1));
    first.append(holder);
    await first.close();
    const file = path.join(dir, segments()[0]!);
    // Torn after the correlation data: the forged record is whole, the one around it is not.
    const holderStart = encodeRecord(record(1)).length;
    fs.truncateSync(file, holderStart + 8 + 11 + forged.length + 3);

    const reopened = store().store;
    const state = await reopened.open();
    expect(state.pending.map((info) => info.seq)).toEqual([1]);
    // seq 2 was closed into meta.json: it is not handed out again, and 999 never existed.
    expect(state.lastSeq).toBe(2);
  });

  it('never delivers garbage: random bytes appended at the end read as nothing', async () => {
    const first = store().store;
    await first.open();
    first.append(record(1));
    await first.close();
    fs.appendFileSync(path.join(dir, segments()[0]!), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)));
    expect((await store().store.open()).pending.map((info) => info.seq)).toEqual([1]);
  });

  it('rolls segments and deletes each one when all its records are gone', async () => {
    const { store: s } = store({ segmentBytes: 200 });
    await s.open();
    for (let seq = 1; seq <= 20; seq++) s.append(record(seq));
    expect(segments().length).toBeGreaterThan(3);
    for (let seq = 1; seq <= 20; seq++) s.remove(seq, 'acked');
    expect(segments()).toHaveLength(1); // the one being written stays
    await s.close();
    const state = await store({ segmentBytes: 200 }).store.open();
    expect(state).toMatchObject({ pending: [], lastSeq: 20, dropped: 0 });
  });

  it('compacts segments full of evicted heartbeats around the faults they hold, over its bound', async () => {
    const { store: s } = store({ maxBytes: 4000, segmentBytes: 1000 });
    await s.open();
    for (let seq = 1; seq <= 60; seq++) s.append(record(seq, seq % 10 === 0 ? 'fault' : 'heartbeat'));
    for (let seq = 1; seq <= 50; seq++) if (seq % 10 !== 0) s.remove(seq, 'evicted');
    expect(s.usage().diskBytes).toBeLessThanOrEqual(4000);
    await s.close();

    const reopened = store({ maxBytes: 4000, segmentBytes: 1000 }).store;
    const state = await reopened.open();
    expect(state.pending.map((info) => info.seq)).toEqual([10, 20, 30, 40, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]);
    expect(state.dropped).toBe(45);
    expect(reopened.read(20)).toEqual(record(20, 'fault'));
  });

  it('finishes a deletion that meta.json committed before a crash, counting its evictions once', async () => {
    const { store: s } = store({ segmentBytes: 50 });
    await s.open();
    s.append(record(1));
    s.append(record(2)); // second segment
    s.remove(1, 'evicted');
    await s.close();
    // Put back the state just after meta.json committed the retirement of segment 1 (its one
    // eviction counted in dropped) and before its files were deleted:
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    expect(meta.dropped).toBe(1);
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ ...meta, retire: 1 }));
    fs.writeFileSync(path.join(dir, '00000001.log'), encodeRecord(record(1)));
    const entry = Buffer.alloc(8);
    entry.writeDoubleLE(-1);
    fs.writeFileSync(path.join(dir, '00000001.ack'), entry);

    const state = await store({ segmentBytes: 50 }).store.open();
    expect(state.pending.map((info) => info.seq)).toEqual([2]);
    expect(state.dropped).toBe(1);
    expect(fs.existsSync(path.join(dir, '00000001.log'))).toBe(false);
  });

  it('discards a compaction that had not committed when the agent died', async () => {
    const { store: s } = store();
    await s.open();
    s.append(record(1));
    await s.close();
    fs.writeFileSync(path.join(dir, '00000099.log.tmp'), encodeRecord(record(1)));
    const state = await store().store.open();
    expect(state.pending.map((info) => info.seq)).toEqual([1]);
    expect(fs.readdirSync(dir).some((name) => name.endsWith('.tmp'))).toBe(false);
  });

  it('a raise torn by a power cut while a later record survived is not counted as written, so it is written again', async () => {
    const first = store().store;
    await first.open();
    first.append(record(1));
    first.append(record(2));
    await first.close();
    // Records 3 (the raise) and 4 reach the disk, not synced; the power goes, record 3 is damaged.
    const crashed = store().store;
    await crashed.open();
    crashed.append(record(3, 'fault'));
    crashed.append(record(4));
    const file = path.join(dir, segments().at(-1)!);
    const data = fs.readFileSync(file);
    data[encodeRecord(record(3, 'fault')).length - 2]! ^= 0xff;
    fs.writeFileSync(file, data);

    const state = await store().store.open();
    expect(state.pending.map((info) => info.seq)).toEqual([1, 2]);
    // Above writtenSeq, a fault saved as raised was never written: the agent writes it again.
    expect(state.writtenSeq).toBe(2);
  });

  it('never hands out a seq sent from memory again, after a crash, even with the disk still full', async () => {
    const first = store().store;
    await first.open();
    first.append(record(1));
    await first.sync();
    first.protectSeq(7);
    first.protectSeq(9);
    // No close: a crash. The guard is two slots overwritten in place, no new block needed.
    const sizeBefore = fs.statSync(path.join(dir, 'sent-seq')).size;
    const state = await store().store.open();
    expect(state).toMatchObject({ lastSeq: 9, writtenSeq: 1 });
    expect(fs.statSync(path.join(dir, 'sent-seq')).size).toBe(sizeBefore);
  });

  it('carries on with sequence numbers when meta.json is garbage, and says so once, naming the file', async () => {
    const { store: s } = store();
    await s.open();
    s.append(record(5));
    await s.close();
    fs.writeFileSync(path.join(dir, 'meta.json'), '{not json');
    const { store: reopened, logs } = store();
    expect((await reopened.open()).lastSeq).toBe(5);
    const errors = logs.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toBe('outbox meta.json is unreadable; sequence numbers continue from the segments');
    expect(errors[0].err.message).toMatch(new RegExp(`^${path.join(dir, 'meta.json')} is not valid JSON`));
  });

  it('writes appends, never rewrites: bytes on disk per message stay near its size', async () => {
    const { store: s } = store({ segmentBytes: 64 * 1024 });
    await s.open();
    let payloads = 0;
    for (let seq = 1; seq <= 100; seq++) {
      payloads += record(seq).payload.length;
      s.append(record(seq));
      s.remove(seq, 'acked');
    }
    // A record is its payload plus a 19-byte header; an acknowledgement is 8 bytes.
    expect(s.usage().diskBytes).toBe(payloads + 100 * (19 + 8));
    await s.close();
  });
});
