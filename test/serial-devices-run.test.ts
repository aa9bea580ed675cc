import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { TEST_TRACK } from '../sim/card-reader.js';
import { SimTerminal } from '../sim/terminal.js';
import { AgentProcess, killAll } from './helpers/agent-process.js';
import { Recorder, type Received } from './helpers/recorder.js';
import { waitUntil } from './helpers/rig.js';
import { cardReaderOnPty, printerOnPty, type PtyDevice } from './helpers/serial-sims.js';
import { removeTempDirs, tempDir, writeJson } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

/**
 * The built `pos-agent run` as a child process, the simulated printer and card reader on socat
 * pseudo-terminals in this process, a real broker, and a subscriber that sees what a fleet back
 * end sees: every printer and reader fault raised and cleared, with availability and reasons.
 */

const socat = requireTool('socat', 'the printer and card reader end-to-end tests');

let broker: EmbeddedBroker;
const recorders: Recorder[] = [];
const devices: PtyDevice<{ stop(): Promise<void> }>[] = [];

beforeAll(async () => {
  broker = await startBroker();
});
afterEach(async () => {
  killAll();
  await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
  await Promise.all(devices.splice(0).map((device) => device.stop()));
});
afterAll(async () => {
  await broker?.close();
  removeTempDirs();
});

async function setup(options: { printerPollSeconds: number; reader: boolean }) {
  const terminalId = `E2E-${Math.random().toString(36).slice(2, 10)}`;
  const terminal = new SimTerminal(tempDir());
  const printer = await printerOnPty(socat!, terminal.dir);
  devices.push(printer);
  const reader = options.reader ? await cardReaderOnPty(socat!, terminal.dir) : undefined;
  if (reader) devices.push(reader);
  const config: Record<string, any> = terminal.agentConfig({ brokerUrl: broker.url, terminalId, heartbeatSeconds: 1, logLevel: 'debug' });
  config.devices.printer = { path: printer.agentPath, pollSeconds: options.printerPollSeconds };
  if (reader) config.devices.cardReader = { path: reader.agentPath, pollSeconds: 0.5 };
  const configFile = writeJson(path.join(terminal.dir, 'agent.json'), config);
  const recorder = await Recorder.connect(broker.url, `pos/v1/${terminalId}/#`);
  recorders.push(recorder);
  const agent = new AgentProcess(['run', '--config', configFile]);
  return { printer, reader, recorder, agent, faults: new FaultWatch(recorder) };
}

/** Waits on fault and snapshot messages, each wait only over what arrives after its mark. */
class FaultWatch {
  private mark = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly recorder: Recorder) {}

  /** From now on, only newer messages count. */
  since(): this {
    this.mark = this.recorder.messages.length;
    return this;
  }

  private after(suffix: string, what: string, predicate: (json: any) => boolean, timeoutMs?: number): Promise<any> {
    const from = this.mark;
    const messages = this.recorder.messages;
    return this.recorder
      .waitFor(`${suffix}: ${what}`, (m: Received) => messages.indexOf(m) >= from && m.topic.endsWith(`/${suffix}`) && m.json !== undefined && predicate(m.json), timeoutMs)
      .then((m) => m.json);
  }

  async raised(code: string, timeoutMs?: number): Promise<any> {
    const fault = await this.after('fault', `${code} raised`, (json) => json.code === code && json.state === 'raised' && !this.seen.has(json.id), timeoutMs);
    this.seen.add(fault.id);
    return fault;
  }

  async cleared(raise: any): Promise<any> {
    const clear = await this.after('fault', `${raise.code} cleared`, (json) => json.id === raise.id && json.state === 'cleared');
    expect(clear).toMatchObject({ code: raise.code, device: raise.device, raisedAt: raise.raisedAt, severity: raise.severity });
    return clear;
  }

  /** The retained snapshot reaches exactly this verdict. */
  verdict(availability: string, reasons: string[]): Promise<any> {
    return this.after('faults', `${availability} ${reasons.join(',')}`, (json) => json.availability === availability && json.reasons.join() === reasons.join());
  }

  heartbeat(what: string, predicate: (json: any) => boolean): Promise<any> {
    return this.after('heartbeat', what, predicate);
  }
}

