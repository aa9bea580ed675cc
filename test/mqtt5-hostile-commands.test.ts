import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord } from '../agent/outbox/record-codec.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import { killAll, type AgentProcess } from './helpers/agent-process.js';
import { waitForLog } from './helpers/rig.js';
import { commandedTerminal, type CommandedTerminal } from './helpers/tech-setup.js';
import { payload, sign } from './helpers/technician.js';

/**
 * Whoever can publish on R/cmd picks the payload and, on MQTT 5, the correlation data that every
 * answer echoes and the outbox stores. Against mosquitto: a megabyte is never handed to the agent,
 * long correlation data is not echoed, and a record forged inside correlation data is never taken
 * for an outbox record when the record around it is torn by a power cut.
 */

const mosquittoBinary = requireTool('mosquitto', 'the hostile MQTT 5 command tests');

let broker: Mosquitto;
const clients: MqttClient[] = [];
beforeAll(async () => {
  broker = await Mosquitto.start(mosquittoBinary!);
});
afterEach(async () => {
  killAll();
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});
afterAll(async () => {
  await broker?.stop();
  removeTempDirs();
});

async function setup(): Promise<{ t: CommandedTerminal; agent: AgentProcess; client: MqttClient; cmd: string }> {
  const t = await commandedTerminal(broker.url, { protocolVersion: 5 });
  const agent = t.start();
  await t.recorder.waitForJson('heartbeat', 'first heartbeat');
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `hostile-${Math.random().toString(36).slice(2)}` });
  clients.push(client);
  return { t, agent, client, cmd: `pos/v1/${t.terminalId}/cmd` };
}

describe.skipIf(!mosquittoBinary)('hostile commands over MQTT 5', () => {
  it('never receives a packet over 16 KiB, and echoes short correlation data only', async () => {
    const { t, agent, client, cmd } = await setup();
    const big = Buffer.alloc(1024 * 1024, 0x41);
    await client.publishAsync(cmd, big, { qos: 1, properties: { correlationData: Buffer.from('the-megabyte') } });
    // A signed command after it: the broker delivers in order, so by its answer the megabyte has come or never will.
    const body = payload(t.terminalId, 'status');
    await client.publishAsync(cmd, await sign(t.tech, body), { qos: 1, properties: { correlationData: Buffer.alloc(1024, 0x63) } });
    const status = await t.recorder.waitFor('the status answer', (m) => m.json?.id === body.id);
    expect(status.json.ok).toBe(true);
    expect(t.recorder.of('reply').filter((json) => json.id === null)).toEqual([]);
    expect(agent.logLines().filter((line) => /command refused/.test(line.msg))).toEqual([]);
    // 1 KiB of correlation data was not echoed; a short one is.
    expect(status.correlationData).toBeUndefined();
    const short = Buffer.from('req-42');
    await client.publishAsync(cmd, 'not a token', { qos: 1, properties: { correlationData: short } });
    const refused = await t.recorder.waitFor('the refusal', (m) => m.json?.id === null);
    expect(refused.correlationData).toEqual(short);
  });

  it('never delivers a record forged inside correlation data when the record around it is torn', async () => {
    const { t, agent, client, cmd } = await setup();
    const forged = encodeRecord({ seq: 987_654, kind: 'fault', payload: Buffer.from('{"seq":987654,"forged":true}') });
    await client.publishAsync(cmd, 'not a token', { qos: 1, properties: { correlationData: forged } });
    await t.recorder.waitFor('the refusal', (m) => m.json?.id === null);
    await waitForLog(agent, (line) => /command refused/.test(line.msg), 'the refusal logged');
    agent.kill('SIGKILL');
    await agent.waitExit();

    // The power went while the refusal's record was being written: torn just after the forged bytes.
    const outbox = path.join(t.terminal.stateDir, 'outbox');
    const segments = fs.readdirSync(outbox).filter((name) => name.endsWith('.log'));
    const holder = segments.map((name) => path.join(outbox, name)).find((file) => fs.readFileSync(file).includes(forged))!;
    expect(holder).toBeDefined();
    const at = fs.readFileSync(holder).indexOf(forged);
    fs.truncateSync(holder, at + forged.length + 2);

    const again = t.start();
    await waitForLog(again, (line) => /torn or corrupt/.test(line.msg), 'the torn record noticed');
    const restarted = Date.now();
    await t.recorder.waitForJson('heartbeat', 'a heartbeat after the restart', (json) => json.ts >= restarted);
    expect(t.recorder.messages.filter((m) => m.payload.toString('latin1').includes('forged'))).toEqual([]);
    expect(t.recorder.messages.filter((m) => m.json?.seq >= 987_654)).toEqual([]);
  });
});
