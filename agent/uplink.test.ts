import { EventEmitter } from 'node:events';
import { ErrorWithReasonCode } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TEST_PAN, TEST_PAN_MASKED } from '../test/helpers/cardholder.js';
import { memoryLog } from '../test/helpers/log.js';
import type { FaultMessage, HeartbeatMessage, ReplyMessage } from '../protocol/messages.js';
import { terminalTopics } from '../protocol/topics.js';
import { systemClock } from '../basics/clock.js';
import type { MqttLink, PublishOptions } from './mqtt-link.js';
import { Outbox } from './outbox/outbox.js';
import { MemoryStore } from './outbox/store.js';
import { Uplink } from './uplink.js';

interface Sent {
  topic: string;
  json: { seq?: number };
  retain: boolean;
  resolve(): void;
  reject(error: Error): void;
}

/** Plays the MQTT link: the test decides when the connection is up and what each PUBACK says. */
class FakeLink extends EventEmitter {
  isUp = false;
  readonly sent: Sent[] = [];
  private readonly waiting = new Set<Sent>();

  publish(topic: string, payload: Buffer | string, options: PublishOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const sent: Sent = {
        topic,
        json: JSON.parse(String(payload)),
        retain: options.retain ?? false,
        resolve: () => (this.waiting.delete(sent), resolve()),
        reject: (error) => (this.waiting.delete(sent), reject(error)),
      };
      this.sent.push(sent);
      this.waiting.add(sent);
    });
  }

  up() {
    this.isUp = true;
    this.emit('up');
  }

  down() {
    this.isUp = false;
    this.emit('down');
    for (const sent of [...this.waiting]) sent.reject(new Error('connection lost before PUBACK'));
  }

  /** Sequenced messages sent so far, as their seqs. */
  seqs(): number[] {
    return this.sent.filter((sent) => !sent.retain).map((sent) => sent.json.seq!);
  }

  unanswered(): Sent[] {
    return [...this.waiting].filter((sent) => !sent.retain);
  }
}

const JUST_BELOW_ONE = 1 - Number.EPSILON;

/** Messages as the table types them, with only what a test looks at filled in. */
const heartbeat = (seq: number): HeartbeatMessage => ({ seq, ts: 0, availability: 'IN_SERVICE', reasons: [], outbox: { depth: 0, dropped: 0 } });
const fault = (seq: number, detail: Record<string, unknown> = {}): FaultMessage => ({
  seq, ts: 0, id: `f-${seq}`, device: 'printer', code: 'PRINTER_PAPER_OUT', severity: 'critical', state: 'raised', raisedAt: 0, message: 'Printer is out of paper', detail,
});
const reply = (seq: number, data: unknown): ReplyMessage => ({ seq, ts: 0, id: 'c-1', ok: true, data, part: 1, parts: 1 });
const topics = terminalTopics('pos/v1', 'T-1');

