import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { Outbox } from './outbox.js';
import { MemoryStore } from './store.js';

async function outbox(maxBytes = 1024 * 1024, store = new MemoryStore()) {
  const { log, records } = memoryLog();
  return { outbox: await Outbox.open({ store, maxBytes, log }), store, logs: records };
}

/** The seqs the outbox tells its store to remove as evicted, in the order it does. */
function watchEvictions(store: MemoryStore): number[] {
  const evicted: number[] = [];
  const remove = store.remove.bind(store);
  store.remove = (seq, reason) => {
    if (reason === 'evicted') evicted.push(seq);
    remove(seq, reason);
  };
  return evicted;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Everything takeable now, in the order the uplink would send it. */
function takeAll(box: Outbox): number[] {
  const seqs: number[] = [];
  for (let record = box.take(); record; record = box.take()) seqs.push(record.seq);
  return seqs;
}

describe('outbox', () => {
  it('gives every message the next seq and builds it with that seq', async () => {
    const { outbox: box } = await outbox();
    const first = box.enqueue('heartbeat', (seq) => ({ seq, kind: 'hb' }));
    const second = box.enqueue('fault', (seq) => ({ seq, kind: 'fault' }));
    expect([first, second]).toEqual([1, 2]);
    await box.flush();
    const record = box.take()!;
    expect(JSON.parse(record.payload.toString())).toEqual({ seq: 1, kind: 'hb' });
  });

  it('sends nothing before its fsync, then everything in seq order', async () => {
    const { outbox: box } = await outbox();
    for (let i = 0; i < 3; i++) box.enqueue('heartbeat', (seq) => ({ seq }));
    expect(box.take()).toBeUndefined();
    await box.flush();
    expect(takeAll(box)).toEqual([1, 2, 3]);
  });

  it('keeps a message until it is acknowledged; a lost connection sends it again, in order', async () => {
    const { outbox: box } = await outbox();
    for (let i = 0; i < 4; i++) box.enqueue('fault', (seq) => ({ seq }));
    await box.flush();
    expect(takeAll(box)).toEqual([1, 2, 3, 4]);
    box.ack(1);
    box.ack(2);
    box.releaseAll();
    expect(takeAll(box)).toEqual([3, 4]);
    expect(box.depth).toBe(2);
  });

  it('evicts the oldest heartbeats at its bound, never a fault or a reply, and counts them', async () => {
    const { outbox: box, store, logs } = await outbox(64 * 1024);
    const evicted = watchEvictions(store);
    const pad = 'x'.repeat(1000);
    box.enqueue('fault', (seq) => ({ seq, pad }));
    for (let i = 0; i < 80; i++) box.enqueue(i % 20 === 0 ? 'reply' : 'heartbeat', (seq) => ({ seq, pad }));
    await box.flush();
    const left = takeAll(box);
    expect(box.droppedCount).toBeGreaterThan(0);
    expect(left).toContain(1);
    for (const reply of [2, 22, 42, 62]) expect(left).toContain(reply);
    // The survivors are the newest heartbeats: whatever went, went from the front.
    const isHeartbeat = (seq: number) => seq !== 1 && (seq - 2) % 20 !== 0;
    const survivors = left.filter(isHeartbeat);
    const allAfterFirstSurvivor = Array.from({ length: 81 }, (_, i) => i + 1).filter((seq) => isHeartbeat(seq) && seq >= survivors[0]!);
    expect(survivors).toEqual(allAfterFirstSurvivor);
    expect(box.droppedCount + left.length).toBe(81);
    // Seen going: exactly the heartbeats that are not left, oldest first, each counted and logged.
    expect(evicted).toEqual(range(1, 81).filter((seq) => !left.includes(seq)));
    expect(evicted.every(isHeartbeat)).toBe(true);
    expect(box.droppedCount).toBe(evicted.length);
    expect(logs.filter((line) => line.msg.includes('oldest heartbeats evicted')).flatMap((line) => line.evicted as number[])).toEqual(evicted);
    expect(box.figures().liveBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('does not evict a heartbeat that is on its way to the broker', async () => {
    const { outbox: box, store } = await outbox(64 * 1024);
    const evicted = watchEvictions(store);
    const pad = 'x'.repeat(1000);
    box.enqueue('heartbeat', (seq) => ({ seq, pad }));
    await box.flush();
    expect(box.take()!.seq).toBe(1);
    for (let i = 0; i < 80; i++) box.enqueue('heartbeat', (seq) => ({ seq, pad }));
    // The oldest heartbeats went, from the one after the message in flight on.
    expect(evicted.length).toBeGreaterThan(0);
    expect(evicted).toEqual(range(2, evicted.length + 1));
    expect(box.droppedCount).toBe(evicted.length);
    // The one in flight is acknowledged; what is left to send is what was not evicted.
    box.ack(1);
    await box.flush();
    expect(takeAll(box)).toEqual(range(evicted.length + 2, 81));
  });

  it('writes a saved fault raise under its own seq after a restart, and refuses to go back', async () => {
    const store = new MemoryStore();
    const first = (await outbox(undefined, store)).outbox;
    first.enqueue('heartbeat', (seq) => ({ seq }));
    const reserved = first.reserve(); // the raise whose message never got written
    expect(reserved).toBe(2);

    const second = (await outbox(undefined, store)).outbox;
    expect(second.lastWrittenSeq).toBe(1);
    second.put(reserved, 'fault', { seq: reserved });
    expect(second.enqueue('heartbeat', (seq) => ({ seq }))).toBe(3);
    expect(() => second.put(2, 'fault', {})).toThrow();
  });

  it('keeps messages in memory while the store cannot write them, says so once, and stores them when it can again', async () => {
    const store = new MemoryStore();
    const append = store.append.bind(store);
    let full = true;
    store.append = (record) => {
      if (full) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      append(record);
    };
    const { outbox: box, logs } = await outbox(undefined, store);
    for (let i = 0; i < 3; i++) box.enqueue('fault', (seq) => ({ seq }));
    expect(takeAll(box)).toEqual([1, 2, 3]);
    box.ack(1);
    box.releaseAll();
    expect(box.depth).toBe(2);
    expect(logs.filter((line) => line.level === 50 && /cannot write to the state folder/.test(line.msg))).toHaveLength(1);

    full = false;
    box.enqueue('heartbeat', (seq) => ({ seq }));
    expect(logs.some((line) => line.level === 30 && /writes to the state folder again/.test(line.msg))).toBe(true);
    // The two that waited in memory are on disk now, beside the new one: a restart keeps them.
    expect((await store.open()).pending.map((info) => info.seq)).toEqual([2, 3, 4]);
    await box.flush();
    expect(takeAll(box)).toEqual([2, 3, 4]);
  });

  it('survives a store that cannot record an acknowledgement or an eviction (a full disk)', async () => {
    const store = new MemoryStore();
    const { outbox: box, logs } = await outbox(64 * 1024, store);
    const pad = 'x'.repeat(1000);
    for (let i = 0; i < 3; i++) box.enqueue('heartbeat', (seq) => ({ seq, pad }));
    await box.flush();
    const remove = store.remove.bind(store);
    store.remove = (seq, reason) => {
      remove(seq, reason);
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    expect(takeAll(box)).toEqual([1, 2, 3]);
    expect(() => box.ack(1)).not.toThrow();
    for (let i = 0; i < 80; i++) box.enqueue('heartbeat', (seq) => ({ seq, pad }));
    expect(box.droppedCount).toBeGreaterThan(0);
    expect(box.figures().liveBytes).toBeLessThanOrEqual(64 * 1024);
    expect(logs.filter((line) => line.level === 50 && /cannot record that a message is gone/.test(line.msg))).toHaveLength(1);
  });
});
