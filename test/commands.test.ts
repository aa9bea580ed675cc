import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { killAll, type AgentProcess } from './helpers/agent-process.js';
import type { Recorder } from './helpers/recorder.js';
import { commandedTerminal, type CommandedTerminal } from './helpers/tech-setup.js';
import { hs256, payload, rawToken, sign, technician } from './helpers/technician.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { waitUntil } from '../basics/wait.js';

/**
 * R/cmd from an attacker's side: the built agent (child process) against commands forged, replayed,
 * expired, malformed and flooded through a real broker. Each refusal has its code and a log line,
 * and nothing changes on the terminal.
 */

let broker: EmbeddedBroker;
const recorders: Recorder[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startBroker();
});
afterEach(async () => {
  killAll();
  await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});
afterAll(async () => {
  await broker.close();
  removeTempDirs();
});

interface Attack {
  t: CommandedTerminal;
  agent: AgentProcess;
  /** Publishes a raw payload on R/cmd and waits for the reply that carries `id`. */
  send(token: string | Buffer, id: string | null): Promise<any>;
  restart(): Promise<void>;
}

async function attack(): Promise<Attack> {
  const t = await commandedTerminal(broker.url);
  recorders.push(t.recorder);
  const client = await mqtt.connectAsync(broker.url, { clientId: `attacker-${Date.now()}` });
  clients.push(client);
  const cmd = `pos/v1/${t.terminalId}/cmd`;
  let lastSeq = 0;
  let lastSent = 0;
  const result: Attack = {
    t,
    agent: t.start(),
    async send(token, id) {
      // Refusals are answered at most once a second: space them out.
      const wait = lastSent + 1_100 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastSent = Date.now();
      await client.publishAsync(cmd, token, { qos: 1 });
      const reply = await t.recorder.waitForJson('reply', `the reply to ${id}`, (json) => json.id === id && json.seq > lastSeq);
      lastSeq = reply.seq;
      return reply;
    },
    async restart() {
      result.agent.kill('SIGTERM');
      expect((await result.agent.waitExit()).code).toBe(0);
      const before = Date.now();
      result.agent = t.start();
      await t.recorder.waitFor('a new birth', (message) => message.topic.endsWith('/state') && message.at >= before && message.json.online);
    },
  };
  await t.recorder.waitForJson('faults', 'the first snapshot', (json) => json.availability === 'IN_SERVICE');
  return result;
}

const maintenanceFile = (t: CommandedTerminal) => path.join(t.terminal.stateDir, 'maintenance');

