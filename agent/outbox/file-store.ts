import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SequencedKind } from '../../protocol/messages.js';
import { errnoCode } from '../../basics/errors.js';
import { fsyncDir, readJsonFile, writeFileAtomic } from '../files.js';
import { decodeRecord, encodeRecord, readSegment } from './record-codec.js';
import { SeqGuard } from './seq-guard.js';
import type { OutboxRecord, OutboxStore, RecordInfo, StoreState } from './store.js';

/**
 * The outbox on flash: append-only segment files, so that a message costs one append and a batch
 * of messages one fdatasync, never a rewrite of the queue.
 *
 * `NNNNNNNN.log` holds records (record-codec.ts). A segment is read up to its first torn or
 * corrupt record, and cut there: bytes after it are never searched for records.
 *
 * `NNNNNNNN.ack` beside it lists the records of that segment that are gone: f64 LE seq per entry,
 * negated for an eviction. Acks are not fsynced (the kernel writes them back within seconds, and
 * close() syncs them): an ack lost to a power cut only means a redelivery, which QoS 1 allows and
 * `seq` lets a consumer drop, so a delivered message costs one fdatasync (its record), not two.
 *
 * A segment whose records are all gone is deleted; one that is mostly dead while the store is
 * over its bound is compacted (its live records copied to a new segment). `meta.json` is the
 * commit point of both, written atomically before any file is deleted:
 *   { lastSeq, dropped, nextSegment, retire?: id, adopt?: id }
 */

const ACK_ENTRY = 8;

interface Segment {
  id: number;
  size: number;
  ackSize: number;
  live: number;
  deadBytes: number;
  /** Evictions recorded in this segment's ack file; added to meta's `dropped` when it goes. */
  evicted: number;
  fd?: number;
  ackFd?: number;
}

interface Location {
  segment: Segment;
  offset: number;
  length: number;
  kind: SequencedKind;
}

interface Meta {
  lastSeq: number;
  dropped: number;
  nextSegment: number;
  retire?: number;
  adopt?: number;
}

export interface FileStoreOptions {
  dir: string;
  /** The store's bound: segments are compacted when the files grow past it. */
  maxBytes: number;
  log: Logger;
  /** Segment size; by default a sixteenth of the bound, between 16 KiB and 1 MiB. */
  segmentBytes?: number;
}

export function segmentBytesFor(maxBytes: number): number {
  return Math.max(16 * 1024, Math.min(1024 * 1024, Math.floor(maxBytes / 16)));
}

export class FileStore implements OutboxStore {
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly segments = new Map<number, Segment>();
  private readonly index = new Map<number, Location>();
  private readonly dirtyFds = new Set<number>();
  private readonly owedAcks: { segment: Segment; entry: Buffer }[] = [];
  private head: Segment | undefined;
  private meta: Meta = { lastSeq: 0, dropped: 0, nextSegment: 1 };
  private lastSeq = 0;
  /** Records up to this seq survive a power cut: meta.json's lastSeq never claims more. */
  private syncedSeq = 0;
  private readonly guard: SeqGuard;

  constructor(private readonly options: FileStoreOptions) {
    this.dir = options.dir;
    this.guard = new SeqGuard(options.dir);
    this.segmentBytes = options.segmentBytes ?? segmentBytesFor(options.maxBytes);
  }

  async open(): Promise<StoreState> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.meta = this.readMeta();
    this.finishCommit();

    const ids = fs
      .readdirSync(this.dir)
      .flatMap((name) => {
        if (name.endsWith('.tmp')) fs.rmSync(path.join(this.dir, name), { force: true });
        const match = /^(\d{8})\.log$/.exec(name);
        return match ? [Number(match[1])] : [];
      })
      .sort((a, b) => a - b);

    for (const id of ids) this.loadSegment(id);
    this.lastSeq = Math.max(this.meta.lastSeq, this.lastSeq);
    const writtenSeq = this.lastSeq;
    this.syncedSeq = writtenSeq;
    this.meta.nextSegment = Math.max(this.meta.nextSegment, (ids.at(-1) ?? 0) + 1);
    for (const segment of [...this.segments.values()]) {
      if (segment.live === 0) this.retire(segment);
    }

