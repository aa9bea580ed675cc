import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBroker } from '../sim/broker.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import { AgentProcess, killAll } from './helpers/agent-process.js';
import { sleep, waitForLog } from './helpers/rig.js';
import { commandedTerminal } from './helpers/tech-setup.js';
import { payload, sign } from './helpers/technician.js';

/**
 * The wall clock stepped under a running agent (SPEC.md section 5, "Time"), with libfaketime: its
 * timestamp file changes while the agent runs, the monotonic clock stays real. Stepped back an hour
 * (NTP correcting a clock that ran ahead) and forward a day, the agent goes on polling, raising and
 * clearing within two polls, sending heartbeats and refusing junk; each step is logged with its
 * size and counted in the `status` answer.
 */

const FAKETIME_LIBS = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'];
const faketime = requireTool('faketime', 'the clock step test');
const HOUR = 3_600_000;

afterEach(() => killAll());
afterAll(() => removeTempDirs());

describe('a wall clock stepped under the agent', () => {
  it.runIf(faketime)('neither stops polling nor silences anything, and counts each step', async () => {
    const lib = FAKETIME_LIBS.find((file) => fs.existsSync(file));
    if (!lib) throw new Error(`faketime is installed but none of ${FAKETIME_LIBS.join(', ')} exists`);
    const broker = await startBroker();
    const t = await commandedTerminal(broker.url);
    const client = await mqtt.connectAsync(broker.url);
    const timestampFile = path.join(t.terminal.dir, 'faketime');
    fs.writeFileSync(timestampFile, '+0\n');
    const agent = new AgentProcess(['run', '--config', t.configFile], {
      LD_PRELOAD: lib,
      FAKETIME_TIMESTAMP_FILE: timestampFile,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    });
    const cmd = `pos/v1/${t.terminalId}/cmd`;
    try {
      await t.recorder.waitForJson('heartbeat', 'first heartbeat');

      /** After a step: a fault raised and cleared within two polls, heartbeats, a junk command refused. */
      const stillWorks = async (label: string) => {
        const mark = t.recorder.messages.length;
        const after = (json: any, suffix: string, m: any) => t.recorder.messages.indexOf(m) >= mark && m.topic.endsWith(`/${suffix}`) && json;
        await t.terminal.apply({ battery: { capacity: 10 } });
        // Polls every 0.2 s: 15 s is margin for two polls on a busy machine; a poll delayed by the step takes an hour.
        const raised = await t.recorder.waitFor(`${label}: BATTERY_LOW raised`, (m) => after(m.json, 'fault', m) && m.json.code === 'BATTERY_LOW' && m.json.state === 'raised', 15_000);
        await t.terminal.apply({ battery: { capacity: 80 } });
        await t.recorder.waitFor(`${label}: BATTERY_LOW cleared`, (m) => after(m.json, 'fault', m) && m.json.id === raised.json.id && m.json.state === 'cleared', 15_000);
        const first = await t.recorder.waitFor(`${label}: a heartbeat`, (m) => after(m.json, 'heartbeat', m), 15_000);
        await t.recorder.waitFor(`${label}: the next heartbeat`, (m) => after(m.json, 'heartbeat', m) && m.json.seq > first.json.seq, 15_000);
        // Refusals are limited to one a second: junk until one is answered (a limiter on the wall clock stepped back stays silent).
        let refused = false;
        const answered = t.recorder.waitFor(`${label}: a junk command refused`, (m) => after(m.json, 'reply', m) && m.json.id === null, 15_000).then(() => (refused = true));
        while (!refused) {
          await client.publishAsync(cmd, `junk ${label}`, { qos: 1 });
          await Promise.race([answered, sleep(300)]);
        }
      };

      fs.writeFileSync(timestampFile, '-1h\n');
      const back = await waitForLog(agent, (line) => line.msg.startsWith('the wall clock stepped back'), 'the step back logged');
      expect(back.stepMs).toBeGreaterThan(-HOUR - 2_000);
      expect(back.stepMs).toBeLessThan(-HOUR + 2_000);
      await stillWorks('an hour back');

      fs.writeFileSync(timestampFile, '+1d\n');
      const forward = await waitForLog(agent, (line) => line.msg.startsWith('the wall clock stepped forward'), 'the step forward logged');
      expect(Math.abs(forward.stepMs - 25 * HOUR)).toBeLessThan(2_000);
      await stillWorks('a day forward');

      // The technician signs with the terminal's time, which is now a day ahead.
      const body = payload(t.terminalId, 'status', {}, {}, Date.now() + 24 * HOUR);
      await client.publishAsync(cmd, await sign(t.tech, body), { qos: 1 });
      const status = await t.recorder.waitForJson('reply', 'the status answer', (json) => json.id === body.id);
      expect(status.ok).toBe(true);
      expect(status.data.clock.steps).toBe(2);
      expect(Math.abs(status.data.clock.lastStepMs - 25 * HOUR)).toBeLessThan(2_000);
      agent.kill('SIGTERM');
      expect((await agent.waitExit()).code).toBe(0);
    } finally {
      agent.kill('SIGKILL');
      await client.endAsync(true);
      await t.recorder.close();
      await broker.close();
    }
  }, 120_000);
});
