import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from '../agent/outbox/record-codec.js';
import { killAll } from './helpers/agent-process.js';
import { expectEveryFaultDelivered, Fixtures } from './helpers/outbox-e2e.js';
import { Rig, waitForLog, waitForReconnect, waitUntil } from './helpers/rig.js';
import { auditSeqs } from './helpers/seq-audit.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

/**
 * Losing nothing through an outage (SPEC.md section 4, outbox): a TCP relay between the agent and
 * mosquitto is cut, while a back end on the broker audits every `seq` it receives.
 */

const mosquitto = requireTool('mosquitto', 'the outbox tests against a real broker');
const fixtures = new Fixtures(mosquitto ?? 'mosquitto');

afterEach(async () => {
  killAll();
  await fixtures.cleanup();
});
afterAll(() => removeTempDirs());

describe.skipIf(!mosquitto)('the outbox through an outage', () => {
  it('through a long outage keeps the outbox within its bound by evicting heartbeats, counts them, and delivers every fault in order when the broker is back', async () => {
    const broker = await fixtures.broker();
    const relay = await fixtures.relay(broker);
    const maxBytes = 64 * 1024;
    const rig = new Rig(Rig.id(), { brokerUrl: relay.url, protocolVersion: 5 }, (config) => (config.outbox = { maxBytes }));
    const recorder = await fixtures.backend(broker.url, rig);
    const agent = rig.start();
    await recorder.waitForJson('heartbeat', 'first heartbeat');

    relay.cut();
    await waitForLog(agent, (line) => line.msg === 'lost the broker', 'lost the broker');
    // Faults fill the outbox up to its bound; from there on every heartbeat evicts the oldest one.
    const flapping = rig.flap(150);
    const cutAt = Date.now();
    const evicted = (atLeast: number) => (line: any) => line.msg.includes('oldest heartbeats evicted') && line.dropped >= atLeast;
    let largest = 0;
    const sampler = setInterval(() => (largest = Math.max(largest, rig.outboxBytes())), 100);
    try {
      await waitForLog(agent, evicted(1), 'first eviction', 40_000);
      flapping.stop();
      await waitForLog(agent, evicted(4), 'four heartbeats evicted', 20_000);
    } finally {
      flapping.stop();
      clearInterval(sampler);
    }
    expect(largest).toBeLessThanOrEqual(maxBytes);

    relay.restore();
    const back = Date.now();
    await waitForReconnect(agent, back);
    const drained = await recorder.waitForJson('heartbeat', 'a heartbeat after the drain', (json) => json.ts > back && json.outbox.depth === 0, 20_000);
    expect(drained.outbox.dropped).toBeGreaterThanOrEqual(4);
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);

    const onDisk = await rig.outboxOnDisk();
    const audit = auditSeqs(recorder.messages, onDisk.lastSeq);
    expect(audit.conflicting).toEqual([]);
    // The backlog came in seq order, ahead of what was made after the broker came back.
    expect(audit.outOfOrder).toEqual([]);
    // The only gaps are evicted heartbeats, and every eviction was counted. An evicted heartbeat
    // can still have arrived: one the broker took just before the cut, whose PUBACK never came.
    const evictions = agent.logLines().filter(evicted(1)).flatMap((line) => line.evicted as number[]);
    expect(evictions).toHaveLength(onDisk.dropped);
    expect(onDisk.dropped).toBe(drained.outbox.dropped);
    for (const seq of audit.missing) expect(evictions).toContain(seq);
    for (const seq of evictions) expect(audit.bySeq.get(seq) === undefined || recorder.messages.some((m) => m.json?.seq === seq && m.at < cutAt + 1_000)).toBe(true);
    expect(audit.missing.length).toBeGreaterThanOrEqual(3);
    const faults = expectEveryFaultDelivered(rig, recorder, audit.bySeq);
    expect(faults.length).toBeGreaterThanOrEqual(40);
  }, 150_000);

  it('skips a half-written record at the end of the outbox at start, and delivers all the rest', async () => {
    const broker = await fixtures.broker();
    const relay = await fixtures.relay(broker);
    relay.cut();
    const rig = new Rig(Rig.id(), { brokerUrl: relay.url, protocolVersion: 5 });
    const recorder = await fixtures.backend(broker.url, rig);

    let agent = rig.start();
    const flapping = rig.flap(200);
    await waitUntil('faults and heartbeats in the outbox', () => rig.faultSeqs().length >= 6, 20_000);
    flapping.stop();
    const count = (state: string) => agent.logLines().filter((line) => line.msg.startsWith(`fault ${state}:`)).length;
    await waitUntil('a clear for every raise', () => count('raised') === count('cleared'));
    agent.kill('SIGKILL');
    await agent.waitExit();

    // The power went while the next record was being written: half of it is on disk.
    const segment = fs.readdirSync(rig.outboxDir).filter((name) => name.endsWith('.log')).sort().at(-1)!;
    const file = path.join(rig.outboxDir, segment);
    const data = fs.readFileSync(file);
    let written = 0;
    for (let offset = 0; offset < data.length; ) {
      const decoded = decodeRecord(data, offset)!;
      written = Math.max(written, decoded.record.seq);
      offset += decoded.length;
    }
    const torn = encodeRecord({ seq: written + 1, kind: 'fault', payload: Buffer.from(JSON.stringify({ seq: written + 1, torn: true })) });
    fs.appendFileSync(file, torn.subarray(0, Math.floor(torn.length / 2)));

    relay.restore();
    agent = rig.start();
    const skipped = await waitForLog(agent, (line) => /torn or corrupt/.test(line.msg), 'torn record skipped');
    expect(skipped.droppedBytes).toBe(Math.floor(torn.length / 2));
    const after = await recorder.waitForJson('heartbeat', 'a heartbeat made after the restart', (json) => json.seq > written + 1);
    agent.kill('SIGTERM');
    await agent.waitExit();

    const audit = auditSeqs(recorder.messages, after.seq);
    expect(audit.missing).toEqual([]);
    expect(audit.conflicting).toEqual([]);
    expect(audit.outOfOrder).toEqual([]);
    // The seq of the torn record was never delivered as such: the restart used it for its next message.
    expect(audit.bySeq.get(written + 1).torn).toBeUndefined();
    expectEveryFaultDelivered(rig, recorder, audit.bySeq);
  }, 90_000);
});
