import type { OutboxFigures } from '../../protocol/status.js';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { SequencedKind } from '../../protocol/messages.js';
import { errnoCode, errorMessage } from '../../basics/errors.js';
import { segmentBytesFor } from './file-store.js';
import type { OutboxRecord, OutboxStore } from './store.js';

/**
 * Every heartbeat, fault and reply passes through here (SPEC.md section 4, outbox): it gets its
 * seq, is written to the store, becomes sendable once a batched fsync has made it last, and is
 * removed only when the broker acknowledged it. Over the size bound the oldest heartbeats go
 * first, never a fault or a reply.
 */

interface Pending {
  seq: number;
  kind: SequencedKind;
  bytes: number;
  inFlight: boolean;
  /** Kept in memory while it is fresh, so a healthy terminal never reads its outbox back. */
  payload?: Buffer;
  correlationData?: Buffer;
  /** The store refused it (a full disk): it lives in memory only, and says so in the log. */
  volatile?: boolean;
}

export interface OutboxOptions {
  store: OutboxStore;
  maxBytes: number;
  log: Logger;
}

export type { OutboxFigures } from '../../protocol/status.js';

const CACHE_BYTES = 256 * 1024;

export class Outbox extends EventEmitter<{ ready: [] }> {
  private readonly pending = new Map<number, Pending>();
  private nextSeq = 1;
  private written = 0;
  private dropped = 0;
  private durableSeq = 0;
  private cachedBytes = 0;
  private volatileBytes = 0;
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private readonly evictAbove: number;
  /** Over the bound with nothing left to evict: said once, until it is under again. */
  private faultsOverBound = false;
  /** Why each kind of store write fails (a full disk): logged once, not per message. */
  private readonly storeFailing = new Map<'append' | 'remove' | 'protect', string>();

  private constructor(private readonly options: OutboxOptions) {
    super();
    // Room for the segment being written and one being compacted.
    this.evictAbove = Math.max(options.maxBytes / 2, options.maxBytes - 2 * segmentBytesFor(options.maxBytes));
  }

  static async open(options: OutboxOptions): Promise<Outbox> {
    const outbox = new Outbox(options);
    const state = await options.store.open();
    for (const info of state.pending) outbox.pending.set(info.seq, { ...info, inFlight: false });
    outbox.written = state.writtenSeq ?? state.lastSeq;
    outbox.nextSeq = state.lastSeq + 1;
    outbox.durableSeq = outbox.written;
    outbox.dropped = state.dropped;
    return outbox;
  }

  /** The highest seq written to the store; a reserved seq above it was never written. */
  get lastWrittenSeq(): number {
    return this.written;
  }

  get depth(): number {
    return this.pending.size;
  }

