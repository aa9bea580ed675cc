import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { OutboxRecord, OutboxStore } from './store.js';

/**
 * The contract every outbox store keeps; each implementation runs it (store.test.ts).
 * `reopen` gives the store as the next process would find it after a clean stop (for the memory
 * store, itself); `crash` as it would find it after this process was killed at this instant:
 * nothing closed, nothing synced, only what the calls so far have done.
 */
export interface StoreFixture {
  store: OutboxStore;
  reopen(): Promise<OutboxStore>;
  crash(): Promise<OutboxStore>;
  cleanup(): void;
}

const record = (seq: number, kind: OutboxRecord['kind'] = 'heartbeat', correlationData?: Buffer): OutboxRecord => ({
  seq,
  kind,
  payload: Buffer.from(JSON.stringify({ seq, ts: 1_795_370_000_000 + seq, body: 'x'.repeat(seq % 7) })),
  correlationData,
});

export function outboxStoreContract(make: () => Promise<StoreFixture>): void {
  async function withStore(test: (fixture: StoreFixture) => Promise<void>) {
    const fixture = await make();
    try {
      await test(fixture);
    } finally {
      fixture.cleanup();
    }
  }

  it('opens empty', () =>
    withStore(async ({ store }) => {
      expect(await store.open()).toMatchObject({ pending: [], lastSeq: 0, dropped: 0 });
    }));

  it('gives back what was appended, byte for byte, with its correlation data', () =>
    withStore(async ({ store }) => {
      await store.open();
      const reply = record(2, 'reply', Buffer.from([0, 1, 2, 255]));
      store.append(record(1));
      store.append(reply);
      expect(store.read(2)).toEqual(reply);
      expect(store.read(1).correlationData).toBeUndefined();
    }));

  it('refuses a seq twice', () =>
    withStore(async ({ store }) => {
      await store.open();
      store.append(record(1));
      expect(() => store.append(record(1))).toThrow();
    }));

  it('keeps records in seq order across a reopen, without the removed ones', () =>
    withStore(async ({ store, reopen }) => {
      await store.open();
      for (let seq = 1; seq <= 6; seq++) store.append(record(seq, seq === 3 ? 'fault' : 'heartbeat'));
      store.remove(1, 'acked');
      store.remove(4, 'evicted');
      await store.sync();
      await store.close();
      const next = await reopen();
      const state = await next.open();
      expect(state.pending.map((info) => [info.seq, info.kind])).toEqual([
        [2, 'heartbeat'],
        [3, 'fault'],
        [5, 'heartbeat'],
        [6, 'heartbeat'],
      ]);
      expect(state.lastSeq).toBe(6);
      expect(state.dropped).toBe(1);
      expect(next.read(3)).toEqual(record(3, 'fault'));
      await next.close();
    }));

  it('remembers the last seq when every record has been acknowledged', () =>
    withStore(async ({ store, reopen }) => {
      await store.open();
      for (let seq = 1; seq <= 40; seq++) store.append(record(seq));
      for (let seq = 1; seq <= 40; seq++) store.remove(seq, 'acked');
      await store.close();
      const state = await (await reopen()).open();
      expect(state.pending).toEqual([]);
      expect(state.lastSeq).toBe(40);
    }));

  it('counts evictions, not acknowledgements, in dropped', () =>
    withStore(async ({ store }) => {
      await store.open();
      for (let seq = 1; seq <= 5; seq++) store.append(record(seq));
      store.remove(1, 'evicted');
      store.remove(2, 'evicted');
      store.remove(3, 'acked');
      store.remove(3, 'evicted'); // already gone: nothing happens
      await store.close();
      expect((await store.open()).dropped).toBe(2);
    }));

  it('keeps every record whose append returned across a crash, before any sync or close', () =>
    withStore(async ({ store, crash }) => {
      await store.open();
      const kinds = ['heartbeat', 'fault', 'reply'] as const;
      const appended = Array.from({ length: 30 }, (_, i) => record(i + 1, kinds[i % 3], i % 3 === 2 ? Buffer.from([i]) : undefined));
      for (const each of appended) store.append(each);
      const after = await crash();
      const state = await after.open();
      expect(state.pending.map((info) => info.seq)).toEqual(appended.map((each) => each.seq));
      expect(state.pending.map((info) => info.kind)).toEqual(appended.map((each) => each.kind));
      for (const each of appended) expect(after.read(each.seq)).toEqual(each);
      expect(state.lastSeq).toBe(30);
    }));

  it('after a crash, a removed record is gone or back for a redelivery, and nothing else changes', () =>
    withStore(async ({ store, crash }) => {
      await store.open();
      for (let seq = 1; seq <= 20; seq++) store.append(record(seq, seq % 5 === 0 ? 'fault' : 'heartbeat'));
      const removed = new Set([1, 2, 3, 7, 11, 12, 19]);
      for (const seq of removed) store.remove(seq, 'acked');
      const after = await crash();
      const pending = (await after.open()).pending.map((info) => info.seq);
      for (let seq = 1; seq <= 20; seq++) if (!removed.has(seq)) expect(pending).toContain(seq);
      expect(pending).toEqual([...pending].sort((a, b) => a - b));
      for (const seq of pending) expect(after.read(seq)).toEqual(record(seq, seq % 5 === 0 ? 'fault' : 'heartbeat'));
    }));

  it('never hands out a seq again: the last seq survives a crash after everything was removed', () =>
    withStore(async ({ store, crash }) => {
      await store.open();
      for (let seq = 1; seq <= 40; seq++) store.append(record(seq));
      for (let seq = 1; seq <= 40; seq++) store.remove(seq, seq % 2 === 0 ? 'evicted' : 'acked');
      const state = await (await crash()).open();
      expect(state.lastSeq).toBeGreaterThanOrEqual(40);
    }));

  it('gives records back in seq order, also those appended out of order (kept in memory while the disk was full)', () =>
    withStore(async ({ store, reopen }) => {
      await store.open();
      for (const seq of [5, 3, 9, 1, 4]) store.append(record(seq, seq === 3 ? 'fault' : 'heartbeat'));
      await store.close();
      const next = await reopen();
      const state = await next.open();
      expect(state.pending.map((info) => info.seq)).toEqual([1, 3, 4, 5, 9]);
      expect(state.lastSeq).toBe(9);
      expect(next.read(3)).toEqual(record(3, 'fault'));
    }));

  it('counts an eviction once, however often the store is reopened or crashes', () =>
    withStore(async ({ store, reopen, crash }) => {
      await store.open();
      for (let seq = 1; seq <= 5; seq++) store.append(record(seq));
      store.remove(2, 'evicted');
      store.remove(4, 'evicted');
      let current = await crash();
      expect((await current.open()).dropped).toBe(2);
      current = await crash();
      expect((await current.open()).dropped).toBe(2);
      await current.close();
      current = await reopen();
      expect((await current.open()).dropped).toBe(2);
      await current.close();
    }));

  it('agrees with a model queue under any mix of appends, removals, syncs, restarts and crashes', () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('append' as const), kind: fc.constantFrom('heartbeat', 'fault', 'reply'), size: fc.nat(300) }),
            fc.record({ op: fc.constant('remove' as const), pick: fc.nat(), evict: fc.boolean() }),
            fc.constant({ op: 'sync' as const }),
            fc.constant({ op: 'restart' as const }),
            fc.constant({ op: 'crash' as const }),
          ),
          { maxLength: 60 },
        ),
        async (operations) => {
          const fixture = await make();
          try {
            let store = fixture.store;
            await store.open();
            const model = new Map<number, OutboxRecord>();
            let lastSeq = 0;
            let evictions = 0;
            for (const operation of operations) {
              if (operation.op === 'append') {
                const seq = ++lastSeq;
                const each: OutboxRecord = { seq, kind: operation.kind, payload: Buffer.from(JSON.stringify({ seq, pad: 'p'.repeat(operation.size) })) };
                store.append(each);
                model.set(seq, each);
              } else if (operation.op === 'remove') {
                const seqs = [...model.keys()];
                if (seqs.length === 0) continue;
                const seq = seqs[operation.pick % seqs.length]!;
                store.remove(seq, operation.evict ? 'evicted' : 'acked');
                model.delete(seq);
                if (operation.evict) evictions += 1;
              } else if (operation.op === 'sync') {
                await store.sync();
              } else {
                if (operation.op === 'restart') await store.close();
                store = operation.op === 'restart' ? await fixture.reopen() : await fixture.crash();
                const state = await store.open();
                const pending = state.pending.map((info) => info.seq);
                expect(pending).toEqual([...pending].sort((a, b) => a - b));
                expect(state.lastSeq).toBeGreaterThanOrEqual(lastSeq);
                expect(state.dropped).toBeLessThanOrEqual(evictions);
                for (const seq of model.keys()) expect(pending).toContain(seq);
                if (operation.op === 'restart') {
                  expect(pending).toEqual([...model.keys()].sort((a, b) => a - b));
                  expect(state.dropped).toBe(evictions);
                }
                // What a crash brought back (a lost acknowledgement) is pending again, byte for byte.
                for (const info of state.pending) {
                  const back = store.read(info.seq);
                  expect(back.seq).toBe(info.seq);
                  if (model.has(info.seq)) expect(back).toEqual(model.get(info.seq));
                  model.set(info.seq, back);
                }
                evictions = state.dropped;
              }
            }
            await store.close();
          } finally {
            fixture.cleanup();
          }
        },
      ),
      { numRuns: 60 },
    ));

  it('accounts the bytes of waiting records', () =>
    withStore(async ({ store }) => {
      await store.open();
      store.append(record(1));
      store.append(record(2));
      const before = store.usage().liveBytes;
      expect(before).toBeGreaterThan(0);
      store.remove(1, 'acked');
      expect(store.usage().liveBytes).toBeLessThan(before);
    }));
}
