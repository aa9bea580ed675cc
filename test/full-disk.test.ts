import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker } from '../sim/broker.js';
import { killAll, type AgentProcess } from './helpers/agent-process.js';
import { Recorder } from './helpers/recorder.js';
import { Rig, waitForLog } from './helpers/rig.js';
import { auditSeqs } from './helpers/seq-audit.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { canMountTmpfs } from './helpers/capabilities.js';
import { mountTmpfs } from './helpers/tmpfs.js';
import { commandedTerminal } from './helpers/tech-setup.js';
import { payload, sign } from './helpers/technician.js';

/**
 * A full state folder (SPEC.md section 5, SYS_DISK_LOW): the agent's state folder is a small
 * tmpfs that the test fills to the last byte.
 */

const mountable = canMountTmpfs('the full-disk test');
afterAll(() => removeTempDirs());

/** Writes until the filesystem refuses: ENOSPC, not a quota of our own. */
function fill(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

describe.skipIf(!mountable)('a full state folder', () => {
  it('is a SYS_DISK_LOW fault and a clear log line, not a crash; messages still go out, and are kept once there is room again', async () => {
    const broker = await startBroker();
    const rig = new Rig(Rig.id(), { brokerUrl: broker.url, systemPollSeconds: 0.2 }, (config) => {
      // A 1 MiB filesystem is always under the default 20 MiB: only a full one should count here.
      config.thresholds = { SYS_DISK_LOW: { raisePercent: 10, raiseMb: 0, clearPercent: 20, clearMb: 0 } };
    });
    const mounted = mountTmpfs(rig.terminal.stateDir, 1024 * 1024);
    const recorder = await Recorder.connect(broker.url, `pos/v1/${rig.terminalId}/#`);
    const filler = path.join(rig.terminal.stateDir, 'filler');
    try {
      const agent = rig.start();
      await recorder.waitForJson('heartbeat', 'first heartbeat', (json) => json.availability === 'IN_SERVICE');

      fill(filler);
      const raised = await recorder.waitForJson('fault', 'SYS_DISK_LOW raised', (json) => json.code === 'SYS_DISK_LOW' && json.state === 'raised');
      expect(raised.detail).toEqual({ diskFreeMb: 0, diskFreePercent: 0 });
      const cannotWrite = await waitForLog(agent, (line) => line.level === 50 && line.msg.startsWith('outbox cannot write to the state folder'), 'outbox write failure');
      expect(cannotWrite.err).toMatch(/ENOSPC/);
      // A fault raised on the full disk, and heartbeats, still reach the broker from memory.
      await rig.terminal.apply({ battery: { capacity: 10 } });
      await recorder.waitForJson('fault', 'BATTERY_LOW raised on a full disk', (json) => json.code === 'BATTERY_LOW' && json.state === 'raised');
      const whileFull = await recorder.waitForJson('heartbeat', 'heartbeat on a full disk', (json) => json.reasons.includes('SYS_DISK_LOW') && json.reasons.includes('BATTERY_LOW'));
      expect(whileFull.system.diskFreeMb).toBe(0);
      expect(agent.logLines().filter((line) => line.msg.startsWith('outbox cannot write to the state folder'))).toHaveLength(1);

      fs.rmSync(filler);
      await recorder.waitForJson('fault', 'SYS_DISK_LOW cleared', (json) => json.code === 'SYS_DISK_LOW' && json.state === 'cleared');
      await waitForLog(agent, (line) => line.msg === 'outbox writes to the state folder again', 'outbox writes again');
      const after = await recorder.waitForJson('heartbeat', 'heartbeat with room again', (json) => json.seq > whileFull.seq && !json.reasons.includes('SYS_DISK_LOW'));
      agent.kill('SIGTERM');
      expect((await agent.waitExit()).code).toBe(0);

      const audit = auditSeqs(recorder.messages);
      expect(audit.missing).toEqual([]);
      expect(audit.conflicting).toEqual([]);
      // The seq counter survived the episode: the next start continues after the last one sent.
      const onDisk = await rig.outboxOnDisk();
      expect(onDisk.pending).toEqual([]);
      expect(onDisk.lastSeq).toBeGreaterThanOrEqual(after.seq);
    } finally {
      killAll();
      await recorder.close();
      await broker.close();
      fs.rmSync(filler, { force: true });
      mounted.unmount();
    }
  });
});

describe.skipIf(!mountable)('a full state folder and technician commands', () => {
  it('answers a signed command once, leaves no .tmp file, and never hands out a seq sent from memory again after a crash', async () => {
    const broker = await startBroker();
    const t = await commandedTerminal(broker.url, {
      change: (config) => {
        config.thresholds = { SYS_DISK_LOW: { raisePercent: 10, raiseMb: 0, clearPercent: 20, clearMb: 0 } };
      },
    });
    const mounted = mountTmpfs(t.terminal.stateDir, 1024 * 1024);
    const filler = path.join(t.terminal.stateDir, 'filler');
    const client = await mqtt.connectAsync(broker.url);
    const runs: AgentProcess[] = [];
    const start = () => {
      runs.push(t.start());
      return runs.at(-1)!;
    };
    try {
      let agent = start();
      await t.recorder.waitForJson('heartbeat', 'first heartbeat');
      fill(filler);
      await waitForLog(agent, (line) => line.msg.startsWith('outbox cannot write to the state folder'), 'outbox write failure');

      const body = payload(t.terminalId, 'status');
      const token = await sign(t.tech, body);
      await client.publishAsync(`pos/v1/${t.terminalId}/cmd`, token, { qos: 1 });
      const answer = await t.recorder.waitForJson('reply', 'the status answer on a full disk', (json) => json.id === body.id);
      expect(answer).toMatchObject({ ok: true, part: 1, parts: 1 });
      // Its id is used up all the same: the same token again is a replay.
      await client.publishAsync(`pos/v1/${t.terminalId}/cmd`, token, { qos: 1 });
      const again = await t.recorder.waitForJson('reply', 'the replay refused', (json) => json.id === body.id && json.ok === false);
      expect(again.error.code).toBe('REPLAY');
      expect(t.recorder.of('reply').filter((json) => json.id === body.id && json.ok === true)).toHaveLength(1);
      expect(fs.readdirSync(t.terminal.stateDir, { recursive: true }).filter((name) => String(name).endsWith('.tmp'))).toEqual([]);

      // Messages went out from memory; the power goes; the next start must not reuse their seqs.
      const sentBefore = Math.max(...t.recorder.messages.map((m) => m.json?.seq ?? 0));
      expect(sentBefore).toBeGreaterThan(0);
      agent.kill('SIGKILL');
      await agent.waitExit();
      fs.rmSync(filler);
      agent = start();
      const next = await t.recorder.waitForJson('heartbeat', 'a heartbeat after the restart', (json) => json.ts > answer.ts && json.seq !== undefined && !json.reasons.includes('SYS_DISK_LOW'));
      expect(next.seq).toBeGreaterThan(sentBefore);
      agent.kill('SIGTERM');
      await agent.waitExit();
      expect(auditSeqs(t.recorder.messages).conflicting).toEqual([]);
    } finally {
      for (const run of runs) run.kill('SIGKILL');
      await Promise.all(runs.map((run) => run.waitExit()));
      await client.endAsync(true);
      await t.recorder.close();
      await broker.close();
      fs.rmSync(filler, { force: true });
      mounted.unmount();
    }
  });
});
