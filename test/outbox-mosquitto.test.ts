import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeRecord, decodeRecord } from '../agent/outbox/file-store.js';
import { killAll, type AgentProcess } from './helpers/agent-process.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { Recorder } from './helpers/recorder.js';
import { Relay } from './helpers/relay.js';
import { Rig, roundTrip, sleep, waitForLog, waitUntil } from './helpers/rig.js';
import { auditSeqs, raisesWithoutClear } from './helpers/seq-audit.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';
import { requireTool } from './helpers/tools.js';

/**
 * Losing nothing (SPEC.md section 4, outbox): the built agent against a real mosquitto, with a
 * back end that subscribes on its own connection and audits every `seq` it receives.
 */

const mosquitto = requireTool('mosquitto', 'the outbox tests against a real broker');

const brokers: Mosquitto[] = [];
const relays: Relay[] = [];
const recorders: Recorder[] = [];

afterEach(async () => {
  killAll();
  await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
  await Promise.all(brokers.splice(0).map((broker) => broker.kill('SIGKILL')));
});
afterAll(() => removeTempDirs());

async function startBroker(extra: string[] = []): Promise<Mosquitto> {
  const broker = await Mosquitto.start(mosquitto!, { extra });
  brokers.push(broker);
  return broker;
}

async function backend(url: string, rig: Rig, options = {}): Promise<Recorder> {
  const recorder = await Recorder.connect(url, `pos/v1/${rig.terminalId}/#`, options);
  recorders.push(recorder);
  return recorder;
}

/**
 * Waits for the agent to connect again, as long as its backoff said it would wait (full jitter:
 * after a long outage that can be a minute) and some.
 */
async function waitForReconnect(agent: AgentProcess, since: number) {
  const retries = agent.logLines().filter((line) => line.msg === 'cannot reach the broker' || line.msg === 'lost the broker');
  const last = retries.at(-1);
  const patience = Math.max(0, (last ? last.time + last.retryInMs : since) - Date.now()) + 20_000;
  await waitForLog(agent, (line) => line.msg === 'connected to broker' && line.time >= since, 'connected to broker', patience);
}

/** Every fault the agent logged as written reached the back end; every raise has its clear. */
function expectEveryFaultDelivered(rig: Rig, recorder: Recorder, bySeq: Map<number, any>) {
  const written = rig.faultSeqs();
  const lost = written.filter((seq) => bySeq.get(seq)?.code === undefined);
  expect(lost).toEqual([]);
  expect(raisesWithoutClear(recorder.messages)).toEqual([]);
  return written;
}

