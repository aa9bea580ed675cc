import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { SimTerminal } from '../sim/terminal.js';
import { AgentProcess, killAll, runCli } from './helpers/agent-process.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { Recorder } from './helpers/recorder.js';
import { removeTempDirs, tempDir, writeJson } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import { waitForLog } from './helpers/rig.js';

/**
 * The built `pos-agent run` as a child process, a real broker, a sysfs/proc tree in a temp
 * folder, and a subscriber that sees what a fleet back end sees.
 */

let broker: EmbeddedBroker;
const recorders: Recorder[] = [];

beforeAll(async () => {
  broker = await startBroker();
});
afterEach(async () => {
  killAll();
  await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
});
afterAll(async () => {
  await broker.close();
  removeTempDirs();
});

interface Setup {
  terminal: SimTerminal;
  terminalId: string;
  configFile: string;
  config: Record<string, any>;
  recorder: Recorder;
  start(): AgentProcess;
}

async function setup(change: (config: Record<string, any>) => void = () => {}, url = broker.url): Promise<Setup> {
  const terminalId = `E2E-${Math.random().toString(36).slice(2, 10)}`;
  const terminal = new SimTerminal(tempDir());
  const config: Record<string, any> = terminal.agentConfig({
    brokerUrl: url,
    terminalId,
    heartbeatSeconds: 1,
    batteryPollSeconds: 0.2,
    systemPollSeconds: 0.5,
    logLevel: 'debug',
  });
  change(config);
  const configFile = writeJson(path.join(terminal.dir, 'agent.json'), config);
  const recorder = await Recorder.connect(url, `pos/v1/${terminalId}/#`);
  recorders.push(recorder);
  return { terminal, terminalId, configFile, config, recorder, start: () => new AgentProcess(['run', '--config', configFile]) };
}

const raised = (code: string) => (json: any) => json.code === code && json.state === 'raised';
const cleared = (code: string) => (json: any) => json.code === code && json.state === 'cleared';

