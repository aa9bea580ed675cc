import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../sim/broker.js';
import { removeTempDirs, tempDir, writeJson } from '../sim/temp-dirs.js';
import { killAll, runCli } from './helpers/agent-process.js';
import { filesBelow } from './helpers/cardholder.js';
import { Rig, waitForLog } from './helpers/rig.js';

/** A secret in a config (SPEC.md section 3) is never printed, logged or echoed in an error message. */

const SECRET = 'Hunter2-s3cret';
afterEach(() => killAll());
afterAll(() => removeTempDirs());

describe('secrets in the config', () => {
  it('check-config prints the broker URL without its password, from the file or from POS_AGENT_MQTT_URL', async () => {
    const dir = tempDir();
    const file = writeJson(path.join(dir, 'agent.json'), { terminalId: 'T-1', mqtt: { url: `mqtts://terminal:${SECRET}@broker.example:8883` }, devices: { battery: {} } });
    const fromFile = await runCli(['check-config', file], { POS_AGENT_MQTT_URL: '' });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain('mqtts://terminal:***@broker.example:8883');
    const fromEnv = await runCli(['check-config', file], { POS_AGENT_MQTT_URL: `mqtt://other:${SECRET}x@broker.example` });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain('mqtt://other:***@broker.example');
    for (const run of [fromFile, fromEnv]) expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it('reports a file that is not JSON by line and column, without the text around the error', async () => {
    const dir = tempDir();
    const cases = [
      `{\n  "terminalId": "T-1",\n  "mqtt": { "url": "mqtt://h", "password": ${SECRET} }\n}\n`,
      `{\n  "mqtt": { "password": "${SECRET}" },,\n}`,
      `{\n  "mqtt": { "password": "${SECRET}`,
      `{"mqtt": {"password": "${SECRET}"}} ${SECRET}`,
    ];
    const where = ['line 3, column 44', 'line 2, column 44', 'line 2, column 40', 'line 1, column 42'];
    for (const [index, text] of cases.entries()) {
      const file = path.join(dir, `bad-${index}.json`);
      fs.writeFileSync(file, text);
      const checked = await runCli(['check-config', file]);
      expect(checked.code).toBe(2);
      expect(checked.stderr).toContain(`not valid JSON: `);
      expect(checked.stderr).toContain(where[index]);
      expect(checked.stdout + checked.stderr).not.toContain(SECRET);
      expect(checked.stdout + checked.stderr).not.toContain(SECRET.slice(0, 7));
    }
  });

  it('logs a SIGHUP reload of a file that is not JSON by line and column, without the secret', async () => {
    const broker = await startBroker();
    const rig = new Rig(Rig.id(), { brokerUrl: broker.url });
    try {
      const agent = rig.start();
      await waitForLog(agent, (line) => line.msg === 'agent started', 'agent started');
      fs.writeFileSync(rig.configFile, JSON.stringify(rig.config, null, 2).replace('"mqtt": {', `"mqtt": { "password": ${SECRET},`));
      agent.kill('SIGHUP');
      const refused = await waitForLog(agent, (line) => line.msg.startsWith('config reload refused'), 'the reload refused');
      expect(JSON.stringify(refused)).toMatch(/not valid JSON: .* at line \d+, column \d+/);
      agent.kill('SIGTERM');
      expect((await agent.waitExit()).code).toBe(0);
      expect(agent.stderr).not.toContain(SECRET.slice(0, 7));
      for (const [file, text] of filesBelow(rig.terminal.logDir)) expect({ file, leaked: text.includes(SECRET.slice(0, 7)) }).toEqual({ file, leaked: false });
    } finally {
      await broker.close();
    }
  });
});
