import { expect, it } from 'vitest';
import type { OutboxRecord, OutboxStore } from './store.js';

/**
 * The contract every outbox store keeps; each implementation runs it (store.test.ts).
 * `reopen` gives the store as the next process would find it (for the memory store, itself).
 */
export interface StoreFixture {
  store: OutboxStore;
  reopen(): Promise<OutboxStore>;
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
      expect(await store.open()).toEqual({ pending: [], lastSeq: 0, dropped: 0 });
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
