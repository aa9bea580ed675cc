import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../agent/agent.js';
import { parseConfig } from '../agent/config.js';
import { FAULT_CODES, type FaultCode } from '../protocol/faults.js';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { INJECTIONS, NOT_INJECTABLE } from '../sim/injections.js';
import { SimTerminal } from '../sim/terminal.js';
import { canMountTmpfs } from './helpers/capabilities.js';
import { memoryLog } from './helpers/log.js';
import { Recorder } from './helpers/recorder.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';

/**
 * Everything in the fault table can be made to happen on the simulator: each code's injection
 * raises it at a subscriber and its clear clears it, through the in-process simulated devices
 * and a real agent. Two terminals run side by side: one with fast polls, one with the network
 * polled slowly enough for a 2 s probe round trip.
 */

let broker: EmbeddedBroker;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await broker.close();
  removeTempDirs();
});

const diskFull = canMountTmpfs('the SYS_DISK_LOW injection');

async function runTerminal(rounds: FaultCode[][], network: { pollSeconds: number; probeTimeoutMs: number }, smallDisk: boolean) {
  const dir = tempDir();
  if (smallDisk) {
    fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'pos-agent-test', path.join(dir, 'state')]);
    cleanups.push(() => {
      execFileSync('umount', [path.join(dir, 'state')]);
    });
  }
  const terminal = new SimTerminal(dir);
  await terminal.attachDevices({ kind: 'memory' });
  await terminal.attachCertificate();
  cleanups.push(() => terminal.close());
  const terminalId = `INJ-${Math.random().toString(36).slice(2, 8)}`;
  const raw = terminal.agentConfig({
    brokerUrl: broker.url,
    terminalId,
    heartbeatSeconds: 5,
    batteryPollSeconds: 0.3,
    systemPollSeconds: 0.5,
    serialPollSeconds: 0.3,
    networkPollSeconds: network.pollSeconds,
    appPollSeconds: 0.3,
    merchantPollSeconds: 0.3,
    certificatesPollSeconds: 0.5,
  }) as { devices: { network: { probe: { timeoutMs: number } } }; thresholds?: unknown };
  // Windows of minutes shortened to seconds, so a clear comes within the test.
  raw.thresholds = { APP_CRASH_LOOP: { windowSeconds: 4 }, SYS_REBOOT_LOOP: { windowSeconds: 6 }, SYS_CLOCK_UNSYNCED: { raiseSeconds: 1 } };
  raw.devices.network.probe.timeoutMs = network.probeTimeoutMs;
  const parsed = parseConfig(raw, {});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const recorder = await Recorder.connect(broker.url, `pos/v1/${terminalId}/#`);
  cleanups.push(() => recorder.close());
  const agent = new Agent(parsed.config, { log: memoryLog('warn').log, driverEnv: { serial: terminal.serialOpener() } });
  await agent.start();
  cleanups.push(() => agent.stop());
  await recorder.waitForJson('faults', 'IN_SERVICE', (json) => json.availability === 'IN_SERVICE', 20_000);

  const seen = (code: FaultCode, state: string, after: number) =>
    recorder.waitForJson('fault', `${code} ${state}`, (json) => json.code === code && json.state === state && json.seq > after, 30_000);
  let lastSeq = 0;
  for (const round of rounds) {
    for (const code of round) await terminal.apply(INJECTIONS[code]!.inject);
    const raises = await Promise.all(round.map((code) => seen(code, 'raised', lastSeq)));
    for (const code of round) await terminal.apply(INJECTIONS[code]!.clear);
    const clears = await Promise.all(round.map((code) => seen(code, 'cleared', lastSeq)));
    clears.forEach((clear, i) => expect(clear.id).toBe(raises[i].id));
    lastSeq = Math.max(...clears.map((clear) => clear.seq));
    // Faults a round raised on the side (BATTERY_LOW beside BATTERY_CRITICAL) are gone before the next.
    await recorder.waitForJson('faults', 'IN_SERVICE again', (json) => json.availability === 'IN_SERVICE' && json.ts > Date.now() - 1_000 && json.active.length === 0, 30_000).catch(
      async () => {
        const snapshot = recorder.of('faults').at(-1);
        throw new Error(`after ${round.join(', ')}: still ${JSON.stringify(snapshot?.reasons)}`);
      },
    );
  }
  // The link's data use in `status`: the simulated interface's traffic and the agent's own MQTT bytes.
  const dataUse = agent.status().devices.network?.reading?.dataUse;
  expect(dataUse?.rxBytes).toBeGreaterThan(0);
  expect(dataUse?.agentSentBytes).toBeGreaterThan(0);
  expect(dataUse?.agentReceivedBytes).toBeGreaterThan(0);
  return [...new Set(rounds.flat())];
}

describe('fault injections on the simulator', () => {
  it('has an injection for every fault code of the contract', () => {
    expect(FAULT_CODES.filter((code) => !INJECTIONS[code] && !NOT_INJECTABLE[code])).toEqual([]);
  });

  it('raises and clears every fault code through the simulated devices and the agent', async () => {
    const local: FaultCode[][] = [
      ['PRINTER_PAPER_LOW', 'READER_TAMPER', 'BATTERY_CRITICAL', 'SYS_MEMORY_LOW', 'MERCHANT_CHANGED'],
      ['PRINTER_PAPER_OUT', 'READER_JAMMED', 'BATTERY_OVERHEAT', 'MERCHANT_PARAMS_UNREADABLE'],
      // A changed MCC is also a changed merchant: MERCHANT_CHANGED comes and goes with it.
      ['PRINTER_COVER_OPEN', 'READER_READ_ERRORS', 'BATTERY_DEGRADED', 'MERCHANT_MCC_UNEXPECTED'],
      ['PRINTER_CUTTER_ERROR', 'READER_OFFLINE', 'BATTERY_NOT_CHARGING'],
      // A battery that is not there is neither low nor anything else: BATTERY_LOW has a round of its own.
      ['PRINTER_OVERHEAT', 'BATTERY_MISSING'],
      ['PRINTER_FAILURE', 'BATTERY_LOW', ...(diskFull ? (['SYS_DISK_LOW'] as FaultCode[]) : [])],
      ['PRINTER_OFFLINE', 'APP_DOWN'],
      ['APP_CRASH_LOOP', 'SYS_CLOCK_UNSYNCED'],
      ['SYS_REBOOT_LOOP', 'CERT_EXPIRING'],
      ['CERT_EXPIRED'],
    ];
    const remote: FaultCode[][] = [
      ['NET_NO_SIM', 'NET_LINK_DOWN', 'NET_HOST_UNREACHABLE'],
      ['NET_NOT_REGISTERED', 'NET_WEAK_SIGNAL', 'NET_HIGH_LATENCY'],
      ['MODEM_OFFLINE'],
    ];
    const done = await Promise.all([
      runTerminal(local, { pollSeconds: 4, probeTimeoutMs: 3500 }, diskFull),
      runTerminal(remote, { pollSeconds: 4, probeTimeoutMs: 3500 }, false),
    ]);
    const covered = new Set(done.flat());
    // SYS_CLOCK_INVALID is the agent's own clock: test/restart-clock.test.ts runs it under libfaketime.
    expect(FAULT_CODES.filter((code) => !covered.has(code) && !NOT_INJECTABLE[code])).toEqual(diskFull ? [] : ['SYS_DISK_LOW']);
  });
});