describe('pos-agent run', () => {
  it('publishes birth, heartbeats, faults and the snapshot as SPEC.md section 4 says, and goes offline cleanly on SIGTERM', async () => {
    const { terminal, terminalId, recorder, start } = await setup();
    const agent = start();

    const birth = await recorder.waitForJson('state', 'birth', (json) => json.online === true);
    expect(Object.keys(birth).sort()).toEqual(['agentVersion', 'boot', 'devices', 'heartbeatSeconds', 'online', 'restart', 'session', 'ts']);
    expect(birth).toMatchObject({ online: true, session: 1, agentVersion: pkg.version, heartbeatSeconds: 1, devices: ['battery', 'system', 'merchant'], restart: 'first' });
    expect(birth.boot).toMatch(/^[0-9a-f]{8}$/);

    const heartbeat = await recorder.waitForJson('heartbeat', 'first heartbeat');
    expect(heartbeat).toMatchObject({
      availability: 'IN_SERVICE',
      reasons: [],
      battery: { percent: 87, status: 'Discharging', temperatureC: 31.5, mainsOnline: false },
      system: { memAvailableMb: 512 },
      outbox: { dropped: 0 },
    });
    expect(Object.keys(heartbeat)).toEqual(['seq', 'ts', 'availability', 'reasons', 'battery', 'system', 'outbox']);
    expect(heartbeat.system.diskFreeMb).toBeGreaterThan(0);
    expect(Number.isInteger(heartbeat.ts)).toBe(true);
    const heartbeatBytes = recorder.messages.find((message) => message.topic.endsWith('/heartbeat'))!.payload.length;
    expect(heartbeatBytes).toBeLessThan(400);

    await recorder.waitForJson('faults', 'IN_SERVICE snapshot', (json) => json.availability === 'IN_SERVICE');

    terminal.apply({ battery: { capacity: 12 } });
    const low = await recorder.waitForJson('fault', 'BATTERY_LOW raised', raised('BATTERY_LOW'));
    expect(low).toMatchObject({ device: 'battery', severity: 'warning', message: 'Battery is low', detail: { percent: 12, status: 'Discharging' } });
    expect(low.id).toBe(`f-${low.seq}`);
    expect(Object.keys(low)).toEqual(['seq', 'ts', 'id', 'device', 'code', 'severity', 'state', 'raisedAt', 'message', 'detail']);
    const degraded = await recorder.waitForJson('faults', 'DEGRADED', (json) => json.availability === 'DEGRADED');
    expect(degraded.reasons).toEqual(['BATTERY_LOW']);
    expect(degraded.active).toEqual([{ id: low.id, device: 'battery', code: 'BATTERY_LOW', severity: 'warning', raisedAt: low.raisedAt, message: 'Battery is low' }]);

    terminal.apply({ battery: { capacity: 4 } });
    const critical = await recorder.waitForJson('fault', 'BATTERY_CRITICAL raised', raised('BATTERY_CRITICAL'));
    const out = await recorder.waitForJson('faults', 'OUT_OF_SERVICE', (json) => json.availability === 'OUT_OF_SERVICE');
    expect(out.reasons).toEqual(['BATTERY_CRITICAL', 'BATTERY_LOW']);

    terminal.apply({ battery: { mainsOnline: true, status: 'Charging' } });
    const lowCleared = await recorder.waitForJson('fault', 'BATTERY_LOW cleared', cleared('BATTERY_LOW'));
    const criticalCleared = await recorder.waitForJson('fault', 'BATTERY_CRITICAL cleared', cleared('BATTERY_CRITICAL'));
    expect(lowCleared).toMatchObject({ id: low.id, raisedAt: low.raisedAt, severity: 'warning' });
    expect(lowCleared.clearedAt).toBeGreaterThanOrEqual(low.raisedAt);
    expect(criticalCleared.id).toBe(critical.id);
    await recorder.waitForJson('faults', 'back IN_SERVICE', (json) => json.availability === 'IN_SERVICE' && json.ts > out.ts);
    await recorder.waitForJson('heartbeat', 'a charging heartbeat', (json) => json.battery.status === 'Charging');

    // One counter over heartbeat and fault, in the order published.
    const seqs = recorder.messages.filter((m) => /\/(heartbeat|fault)$/.test(m.topic)).map((m) => m.json.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    // state and faults are retained: a back end that connects now gets them at once.
    const late = await Recorder.connect(broker.url, `pos/v1/${terminalId}/+`);
    recorders.push(late);
    const retainedState = await late.waitFor('retained state', (m) => m.topic.endsWith('/state'));
    const retainedFaults = await late.waitFor('retained faults', (m) => m.topic.endsWith('/faults'));
    expect(retainedState.retain && retainedFaults.retain).toBe(true);
    expect(retainedFaults.json.availability).toBe('IN_SERVICE');

    const stoppedAt = Date.now();
    agent.kill('SIGTERM');
    const offline = await recorder.waitForJson('state', 'clean offline', (json) => json.online === false);
    expect(offline).toMatchObject({ online: false, session: 1, reason: 'shutdown' });
    expect(typeof offline.ts).toBe('number');
    expect(await agent.waitExit(5_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    const offlineIndex = recorder.messages.findIndex((m) => m.topic.endsWith('/state') && m.json.online === false);
    expect(recorder.messages.slice(offlineIndex).some((m) => m.topic.endsWith('/heartbeat'))).toBe(false);
  });

  it('keeps seq and counts sessions across SIGTERM and SIGKILL; the will says a killed agent is lost', async () => {
    const { recorder, start } = await setup();
    const seqsOf = () => recorder.of('heartbeat').map((json) => json.seq);

    let agent = start();
    await recorder.waitForJson('heartbeat', 'heartbeat 2', (json) => json.seq >= 2);
    agent.kill('SIGKILL');
    await agent.waitExit();
    // MQTT 3.1.1 has no will delay: the broker publishes the will as soon as it notices.
    const lost = await recorder.waitForJson('state', 'the will', (json) => json.online === false);
    expect(lost).toEqual({ online: false, session: 1, reason: 'lost' });
    const beforeRestart = Math.max(...seqsOf());

    agent = start();
    const birth = await recorder.waitForJson('state', 'second birth', (json) => json.online === true && json.session === 2);
    const afterKill = await recorder.waitForJson('heartbeat', 'heartbeat after SIGKILL', (json) => json.ts >= birth.ts);
    expect(afterKill.seq).toBeGreaterThan(beforeRestart);

    agent.kill('SIGTERM');
    await agent.waitExit();
    const beforeSecondRestart = Math.max(...seqsOf());
    agent = start();
    const third = await recorder.waitForJson('state', 'third birth', (json) => json.online === true && json.session === 3);
    const afterTerm = await recorder.waitForJson('heartbeat', 'heartbeat after SIGTERM', (json) => json.ts >= third.ts);
    expect(afterTerm.seq).toBeGreaterThan(beforeSecondRestart);
    agent.kill('SIGTERM');
    await agent.waitExit();
    // A heartbeat in flight at the SIGKILL may come again after the restart: QoS 1 allows that,
    // and it is the same message under the same seq, which a consumer drops.
    const bySeq = new Map<number, string>();
    for (const message of recorder.messages.filter((m) => m.topic.endsWith('/heartbeat'))) {
      const earlier = bySeq.get(message.json.seq);
      if (earlier !== undefined) expect(message.payload.toString()).toBe(earlier);
      bySeq.set(message.json.seq, message.payload.toString());
    }
  });

  it('keeps an active fault and its id across a restart, and clears with that id what went away meanwhile', async () => {
    const { terminal, recorder, start } = await setup();
    terminal.apply({ battery: { capacity: 10, temperatureC: 60 } });
    let agent = start();
    const low = await recorder.waitForJson('fault', 'BATTERY_LOW raised', raised('BATTERY_LOW'));
    const hot = await recorder.waitForJson('fault', 'BATTERY_OVERHEAT raised', raised('BATTERY_OVERHEAT'));
    agent.kill('SIGTERM');
    await agent.waitExit();

    // While the agent is down the battery cools, but stays low.
    terminal.apply({ battery: { temperatureC: 35 } });
    agent = start();
    const birth = await recorder.waitForJson('state', 'second birth', (json) => json.online === true && json.session === 2);
    const hotCleared = await recorder.waitForJson('fault', 'BATTERY_OVERHEAT cleared', cleared('BATTERY_OVERHEAT'));
    expect(hotCleared).toMatchObject({ id: hot.id, raisedAt: hot.raisedAt });
    const snapshot = await recorder.waitForJson('faults', 'snapshot after restart', (json) => json.ts >= birth.ts && json.reasons.length === 1);
    expect(snapshot.active.map((fault: any) => fault.id)).toEqual([low.id]);
    await recorder.waitForJson('heartbeat', 'two heartbeats after restart', (json) => json.ts >= birth.ts + 1_000);
    expect(recorder.of('fault').filter(raised('BATTERY_LOW'))).toHaveLength(1);

    terminal.apply({ battery: { capacity: 50 } });
    const lowCleared = await recorder.waitForJson('fault', 'BATTERY_LOW cleared', cleared('BATTERY_LOW'));
    expect(lowCleared.id).toBe(low.id);
    agent.kill('SIGTERM');
    await agent.waitExit();
  });

  it('turns the maintenance file into MAINTENANCE within 5 s, and still reports faults meanwhile', async () => {
    const { terminal, recorder, start } = await setup();
    const agent = start();
    await recorder.waitForJson('faults', 'IN_SERVICE', (json) => json.availability === 'IN_SERVICE');

    terminal.apply({ maintenance: { on: true, reason: 'firmware 4.2.1' } });
    const maintenance = await recorder.waitForJson('faults', 'MAINTENANCE', (json) => json.availability === 'MAINTENANCE', 5_000);
    expect(maintenance.reasons).toEqual(['MAINTENANCE']);
    expect(maintenance.maintenance).toEqual({ reason: 'firmware 4.2.1' });

    terminal.apply({ battery: { capacity: 10 } });
    await recorder.waitForJson('fault', 'BATTERY_LOW raised under maintenance', raised('BATTERY_LOW'));
    await recorder.waitForJson('faults', 'MAINTENANCE with BATTERY_LOW', (json) => json.availability === 'MAINTENANCE' && json.reasons.length === 2);
    const heartbeat = await recorder.waitForJson('heartbeat', 'heartbeat under maintenance', (json) => json.reasons.length === 2);
    expect(heartbeat).toMatchObject({ availability: 'MAINTENANCE', reasons: ['MAINTENANCE', 'BATTERY_LOW'] });

    terminal.apply({ maintenance: { on: false } });
    await recorder.waitForJson('faults', 'DEGRADED after maintenance', (json) => json.availability === 'DEGRADED', 5_000);
    agent.kill('SIGTERM');
    await agent.waitExit();
  });

  it('survives garbage and missing sysfs files: the value is absent, a log line names the file', async () => {
    const { terminal, recorder, start } = await setup();
    const agent = start();
    await recorder.waitForJson('heartbeat', 'first heartbeat');

    terminal.apply({ battery: { raw: { capacity: 'lots', temp: '123456789' } } });
    const heartbeat = await recorder.waitForJson('heartbeat', 'heartbeat without capacity', (json) => json.battery.percent === undefined);
    expect(heartbeat.battery).toEqual({ status: 'Discharging', mainsOnline: false });
    const warning = await waitForLog(agent, (line) => line.level === 40 && String(line.file).endsWith('class/power_supply/battery/capacity'), 'a warning naming the capacity file', 10_000);
    expect(warning.msg).toContain('not an integer');
    expect(agent.logLines().some((line) => String(line.file).endsWith('/temp') && /out of range/.test(line.msg))).toBe(true);

    terminal.apply({ battery: { unplugged: true } });
    await recorder.waitForJson('fault', 'BATTERY_MISSING raised', raised('BATTERY_MISSING'));
    terminal.apply({ battery: { unplugged: false, raw: {} } });
    await recorder.waitForJson('fault', 'BATTERY_MISSING cleared', cleared('BATTERY_MISSING'));
    await recorder.waitForJson('heartbeat', 'capacity again', (json) => json.battery.percent === 87);
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
  });

  it('reloads thresholds and intervals on SIGHUP without dropping the MQTT session, and refuses a bad config', async () => {
    const { terminal, configFile, config, recorder, start } = await setup();
    const agent = start();
    await recorder.waitForJson('heartbeat', 'first heartbeat');

    writeJson(configFile, { ...config, thresholds: { BATTERY_LOW: { raisePercent: 90, clearPercent: 95 }, SYS_DISK_LOW: { raisePercent: 101, clearPercent: 101 } } });
    agent.kill('SIGHUP');
    await recorder.waitForJson('fault', 'BATTERY_LOW at 87 % with a 90 % threshold', raised('BATTERY_LOW'));
    await recorder.waitForJson('fault', 'SYS_DISK_LOW with a threshold above the disk', raised('SYS_DISK_LOW'));

    terminal.apply({ system: { memAvailableMb: 20 } });
    const memory = await recorder.waitForJson('fault', 'SYS_MEMORY_LOW raised', raised('SYS_MEMORY_LOW'));
    expect(memory.detail).toEqual({ memAvailableMb: 20, memAvailablePercent: 2 });
    terminal.apply({ system: { memAvailableMb: 400 } });
    await recorder.waitForJson('fault', 'SYS_MEMORY_LOW cleared', cleared('SYS_MEMORY_LOW'));

    fs.writeFileSync(configFile, '{"terminalId": "x", "oops": true}');
    agent.kill('SIGHUP');
    await waitForLog(agent, (line) => /config reload refused/.test(line.msg), 'config reload refused', 10_000);
    await recorder.waitForJson('heartbeat', 'still running after a refused reload', (json) => json.reasons.includes('SYS_DISK_LOW'));
    expect(recorder.of('state').filter((json) => json.online)).toHaveLength(1);
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
  });
});

describe('pos-agent check-config and run with a bad config', () => {
  it('lists every problem with its JSON path and exits 2', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'bad.json'), {
      terminalId: 'no spaces allowed',
      mqtt: {},
      heartbeatSeconds: -1,
      devices: { battery: { pollSeconds: 0 }, printr: {} },
    });
    const checked = await runCli(['check-config', file], { POS_AGENT_MQTT_URL: '' });
    expect(checked.code).toBe(2);
    for (const where of ['terminalId', 'mqtt.url', 'heartbeatSeconds', 'devices.battery.pollSeconds', 'devices.printr']) {
      expect(checked.stderr).toContain(`${where}: `);
    }
    const ran = await runCli(['run', '--config', file], { POS_AGENT_MQTT_URL: '' });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('devices.printr: unknown key');
  });

  it('accepts a good config and exits 0', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'good.json'), { terminalId: 'T-000123', mqtt: { url: 'mqtts://broker.example:8883' }, devices: { battery: {} } });
    const checked = await runCli(['check-config', file]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('valid');
  });

  it('exits 2 on a usage error', async () => {
    expect((await runCli(['run'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['run', '--bogus'])).code).toBe(2);
  });
});

