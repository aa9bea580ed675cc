import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { SimTerminal } from '../sim/terminal.js';
import { removeTempDirs, tempDir, writeJson } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import { AgentProcess, killAll } from './helpers/agent-process.js';
import { Recorder } from './helpers/recorder.js';

/**
 * How the agent came to start, as a back end reads it in each birth: real stops (SIGTERM, the
 * clean way; SIGKILL, as a crash or a power cut leaves it) and a boot id that changes between
 * runs. Three boots within the window are a reboot loop. And the agent's own wall clock set
 * before its build time, under libfaketime.
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

async function setup(change: (config: Record<string, any>) => void = () => {}) {
  const terminalId = `RST-${Math.random().toString(36).slice(2, 10)}`;
  const terminal = new SimTerminal(tempDir());
  const config: Record<string, any> = terminal.agentConfig({ brokerUrl: broker.url, terminalId, heartbeatSeconds: 1, batteryPollSeconds: 0.2, systemPollSeconds: 0.3 });
  change(config);
  const configFile = writeJson(path.join(terminal.dir, 'agent.json'), config);
  const recorder = await Recorder.connect(broker.url, `pos/v1/${terminalId}/#`);
  recorders.push(recorder);
  return { terminal, recorder, start: (env: NodeJS.ProcessEnv = {}) => new AgentProcess(['run', '--config', configFile], env) };
}

const newBootId = (terminal: SimTerminal) => terminal.proc.write('sys/kernel/random/boot_id', `${crypto.randomUUID()}\n`);

describe('restart in the birth', () => {
  it('says first, reboot, power-loss, clean and crash after real stops and boots, and raises and clears SYS_REBOOT_LOOP', async () => {
    const { terminal, recorder, start } = await setup((config) => {
      config.thresholds = { SYS_REBOOT_LOOP: { windowSeconds: 20 } };
    });
    const boots = new Set<string>();
    const run = async (expected: string, stop: 'SIGTERM' | 'SIGKILL') => {
      const agent = start();
      const birth = await recorder.waitForJson('state', `a birth saying ${expected}`, (json) => json.online === true && !boots.has(json.boot));
      boots.add(birth.boot);
      expect(birth.restart, agent.stderr.slice(-1000)).toBe(expected);
      if (expected === 'power-loss') {
        const loop = await recorder.waitForJson('fault', 'SYS_REBOOT_LOOP raised', (json) => json.code === 'SYS_REBOOT_LOOP' && json.state === 'raised');
        expect(loop.detail.boots.map((boot: any) => boot.restart)).toEqual(['first', 'reboot', 'power-loss']);
      }
      agent.kill(stop);
      const exit = await agent.waitExit();
      expect(exit).toEqual(stop === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' });
      return agent;
    };

    await run('first', 'SIGTERM');
    newBootId(terminal);
    await run('reboot', 'SIGKILL');
    newBootId(terminal);
    await run('power-loss', 'SIGTERM');
    await run('clean', 'SIGKILL');
    const last = start();
    const birth = await recorder.waitForJson('state', 'a birth saying crash', (json) => json.online === true && !boots.has(json.boot));
    expect(birth.restart).toBe('crash');
    // A window without a new boot clears the loop, with the id it was raised under.
    const raise = recorder.of('fault').find((json) => json.code === 'SYS_REBOOT_LOOP' && json.state === 'raised');
    const clear = await recorder.waitForJson('fault', 'SYS_REBOOT_LOOP cleared', (json) => json.code === 'SYS_REBOOT_LOOP' && json.state === 'cleared', 30_000);
    expect(clear.id).toBe(raise.id);
    last.kill('SIGTERM');
    await last.waitExit();
  });

  it('a boot id file that is garbage is named in a warning and never taken for a reboot', async () => {
    const { terminal, recorder, start } = await setup();
    terminal.proc.write('sys/kernel/random/boot_id', 'garbage\n');
    const agent = start();
    const birth = await recorder.waitForJson('state', 'birth', (json) => json.online === true);
    expect(birth.restart).toBe('first');
    agent.kill('SIGTERM');
    await agent.waitExit();
    const warnings = agent.logLines().filter((line) => line.level === 40 && String(line.msg).includes('boot_id'));
    expect(warnings[0].msg).toContain(terminal.proc.path('sys/kernel/random/boot_id'));
    expect(recorder.of('fault').filter((json) => json.code === 'SYS_REBOOT_LOOP')).toEqual([]);
  });
});

const FAKETIME_LIBS = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'];

describe('the wall clock', () => {
  const faketime = requireTool('faketime', 'the SYS_CLOCK_INVALID test');
  it.runIf(faketime)('raises SYS_CLOCK_INVALID while the clock is before the agent was built, and clears it when the clock is right', async () => {
    const lib = FAKETIME_LIBS.find((file) => fs.existsSync(file));
    if (!lib) throw new Error(`faketime is installed but none of ${FAKETIME_LIBS.join(', ')} exists`);
    const { terminal, recorder, start } = await setup();
    const timestampFile = path.join(terminal.dir, 'faketime');
    fs.writeFileSync(timestampFile, '@2001-01-01 00:00:00\n');
    const agent = start({ LD_PRELOAD: lib, FAKETIME_TIMESTAMP_FILE: timestampFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' });
    const raised = await recorder.waitForJson('fault', 'SYS_CLOCK_INVALID raised', (json) => json.code === 'SYS_CLOCK_INVALID' && json.state === 'raised');
    expect(raised.detail.wallClock).toMatch(/^2001-01-01T/);
    expect(raised.severity).toBe('critical');
    fs.writeFileSync(timestampFile, '+0\n');
    const cleared = await recorder.waitForJson('fault', 'SYS_CLOCK_INVALID cleared', (json) => json.code === 'SYS_CLOCK_INVALID' && json.state === 'cleared');
    expect(cleared.id).toBe(raised.id);
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
  });
});