async function setup(window?: number) {
  const { log, records } = memoryLog();
  const journaled: object[] = [];
  const outbox = await Outbox.open({ store: new MemoryStore(), maxBytes: 1024 * 1024, log });
  const link = new FakeLink();
  const uplink = new Uplink({
    link: link as unknown as MqttLink,
    outbox,
    topics,
    clock: systemClock,
    log,
    birth: () => ({ online: true, ts: Date.now(), session: 1, boot: 'b', agentVersion: '0', heartbeatSeconds: 60, devices: [], restart: 'first' }),
    window,
    random: () => JUST_BELOW_ONE,
    journal: { record: (message) => journaled.push({ ...message, queuedBefore: outbox.depth }) },
  });
  const send = async (count: number, kind: 'heartbeat' | 'fault' = 'heartbeat') => {
    for (let i = 0; i < count; i++) {
      if (kind === 'fault') uplink.send('fault', (seq) => fault(seq));
      else uplink.send('heartbeat', heartbeat);
    }
    await outbox.flush();
  };
  return { outbox, link, uplink, records, send, journaled };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  // setImmediate stays real: the outbox's batched fsync runs on it.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Uplink', () => {
  it('masks every sequenced message, journals a fault before it is queued, and queues it under its reserved seq', async () => {
    const { link, uplink, outbox, journaled } = await setup();
    const detail = { line: `card ${TEST_PAN} read` };
    const seq = uplink.reserve();
    uplink.send('heartbeat', (next) => ({ ...heartbeat(next), reasons: [TEST_PAN as never] }));
    uplink.sendReserved(seq + 2, 'fault', fault(seq + 2, detail));
    uplink.send('reply', (next) => reply(next, { text: TEST_PAN }));
    await outbox.flush();
    link.up();
    const sequenced = link.sent.filter((sent) => !sent.retain);
    expect(sequenced.map((sent) => [sent.topic, sent.json.seq])).toEqual([
      [topics.heartbeat, 2],
      [topics.fault, 3],
      [topics.reply, 4],
    ]);
    for (const sent of sequenced) expect(JSON.stringify(sent.json)).toContain(TEST_PAN_MASKED);
    for (const sent of sequenced) expect(JSON.stringify(sent.json)).not.toContain(TEST_PAN);
    expect(journaled).toEqual([{ ...fault(3, { line: `card ${TEST_PAN_MASKED} read` }), queuedBefore: 1 }]);
    expect(() => uplink.sendReserved(seq + 1, 'fault', fault(seq + 1))).toThrow(/not above/);
  });

  it('publishes a faults snapshot after the fault messages written before it, and only the newest', async () => {
    const { link, uplink, outbox } = await setup();
    link.up();
    uplink.send('fault', (seq) => fault(seq));
    const snapshot = (reasons: string[]) => ({ ts: 1, availability: 'DEGRADED' as const, reasons: reasons as never, active: [] });
    uplink.setFaults(snapshot(['A']));
    uplink.send('fault', (seq) => fault(seq));
    uplink.setFaults(snapshot(['A', 'B']));
    await outbox.flush();
    await settle();
    const order = link.sent.slice(1).map((sent) => (sent.topic === topics.faults ? `faults ${(sent.json as { reasons: string[] }).reasons}` : `fault ${sent.json.seq}`));
    expect(order).toEqual(['fault 1', 'fault 2', 'faults A,B']);
  });

  it('publishes in seq order with at most a window in flight, the next one as each PUBACK comes', async () => {
    const { link, send, outbox } = await setup();
    await send(40);
    link.up();
    expect(link.sent[0]).toMatchObject({ topic: topics.state, retain: true });
    expect(link.seqs()).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));

    for (const sent of link.unanswered().slice(0, 4)) sent.resolve();
    await settle();
    expect(link.seqs()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(link.unanswered()).toHaveLength(16);
    expect(outbox.depth).toBe(36);
  });

  it('after a lost connection sends what had no PUBACK again, in order, ahead of newer messages', async () => {
    const { link, send, outbox } = await setup();
    await send(20);
    link.up();
    for (const sent of link.unanswered().slice(0, 5)) sent.resolve();
    await settle();
    link.down();
    await settle();
    await send(3, 'fault');
    const before = link.seqs().length;
    link.up();
    expect(link.seqs().slice(before)).toEqual(Array.from({ length: 16 }, (_, i) => i + 6));
    while (link.unanswered().length > 0) {
      for (const sent of link.unanswered()) sent.resolve();
      await settle();
    }
    expect(link.seqs().slice(before)).toEqual(Array.from({ length: 18 }, (_, i) => i + 6));
    expect(outbox.depth).toBe(0);
  });

  it('on a refusing PUBACK keeps the message, stops the stream, offers it again alone with backoff, and drains once it is taken', async () => {
    const { link, send, outbox, records } = await setup();
    await send(5);
    link.up();
    for (const sent of link.unanswered()) sent.reject(new ErrorWithReasonCode('Publish error: Not authorized', 135));
    await settle();
    expect(outbox.depth).toBe(5);
    const refusal = records.filter((line) => line.level === 50);
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatchObject({ seq: 1, reason: 'Not authorized (0x87)', retryInMs: 999 });
    expect(refusal[0].msg).toMatch(/not authorized to publish under this terminal id/);

    // Ten minutes of a broker that keeps refusing: one message per retry, never a spin.
    const sentBefore = link.seqs().length;
    await send(3);
    for (let elapsed = 0; elapsed < 600_000; elapsed += 1_000) {
      await vi.advanceTimersByTimeAsync(1_000);
      for (const sent of link.unanswered()) sent.reject(new ErrorWithReasonCode('Publish error: Not authorized', 135));
      await settle();
    }
    const retries = link.seqs().slice(sentBefore);
    expect(retries.length).toBeGreaterThanOrEqual(8);
    expect(retries.length).toBeLessThanOrEqual(12);
    expect(new Set(retries)).toEqual(new Set([1]));
    expect(records.filter((line) => line.level === 50)).toHaveLength(1);
    expect(outbox.depth).toBe(8);

    // The broker takes it now (its ACL was fixed): everything goes, in order.
    const accepted = link.seqs().length;
    await vi.advanceTimersByTimeAsync(300_000);
    expect(link.unanswered().map((sent) => sent.json.seq)).toEqual([1]);
    while (link.unanswered().length > 0) {
      for (const sent of link.unanswered()) sent.resolve();
      await settle();
    }
    expect(link.seqs().slice(accepted)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(outbox.depth).toBe(0);
    expect(records.some((line) => line.level === 30 && /accepts messages again/.test(line.msg))).toBe(true);
  });

  it('answers a refused retained message with a warning, not silence', async () => {
    const { link, records } = await setup();
    link.up();
    link.sent[0]!.reject(new ErrorWithReasonCode('Publish error: Not authorized', 135));
    await settle();
    expect(records.some((line) => line.level === 40 && line.topic === topics.state && /refused a retained message/.test(line.msg))).toBe(true);
  });
});
