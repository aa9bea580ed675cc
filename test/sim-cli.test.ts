import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { AgentProcess, killAll, runCli } from './helpers/agent-process.js';
import { Recorder } from './helpers/recorder.js';
import { canMountTmpfs } from './helpers/capabilities.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

const socat = requireTool('socat', 'the simulator with serial devices');
const tmpfs = socat !== undefined && canMountTmpfs('the simulator with a small state filesystem (SYS_DISK_LOW)');

/** `pos-agent sim` in one process, the agent in another, faults injected from a third. */

let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterEach(() => killAll());
afterAll(async () => {
  await broker.close();
  removeTempDirs();
});

async function waitForFile(file: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('pos-agent sim', () => {
  it('writes an agent config, and takes fault injections from another shell', async () => {
    const dir = tempDir();
    const terminalId = `SIMCLI-${Math.random().toString(36).slice(2, 8)}`;
    const sim = new AgentProcess(['sim', '--no-serial', '--dir', dir, '--broker', broker.url, '--terminal-id', terminalId, '--protocol', '4']);
    await waitForFile(path.join(dir, 'control.sock'));
    const configFile = path.join(dir, 'agent.json');
    const checked = await runCli(['check-config', configFile]);
    expect(checked.code).toBe(0);

    const recorder = await Recorder.connect(broker.url, `pos/v1/${terminalId}/#`);
    const agent = new AgentProcess(['run', '--config', configFile]);
    try {
      await recorder.waitForJson('state', 'birth', (json) => json.online === true);

      const injected = await runCli(['sim', 'inject', 'BATTERY_OVERHEAT', '--dir', dir]);
      expect(injected.code).toBe(0);
      expect(injected.stdout).toContain('injected BATTERY_OVERHEAT');
      await recorder.waitForJson('fault', 'BATTERY_OVERHEAT raised', (json) => json.code === 'BATTERY_OVERHEAT' && json.state === 'raised');

      expect((await runCli(['sim', 'clear', 'BATTERY_OVERHEAT', '--dir', dir])).code).toBe(0);
      await recorder.waitForJson('fault', 'BATTERY_OVERHEAT cleared', (json) => json.code === 'BATTERY_OVERHEAT' && json.state === 'cleared');

      expect((await runCli(['sim', 'set', 'system.memAvailableMb=10', '--dir', dir])).code).toBe(0);
      await recorder.waitForJson('fault', 'SYS_MEMORY_LOW raised', (json) => json.code === 'SYS_MEMORY_LOW' && json.state === 'raised', 20_000);

      const status = await runCli(['sim', 'status', '--dir', dir]);
      expect(JSON.parse(status.stdout).system.memAvailableMb).toBe(10);

      // The payment application's parameters file, changed from another shell: code jumping.
      expect((await runCli(['sim', 'set', 'merchant.mcc=5411', '--dir', dir])).stdout).toContain('merchant.mcc = 5411');
      const merchant = JSON.parse((await runCli(['sim', 'status', '--dir', dir])).stdout).merchant;
      expect(merchant).toMatchObject({ mcc: '5411', mid: '102310058120007' });
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'payapp', 'params.json'), 'utf8')).merchant.mcc).toBe('5411');
      const jump = await recorder.waitForJson('fault', 'MERCHANT_MCC_UNEXPECTED raised', (json) => json.code === 'MERCHANT_MCC_UNEXPECTED' && json.state === 'raised', 25_000);
      expect(jump.detail).toMatchObject({ mcc: '5411', expectedMcc: ['5812'] });

      const typo = await runCli(['sim', 'inject', 'BATTERY_LOWW', '--dir', dir]);
      expect(typo.code).toBe(2);
      const badField = await runCli(['sim', 'set', 'battery.capacty=5', '--dir', dir]);
      expect(badField.code).toBe(1);
      expect(badField.stderr).toContain('battery has no field "capacty"');
    } finally {
      agent.kill('SIGTERM');
      await agent.waitExit();
      await recorder.close();
      sim.kill('SIGINT');
      expect((await sim.waitExit()).code).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, 'control.sock'))).toBe(false);
  });

  it.skipIf(!socat || !tmpfs)('runs the printer, the card reader and the modem on pseudo-terminals, unplugs them, and fills a small disk', async () => {
    const dir = tempDir();
    const terminalId = `SIMPTY-${Math.random().toString(36).slice(2, 8)}`;
    const sim = new AgentProcess(['sim', '--dir', dir, '--broker', broker.url, '--terminal-id', terminalId, '--protocol', '4', '--state-size', '32']);
    await waitForFile(path.join(dir, 'control.sock'));
    expect(sim.stdout).toMatch(/printer: +\/.*printer-agent \(pseudo-terminal/);
    const recorder = await Recorder.connect(broker.url, `pos/v1/${terminalId}/#`);
    const agent = new AgentProcess(['run', '--config', path.join(dir, 'agent.json')]);
    const raised = (code: string) => recorder.waitForJson('fault', `${code} raised`, (json) => json.code === code && json.state === 'raised', 30_000);
    const cleared = (code: string) => recorder.waitForJson('fault', `${code} cleared`, (json) => json.code === code && json.state === 'cleared', 30_000);
    const sim_ = (...args: string[]) => runCli(['sim', ...args, '--dir', dir]);
    try {
      const heartbeat = await recorder.waitForJson('heartbeat', 'a heartbeat with every device', (json) => json.printer && json.cardReader && json.network);
      expect(heartbeat).toMatchObject({ printer: { online: true, paper: 'ok' }, cardReader: { online: true }, network: { up: true, registration: 'home' } });

      const codes = ['PRINTER_PAPER_OUT', 'READER_TAMPER', 'NET_NO_SIM', 'SYS_DISK_LOW'];
      expect((await sim_('inject', ...codes)).code).toBe(0);
      await Promise.all(codes.map(raised));
      expect((await sim_('clear', ...codes)).code).toBe(0);
      await Promise.all(codes.map(cleared));

      expect((await sim_('unplug', 'printer')).stdout).toContain('printer unplugged');
      await raised('PRINTER_OFFLINE');
      expect((await sim_('plug', 'printer')).code).toBe(0);
      await cleared('PRINTER_OFFLINE');
      expect((await sim_('unplug', 'battery')).code).toBe(1);
    } finally {
      agent.kill('SIGTERM');
      await agent.waitExit();
      await recorder.close();
      sim.kill('SIGINT');
      expect((await sim.waitExit()).code).toBe(0);
    }
    // The simulator unmounted its tmpfs and ended its socat processes.
    expect(fs.readFileSync('/proc/mounts', 'utf8')).not.toContain(path.join(dir, 'state'));
    expect(fs.existsSync(path.join(dir, 'printer-agent'))).toBe(false);
  });

  it('says clearly when no simulator runs there', async () => {
    const result = await runCli(['sim', 'inject', 'BATTERY_LOW', '--dir', tempDir()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach the simulator .*is `pos-agent sim` running/);
  });
});
