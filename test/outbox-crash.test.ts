import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll } from './helpers/agent-process.js';
import { expectEveryFaultDelivered, Fixtures } from './helpers/outbox-e2e.js';
import { Rig, roundTrip, sleep, waitForLog, waitForReconnect, waitUntil } from './helpers/rig.js';
import { auditSeqs, faultEpisodes } from './helpers/seq-audit.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

/**
 * Losing nothing when something crashes (SPEC.md section 4, outbox): the broker (SIGKILL, restarted
 * on the same port) or the agent itself (SIGKILL), with a back end on its own connection that
 * audits every `seq` it receives.
 */

const mosquitto = requireTool('mosquitto', 'the outbox tests against a real broker');
const fixtures = new Fixtures(mosquitto ?? 'mosquitto');

afterEach(async () => {
  killAll();
  await fixtures.cleanup();
});
afterAll(() => removeTempDirs());

describe.skipIf(!mosquitto)('the outbox when the broker or the agent crashes', () => {
  it('delivers every fault in order across broker crashes (SIGKILL, restart on the same port), repeating nothing but QoS 1 redeliveries', async () => {
    // The broker keeps the back end's session on disk, so that it queues what arrives while
    // the back end reconnects after a crash: a message the broker acknowledged is its to keep.
    const db = tempDir('mosquitto-db-');
    // mosquitto started as root runs as the user "mosquitto".
    fs.chmodSync(db, 0o777);
    const broker = await fixtures.broker(['persistence true', `persistence_location ${db}/`, 'autosave_interval 1']);
    const rig = new Rig(Rig.id(), { brokerUrl: broker.url, protocolVersion: 5 });
    const recorder = await fixtures.backend(broker.url, rig, { clean: false, clientId: `backend-${rig.terminalId}` });
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
    // Faults in the order raised and cleared: per code, raise and clear alternate, once each.
    const overheat = audit.firstSeen.map((seq) => audit.bySeq.get(seq)).filter((json) => json.code === 'BATTERY_OVERHEAT');
    overheat.forEach((json, index) => expect(json.state).toBe(index % 2 === 0 ? 'raised' : 'cleared'));
    for (const [id, states] of faultEpisodes(audit)) expect({ id, states }).toEqual({ id, states: ['raised', 'cleared'] });
  }, 120_000);

  it('continues from the next seq after each of 25 SIGKILLs at random moments while it writes, and loses no written record', async () => {
    const broker = await fixtures.broker();
    const rig = new Rig(Rig.id(), { brokerUrl: broker.url, protocolVersion: 5 });
    const recorder = await fixtures.backend(broker.url, rig);

    const flapping = rig.flap(150);
    for (let kill = 0; kill < 25; kill++) {
      const agent = rig.start();
      // Every other kill lands anywhere from the start on (opening the outbox, recovering);
      // the others while the running agent writes faults and heartbeats.
      if (kill % 2 === 1) await waitForLog(agent, (line) => line.msg === 'agent started', 'agent started');
      await sleep(kill % 2 === 1 ? 200 + Math.random() * 800 : Math.random() * 1_500);
      agent.kill('SIGKILL');
      expect((await agent.waitExit()).signal).toBe('SIGKILL');
    }
    flapping.stop();
    const killedWhileWriting = rig.runs.filter((run) => run.logLines().some((line) => /^fault /.test(line.msg))).length;

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
    // One raise and one clear per fault, however the kills fell.
    for (const [id, states] of faultEpisodes(audit)) expect({ id, states }).toEqual({ id, states: ['raised', 'cleared'] });
    // The kills did land while the agent was writing.
    expect(killedWhileWriting).toBeGreaterThanOrEqual(8);
    expect(onDisk.lastSeq).toBeGreaterThanOrEqual(50);
  }, 180_000);
});
