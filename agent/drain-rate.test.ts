import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../basics/clock.js';
import { terminalTopics } from '../protocol/topics.js';
import { memoryLog } from '../test/helpers/log.js';
import { parseConfig } from './config.js';
import { DrainRate } from './drain-rate.js';
import type { MqttLink } from './mqtt-link.js';
import { Outbox } from './outbox/outbox.js';
import { MemoryStore } from './outbox/store.js';
import { Uplink } from './uplink.js';

/** The drain rate cap (`mqtt.drainBytesPerSecond`) on vitest's fake clock. */

/** A link that is up and acknowledges every publish at once, noting when each went. */
class AckingLink extends EventEmitter {
  isUp = false;
  readonly sent: { at: number; bytes: number; retain: boolean; seq?: number }[] = [];
  publish(topic: string, payload: Buffer, options: { retain?: boolean } = {}): Promise<void> {
    const { seq } = JSON.parse(String(payload)) as { seq?: number };
    this.sent.push({ at: Date.now(), bytes: payload.length + Buffer.byteLength(topic), retain: options.retain ?? false, seq });
    return Promise.resolve();
  }
}

beforeEach(() => vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'performance'] }));
afterEach(() => vi.useRealTimers());

describe('the drain rate cap', () => {
  it('is off by default, and refuses a cap below 100 B/s', () => {
    const base = { terminalId: 'T-1', mqtt: { url: 'mqtts://broker.example' } };
    const parsed = parseConfig(base, {});
    expect(parsed.ok && parsed.config.mqtt.drainBytesPerSecond).toBeUndefined();
    const low = parseConfig({ ...base, mqtt: { ...base.mqtt, drainBytesPerSecond: 10 } }, {});
    expect(low.ok ? [] : low.problems.map((problem) => problem.path)).toEqual(['mqtt.drainBytesPerSecond']);
  });

  it('lets a message go at once on a quiet link and holds the next until the debt is paid', () => {
    const rate = new DrainRate(1_000, systemClock);
    expect(rate.waitMs()).toBe(0);
    rate.spend(3_000);
    expect(rate.waitMs()).toBe(2_001);
    vi.advanceTimersByTime(2_001);
    expect(rate.waitMs()).toBe(0);
    // A long quiet spell saves up one second's worth, no more.
    vi.advanceTimersByTime(60_000);
    rate.spend(1_000);
    expect(rate.waitMs()).toBeGreaterThan(0);
  });

  it('drains a backlog after an outage at the cap on average, in seq order', async () => {
    const { log } = memoryLog();
    const outbox = await Outbox.open({ store: new MemoryStore(), maxBytes: 1024 * 1024, log });
    const link = new AckingLink();
    new Uplink({
      link: link as unknown as MqttLink,
      outbox,
      topics: terminalTopics('pos/v1', 'T-1'),
      clock: systemClock,
      log,
      birth: () => ({ online: true, ts: Date.now(), session: 1, boot: 'b', agentVersion: '0', heartbeatSeconds: 900, devices: [], restart: 'first' }),
      drainBytesPerSecond: 500,
    });
    const payload = 'x'.repeat(200);
    for (let i = 0; i < 50; i++) outbox.enqueue('heartbeat', (seq) => ({ seq, payload }));
    await outbox.flush();
    const startedAt = Date.now();
    link.isUp = true;
    link.emit('up');
    for (let second = 0; second < 60 && link.sent.filter((s) => !s.retain).length < 50; second++) await vi.advanceTimersByTimeAsync(1_000);
    const sequenced = link.sent.filter((sent) => !sent.retain);
    expect(sequenced).toHaveLength(50);
    const bytes = sequenced.reduce((sum, sent) => sum + sent.bytes, 0);
    const seconds = (sequenced.at(-1)!.at - startedAt) / 1000;
    // One second's worth and one message may go at once; the rest at no more than the cap.
    expect((bytes - 500 - sequenced[0]!.bytes) / seconds).toBeLessThan(501);
    expect(sequenced.map((sent) => sent.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(bytes / seconds).toBeGreaterThan(400);
    expect(outbox.depth).toBe(0);
  });
});
