import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { FLEET_FAULTS } from '../sim/fleet-injector.js';
import type { FleetReport } from '../sim/fleet-report.js';
import { AgentProcess, killAll, runCli } from './helpers/agent-process.js';
import { freePort } from '../sim/mosquitto.js';
import { Recorder, type Received } from './helpers/recorder.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';

/**
 * `pos-agent sim --terminals N`, the built CLI, against aedes, with a back end of the test's own
 * that subscribes before the fleet starts and checks what it receives against the fleet's report.
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

const TERMINALS = 20;
const ids = (count: number) => Array.from({ length: count }, (_, index) => `FLEET-${String(index + 1).padStart(6, '0')}`);

/** Live (not retained) messages per terminal and topic suffix. */
function live(recorder: Recorder) {
  const messages = recorder.messages.filter((message) => !message.retain);
  const terminalOf = (message: Received) => message.topic.split('/')[2]!;
  const of = (suffix: string) => messages.filter((message) => message.topic.endsWith(`/${suffix}`));
  return { messages, terminalOf, of };
}

describe('pos-agent sim --terminals', () => {
  it('runs a fleet whose births, heartbeats, faults and clean stop a back end sees, and reports what it saw', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const reportFile = path.join(dir, 'report.json');
    const recorder = await Recorder.connect(broker.url, 'pos/v1/+/+');
    recorders.push(recorder);
    const fleet = new AgentProcess([
      'sim', '--terminals', String(TERMINALS), '--broker', broker.url, '--protocol', '4', '--batch', '8',
      '--duration', '12', '--heartbeat-seconds', '2', '--faults-per-minute', '240', '--fault-seconds', '2',
      '--dir', dir, '--json', reportFile,
    ]);
    const exit = await fleet.waitExit(90_000);
    expect(exit, fleet.stderr).toEqual({ code: 0, signal: null });
    expect(fleet.stdout).toContain(`All ${TERMINALS} terminals connected`);
    expect(fleet.stdout).toMatch(/raise +\d+ measured: p50 \d+ ms {2}p90 \d+ ms {2}p99 \d+ ms {2}max \d+ ms/);
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as FleetReport;
    const { messages, terminalOf, of } = live(recorder);

    // One birth per terminal, heartbeats from every one.
    const births = of('state').filter((message) => message.json.online === true);
    expect(births.map(terminalOf).sort()).toEqual(ids(TERMINALS));
    expect(new Set(of('heartbeat').map(terminalOf))).toEqual(new Set(ids(TERMINALS)));

    // Every raise has its clear, with the same id and raisedAt, from the same terminal; only the
    // fleet's printer faults, and nothing else raised.
    const faults = of('fault');
    const raises = faults.filter((message) => message.json.state === 'raised');
    const clears = faults.filter((message) => message.json.state === 'cleared');
    expect(raises.length).toBeGreaterThan(10);
    const key = (message: Received) => `${terminalOf(message)} ${message.json.code} ${message.json.id} ${message.json.raisedAt}`;
    expect(clears.map(key).sort()).toEqual(raises.map(key).sort());
    for (const raise of raises) expect(FLEET_FAULTS).toContain(raise.json.code);
    expect(new Set(raises.map(key)).size).toBe(raises.length);

    // The report counts what this subscriber received.
    for (const suffix of ['state', 'heartbeat', 'fault', 'faults', 'reply'] as const) {
      expect(report.messages[suffix].count, suffix).toBe(of(suffix).length);
    }
    expect(report.messages.state.count + report.messages.heartbeat.count + report.messages.fault.count + report.messages.faults.count).toBe(messages.length);
    expect(report.observed).toMatchObject({ births: TERMINALS, born: TERMINALS, heartbeating: TERMINALS, faultsRaised: raises.length, faultsCleared: clears.length });
    expect(report.faults).toMatchObject({ injected: raises.length, clearsApplied: raises.length, unexpected: {}, duplicates: 0, awaitingRaise: 0, awaitingClear: 0 });
    expect(report.faults.raise.count).toBe(raises.length);
    expect(report.faults.clear.count).toBe(clears.length);
    expect(report.faults.raise.p99!).toBeGreaterThanOrEqual(report.faults.raise.p50!);
    expect(report.startup).toEqual({ seconds: expect.any(Number), started: TERMINALS, connected: TERMINALS });
    expect(report.measured.connectedAtEnd).toBe(TERMINALS);
    expect(report.messages.heartbeat.perSecond).toBeGreaterThan(0);
    expect(report.process.rssMiB).toBeGreaterThan(0);
    expect(report.process.cpuPercent).toBeGreaterThan(0);

    // Stopped cleanly: each terminal's last state is the clean-offline one, after its birth.
    for (const terminalId of ids(TERMINALS)) {
      const states = of('state').filter((message) => terminalOf(message) === terminalId);
      expect(states.map((message) => message.json.online), terminalId).toEqual([true, false]);
      expect(states.at(-1)!.json).toMatchObject({ online: false, reason: 'shutdown' });
    }
    expect(report.observed.cleanlyOffline).toBe(TERMINALS);
    // Its folders and log are gone; what it was given to write stays.
    expect(fs.readdirSync(dir)).toEqual(['report.json']);
  });

  it('stops cleanly on Ctrl-C, and keeps its folders with --keep', { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const recorder = await Recorder.connect(broker.url, 'pos/v1/+/state');
    recorders.push(recorder);
    const fleet = new AgentProcess(['sim', '--terminals', '3', '--broker', broker.url, '--protocol', '4', '--dir', dir, '--keep']);
    for (const terminalId of ids(3)) {
      await recorder.waitFor(`${terminalId} birth`, (message) => message.topic === `pos/v1/${terminalId}/state` && message.json.online === true, 30_000);
    }
    fleet.kill('SIGINT');
    expect(await fleet.waitExit(30_000)).toEqual({ code: 0, signal: null });
    for (const terminalId of ids(3)) {
      const offline = await recorder.waitFor(`${terminalId} clean offline`, (message) => message.topic === `pos/v1/${terminalId}/state` && message.json.online === false);
      expect(offline.json.reason).toBe('shutdown');
    }
    expect(fleet.stdout).toContain('3 of 3 cleanly offline');
    expect(fs.readdirSync(dir).sort()).toEqual(['FLEET-000001', 'FLEET-000002', 'FLEET-000003', 'agent.log']);
    expect(fs.existsSync(path.join(dir, 'FLEET-000002', 'state', 'outbox'))).toBe(true);
  });

  it('shares a broker with another fleet process numbered from --first-id, each counting its own terminals', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const recorder = await Recorder.connect(broker.url, 'pos/v1/+/state');
    recorders.push(recorder);
    const run = (firstId: number) =>
      new AgentProcess([
        'sim', '--terminals', '4', '--first-id', String(firstId), '--broker', broker.url, '--protocol', '4', '--duration', '6',
        '--heartbeat-seconds', '2', '--faults-per-minute', '120', '--fault-seconds', '1', '--dir', path.join(dir, String(firstId)), '--json', path.join(dir, `${firstId}.json`),
      ]);
    const fleets = [run(1), run(5)];
    for (const fleet of fleets) expect(await fleet.waitExit(90_000), fleet.stderr).toEqual({ code: 0, signal: null });
    const births = recorder.messages.filter((message) => !message.retain && message.json.online === true).map((message) => message.topic.split('/')[2]);
    expect(births.sort()).toEqual(ids(8));
    for (const firstId of [1, 5]) {
      const report = JSON.parse(fs.readFileSync(path.join(dir, `${firstId}.json`), 'utf8')) as FleetReport;
      expect(report.firstId).toBe(firstId);
      expect(report.observed).toMatchObject({ births: 4, born: 4, heartbeating: 4, cleanlyOffline: 4 });
      expect(report.faults).toMatchObject({ unexpected: {}, duplicates: 0, awaitingRaise: 0, awaitingClear: 0 });
    }
  });

  it('says what is wrong with its options or its broker', async () => {
    const noBroker = await runCli(['sim', '--terminals', '5']);
    expect(noBroker.code).toBe(2);
    expect(noBroker.stderr).toContain('fleet mode needs --broker URL');
    const zero = await runCli(['sim', '--terminals', '0', '--broker', broker.url]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--terminals is a whole number from 1 to 100000');
    const unreachable = await runCli(['sim', '--terminals', '5', '--broker', `mqtt://127.0.0.1:${await freePort()}`]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot subscribe at the broker mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });
});