const mosquitto = requireTool('mosquitto', 'the MQTT 5 end-to-end test');

describe.skipIf(!mosquitto)('pos-agent run on MQTT 5 (mosquitto)', () => {
  let broker5: Mosquitto;
  beforeAll(async () => {
    broker5 = await Mosquitto.start(mosquitto!);
  });
  afterAll(async () => {
    await broker5?.stop();
  });

  it('publishes the same contract over MQTT 5', async () => {
    const { terminal, recorder, start } = await setup((config) => (config.mqtt.protocolVersion = 5), broker5.url);
    const agent = start();
    const birth = await recorder.waitForJson('state', 'birth', (json) => json.online === true);
    expect(birth.session).toBe(1);
    terminal.apply({ battery: { capacity: 3 } });
    await recorder.waitForJson('fault', 'BATTERY_CRITICAL raised', raised('BATTERY_CRITICAL'));
    await recorder.waitForJson('faults', 'OUT_OF_SERVICE', (json) => json.availability === 'OUT_OF_SERVICE');
    await recorder.waitForJson('heartbeat', 'heartbeat', (json) => json.availability === 'OUT_OF_SERVICE');
    agent.kill('SIGTERM');
    await recorder.waitForJson('state', 'clean offline', (json) => json.online === false && json.reason === 'shutdown');
    expect((await agent.waitExit(5_000)).code).toBe(0);
  });
});