describe.skipIf(!mosquitto)('the outbox against mosquitto', () => {
  it('delivers every fault in order across broker crashes (SIGKILL, restart on the same port), repeating nothing but QoS 1 redeliveries', async () => {
    // The broker keeps the back end's session on disk, so that it queues what arrives while
    // the back end reconnects after a crash: a message the broker acknowledged is its to keep.
    const db = tempDir('mosquitto-db-');
    // mosquitto started as root runs as the user "mosquitto".
    fs.chmodSync(db, 0o777);
    const broker = await startBroker(['persistence true', `persistence_location ${db}/`, 'autosave_interval 1']);
    const rig = new Rig(Rig.id(), { brokerUrl: broker.url, protocolVersion: 5 });
    const recorder = await backend(broker.url, rig, { clean: false, clientId: `backend-${rig.terminalId}` });
    await waitUntil('the back end session saved by the broker', () => fs.existsSync(path.join(db, 'mosquitto.db')));

    const agent = rig.start();
    await recorder.waitForJson('state', 'birth', (json) => json.online === true && json.session === 1);
    const flapping = rig.flap(200);
    for (let crash = 1; crash <= 4; crash++) {
      await sleep(700 + Math.random() * 1_300);
      const crashedAt = Date.now();
      await broker.kill('SIGKILL');
      await broker.restart();
      await waitForReconnect(agent, crashedAt);
      // The birth is published again on every connect.
      await recorder.waitForJson('state', `birth after crash ${crash}`, (json) => json.online === true && json.session === crash + 1);
      await roundTrip(broker.url, recorder, `pos/v1/${rig.terminalId}/marker`);
    }
    flapping.stop();
    const calm = Date.now();
    await recorder.waitForJson('heartbeat', 'a heartbeat with nothing left to send', (json) => json.ts > calm && json.outbox.depth === 0 && json.reasons.length === 0, 30_000);
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);

    const onDisk = await rig.outboxOnDisk();
    expect(onDisk.pending).toEqual([]);
    const audit = auditSeqs(recorder.messages, onDisk.lastSeq);
    expect(audit.missing).toEqual([]);
    expect(audit.conflicting).toEqual([]);
    expect(audit.outOfOrder).toEqual([]);
    const faults = expectEveryFaultDelivered(rig, recorder, audit.bySeq);
    expect(faults.length).toBeGreaterThanOrEqual(10);
    // Faults in the order raised and cleared: per code, raise and clear alternate.
    const overheat = audit.firstSeen.map((seq) => audit.bySeq.get(seq)).filter((json) => json.code === 'BATTERY_OVERHEAT');
    overheat.forEach((json, index) => expect(json.state).toBe(index % 2 === 0 ? 'raised' : 'cleared'));
  }, 120_000);

  it('continues from the next seq after each of 25 SIGKILLs at random moments while it writes, and loses no written record', async () => {
    const broker = await startBroker();
    const rig = new Rig(Rig.id(), { brokerUrl: broker.url, protocolVersion: 5 });
    const recorder = await backend(broker.url, rig);

    const flapping = rig.flap(150);
    for (let kill = 0; kill < 25; kill++) {
      const agent = rig.start();
      await sleep(250 + Math.random() * 1_250);
      agent.kill('SIGKILL');
      expect((await agent.waitExit()).signal).toBe('SIGKILL');
    }
    flapping.stop();
    const killedRuns = rig.runs.filter((run) => run.logLines().some((line) => /^fault /.test(line.msg))).length;

    const last = rig.start();
    const calm = Date.now();
    await recorder.waitForJson('heartbeat', 'a heartbeat with nothing left to send', (json) => json.ts > calm && json.outbox.depth === 0 && json.reasons.length === 0, 30_000);
    last.kill('SIGTERM');
    expect((await last.waitExit()).code).toBe(0);

    const onDisk = await rig.outboxOnDisk();
    expect(onDisk.pending).toEqual([]);
    const audit = auditSeqs(recorder.messages, onDisk.lastSeq);
    // A seq taken twice would show as two different messages under one seq.
    expect(audit.conflicting).toEqual([]);
    expect(audit.missing).toEqual([]);
    expectEveryFaultDelivered(rig, recorder, audit.bySeq);
    // The kills did land while the agent was writing.
    expect(killedRuns).toBeGreaterThanOrEqual(10);
    expect(onDisk.lastSeq).toBeGreaterThanOrEqual(50);
  }, 180_000);

  it('through a long outage keeps the outbox within its bound by evicting heartbeats, counts them, and delivers every fault in order when the broker is back', async () => {
    const broker = await startBroker();
    const relay = await Relay.start(broker.port);
    relays.push(relay);
    const maxBytes = 64 * 1024;
    const rig = new Rig(Rig.id(), { brokerUrl: relay.url, protocolVersion: 5 }, (config) => (config.outbox = { maxBytes }));
    const recorder = await backend(broker.url, rig);
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
    const broker = await startBroker();
    const relay = await Relay.start(broker.port);
    relays.push(relay);
    relay.cut();
    const rig = new Rig(Rig.id(), { brokerUrl: relay.url, protocolVersion: 5 });
    const recorder = await backend(broker.url, rig);

    let agent = rig.start();
    const flapping = rig.flap(200);
    await waitUntil('faults and heartbeats in the outbox', () => rig.faultSeqs().length >= 6, 20_000);
    flapping.stop();
    await waitUntil('the last clear', () => rig.logLines().some((line) => line.msg.startsWith('fault cleared') && line.seq > Math.max(...rig.faultSeqs()) - 1));
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
    expect(skipped.tornTailBytes).toBe(Math.floor(torn.length / 2));
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
