import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, encodeFrame } from '../drivers/card-reader/codec.js';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { SimTerminal } from '../sim/terminal.js';
import { removeTempDirs, tempDir, writeJson } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';
import { AgentProcess, killAll } from './helpers/agent-process.js';
import { clearForms, clearFormsIn, filesBelow, TEST_PAN } from './helpers/cardholder.js';
import { Recorder } from './helpers/recorder.js';
import { waitForLog } from './helpers/rig.js';
import { cardReaderOnPty, type PtyDevice } from './helpers/serial-sims.js';

/**
 * A card reader that puts a card number on the wire in every way a real one can (ASCII, track
 * data with separators, packed BCD in an EMV TLV at either nibble), read by the built agent at
 * `debug`, which logs every frame: nowhere (log files, stderr, state folder, MQTT) may the PAN be
 * found again in any encoding.
 */

const socat = requireTool('socat', 'the cardholder data in serial frames test');

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

/** An event frame of a kind the agent does not know, `marker` in ASCII before `data`. */
function frame(marker: string, data: Buffer): Buffer {
  return encodeFrame({ cmd: COMMANDS.event, status: 0, data: Buffer.concat([Buffer.from(`Z${marker}`), data]) });
}

function bcd(pan: string, nibble: 0 | 1): Buffer {
  const digits = `${nibble ? 'f' : ''}${pan}`;
  return Buffer.from(digits.length % 2 ? `${digits}f` : digits, 'hex');
}

describe('card numbers in serial frames', () => {
  it('leaves no encoding of the PAN in the logs, the state folder or any message', async () => {
    const terminalId = `PAN-${Math.random().toString(36).slice(2, 10)}`;
    const terminal = new SimTerminal(tempDir());
    const reader: PtyDevice<any> = await cardReaderOnPty(socat!, terminal.dir);
    cleanups.push(() => reader.stop());
    reader.device.set({ serial: `SN ${TEST_PAN.replace(/(\d{4})(?=\d)/g, '$1 ')}` });
    const config: Record<string, any> = terminal.agentConfig({ brokerUrl: broker.url, terminalId, heartbeatSeconds: 1, logLevel: 'debug' });
    config.devices.cardReader = { path: reader.agentPath, pollSeconds: 0.5 };
    const recorder = await Recorder.connect(broker.url, `pos/v1/${terminalId}/#`);
    cleanups.push(() => recorder.close());
    const agent = new AgentProcess(['run', '--config', writeJson(path.join(terminal.dir, 'agent.json'), config)]);
    await waitForLog(agent, (line) => line.msg === 'card reader frame in', 'a first frame from the reader');

    const tlv = (tag: number, value: Buffer) => Buffer.concat([Buffer.from([tag, value.length]), value]);
    const frames = [
      // A TLV that ends the digits of the hex (the tag after it starts with a letter), and one that does not.
      frame('M1', Buffer.concat([tlv(0x5a, bcd(TEST_PAN, 0)), tlv(0x9f, Buffer.from([0x01]))])),
      frame('M2', Buffer.concat([Buffer.from([0x5a, 0x09]), bcd(TEST_PAN, 1)])),
      frame('M6', Buffer.concat([Buffer.from([0xaa]), tlv(0x5a, bcd(TEST_PAN, 0)), Buffer.from([0xaa])])),
      frame('M3', Buffer.from(` ${TEST_PAN} `)),
      frame('M4', Buffer.from(`%B${TEST_PAN.replace(/(\d{4})(?=\d)/g, '$1-')}^${'LONGFAMILYNAME'.repeat(3)}/JOHN^2512101000000000?`)),
      frame('M5', tlv(0x57, Buffer.from(`${TEST_PAN}d25121010000000000000f`, 'hex'))),
    ];
    for (const bytes of frames) reader.device.sendRaw(bytes);
    // Events the agent knows carry one byte of data; these carry more (masking keeps the length byte).
    const ours = (line: any) => line.msg === 'card reader frame in' && /^024500(?!01)/.test(String(line.frame).replace(/ /g, ''));
    await waitForLog(agent, () => agent.logLines().filter(ours).length >= frames.length, 'every frame logged');
    await recorder.waitForJson('heartbeat', 'a heartbeat with the reader online', (json) => json.cardReader?.online === true);
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);

    const forms = clearForms(TEST_PAN);
    expect(forms.length).toBe(24);
    const places = new Map<string, string>([['stderr', agent.stderr], ['mqtt', recorder.messages.map((m) => `${m.topic} ${m.payload.toString('latin1')}`).join('\n')]]);
    for (const [file, text] of filesBelow(terminal.dir)) if (!file.startsWith(path.join(terminal.dir, 'reader'))) places.set(file, text);
    expect(places.size).toBeGreaterThan(3);
    expect(fs.existsSync(terminal.logDir)).toBe(true);
    // Also a PAN only partly masked: its hidden digits with two shown ones, as digits and as ASCII hex.
    const hidden = TEST_PAN.slice(4, -4);
    const partly = (text: string) => [hidden, Buffer.from(hidden).toString('hex')].filter((form) => text.replace(/ /g, '').toLowerCase().includes(form));
    for (const [where, text] of places) {
      expect({ where, found: clearFormsIn(text, TEST_PAN), partly: partly(text) }).toEqual({ where, found: [], partly: [] });
    }
    // The frames were logged, masked: the BCD keeps its first 6 and last 4 digits.
    const logged = agent.logLines().filter((line) => line.msg === 'card reader frame in').map((line) => String(line.frame));
    expect(logged.some((hex) => hex.includes('453914ffffff6467'))).toBe(true);
  });
});
