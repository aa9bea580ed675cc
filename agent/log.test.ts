import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clearForms, TEST_PAN as PAN, TEST_PAN_MASKED as MASKED, TEST_TRACK_2 as TRACK_2 } from '../test/helpers/cardholder.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import pino from 'pino';
import { createLog, redactLine, stderrIsJournal, withJournalPriority } from './log.js';
import { maskedBase64, maskedHex } from './redact.js';

afterAll(removeTempDirs);

/** A card reader's unsolicited 'D' event (DEVICES.md): STX 'E' status LEN DATA ETX LRC. */
function readerEventFrame(data: string): Buffer {
  const body = Buffer.concat([Buffer.from([0x02, 0x45, 0x00, data.length]), Buffer.from(data, 'latin1'), Buffer.from([0x03])]);
  const lrc = body.reduce((xor, byte) => xor ^ byte, 0);
  return Buffer.concat([body, Buffer.from([lrc])]);
}

describe('the agent log', () => {
  it('writes no PAN or track data to its file in any field or encoding', () => {
    const dir = tempDir();
    const { log, close } = createLog({ level: 'trace', logDir: dir, stderr: false });
    const frame = readerEventFrame(`D${TRACK_2}`);
    const driver = log.child({ device: 'cardReader' });
    driver.debug({ frame: maskedHex(frame) }, 'frame in');
    driver.debug({ frame }, 'a frame passed as bytes');
    driver.debug({ text: frame.toString('latin1') }, 'a frame passed as text');
    driver.info(`card read ${PAN.replace(/(\d{4})(?=\d)/g, '$1-')}`);
    driver.info('formatted %s and %o', PAN, { pan: PAN });
    driver.warn({ err: new Error(`declined ${PAN}`, { cause: new Error(TRACK_2) }) }, 'error object');
    driver.error(new Error(`as the only argument ${PAN}`));
    driver.info({ reading: { events: [{ kind: 'D', raw: TRACK_2, track2: TRACK_2, cardNumber: PAN }] } }, 'nested');
    log.child({ session: `bound ${PAN}` }).info('child bindings');
    close();

    const text = fs.readFileSync(path.join(dir, 'agent.log'), 'utf8');
    const records = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(records).toHaveLength(9);
    for (const form of clearForms(PAN)) expect(text).not.toContain(form);
    expect(text).not.toContain('=2512101');

    expect(records[0]).toMatchObject({ device: 'cardReader', level: 20, msg: 'frame in' });
    expect(Buffer.from(records[0].frame.replace(/ /g, ''), 'hex').toString('latin1')).toContain('D[track data]');
    expect(records[1].frame).toBe(records[0].frame);
    expect(records[2].text).toContain('D[track data]');
    expect(records[3].msg).toBe(`card read ${MASKED}`);
    expect(records[4].msg).toContain(MASKED);
    expect(records[5].err).toMatchObject({ type: 'Error', message: expect.stringContaining(`declined ${MASKED}`) });
    expect(records[5].err.stack).toContain(MASKED);
    expect(records[6]).toMatchObject({ msg: `as the only argument ${MASKED}`, err: { message: `as the only argument ${MASKED}` } });
    expect(records[7].reading).toEqual({ events: [{ kind: 'D', raw: '[track data]' }] });
    expect(records[8].session).toBe(`bound ${MASKED}`);
    for (const record of records) expect(typeof record.time).toBe('number');
  });

  it('masks the card reader D event of DEVICES.md however a driver would log it', () => {
    const dir = tempDir();
    const { log, close } = createLog({ level: 'debug', logDir: dir, stderr: false });
    const track = ';4111111111111111=25121010000000000000?';
    const frame = readerEventFrame(`D${track}`);
    const reader = log.child({ device: 'cardReader' });
    reader.debug({ rx: maskedHex(frame) }, 'frame');
    reader.debug({ rx: frame, data: frame.subarray(4, -2).toString('latin1') }, 'frame');
    reader.debug({ base64: maskedBase64(frame), bytes: [...frame] }, 'frame');
    reader.debug(`event ${frame.subarray(4, -2).toString('latin1')}`);
    close();
    const text = fs.readFileSync(path.join(dir, 'agent.log'), 'utf8');
    for (const form of clearForms('4111111111111111')) expect(text).not.toContain(form);
    expect(text).not.toContain('=2512');
    const records = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(records[1].data).toBe('D[track data]');
    expect(records[3].msg).toBe('event D[track data]');
    expect(records[2].bytes).toBe(maskedHex(frame));
    expect(Buffer.from(records[2].base64, 'base64').toString('latin1')).toContain('D[track data]');
  });

  it('applies a new level to child loggers too', () => {
    const dir = tempDir();
    const { log, close } = createLog({ level: 'info', logDir: dir, stderr: false });
    const child = log.child({ device: 'battery' });
    child.debug('hidden');
    log.level = 'debug';
    child.debug('shown');
    close();
    const records = fs.readFileSync(path.join(dir, 'agent.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((record) => record.msg)).toEqual(['shown']);
  });

  it('rotates its file by size and keeps a bounded number of files', () => {
    const dir = tempDir();
    const { log, file, close } = createLog({ level: 'info', logDir: dir, stderr: false, fileBytes: 4096, files: 3 });
    for (let i = 0; i < 200; i++) log.info({ i }, 'a line of about a hundred bytes, to fill the file');
    close();
    expect(fs.readdirSync(dir).sort()).toEqual(['agent.log', 'agent.log.1', 'agent.log.2']);
    for (const name of file!.paths()) expect(fs.statSync(name).size).toBeLessThanOrEqual(4096);
    const last = fs.readFileSync(path.join(dir, 'agent.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(last.at(-1).i).toBe(199);
  });

  it('masks a line that is not JSON as text', () => {
    expect(redactLine(`not json ${PAN}`)).toBe(`not json ${MASKED}`);
    expect(redactLine(`{"time":${PAN},"msg":"${PAN}"}`)).toBe(`{"time":${PAN},"msg":"${MASKED}"}\n`);
  });
});

describe('stderr under journald', () => {
  it('knows stderr is the journal only when JOURNAL_STREAM names its device and inode', () => {
    const stat = fs.fstatSync(2);
    expect(stderrIsJournal({ JOURNAL_STREAM: `${stat.dev}:${stat.ino}` })).toBe(true);
    expect(stderrIsJournal({ JOURNAL_STREAM: `${stat.dev}:${stat.ino + 1}` })).toBe(false);
    expect(stderrIsJournal({})).toBe(false);
  });

  it('prefixes each record with the syslog priority of its level', () => {
    const lines: string[] = [];
    const stream = withJournalPriority({ write: (line: string) => lines.push(line) });
    const log = pino({ level: 'trace' }, stream);
    log.fatal('f');
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.trace('t');
    expect(lines.map((line) => line.slice(0, 4))).toEqual(['<3>{', '<3>{', '<4>{', '<6>{', '<7>{', '<7>{']);
  });
});
