import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readSegment } from '../agent/outbox/record-codec.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import { killAll } from './helpers/agent-process.js';
import { Fixtures } from './helpers/outbox-e2e.js';
import { Rig, waitForLog, waitUntil } from './helpers/rig.js';

/**
 * A power cut tore a fault raise's record while a later record reached the disk (the page cache
 * writes back in any order until fdatasync returns). The raise was never sent, and the fault is
 * saved as active: the next start must send it, under its seq and id, not skip to the later record.
 */

const mosquitto = requireTool('mosquitto', 'the torn raise test');
const fixtures = new Fixtures(mosquitto ?? 'mosquitto');
afterEach(async () => {
  killAll();
  await fixtures.cleanup();
});
afterAll(() => removeTempDirs());

describe.skipIf(!mosquitto)('a raise torn by a power cut', () => {
  it('is sent after the restart although a later record survived', async () => {
    const broker = await fixtures.broker();
    const relay = await fixtures.relay(broker);
    relay.cut();
    const rig = new Rig(Rig.id(), { brokerUrl: relay.url, protocolVersion: 5 });
    const recorder = await fixtures.backend(broker.url, rig);
    let agent = rig.start();
    await waitForLog(agent, (line) => line.msg === 'agent started', 'agent started');
    await rig.terminal.apply({ battery: { capacity: 10 } });
    const raised = await waitForLog(agent, (line) => line.msg.startsWith('fault raised:') && line.code === 'BATTERY_LOW', 'BATTERY_LOW raised');

    // Wait until a record after the raise is on disk too, then cut the power.
    const records = () =>
      fs
        .readdirSync(rig.outboxDir)
        .filter((name) => name.endsWith('.log'))
        .flatMap((name) => readSegment(fs.readFileSync(path.join(rig.outboxDir, name))).records.map((entry) => ({ ...entry, file: path.join(rig.outboxDir, name) })));
    await waitUntil('a record after the raise', () => records().some((entry) => entry.record.seq > raised.seq));
    agent.kill('SIGKILL');
    await agent.waitExit();
    const raise = records().find((entry) => entry.record.seq === raised.seq)!;
    expect(records().some((entry) => entry.file === raise.file && entry.offset > raise.offset)).toBe(true);
    const data = fs.readFileSync(raise.file);
    data[raise.offset + Math.floor(raise.length / 2)]! ^= 0xff;
    fs.writeFileSync(raise.file, data);

    relay.restore();
    agent = rig.start();
    const delivered = await recorder.waitForJson('fault', 'the torn raise sent', (json) => json.code === 'BATTERY_LOW' && json.state === 'raised', 30_000);
    expect(delivered).toMatchObject({ seq: raised.seq, id: raised.id });
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
  });
});