    try {
      this.lastSeq = Math.max(this.lastSeq, this.guard.open());
    } catch (error) {
      this.options.log.error({ err: error }, 'outbox cannot keep the seqs of messages sent from memory; after a restart they may be used again');
    }

    const pending: RecordInfo[] = [...this.index.entries()]
      .sort(([a], [b]) => a - b)
      .map(([seq, location]) => ({ seq, kind: location.kind, bytes: location.length }));
    return { pending, lastSeq: this.lastSeq, writtenSeq, dropped: this.dropped() };
  }

  protectSeq(seq: number): void {
    this.guard.save(seq);
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  append(record: OutboxRecord): void {
    if (this.index.has(record.seq)) throw new Error(`seq ${record.seq} is already in the outbox`);
    const buffer = encodeRecord(record);
    if (!this.head || this.head.size >= this.segmentBytes) this.roll();
    const head = this.head!;
    try {
      writeAll(head.fd!, buffer);
    } catch (error) {
      // A half-written record must not stay in front of the next one (ENOSPC mid-write).
      try {
        fs.ftruncateSync(head.fd!, head.size);
      } catch {
        // the reader skips a torn record anyway
      }
      throw error;
    }
    this.index.set(record.seq, { segment: head, offset: head.size, length: buffer.length, kind: record.kind });
    head.size += buffer.length;
    head.live += 1;
    this.dirtyFds.add(head.fd!);
    this.lastSeq = Math.max(this.lastSeq, record.seq);
  }

  read(seq: number): OutboxRecord {
    const location = this.index.get(seq);
    if (!location) throw new Error(`seq ${seq} is not in the outbox`);
    const buffer = Buffer.alloc(location.length);
    const fd = fs.openSync(this.logPath(location.segment.id), 'r');
    try {
      fs.readSync(fd, buffer, 0, location.length, location.offset);
    } finally {
      fs.closeSync(fd);
    }
    const decoded = decodeRecord(buffer, 0);
    if (!decoded || decoded.record.seq !== seq) throw new Error(`record ${seq} is corrupt on disk`);
    return decoded.record;
  }

  remove(seq: number, reason: 'acked' | 'evicted'): void {
    const location = this.index.get(seq);
    if (!location) return;
    // Counted before the ack is written: when the disk is full the record is gone for this
    // process all the same; its ack is owed and written once the disk takes it.
    this.index.delete(seq);
    const { segment } = location;
    segment.live -= 1;
    segment.deadBytes += location.length;
    if (reason === 'evicted') segment.evicted += 1;
    const entry = Buffer.alloc(ACK_ENTRY);
    entry.writeDoubleLE(reason === 'evicted' ? -seq : seq);
    this.owedAcks.push({ segment, entry });
    try {
      this.writeOwedAcks();
    } finally {
      if (segment.live === 0 && segment !== this.head) this.retire(segment);
      else this.compactIfOverBound();
    }
  }

  async sync(): Promise<void> {
    try {
      this.writeOwedAcks();
    } catch {
      // still full: the acks stay owed, and a restart meanwhile only means redeliveries
    }
    const upTo = this.lastSeq;
    const fds = [...this.dirtyFds];
    this.dirtyFds.clear();
    const failures = await Promise.all(
      fds.map(
        (fd) =>
          new Promise<NodeJS.ErrnoException | null>((resolve) => {
            fs.fdatasync(fd, (error) => resolve(error));
          }),
      ),
    );
    // EBADF: a segment retired meanwhile has closed its fd, and nothing of it needs to last.
    const failure = failures.find((error) => error && error.code !== 'EBADF');
    if (failure) throw failure;
    this.syncedSeq = Math.max(this.syncedSeq, upTo);
  }

  usage() {
    let liveBytes = 0;
    let diskBytes = 0;
    for (const segment of this.segments.values()) {
      liveBytes += segment.size - segment.deadBytes;
      diskBytes += segment.size + segment.ackSize;
    }
    return { liveBytes, diskBytes };
  }

  async close(): Promise<void> {
    try {
      this.writeOwedAcks();
    } catch {
      // see sync()
    }
    for (const segment of this.segments.values()) {
      for (const fd of [segment.fd, segment.ackFd]) {
        if (fd === undefined) continue;
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      }
      segment.fd = undefined;
      segment.ackFd = undefined;
    }
    this.dirtyFds.clear();
    this.syncedSeq = this.lastSeq;
    this.commitMeta({});
    this.guard.close();
  }

  /** Writes the acks not yet on disk, oldest first; those of a segment gone since are moot. */
  private writeOwedAcks(): void {
    while (this.owedAcks.length > 0) {
      const { segment, entry } = this.owedAcks[0]!;
      if (this.segments.get(segment.id) === segment) {
        segment.ackFd ??= fs.openSync(this.ackPath(segment.id), 'a', 0o600);
        try {
          writeAll(segment.ackFd, entry);
        } catch (error) {
          // Half an entry would shift every entry after it.
          fs.ftruncateSync(segment.ackFd, segment.ackSize);
          throw error;
        }
        segment.ackSize += ACK_ENTRY;
      }
      this.owedAcks.shift();
    }
  }

  private dropped(): number {
    let dropped = this.meta.dropped;
    for (const segment of this.segments.values()) dropped += segment.evicted;
    return dropped;
  }

  private logPath(id: number) {
    return path.join(this.dir, `${String(id).padStart(8, '0')}.log`);
  }

  private ackPath(id: number) {
    return path.join(this.dir, `${String(id).padStart(8, '0')}.ack`);
  }

  private readMeta(): Meta {
    const fresh = { lastSeq: 0, dropped: 0, nextSegment: 1 };
    let stored: unknown;
    try {
      stored = readJsonFile(path.join(this.dir, 'meta.json'));
    } catch (error) {
      this.options.log.error({ err: error }, 'outbox meta.json is unreadable; sequence numbers continue from the segments');
      return fresh;
    }
    if (typeof stored !== 'object' || stored === null) return fresh;
    const meta = stored as Partial<Meta>;
    const count = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0);
    return {
      lastSeq: count(meta.lastSeq),
      dropped: count(meta.dropped),
      nextSegment: Math.max(1, count(meta.nextSegment)),
      retire: typeof meta.retire === 'number' ? meta.retire : undefined,
      adopt: typeof meta.adopt === 'number' ? meta.adopt : undefined,
    };
  }

  /** Completes a deletion or compaction that meta.json committed before a crash. */
  private finishCommit(): void {
    const { retire, adopt } = this.meta;
    if (adopt !== undefined) {
      const tmp = `${this.logPath(adopt)}.tmp`;
      if (fs.existsSync(tmp)) fs.renameSync(tmp, this.logPath(adopt));
    }
    if (retire !== undefined) {
      fs.rmSync(this.logPath(retire), { force: true });
      fs.rmSync(this.ackPath(retire), { force: true });
    }
  }

  /** Takes effect in memory only once it is on disk: a full disk leaves the old meta in force. */
  private commitMeta(change: { retire?: number; adopt?: number; dropped?: number }): void {
    const next: Meta = {
      ...this.meta,
      lastSeq: Math.max(this.meta.lastSeq, this.syncedSeq),
      dropped: change.dropped ?? this.meta.dropped,
      retire: change.retire,
      adopt: change.adopt,
    };
    writeFileAtomic(path.join(this.dir, 'meta.json'), JSON.stringify(next));
    this.meta = next;
  }

  private loadSegment(id: number): void {
    const file = this.logPath(id);
    const data = fs.readFileSync(file);
    const segment: Segment = { id, size: 0, ackSize: 0, live: 0, deadBytes: 0, evicted: 0 };
    const gone = this.loadAcks(segment);

    const { records, goodEnd } = readSegment(data);
    for (const { record, offset, length } of records) {
      this.lastSeq = Math.max(this.lastSeq, record.seq);
      if (!gone.has(record.seq) && !this.index.has(record.seq)) {
        this.index.set(record.seq, { segment, offset, length, kind: record.kind });
        segment.live += 1;
      } else {
        segment.deadBytes += length;
      }
    }
    if (goodEnd < data.length) {
      this.options.log.warn(
        { file, droppedBytes: data.length - goodEnd, records: records.length },
        'outbox segment has a torn or corrupt record; it and everything after it were dropped',
      );
    }
    if (goodEnd < data.length) fs.truncateSync(file, goodEnd);
    segment.size = goodEnd;
    this.segments.set(id, segment);
  }

  /** Seqs removed from a segment, true for an eviction. */
  private loadAcks(segment: Segment): Map<number, boolean> {
    const gone = new Map<number, boolean>();
    let data: Buffer;
    try {
      data = fs.readFileSync(this.ackPath(segment.id));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return gone;
      throw error;
    }
    const whole = data.length - (data.length % ACK_ENTRY);
    if (whole < data.length) fs.truncateSync(this.ackPath(segment.id), whole);
    for (let offset = 0; offset < whole; offset += ACK_ENTRY) {
      const value = data.readDoubleLE(offset);
      if (!Number.isSafeInteger(value) || value === 0) continue;
      if (value < 0 && !gone.has(-value)) segment.evicted += 1;
      gone.set(Math.abs(value), value < 0);
    }
    segment.ackSize = whole;
    return gone;
  }

  private roll(): void {
    const previous = this.head;
    const id = this.meta.nextSegment++;
    const segment: Segment = { id, size: 0, ackSize: 0, live: 0, deadBytes: 0, evicted: 0 };
    segment.fd = fs.openSync(this.logPath(id), 'a', 0o600);
    this.segments.set(id, segment);
    this.head = segment;
    fsyncDir(this.dir);
    if (previous?.fd !== undefined) {
      // Sync it now rather than in a later batch whose fd this close would invalidate.
      fs.fdatasyncSync(previous.fd);
      fs.closeSync(previous.fd);
      this.dirtyFds.delete(previous.fd);
      previous.fd = undefined;
      if (previous.live === 0) this.retire(previous);
    }
  }

  private retire(segment: Segment): void {
    this.closeSegment(segment);
    this.commitMeta({ retire: segment.id, dropped: this.meta.dropped + segment.evicted });
    fs.rmSync(this.logPath(segment.id), { force: true });
    fs.rmSync(this.ackPath(segment.id), { force: true });
    this.segments.delete(segment.id);
  }

  private closeSegment(segment: Segment): void {
    for (const fd of [segment.fd, segment.ackFd]) {
      if (fd === undefined) continue;
      this.dirtyFds.delete(fd);
      fs.closeSync(fd);
    }
    segment.fd = undefined;
    segment.ackFd = undefined;
  }

  /**
   * Evicted heartbeats leave dead bytes in old segments that still hold a fault. Over the bound,
   * the segment with the most dead bytes is rewritten with its live records only.
   */
  private compactIfOverBound(): void {
    for (let round = 0; round < 4 && this.usage().diskBytes > this.options.maxBytes; round++) {
      let worst: Segment | undefined;
      for (const segment of this.segments.values()) {
        if (segment === this.head) continue;
        if (!worst || segment.deadBytes > worst.deadBytes) worst = segment;
      }
      if (!worst || worst.deadBytes < worst.size / 4) return;
      this.compact(worst);
    }
  }

  private compact(old: Segment): void {
    const moved = [...this.index.entries()].filter(([, location]) => location.segment === old).sort(([a], [b]) => a - b);
    const data = fs.readFileSync(this.logPath(old.id));
    const id = this.meta.nextSegment++;
    const replacement: Segment = { id, size: 0, ackSize: 0, live: moved.length, deadBytes: 0, evicted: 0 };
    const parts = moved.map(([, location]) => data.subarray(location.offset, location.offset + location.length));
    const tmp = `${this.logPath(id)}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      writeAll(fd, Buffer.concat(parts));
      fs.fsyncSync(fd);
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    } finally {
      fs.closeSync(fd);
    }

    this.closeSegment(old);
    this.commitMeta({ retire: old.id, adopt: id, dropped: this.meta.dropped + old.evicted });
    fs.renameSync(tmp, this.logPath(id));
    fs.rmSync(this.logPath(old.id), { force: true });
    fs.rmSync(this.ackPath(old.id), { force: true });
    fsyncDir(this.dir);

    this.segments.delete(old.id);
    this.segments.set(id, replacement);
    for (const [seq, location] of moved) {
      this.index.set(seq, { segment: replacement, offset: replacement.size, length: location.length, kind: location.kind });
      replacement.size += location.length;
    }
  }
}

function writeAll(fd: number, buffer: Buffer): void {
  let written = 0;
  while (written < buffer.length) written += fs.writeSync(fd, buffer, written, buffer.length - written);
}