describe.skipIf(!socat)('pos-agent run with a printer and a card reader on serial lines', () => {
  it('raises and clears every printer and card reader fault, with availability and reasons', async () => {
    const { printer, reader, recorder, agent, faults } = await setup({ printerPollSeconds: 0.5, reader: true });
    const first = await faults.heartbeat('both devices read', (json) => json.printer && json.cardReader);
    expect(first).toMatchObject({ availability: 'IN_SERVICE', reasons: [], printer: { online: true, paper: 'ok' }, cardReader: { online: true } });
    expect(recorder.messages.find((m) => m.topic.endsWith('/heartbeat'))!.payload.length).toBeLessThan(400);
    await faults.verdict('IN_SERVICE', []);
    const p = printer.device;
    const r = reader!.device;

    // Paper: one state. Low is a warning; at out, low clears and out raises.
    faults.since();
    p.set({ paper: 'low' });
    const low = await faults.raised('PRINTER_PAPER_LOW');
    expect(low).toMatchObject({ device: 'printer', severity: 'warning', message: 'Printer paper is running low', detail: { paper: 'low' } });
    await faults.verdict('DEGRADED', ['PRINTER_PAPER_LOW']);
    p.set({ paper: 'out' });
    const out = await faults.raised('PRINTER_PAPER_OUT');
    expect(out).toMatchObject({ severity: 'critical', detail: { paper: 'out' } });
    await faults.cleared(low);
    await faults.verdict('OUT_OF_SERVICE', ['PRINTER_PAPER_OUT']);
    await faults.heartbeat('paper out in the heartbeat', (json) => json.printer.paper === 'out' && json.printer.online === true);
    p.set({ paper: 'ok' });
    await faults.cleared(out);
    await faults.verdict('IN_SERVICE', []);

    // An open cover takes the printer offline: that is COVER_OPEN alone, and the printer is online.
    faults.since();
    p.set({ coverOpen: true });
    const cover = await faults.raised('PRINTER_COVER_OPEN');
    await faults.verdict('OUT_OF_SERVICE', ['PRINTER_COVER_OPEN']);
    await faults.heartbeat('an open cover, online', (json) => json.reasons.includes('PRINTER_COVER_OPEN') && json.printer.online === true);
    p.set({ coverOpen: false });
    await faults.cleared(cover);

    // Errors: two warnings, then a critical failure ahead of them in the reasons.
    faults.since();
    p.set({ cutterError: true, overheat: true });
    const cutter = await faults.raised('PRINTER_CUTTER_ERROR');
    const hot = await faults.raised('PRINTER_OVERHEAT');
    await faults.verdict('DEGRADED', ['PRINTER_CUTTER_ERROR', 'PRINTER_OVERHEAT']);
    p.set({ failure: true });
    const failure = await faults.raised('PRINTER_FAILURE');
    await faults.verdict('OUT_OF_SERVICE', ['PRINTER_FAILURE', 'PRINTER_CUTTER_ERROR', 'PRINTER_OVERHEAT']);
    p.set({ cutterError: false, overheat: false, failure: false });
    await Promise.all([faults.cleared(cutter), faults.cleared(hot), faults.cleared(failure)]);
    await faults.verdict('IN_SERVICE', []);
    // None of the offline causes above was reported as PRINTER_OFFLINE.
    expect(recorder.of('fault').filter((json) => json.code === 'PRINTER_OFFLINE')).toEqual([]);

    // Offline for no other cause: at once. Silent: after 2 polls, and offline in the heartbeat.
    faults.since();
    p.set({ offline: true });
    const reported = await faults.raised('PRINTER_OFFLINE');
    expect(reported.detail).toMatchObject({ offline: true });
    p.set({ offline: false });
    await faults.cleared(reported);
    faults.since();
    p.set({ silent: true });
    const silent = await faults.raised('PRINTER_OFFLINE');
    expect(silent.detail.error).toMatch(/DLE EOT|poll did not finish/);
    await faults.heartbeat('a silent printer', (json) => json.printer.online === false && json.printer.paper === undefined);
    p.set({ silent: false });
    await faults.cleared(silent);

    // Card reader: a jam, a tamper that stays latched, read errors, silence.
    faults.since();
    r.set({ slotBlocked: true, cardPresent: true });
    const jam = await faults.raised('READER_JAMMED');
    expect(jam).toMatchObject({ device: 'cardReader', severity: 'critical', detail: { slotBlocked: true } });
    await faults.verdict('OUT_OF_SERVICE', ['READER_JAMMED']);
    r.set({ slotBlocked: false, cardPresent: false });
    await faults.cleared(jam);

    faults.since();
    r.set({ tamperLive: true });
    const tamper = await faults.raised('READER_TAMPER');
    r.set({ tamperLive: false, tamperLatched: true });
    // Latched: still active two heartbeats later.
    await faults.heartbeat('first heartbeat with the tamper latched', (json) => json.reasons.includes('READER_TAMPER'));
    faults.since();
    await faults.heartbeat('a later heartbeat', (json) => json.reasons.includes('READER_TAMPER'));
    expect(recorder.of('fault').filter((json) => json.id === tamper.id && json.state === 'cleared')).toEqual([]);
    r.set({ tamperLatched: false });
    await faults.cleared(tamper);
    await faults.verdict('IN_SERVICE', []);

    faults.since();
    r.set({ errorRatio: 0.5 });
    r.swipe(10, { track: TEST_TRACK });
    const reads = await faults.raised('READER_READ_ERRORS');
    expect(reads).toMatchObject({ severity: 'warning', detail: { reads: 10, readErrors: 5, percent: 50 } });
    await faults.verdict('DEGRADED', ['READER_READ_ERRORS']);
    r.set({ errorRatio: 0 });
    r.swipe(10, { track: TEST_TRACK });
    await faults.cleared(reads);

    faults.since();
    r.set({ silent: true });
    const readerSilent = await faults.raised('READER_OFFLINE');
    await faults.heartbeat('a silent reader', (json) => json.cardReader.online === false);
    r.set({ silent: false });
    await faults.cleared(readerSilent);

    // Unplugged (the tty disappears) and plugged back: offline, then reopened by the agent itself.
    faults.since();
    await printer.unplug();
    await reader!.unplug();
    const unpluggedPrinter = await faults.raised('PRINTER_OFFLINE');
    const unpluggedReader = await faults.raised('READER_OFFLINE');
    // Both critical: `reasons` lists them in the order they were raised, whichever noticed first.
    const byRaise = [unpluggedPrinter, unpluggedReader].sort((a, b) => a.seq - b.seq).map((fault) => fault.code);
    await faults.verdict('OUT_OF_SERVICE', byRaise);
    await printer.replug();
    await reader!.replug();
    await Promise.all([faults.cleared(unpluggedPrinter), faults.cleared(unpluggedReader)]);
    await faults.verdict('IN_SERVICE', []);

    // Card data never left the reader's line: not in a message, not in a log line.
    const pan = '4111111111111111';
    for (const text of [...recorder.messages.map((m) => m.payload.toString()), agent.stderr]) {
      for (const encoded of [pan, Buffer.from(pan).toString('hex'), Buffer.from(pan).toString('base64').slice(0, 16)]) expect(text).not.toContain(encoded);
    }
    // The raw frames were logged (debug), with the D events masked.
    expect(agent.stderr).toContain(Buffer.from('D[track data]').toString('hex'));
    expect(agent.logLines().filter((line) => line.level >= 50)).toEqual([]);

    agent.kill('SIGTERM');
    expect((await agent.waitExit(5_000)).code).toBe(0);
  });

  it('with status back, reports paper out and an open cover long before the next poll', async () => {
    const pollSeconds = 30;
    const { printer, agent, faults } = await setup({ printerPollSeconds: pollSeconds, reader: false });
    await faults.heartbeat('the printer read once', (json) => json.printer?.online === true);
    await faults.verdict('IN_SERVICE', []);
    const p = printer.device;
    expect(p.statusBackEnabled).toBe(true);
    // The block answering GS a is a reading too, so the heartbeat can come while the first poll
    // still runs: wait for its last reply, or a change below would land inside it and be asked again.
    await waitUntil('the first poll answered', () => (p.answered[4] ?? 0) >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300)); // for the agent to read that last reply
    const polls = p.answered[1];

    faults.since();
    let started = Date.now();
    p.set({ paper: 'out' });
    const out = await faults.raised('PRINTER_PAPER_OUT', 10_000);
    expect(Date.now() - started).toBeLessThan((pollSeconds * 1000) / 3);
    expect(out.detail).toMatchObject({ paper: 'out', via: 'statusBack' });
    await faults.verdict('OUT_OF_SERVICE', ['PRINTER_PAPER_OUT']);

    started = Date.now();
    p.set({ coverOpen: true });
    const cover = await faults.raised('PRINTER_COVER_OPEN', 10_000);
    expect(Date.now() - started).toBeLessThan((pollSeconds * 1000) / 3);
    expect(cover.detail).toMatchObject({ via: 'statusBack' });

    p.set({ paper: 'ok', coverOpen: false });
    await Promise.all([faults.cleared(out), faults.cleared(cover)]);
    // No DLE EOT poll happened meanwhile: it all came by status back.
    expect(p.answered[1]).toBe(polls);

    agent.kill('SIGTERM');
    expect((await agent.waitExit(5_000)).code).toBe(0);
  });
});