describe('technician commands that must be refused', () => {
  it('refuses forged, unsigned, expired, misdirected, malformed and unknown commands, each with its code and a log line, and changes nothing', async () => {
    const { t, agent, send } = await attack();
    const other = technician(t.tech.kid);
    const on = (change = {}) => payload(t.terminalId, 'maintenance', { on: true, reason: 'attack' }, change);
    const s = Math.floor(Date.now() / 1000);

    const cases: [what: string, token: () => Promise<string | Buffer> | string | Buffer, id: string | null, code: string][] = [];
    const add = (what: string, code: string, body: ReturnType<typeof on> | null, token: (body: ReturnType<typeof on>) => Promise<string> | string | Buffer) => {
      const command = body ?? on();
      cases.push([what, () => token(command), body === null ? null : command.id, code]);
    };
    add('not a JWS at all', 'BAD_REQUEST', null, () => 'maintenance on please');
    add('a payload over 16 KiB', 'BAD_REQUEST', null, async (body) => `${await sign(t.tech, body)}${'A'.repeat(16 * 1024)}`);
    add('a payload that is not the JSON of a command', 'BAD_REQUEST', on(), (body) => rawToken({ alg: 'EdDSA', kid: t.tech.kid }, { id: body.id, op: 'maintenance' }, 'AAAA'));
    add('args the op does not take', 'BAD_REQUEST', payload(t.terminalId, 'maintenance', { on: 'yes' }), (body) => sign(t.tech, body));
    add('signed with another key under a known kid', 'UNAUTHORIZED', on(), (body) => sign(other, body));
    add('unsigned, alg none', 'UNAUTHORIZED', on(), (body) => rawToken({ alg: 'none', kid: t.tech.kid }, body));
    add('HS256 with the public key as secret', 'UNAUTHORIZED', on(), (body) => hs256(t.tech, body));
    add('an unknown kid', 'UNAUTHORIZED', on(), (body) => sign(t.tech, body, 'tech-nobody'));
    add('another terminal as aud', 'UNAUTHORIZED', payload('T-OTHER', 'maintenance', { on: true }), (body) => sign(t.tech, body));
    add('exp passed', 'EXPIRED', on({ iat: s - 600, exp: s - 60 }), (body) => sign(t.tech, body));
    add('iat in the future', 'EXPIRED', on({ iat: s + 600, exp: s + 900 }), (body) => sign(t.tech, body));
    add('exp too far after iat', 'EXPIRED', on({ iat: s, exp: s + 3_600 }), (body) => sign(t.tech, body));
    add('an unknown op', 'UNKNOWN_OP', payload(t.terminalId, 'shell', { command: 'rm -rf /' }), (body) => sign(t.tech, body));

    const refusedLines = () => agent.logLines().filter((line) => /command refused/.test(line.msg));
    for (const [what, token, id, code] of cases) {
      const before = refusedLines().length;
      const reply = await send(await token(), id);
      expect({ what, reply }).toMatchObject({ what, reply: { ok: false, id, error: { code } } });
      expect(Object.keys(reply)).toEqual(['seq', 'ts', 'id', 'ok', 'error']);
      // The line is written before the reply is sent, but stderr may reach this process later.
      await waitUntil('another refusal line', () => refusedLines().length > before, 10_000, 20);
      expect({ what, logged: refusedLines().slice(before) }).toMatchObject({ what, logged: [{ level: 40, code, id }] });
    }

    expect(fs.existsSync(maintenanceFile(t))).toBe(false);
    expect(t.recorder.of('faults').some((json) => json.availability === 'MAINTENANCE')).toBe(false);
    expect(t.recorder.of('reply').every((json) => json.ok === false)).toBe(true);
    expect(agent.logLines().some((line) => /command .* accepted/.test(line.msg))).toBe(false);
    // And a good command still runs.
    const good = payload(t.terminalId, 'status');
    expect(await send(await sign(t.tech, good), good.id)).toMatchObject({ ok: true, data: { terminalId: t.terminalId } });
  });

  it('refuses a command executed before, also after a restart; a refused command does not use its id up', async () => {
    const a = await attack();
    const { t } = a;
    const on = payload(t.terminalId, 'maintenance', { on: true, reason: 'first' });
    const token = await sign(t.tech, on);
    expect(await a.send(token, on.id)).toMatchObject({ ok: true, data: { on: true, reason: 'first' } });
    await t.recorder.waitForJson('faults', 'MAINTENANCE', (json) => json.availability === 'MAINTENANCE');
    const off = payload(t.terminalId, 'maintenance', { on: false });
    expect(await a.send(await sign(t.tech, off), off.id)).toMatchObject({ ok: true, data: { on: false } });
    expect(await a.send(token, on.id)).toMatchObject({ ok: false, error: { code: 'REPLAY' } });

    await a.restart();
    expect(await a.send(token, on.id)).toMatchObject({ ok: false, error: { code: 'REPLAY' } });
    await waitUntil('a REPLAY refusal', () => a.agent.logLines().some((line) => line.code === 'REPLAY'), 10_000, 20);
    expect(fs.existsSync(maintenanceFile(t))).toBe(false);

    const refused = payload(t.terminalId, 'loglevel', { level: 'loud' });
    expect(await a.send(await sign(t.tech, refused), refused.id)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    const retried = { ...refused, args: { level: 'debug', minutes: 1 } };
    expect(await a.send(await sign(t.tech, retried), refused.id)).toMatchObject({ ok: true, data: { level: 'debug' } });
  });

  it('answers a flood of junk with at most one refusal a second, and keeps working', async () => {
    const { t, agent, send } = await attack();
    const client = clients.at(-1)!;
    const cmd = `pos/v1/${t.terminalId}/cmd`;
    const forged = await sign(technician(t.tech.kid), payload(t.terminalId, 'maintenance', { on: true }));
    const junk = [Buffer.from('junk'), Buffer.alloc(20_000, 0x41), Buffer.from(forged), Buffer.from(rawToken({ alg: 'none' }, { id: 'x' })), Buffer.from([0xff, 0x00, 0xfe])];

    // Four seconds of junk, 750 a second.
    const total = 3_000;
    const floodStart = Date.now();
    for (let second = 0; second < 4; second++) {
      const sent = Array.from({ length: total / 4 }, (_, i) => client.publishAsync(cmd, junk[i % junk.length]!, { qos: 1 }));
      await Promise.all(sent);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const floodEnd = Date.now();

    const good = payload(t.terminalId, 'status');
    const answer = await send(await sign(t.tech, good), good.id);
    expect(answer).toMatchObject({ ok: true, data: { terminalId: t.terminalId, availability: 'IN_SERVICE' } });
    await t.recorder.waitForJson('heartbeat', 'a heartbeat after the flood', (json) => json.ts > floodEnd + 1_000);

    const refusals = t.recorder.of('reply').filter((json) => json.ok === false);
    const windowSeconds = (Date.now() - floodStart) / 1_000;
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals.length).toBeLessThanOrEqual(Math.ceil(windowSeconds) + 1);
    // The contract's bound: never two refusals within one second (times from the agent's clock).
    for (let i = 1; i < refusals.length; i++) expect(refusals[i].ts - refusals[i - 1].ts).toBeGreaterThanOrEqual(1_000);
    await waitUntil('a refusal line for every refusal', () => agent.logLines().filter((line) => /command refused/.test(line.msg)).length >= refusals.length, 10_000, 20);
    expect(agent.logLines().filter((line) => /command refused/.test(line.msg)).length).toBe(refusals.length);
    expect(fs.existsSync(maintenanceFile(t))).toBe(false);
    expect(agent.child.exitCode).toBeNull();

    // The rest were dropped and counted: the count is logged once a minute, and when the agent stops.
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
    const dropped = agent.logLines().find((line) => typeof line.dropped === 'number' && /not answered/.test(line.msg));
    expect(dropped.dropped + refusals.length).toBe(total);
  });
});