  figures(): OutboxFigures {
    const usage = this.options.store.usage();
    let inFlight = 0;
    for (const entry of this.pending.values()) if (entry.inFlight) inFlight += 1;
    return {
      depth: this.pending.size,
      dropped: this.dropped,
      inFlight,
      liveBytes: usage.liveBytes + this.volatileBytes,
      diskBytes: usage.diskBytes,
      lastSeq: this.nextSeq - 1,
    };
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** Takes the next seq for a message that is about to be built. */
  reserve(): number {
    return this.nextSeq++;
  }

  /** Creates and stores a message; `build` receives its seq. */
  enqueue(kind: SequencedKind, build: (seq: number) => object, correlationData?: Buffer): number {
    const seq = this.reserve();
    this.put(seq, kind, build(seq), correlationData);
    return seq;
  }

  /**
   * Stores a message under a seq from reserve(), or under a seq above everything written (a fault
   * raise that was saved but not yet written when the agent last stopped).
   */
  put(seq: number, kind: SequencedKind, message: object, correlationData?: Buffer): void {
    if (seq <= this.written || this.pending.has(seq)) throw new Error(`seq ${seq} is not above the outbox's last seq ${this.written}`);
    const payload = Buffer.from(JSON.stringify(message));
    const entry: Pending = { seq, kind, bytes: payload.length, inFlight: false, payload, correlationData };
    this.written = seq;
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
    this.pending.set(seq, entry);
    if (this.storeWrite('append', () => this.options.store.append({ seq, kind, payload, correlationData }))) {
      this.cache(entry);
      if (this.volatileBytes > 0) this.persistVolatile();
    } else {
      entry.volatile = true;
      this.volatileBytes += payload.length;
      // Sent from memory, its seq must not come back after a restart.
      this.storeWrite('protect', () => this.options.store.protectSeq?.(seq));
    }
    this.evictOverBound();
    this.scheduleSync();
  }

  /** The oldest record that is durable and not already on its way; marks it in flight. */
  take(): OutboxRecord | undefined {
    for (const entry of this.pending.values()) {
      if (entry.inFlight) continue;
      if (entry.seq > this.durableSeq && !entry.volatile) return undefined;
      entry.inFlight = true;
      if (entry.payload) return { seq: entry.seq, kind: entry.kind, payload: entry.payload, correlationData: entry.correlationData };
      return this.options.store.read(entry.seq);
    }
    return undefined;
  }

  /** The broker has it (PUBACK): it can go. */
  ack(seq: number): void {
    const entry = this.pending.get(seq);
    if (!entry) return;
    this.forget(entry);
    // An acknowledgement that cannot be written only means a redelivery after a restart.
    if (!entry.volatile) this.storeWrite('remove', () => this.options.store.remove(seq, 'acked'));
  }

  /** The connection went before its PUBACK: it will be sent again, in order. */
  release(seq: number): void {
    const entry = this.pending.get(seq);
    if (entry) entry.inFlight = false;
  }

  releaseAll(): void {
    for (const entry of this.pending.values()) entry.inFlight = false;
  }

  /** Resolves when everything written so far survives a power cut. */
  async flush(): Promise<void> {
    while (this.syncing || this.durableSeq < this.written) {
      if (!this.syncing) this.scheduleSync();
      await this.syncing;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.options.store.close();
  }

  private forget(entry: Pending): void {
    this.pending.delete(entry.seq);
    if (entry.payload && !entry.volatile) this.cachedBytes -= entry.payload.length;
    if (entry.volatile) this.volatileBytes -= entry.bytes;
  }

  private cache(entry: Pending): void {
    this.cachedBytes += entry.bytes;
    if (this.cachedBytes <= CACHE_BYTES) return;
    for (const older of this.pending.values()) {
      if (this.cachedBytes <= CACHE_BYTES / 2) break;
      if (!older.payload || older.volatile || older === entry) continue;
      this.cachedBytes -= older.payload.length;
      older.payload = undefined;
      older.correlationData = undefined;
    }
  }

  private evictOverBound(): void {
    let live = this.options.store.usage().liveBytes + this.volatileBytes;
    if (live <= this.evictAbove) {
      this.faultsOverBound = false;
      return;
    }
    const evicted: number[] = [];
    for (const entry of this.pending.values()) {
      if (live <= this.evictAbove) break;
      if (entry.kind !== 'heartbeat' || entry.inFlight) continue;
      const before = this.options.store.usage().liveBytes;
      this.forget(entry);
      if (entry.volatile) live -= entry.bytes;
      else {
        this.storeWrite('remove', () => this.options.store.remove(entry.seq, 'evicted'));
        live -= before - this.options.store.usage().liveBytes;
      }
      this.dropped += 1;
      evicted.push(entry.seq);
    }
    if (evicted.length > 0) {
      this.options.log.warn({ evicted, dropped: this.dropped, depth: this.pending.size }, 'outbox is at its size bound; oldest heartbeats evicted');
    }
    if (live > this.evictAbove && !this.faultsOverBound) {
      this.options.log.error({ liveBytes: live, maxBytes: this.options.maxBytes }, 'outbox is over its bound with faults and replies only; nothing is evicted');
    }
    this.faultsOverBound = live > this.evictAbove;
  }

  /**
   * Runs one write to the store. A failure (ENOSPC, EIO) is logged when it starts and when it
   * ends, not for every message of a full disk; the caller keeps the message in memory.
   */
  private storeWrite(operation: 'append' | 'remove' | 'protect', write: () => void): boolean {
    try {
      write();
    } catch (error) {
      const code = errnoCode(error) ?? errorMessage(error);
      if (this.storeFailing.get(operation) !== code) {
        this.options.log.error(
          { operation, err: errorMessage(error), depth: this.pending.size },
          operation === 'append'
            ? 'outbox cannot write to the state folder; messages are kept in memory until they are sent or the folder is writable again, and are lost if the agent stops meanwhile'
            : operation === 'remove'
              ? 'outbox cannot record that a message is gone; it may be sent again after a restart'
              : 'outbox cannot save the seq of a message kept in memory; it may be used again after a restart',
        );
      }
      this.storeFailing.set(operation, code);
      return false;
    }
    if (this.storeFailing.delete(operation)) this.options.log.info({ operation }, 'outbox writes to the state folder again');
    return true;
  }

  /** Messages kept in memory while the store could not write them go to disk once it can. */
  private persistVolatile(): void {
    for (const entry of this.pending.values()) {
      if (!entry.volatile || !entry.payload) continue;
      const { seq, kind, payload, correlationData } = entry;
      if (!this.storeWrite('append', () => this.options.store.append({ seq, kind, payload, correlationData }))) return;
      entry.volatile = false;
      this.volatileBytes -= entry.bytes;
      this.cachedBytes += entry.bytes;
    }
  }

  /** One fdatasync for every record written while the previous one ran (group commit). */
  private scheduleSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    const upTo = this.written;
    this.syncing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.options.store.sync())
      .catch((error: unknown) => {
        this.options.log.error({ err: errorMessage(error) }, 'outbox fsync failed; records are written but may not survive a power cut');
      })
      .then(() => {
        this.durableSeq = Math.max(this.durableSeq, upTo);
        this.syncing = undefined;
        if (this.syncAgain || this.durableSeq < this.written) {
          this.syncAgain = false;
          this.scheduleSync();
        }
        this.emit('ready');
      });
  }
}
