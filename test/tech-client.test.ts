import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { killAll, runCli, type AgentProcess } from './helpers/agent-process.js';
import { clearFormsIn, filesBelow, TEST_PAN, TEST_PAN_MASKED, TEST_TRACK_2 } from './helpers/cardholder.js';
import { freePort, Mosquitto } from '../sim/mosquitto.js';
import type { Recorder } from './helpers/recorder.js';
import { commandedTerminal, type CommandedTerminal } from './helpers/tech-setup.js';
import { technician } from './helpers/technician.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import { waitForLog } from './helpers/rig.js';

/**
 * The technician's client (built CLI, child process) against a running agent (built CLI, child
 * process) through a real broker: what a technician types, what the terminal answers.
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

async function setup(options: Parameters<typeof commandedTerminal>[1] = {}, url = broker.url): Promise<CommandedTerminal> {
  const terminal = await commandedTerminal(url, options);
  recorders.push(terminal.recorder);
  return terminal;
}

async function started(t: CommandedTerminal): Promise<AgentProcess> {
  const agent = t.start();
  await t.recorder.waitForJson('state', 'birth', (json) => json.online === true && json.ts >= Date.now() - 30_000);
  return agent;
}

const jsonLines = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));

async function stop(agent: AgentProcess): Promise<void> {
  agent.kill('SIGTERM');
  expect((await agent.waitExit()).code).toBe(0);
}

describe('pos-agent tech logs and cardholder data', () => {
  it('fetches logs in which a device string held a PAN and track data: masked in the reply, the messages and the files, never in clear', async () => {
    const t = await setup();
    const agent = await started(t);
    const level = await t.client('loglevel', 'debug', '--minutes', '5');
    expect(level.code).toBe(0);
    expect(level.stdout).toContain('log level debug');

    // What a broken fuel gauge driver, or a card reader wired where the battery should be, could put in sysfs.
    t.terminal.apply({ battery: { raw: { capacity: TEST_PAN.replace(/(\d{4})(?=\d)/g, '$1 '), status: TEST_TRACK_2 } } });
    await waitForLog(agent, (line) => String(line.file).endsWith('/capacity'), 'a line naming the capacity file', 15_000);
    await waitForLog(agent, (line) => String(line.file).endsWith('/status'), 'a line naming the status file', 15_000);

    const fetched = await t.client('logs', '--json', '--device', 'battery', '--level', 'warn');
    expect(fetched.code).toBe(0);
    const records = jsonLines(fetched.stdout);
    expect(records.find((record) => String(record.file).endsWith('/capacity'))).toMatchObject({
      level: 40,
      device: 'battery',
      problem: `not an integer: "${TEST_PAN_MASKED}"`,
    });
    expect(records.find((record) => String(record.file).endsWith('/status'))).toMatchObject({ problem: 'unknown value "[track data]"' });
    expect(records.every((record) => record.device === 'battery' && record.level >= 40)).toBe(true);

    const readable = await t.client('logs', '--grep', 'capacity');
    expect(readable.stdout).toMatch(/\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z\] WARN \(battery\): .*not an integer/);
    expect(readable.stdout).toContain(TEST_PAN_MASKED);

    const status = await t.client('status', '--json');
    expect(status.code).toBe(0);
    await t.recorder.waitForJson('heartbeat', 'a heartbeat without the percent', (json) => json.battery.percent === undefined);

    // Nowhere in clear: not in what the client printed, the replies (unzipped), any message, the
    // agent's stderr, or any file in its log and state folders (logs, outbox, journal).
    const replies = t.recorder.messages.filter((message) => message.topic.endsWith('/reply'));
    expect(replies.length).toBeGreaterThanOrEqual(4);
    const unzipped = replies.flatMap((message) => (message.json?.data?.gz ? [gunzipSync(Buffer.from(message.json.data.gz, 'base64')).toString('latin1')] : []));
    expect(unzipped.join('\n')).toContain(TEST_PAN_MASKED);
    const places = new Map<string, string>([
      ['tech stdout', fetched.stdout + readable.stdout + status.stdout],
      ['agent stderr', agent.stderr],
      ['unzipped replies', unzipped.join('\n')],
      ['messages', t.recorder.messages.map((message) => message.payload.toString('latin1')).join('\n')],
      ...filesBelow(t.terminal.logDir),
      ...filesBelow(t.terminal.stateDir),
    ]);
    expect(places.size).toBeGreaterThan(6);
    for (const [where, text] of places) expect({ where, found: clearFormsIn(text, TEST_PAN) }).toEqual({ where, found: [] });
    for (const [where, text] of places) expect({ where, track: text.includes('=2512101') }).toEqual({ where, track: false });
    await stop(agent);
  });

  it('sends a large log in parts, each at most 64 KiB of base64, and filters by level, device, text and time', async () => {
    const t = await setup();
    const start = Date.now() - 4_000_000;
    const written = Array.from({ length: 4_000 }, (_, i) => ({
      level: [20, 30, 40, 50][i % 4],
      time: start + i * 1_000,
      pid: 1,
      ...(i % 3 === 0 ? {} : { device: i % 3 === 1 ? 'battery' : 'system' }),
      msg: `${i % 5 === 0 ? 'needle ' : ''}record ${i} #${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
    }));
    fs.mkdirSync(t.terminal.logDir, { recursive: true });
    fs.writeFileSync(path.join(t.terminal.logDir, 'agent.log.1'), written.map((record) => `${JSON.stringify(record)}\n`).join(''));
    const agent = await started(t);

    const all = await t.client('logs', '--json', '--lines', '5000');
    expect(all.code).toBe(0);
    const records = jsonLines(all.stdout);
    expect(records.slice(0, 4_000)).toEqual(written);
    expect(records.length).toBeGreaterThan(4_000);
    const parts = t.recorder.messages.filter((message) => message.topic.endsWith('/reply')).map((message) => message.json);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((part) => part.part)).toEqual(parts.map((_, index) => index + 1));
    for (const part of parts) {
      expect(part).toMatchObject({ ok: true, id: parts[0].id, parts: parts.length });
      expect(part.data.gz.length).toBeLessThanOrEqual(64 * 1024);
      expect(gunzipSync(Buffer.from(part.data.gz, 'base64')).toString().trim().split('\n')).toHaveLength(part.data.records);
    }

    const since = new Date(start + 1_000_000).toISOString();
    const until = String(start + 3_000_000);
    const filtered = await t.client('logs', '--json', '--level', 'error', '--device', 'system', '--grep', 'NEEDLE', '--since', since, '--until', until);
    const expected = written.filter(
      (record) => record.level! >= 50 && record.device === 'system' && record.msg.includes('needle') && record.time >= start + 1_000_000 && record.time <= start + 3_000_000,
    );
    expect(expected.length).toBeGreaterThan(5);
    expect(jsonLines(filtered.stdout)).toEqual(expected);

    const last = await t.client('logs', '--json', '--lines', '3', '--device', 'battery');
    expect(jsonLines(last.stdout)).toEqual(written.filter((record) => record.device === 'battery').slice(-3));
    await stop(agent);
  });

  it('follows a log, printing new records as they come, for the time asked', async () => {
    const t = await setup();
    const agent = await started(t);
    const following = runCli(['tech', 'logs', t.terminalId, '--json', '--grep', 'capacity', '--follow', '--follow-for', '8s', '--broker', broker.url, '--key', t.keyFile, '--kid', t.tech.kid], {}, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    t.terminal.apply({ battery: { raw: { capacity: 'lots' } } });
    const result = await following;
    expect(result.code).toBe(0);
    const records = jsonLines(result.stdout);
    expect(records.filter((record) => /capacity: not an integer: "lots"/.test(record.msg))).toHaveLength(1);
    await stop(agent);
  });
});

describe('pos-agent tech ops', () => {
  it('status, diag, maintenance, rebirth and loglevel, each answered by the running agent', async () => {
    const t = await setup();
    const agent = await started(t);

    const status = await t.client('status', '--json');
    expect(status.code).toBe(0);
    const data = JSON.parse(status.stdout);
    expect(data).toMatchObject({ terminalId: t.terminalId, availability: 'IN_SERVICE', reasons: [], faults: [], connection: { up: true }, logLevel: { level: 'info' } });
    // All the fields, also those the heartbeat leaves out.
    expect(data.devices.battery.reading).toMatchObject({ percent: 87, voltageV: 3.987, cycleCount: 112, health: 'Good', stateOfHealthPercent: 95 });
    expect(data.outbox).toMatchObject({ dropped: 0 });
    // How it came to start, the boot it saw, and its own MQTT bytes both ways.
    expect(data.restart).toBe('first');
    expect(data.devices.system.reading.boots).toEqual([expect.objectContaining({ restart: 'first' })]);
    expect(data.connection.bytesSent).toBeGreaterThan(0);
    expect(data.connection.bytesReceived).toBeGreaterThan(0);
    const readable = await t.client('status');
    expect(readable.stdout).toContain(`${t.terminalId}  IN_SERVICE`);
    expect(readable.stdout).toMatch(/battery\s+online/);

    const diag = await t.client('diag', '--json');
    expect(JSON.parse(diag.stdout)).toMatchObject({ pass: true, devices: { battery: { pass: true }, system: { pass: true } } });
    const one = JSON.parse((await t.client('diag', '--device', 'battery', '--json')).stdout);
    expect(Object.keys(one.devices)).toEqual(['battery']);
    const absent = await t.client('diag', '--device', 'printer');
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain('BAD_REQUEST: printer is not configured on this terminal');

    const on = await t.client('maintenance', 'on', '--reason', 'printer swap', '--minutes', '30');
    expect(on.code).toBe(0);
    expect(on.stdout).toContain('maintenance on (printer swap) until');
    const maintenance = await t.recorder.waitForJson('faults', 'MAINTENANCE', (json) => json.availability === 'MAINTENANCE');
    expect(maintenance).toMatchObject({ reasons: ['MAINTENANCE'], maintenance: { reason: 'printer swap' } });
    expect((await t.client('maintenance', 'off')).code).toBe(0);
    await t.recorder.waitForJson('faults', 'IN_SERVICE again', (json) => json.availability === 'IN_SERVICE' && json.ts > maintenance.ts);

    const before = Date.now();
    expect((await t.client('rebirth')).code).toBe(0);
    const reborn = await t.recorder.waitFor('a birth after rebirth', (message) => message.topic.endsWith('/state') && message.at >= before && message.json.online);
    expect(reborn.json.session).toBe(1);
    await t.recorder.waitFor('the faults snapshot again', (message) => message.topic.endsWith('/faults') && message.at >= before);

    const level = await t.client('loglevel', 'debug', '--minutes', '0.05');
    expect(level.code).toBe(0);
    expect(JSON.parse((await t.client('status', '--json')).stdout).logLevel).toMatchObject({ level: 'debug', configured: 'info' });
    await waitForLog(agent, (line) => line.msg === 'log level back to the configured info', 'log level back to the configured info', 15_000);
    expect(JSON.parse((await t.client('status', '--json')).stdout).logLevel).toEqual({ level: 'info', configured: 'info' });
    await stop(agent);
  });

  it('faults: the history of raises and clears, across a restart, with since and limit', async () => {
    const t = await setup();
    let agent = await started(t);
    t.terminal.apply({ battery: { capacity: 10 } });
    const low = await t.recorder.waitForJson('fault', 'BATTERY_LOW raised', (json) => json.code === 'BATTERY_LOW' && json.state === 'raised');
    t.terminal.apply({ battery: { capacity: 50 } });
    await t.recorder.waitForJson('fault', 'BATTERY_LOW cleared', (json) => json.code === 'BATTERY_LOW' && json.state === 'cleared');
    await stop(agent);

    const restartedAt = Date.now();
    agent = t.start();
    await t.recorder.waitForJson('state', 'second birth', (json) => json.online === true && json.session === 2);
    t.terminal.apply({ battery: { capacity: 3 } });
    await t.recorder.waitForJson('fault', 'BATTERY_CRITICAL raised', (json) => json.code === 'BATTERY_CRITICAL' && json.state === 'raised');

    const history = jsonLines((await t.client('faults', '--json')).stdout);
    expect(history.slice(0, 2)).toMatchObject([
      { id: low.id, code: 'BATTERY_LOW', state: 'raised', seq: low.seq },
      { id: low.id, code: 'BATTERY_LOW', state: 'cleared', raisedAt: low.raisedAt },
    ]);
    expect(history.slice(2).map((entry) => `${entry.code} ${entry.state}`).sort()).toEqual(['BATTERY_CRITICAL raised', 'BATTERY_LOW raised']);
    expect(history.every((entry, index) => index === 0 || entry.seq > history[index - 1].seq)).toBe(true);

    const newest = jsonLines((await t.client('faults', '--json', '--limit', '1')).stdout);
    expect(newest).toEqual([history.at(-1)]);
    const sinceRestart = jsonLines((await t.client('faults', '--json', '--since', String(restartedAt))).stdout);
    expect(sinceRestart).toEqual(history.slice(2));
    const readable = await t.client('faults');
    expect(readable.stdout).toMatch(/raised\s+warning\s+BATTERY_LOW/);
    expect(readable.stdout).toMatch(/cleared\s+warning\s+BATTERY_LOW/);
    await stop(agent);
  });
});

describe('pos-agent tech when things go wrong', () => {
  it('exits 3 with a clear message when the terminal or the broker does not answer, 1 when refused, 2 on bad usage', async () => {
    const t = await setup();
    const silent = await runCli(['tech', 'status', 'T-NOBODY', '--broker', broker.url, '--key', t.keyFile, '--kid', t.tech.kid, '--timeout', '2s']);
    expect(silent.code).toBe(3);
    expect(silent.stderr).toContain('T-NOBODY: no answer within 2 s (--timeout); is the terminal online?');

    const closed = await freePort();
    const unreachable = await runCli(['tech', 'status', t.terminalId, '--broker', `mqtt://127.0.0.1:${closed}`, '--key', t.keyFile, '--kid', t.tech.kid]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(`cannot reach the broker at mqtt://127.0.0.1:${closed}`);

    const agent = await started(t);
    const other = technician('tech-e2e');
    const otherKey = path.join(tempDir(), 'other.key');
    fs.writeFileSync(otherKey, other.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const forged = await runCli(['tech', 'status', t.terminalId, '--broker', broker.url, '--key', otherKey, '--kid', 'tech-e2e']);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('refused status: UNAUTHORIZED');

    const env = { POS_AGENT_TECH_BROKER: broker.url, POS_AGENT_TECH_KEY: t.keyFile, POS_AGENT_TECH_KID: t.tech.kid };
    expect((await runCli(['tech', 'status', t.terminalId], env)).code).toBe(0);
    for (const args of [
      ['tech', 'status'],
      ['tech', 'status', t.terminalId, '--grep', 'x'],
      ['tech', 'logs', t.terminalId, '--since', 'yesterday'],
      ['tech', 'logs', t.terminalId, '--lines', '6000'],
      ['tech', 'maintenance', t.terminalId, 'maybe'],
      ['tech', 'frobnicate', t.terminalId],
    ]) {
      const result = await runCli(args, env);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
    }
    expect((await runCli(['tech', 'status', t.terminalId, '--broker', broker.url, '--key', t.configFile, '--kid', 'x'])).stderr).toContain('not a private key');
    await stop(agent);
  });

  it('keygen writes a key pair whose entry an agent accepts, and refuses to overwrite it', async () => {
    const dir = tempDir();
    const key = path.join(dir, 'me.key');
    const made = await runCli(['tech', 'keygen', '--key', key, '--kid', 'alice']);
    expect(made.code).toBe(0);
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${key}.pub`, 'utf8')).toContain('BEGIN PUBLIC KEY');
    const entry = JSON.parse(made.stdout.slice(made.stdout.indexOf('{')));
    expect(entry).toEqual({ kid: 'alice', publicKey: fs.readFileSync(`${key}.pub`, 'utf8') });
    const again = await runCli(['tech', 'keygen', '--key', key]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; --force replaces it');

    const t = await setup({ change: (config) => (config.technicianKeys = [entry]) });
    const agent = await started(t);
    const answered = await runCli(['tech', 'status', t.terminalId, '--json', '--broker', broker.url, '--key', key, '--kid', 'alice']);
    expect(answered.code).toBe(0);
    expect(JSON.parse(answered.stdout).terminalId).toBe(t.terminalId);
    await stop(agent);
  });
});

const mosquittoBinary = requireTool('mosquitto', 'the technician client over MQTT 5');

describe.skipIf(!mosquittoBinary)('pos-agent tech over MQTT 5 (mosquitto)', () => {
  let broker5: Mosquitto;
  beforeAll(async () => {
    broker5 = await Mosquitto.start(mosquittoBinary!);
  });
  afterAll(async () => {
    await broker5?.stop();
  });

  it('gets its answers by correlation data; a refusal without an id still carries the request correlation data', async () => {
    const t = await setup({ protocolVersion: 5 }, broker5.url);
    const agent = await started(t);
    const status = await t.client('status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).terminalId).toBe(t.terminalId);

    const client = await mqtt.connectAsync(broker5.url, { protocolVersion: 5, clientId: `raw-${Date.now()}` });
    const reply = `pos/v1/${t.terminalId}/reply`;
    await client.subscribeAsync(reply, { qos: 1 });
    const answered = new Promise<{ json: any; correlation?: Buffer }>((resolve) => {
      client.on('message', (_topic, payload, packet) => {
        const json = JSON.parse(payload.toString());
        if (json.id === null) resolve({ json, correlation: packet.properties?.correlationData });
      });
    });
    const correlation = Buffer.from('raw-request-1');
    await client.publishAsync(`pos/v1/${t.terminalId}/cmd`, 'not a token', { qos: 1, properties: { responseTopic: reply, correlationData: correlation } });
    const refused = await answered;
    expect(refused.json).toMatchObject({ id: null, ok: false, error: { code: 'BAD_REQUEST' } });
    expect(refused.correlation).toEqual(correlation);
    await client.endAsync();
    await stop(agent);
  });
});
