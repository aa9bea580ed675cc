import type { SequencedKind } from '../../protocol/messages.js';

/**
 * Where the outbox keeps its messages. Two implementations (a file store for terminals, a memory
 * store for tests and fleet simulation) run through one contract suite (store.contract.ts).
 */

export interface OutboxRecord {
  seq: number;
  kind: SequencedKind;
  payload: Buffer;
  /** MQTT 5 request/response data that must travel with a reply, also when it is drained later. */
  correlationData?: Buffer;
}

/** What the outbox keeps in memory of a record that waits: no payload. */
export interface RecordInfo {
  seq: number;
  kind: SequencedKind;
  bytes: number;
}

export interface StoreState {
  /** Records not yet acknowledged or evicted, in seq order. */
  pending: RecordInfo[];
  /** The highest seq ever appended or protected, also of records long acknowledged: seq is never reused. */
  lastSeq: number;
  /**
   * The highest seq whose record is known to have been written (a raise above it, saved as active
   * before its record, was never written and is written again); lastSeq when left out.
   */
  writtenSeq?: number;
  /** Heartbeats evicted under the size bound, over the store's whole life. */
  dropped: number;
}

export interface OutboxStore {
  open(): Promise<StoreState>;
  /** When it returns, the record survives a crash of this process (not yet a power cut: see sync). */
  append(record: OutboxRecord): void;
  read(seq: number): OutboxRecord;
  /** Removes a record after its PUBACK (`acked`) or under the size bound (`evicted`, counted in dropped). */
  remove(seq: number, reason: 'acked' | 'evicted'): void;
  /**
   * Keeps a seq from being handed out again although no record holds it: a message the store could
   * not append (a full disk) that is sent from memory. Throws when it cannot.
   */
  protectSeq?(seq: number): void;
  /** Makes everything appended and removed so far survive a power cut. */
  sync(): Promise<void>;
  /** Bytes of the records that wait, and bytes the store occupies (for the size bound). */
  usage(): { liveBytes: number; diskBytes: number };
  close(): Promise<void>;
}

export class MemoryStore implements OutboxStore {
  private readonly records = new Map<number, OutboxRecord>();
  private lastSeq = 0;
  private dropped = 0;
  private liveBytes = 0;

  async open(): Promise<StoreState> {
    const pending = [...this.records.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((record) => ({ seq: record.seq, kind: record.kind, bytes: recordBytes(record) }));
    return { pending, lastSeq: this.lastSeq, dropped: this.dropped };
  }

  append(record: OutboxRecord): void {
    if (this.records.has(record.seq)) throw new Error(`seq ${record.seq} is already in the outbox`);
    this.records.set(record.seq, record);
    this.lastSeq = Math.max(this.lastSeq, record.seq);
    this.liveBytes += recordBytes(record);
  }

  read(seq: number): OutboxRecord {
    const record = this.records.get(seq);
    if (!record) throw new Error(`seq ${seq} is not in the outbox`);
    return record;
  }

  remove(seq: number, reason: 'acked' | 'evicted'): void {
    const record = this.records.get(seq);
    if (!record) return;
    this.records.delete(seq);
    this.liveBytes -= recordBytes(record);
    if (reason === 'evicted') this.dropped += 1;
  }

  async sync(): Promise<void> {}

  usage() {
    return { liveBytes: this.liveBytes, diskBytes: this.liveBytes };
  }

  async close(): Promise<void> {}
}

export function recordBytes(record: OutboxRecord): number {
  return record.payload.length + (record.correlationData?.length ?? 0);
}
