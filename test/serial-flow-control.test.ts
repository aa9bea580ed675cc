import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { SimTerminal } from '../sim/terminal.js';
import { removeTempDirs, tempDir, writeJson } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import { AgentProcess, killAll } from './helpers/agent-process.js';
import { Recorder } from './helpers/recorder.js';
import { printerOnPty, type PtyDevice } from './helpers/serial-sims.js';

/**
 * A serial write that never drains: the printer holds the line with XOFF (software flow control,
 * as CTS does in hardware), so the agent's request sits in the tty unsent. The reply timeout covers
 * the write: the printer goes offline, nothing is left rejected without a handler, and when the
 * printer lets go (XON) it comes back.
 */

const socat = requireTool('socat', 'the serial flow control test');
const stty = requireTool('stty', 'the serial flow control test');

let broker: EmbeddedBroker;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  broker = await startBroker();
});
afterEach(async () => {
  killAll();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(async () => {
  await broker?.close();
  removeTempDirs();
});

describe('a serial line held by flow control', () => {
  it('takes the printer offline within its polls and back when released, without an unhandled rejection', async () => {
    const terminalId = `FLOW-${Math.random().toString(36).slice(2, 10)}`;
    const terminal = new SimTerminal(tempDir());
    const printer: PtyDevice<any> = await printerOnPty(socat!, terminal.dir);
    cleanups.push(() => printer.stop());
    const config: Record<string, any> = terminal.agentConfig({ brokerUrl: broker.url, terminalId, heartbeatSeconds: 1 });
    config.devices.printer = { path: printer.agentPath, pollSeconds: 0.5, statusBack: true };
    const recorder = await Recorder.connect(broker.url, `pos/v1/${terminalId}/#`);
    cleanups.push(() => recorder.close());
    const agent = new AgentProcess(['run', '--config', writeJson(path.join(terminal.dir, 'agent.json'), config)]);
    await recorder.waitForJson('heartbeat', 'the printer online', (json) => json.printer?.online === true);

    // The agent's side obeys XON/XOFF; the printer says XOFF and reads nothing more.
    execFileSync(stty!, ['-F', printer.agentPath, 'ixon']);
    await printer.device.transport.write(Buffer.from([0x13]));
    const offline = await recorder.waitForJson('fault', 'PRINTER_OFFLINE raised', (json) => json.code === 'PRINTER_OFFLINE' && json.state === 'raised');
    await recorder.waitForJson('heartbeat', 'the printer offline', (json) => json.printer?.online === false);

    await printer.device.transport.write(Buffer.from([0x11]));
    await recorder.waitForJson('fault', 'PRINTER_OFFLINE cleared', (json) => json.id === offline.id && json.state === 'cleared');
    await recorder.waitForJson('heartbeat', 'the printer online again', (json) => json.printer?.online === true && json.seq > offline.seq);

    expect(agent.child.exitCode).toBeNull();
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
    expect(agent.stderr).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
  });
});
