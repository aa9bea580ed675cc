import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll } from './helpers/agent-process.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { Recorder } from './helpers/recorder.js';
import { Rig, sleep, waitForLog, waitForReconnect } from './helpers/rig.js';
import { auditSeqs } from './helpers/seq-audit.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

/** SPEC.md section 4, connection: refused CONNACKs, backoff, and the MQTT 5 will delay, against mosquitto. */

const mosquitto = requireTool('mosquitto', 'the reconnect and will delay tests');

const brokers: Mosquitto[] = [];
const recorders: Recorder[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
  await Promise.all(brokers.splice(0).map((broker) => broker.stop()));
});
afterAll(() => removeTempDirs());

/** A mosquitto password file line: `$6$` is salted SHA-512, one of the formats mosquitto 2 reads. */
function passwordLine(user: string, password: string): string {
  const salt = randomBytes(12);
  const hash = createHash('sha512').update(password).update(salt).digest();
  return `${user}:$6$${salt.toString('base64')}$${hash.toString('base64')}\n`;
}

describe.skipIf(!mosquitto)('reconnecting to mosquitto', () => {
  it('keeps trying with backoff while the broker refuses its password, and connects once the broker takes it', async () => {
    const dir = tempDir('mosquitto-auth-');
    fs.chmodSync(dir, 0o755);
    const passwords = path.join(dir, 'passwd');
    const rig = new Rig(Rig.id(), { brokerUrl: 'mqtt://127.0.0.1:1', protocolVersion: 5 });
    const users = (terminalPassword: string) =>
      fs.writeFileSync(passwords, passwordLine(rig.terminalId, terminalPassword) + passwordLine('backend', 'backend-secret'), { mode: 0o644 });
    users('the-old-password');
    const broker = await Mosquitto.start(mosquitto!, { extra: ['allow_anonymous false', `password_file ${passwords}`] });
    brokers.push(broker);
    rig.reconfigure((config) => Object.assign(config.mqtt, { url: broker.url, username: rig.terminalId, password: 'the-new-password' }));
    const recorder = await Recorder.connect(broker.url, `pos/v1/${rig.terminalId}/#`, { username: 'backend', password: 'backend-secret' });
    recorders.push(recorder);

    const agent = rig.start();
    const refusals = () => agent.logLines().filter((line) => line.msg === 'cannot reach the broker');
    await waitForLog(agent, () => refusals().length >= 3, 'three refused attempts');
    const [first, ...later] = refusals();
    expect(first.level).toBe(40);
    expect(first.reason).toMatch(/^Connection refused: (Not authorized|Bad User Name or Password)/);
    // Said once; the attempts after it are quieter, and each waits under a doubling ceiling.
    expect(later.every((line) => line.level === 20 && line.reason === first.reason)).toBe(true);
    refusals().forEach((line, attempt) => expect(line.retryInMs).toBeLessThan(1_000 * 2 ** attempt));

    // The broker learns the new password: the file is fixed and the broker reloads it, keeping
    // the back end's connection (a restart would race the agent to the back end's subscription).
    users('the-new-password');
    const fixedAt = Date.now();
    broker.reload();
    await waitForReconnect(agent, fixedAt);
    // Refused attempts do not use session numbers up; what was made meanwhile arrives, in order.
    const birth = await recorder.waitForJson('state', 'birth', (json) => json.online === true);
    expect(birth.session).toBe(1);
    const heartbeat = await recorder.waitForJson('heartbeat', 'heartbeat made after the connect', (json) => json.ts > fixedAt);
    const audit = auditSeqs(recorder.messages, heartbeat.seq);
    expect(audit.missing).toEqual([]);
    expect(audit.outOfOrder).toEqual([]);
    expect(audit.bySeq.get(1).ts).toBeLessThan(fixedAt);
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
  });

  it('MQTT 5: the broker holds the will for its 30 s delay after an abrupt drop; not sent when the agent is back within it, sent when it is not', async () => {
    const broker = await Mosquitto.start(mosquitto!);
    brokers.push(broker);
    const rig = new Rig(Rig.id(), { brokerUrl: broker.url, protocolVersion: 5 });
    const recorder = await Recorder.connect(broker.url, `pos/v1/${rig.terminalId}/#`);
    recorders.push(recorder);
    const wills = () => recorder.of('state').filter((json) => json.online === false);

    let agent = rig.start();
    await recorder.waitForJson('state', 'first birth', (json) => json.online === true && json.session === 1);
    const firstDrop = Date.now();
    agent.kill('SIGKILL');
    await agent.waitExit();
    await sleep(2_000);
    agent = rig.start();
    await recorder.waitForJson('state', 'second birth', (json) => json.online === true && json.session === 2);

    const secondDrop = Date.now();
    agent.kill('SIGKILL');
    await agent.waitExit();
    const will = await recorder.waitFor('the will of session 2', (message) => message.topic.endsWith('/state') && message.json?.online === false, 45_000);
    expect(will.json).toEqual({ online: false, session: 2, reason: 'lost' });
    const heldMs = will.at - secondDrop;
    expect(heldMs).toBeGreaterThanOrEqual(25_000);
    expect(heldMs).toBeLessThan(45_000);
    // The first drop's will would be out by now (more than 30 s ago): the agent came back in time.
    expect(Date.now() - firstDrop).toBeGreaterThan(32_000);
    expect(wills()).toEqual([will.json]);
  }, 90_000);
});
