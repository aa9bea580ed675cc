import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll } from './helpers/agent-process.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { makePki, type Pki } from '../sim/pki.js';
import { Recorder } from './helpers/recorder.js';
import { Rig, sleep, waitForLog } from './helpers/rig.js';
import { auditSeqs } from './helpers/seq-audit.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

/**
 * Mutual TLS (SPEC.md section 4, connection): mosquitto asks every client for a certificate
 * from the test CA, takes its CN as the user name, and lets a terminal write only under
 * `pos/v1/<its CN>/#`. A back end with its own certificate reads everything.
 */

const mosquitto = requireTool('mosquitto', 'the mutual TLS tests');
const openssl = requireTool('openssl', 'the mutual TLS tests');

describe.skipIf(!mosquitto || !openssl)('mutual TLS against mosquitto, with an ACL by certificate', () => {
  let broker: Mosquitto;
  let pki: Pki;
  let url: string;
  let recorder: Recorder;

  beforeAll(async () => {
    const dir = tempDir('pki-');
    // mosquitto started as root reads its files as the user "mosquitto".
    fs.chmodSync(dir, 0o755);
    pki = makePki(openssl!, dir, ['T-1', 'T-2', 'backend']);
    for (const name of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, name), 0o644);
    const acl = path.join(dir, 'acl');
    fs.writeFileSync(acl, ['user backend', 'topic read pos/v1/#', '', 'pattern readwrite pos/v1/%u/#', ''].join('\n'), { mode: 0o644 });
    broker = await Mosquitto.start(mosquitto!, {
      extra: [
        `cafile ${pki.ca}`,
        `certfile ${pki.server.cert}`,
        `keyfile ${pki.server.key}`,
        'require_certificate true',
        'use_identity_as_username true',
        `acl_file ${acl}`,
      ],
    });
    url = `mqtts://127.0.0.1:${broker.port}`;
    const backend = pki.clients.backend!;
    recorder = await Recorder.connect(url, 'pos/v1/#', {
      protocolVersion: 5,
      ca: fs.readFileSync(pki.ca),
      cert: fs.readFileSync(backend.cert),
      key: fs.readFileSync(backend.key),
    });
  });
  afterEach(() => killAll());
  afterAll(async () => {
    await recorder?.close();
    await broker?.stop();
    removeTempDirs();
  });

  function terminal(terminalId: string, certificate: string, protocolVersion: 4 | 5 = 5): Rig {
    return new Rig(terminalId, { brokerUrl: url, protocolVersion }, (config) => {
      Object.assign(config.mqtt, { ca: pki.ca, cert: pki.clients[certificate]!.cert, key: pki.clients[certificate]!.key });
    });
  }

  const under = (terminalId: string) => recorder.messages.filter((message) => message.topic.startsWith(`pos/v1/${terminalId}/`));

  it('connects with its client certificate and delivers', async () => {
    const rig = terminal('T-1', 'T-1');
    const agent = rig.start();
    await recorder.waitForJson('state', 'birth of T-1', (json) => json.online === true);
    await recorder.waitForJson('heartbeat', 'heartbeat of T-1');
    await rig.terminal.apply({ battery: { capacity: 3 } });
    const critical = await recorder.waitForJson('fault', 'BATTERY_CRITICAL of T-1', (json) => json.code === 'BATTERY_CRITICAL');
    expect(critical.state).toBe('raised');
    // The test CA and client certificate are valid for 2 days, within the default 30 warning days:
    // the link's own certificates are checked without a certificates device in the config.
    const expiring = await recorder.waitForJson('fault', 'CERT_EXPIRING of T-1', (json) => json.code === 'CERT_EXPIRING');
    expect(expiring.detail.certificates.map((c: { file: string; subject: string }) => [c.file, c.subject])).toEqual([
      [pki.ca, 'CN=pos-agent test CA'],
      [pki.clients['T-1']!.cert, 'CN=T-1'],
    ]);
    expect(under('T-1').length).toBeGreaterThanOrEqual(4);
    agent.kill('SIGTERM');
    await recorder.waitForJson('state', 'clean offline of T-1', (json) => json.online === false && json.reason === 'shutdown');
    expect((await agent.waitExit()).code).toBe(0);
  });

  it('MQTT 5: an agent whose terminal id is not its certificate CN is refused, says so once, retries without spinning, and delivers everything once its identity is right', async () => {
    const rig = terminal('T-2', 'T-1');
    let agent = rig.start();
    const refused = await waitForLog(agent, (line) => line.level === 50 && line.msg.startsWith('broker refused a message'), 'refusal');
    expect(refused).toMatchObject({ seq: 1, reason: 'Not authorized (0x87)' });
    expect(refused.msg).toMatch(/terminalId/);
    await sleep(6_000);
    const refusals = agent.logLines().filter((line) => line.msg.startsWith('broker refused a message') || line.msg === 'broker still refuses the oldest message');
    // Backoff from 1 s: a handful of tries in six seconds, each a single message (without it,
    // every heartbeat would send the whole window again).
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals.length).toBeLessThanOrEqual(8);
    expect(refusals.filter((line) => line.level === 50)).toHaveLength(1);
    expect(refusals.every((line) => line.seq === 1)).toBe(true);
    expect(under('T-2')).toEqual([]);
    agent.kill('SIGTERM');
    expect((await agent.waitExit(5_000)).code).toBe(0);

    // Nothing was lost: the refused messages wait in the outbox.
    const kept = await rig.outboxOnDisk();
    expect(kept.pending.length).toBeGreaterThanOrEqual(3);
    expect(kept.pending).toEqual(Array.from({ length: kept.pending.length }, (_, i) => i + 1));

    rig.reconfigure((config) => Object.assign(config.mqtt, { cert: pki.clients['T-2']!.cert, key: pki.clients['T-2']!.key }));
    agent = rig.start();
    await recorder.waitForJson('state', 'birth of T-2', (json) => json.online === true && json.session > 0);
    const last = kept.pending.at(-1)!;
    await recorder.waitFor('the backlog of T-2', (message) => message.topic.startsWith('pos/v1/T-2/') && message.json?.seq === last + 1);
    agent.kill('SIGTERM');
    await agent.waitExit();
    const audit = auditSeqs(under('T-2'), last + 1);
    expect(audit.missing).toEqual([]);
    expect(audit.outOfOrder).toEqual([]);
    expect(audit.conflicting).toEqual([]);
  });

  it('server-only TLS: verifies the broker against `ca` and delivers; never connects to a broker that CA did not sign', async () => {
    const serverOnly = await Mosquitto.start(mosquitto!, { extra: [`certfile ${pki.server.cert}`, `keyfile ${pki.server.key}`] });
    const serverUrl = `mqtts://127.0.0.1:${serverOnly.port}`;
    const rogue = makePki(openssl!, tempDir('rogue-pki-'), []);
    const trusting = new Rig(Rig.id(), { brokerUrl: serverUrl, protocolVersion: 5 }, (config) => (config.mqtt.ca = pki.ca));
    const wary = new Rig(Rig.id(), { brokerUrl: serverUrl, protocolVersion: 5 }, (config) => (config.mqtt.ca = rogue.ca));
    const watcher = await Recorder.connect(serverUrl, 'pos/v1/#', { ca: fs.readFileSync(pki.ca) });
    try {
      const agent = trusting.start();
      await watcher.waitFor('heartbeat over server-only TLS', (message) => message.topic === `pos/v1/${trusting.terminalId}/heartbeat`);
      agent.kill('SIGTERM');
      await agent.waitExit();

      const refused = wary.start();
      const line = await waitForLog(refused, (entry) => entry.msg === 'cannot reach the broker', 'TLS failure');
      expect(line.reason).toMatch(/certificate/);
      await sleep(2_000);
      expect(refused.logLines().some((entry) => entry.msg === 'connected to broker')).toBe(false);
      expect(watcher.messages.some((message) => message.topic.startsWith(`pos/v1/${wary.terminalId}/`))).toBe(false);
      refused.kill('SIGTERM');
      await refused.waitExit();
    } finally {
      await watcher.close();
      await serverOnly.stop();
    }
  });

  it('MQTT 3.1.1: the broker drops the same publishes silently, so the agent believes them delivered and a back end sees nothing', async () => {
    const rig = terminal('T-3', 'T-1', 4);
    const agent = rig.start();
    await waitForLog(agent, (line) => line.msg === 'connected to broker', 'connected');
    await sleep(3_000);
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
    const outbox = await rig.outboxOnDisk();
    expect(outbox.lastSeq).toBeGreaterThanOrEqual(2);
    expect(outbox.pending).toEqual([]);
    expect(under('T-3')).toEqual([]);
  });
});
