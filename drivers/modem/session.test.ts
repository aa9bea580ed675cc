import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../basics/clock.js';
import { memoryLog } from '../../test/helpers/log.js';
import { classifyLine, parseCsq, parseRegistrationAnswer } from './codec.js';
import { AtSession, MAX_LINE_BYTES, answerPrefix } from './session.js';

/** A port whose bytes the test delivers by hand, in whatever chunks it likes. */
function fakePort() {
  const listeners: ((chunk: Buffer) => void)[] = [];
  const written: string[] = [];
  let onWrite: (command: string) => void = () => {};
  return {
    port: {
      async write(data: Uint8Array) {
        const text = Buffer.from(data).toString('latin1');
        written.push(text);
        onWrite(text);
      },
      onData: (listener: (chunk: Buffer) => void) => listeners.push(listener),
    },
    written,
    deliver(bytes: Buffer | string) {
      const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      for (const listener of listeners) listener(buffer);
    },
    whenWritten(handler: (command: string) => void) {
      onWrite = handler;
    },
  };
}

function session() {
  const wire = fakePort();
  const { log } = memoryLog('info');
  const at = new AtSession(wire.port, { clock: systemClock, log });
  const urcs: string[] = [];
  at.onUnsolicited((text) => urcs.push(text));
  return { wire, at, urcs };
}

/** Splits bytes at the given cut points (any positions). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) chunks.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  return chunks;
}

const frame = (line: string) => `\r\n${line}\r\n`;

describe('AtSession', () => {
  it('skips the echo, collects information lines and resolves on the final result', async () => {
    const { wire, at } = session();
    wire.whenWritten((command) => wire.deliver(`${command}${frame('+CSQ: 17,99')}${frame('OK')}`));
    const answer = await at.command('AT+CSQ');
    expect(wire.written).toEqual(['AT+CSQ\r']);
    expect(answer).toEqual({ lines: ['+CSQ: 17,99'], final: { result: 'OK' } });
    expect(parseCsq(answer.lines)?.rssiDbm).toBe(-79);
  });

  it('works with echo off, and with a CME error', async () => {
    const { wire, at } = session();
    wire.whenWritten(() => wire.deliver(frame('+CME ERROR: 10')));
    expect(await at.command('AT+CPIN?')).toEqual({ lines: [], final: { result: 'CME ERROR', code: 10 } });
  });

  it('does not take a registration URC that arrives between command and answer for the answer', async () => {
    const { wire, at, urcs } = session();
    wire.whenWritten((command) => wire.deliver(`${command}${frame('+CREG: 3')}${frame('+CREG: 0,5')}${frame('RING')}${frame('OK')}`));
    const answer = await at.command('AT+CREG?');
    expect(answer.lines).toEqual(['+CREG: 0,5']);
    expect(parseRegistrationAnswer(answer.lines, '+CREG')).toBe(5);
    expect(urcs).toEqual(['+CREG: 3', 'RING']);
    expect(at.registration['+CREG']).toBe(3);
  });

  it('sends one command at a time, in order', async () => {
    const { wire, at } = session();
    const answers = ['+CPIN: READY', '+CSQ: 20,99'];
    wire.whenWritten(() => setTimeout(() => wire.deliver(`${frame(answers.shift()!)}${frame('OK')}`), 5));
    const [first, second] = await Promise.all([at.command('AT+CPIN?'), at.command('AT+CSQ')]);
    expect(first.lines).toEqual(['+CPIN: READY']);
    expect(second.lines).toEqual(['+CSQ: 20,99']);
  });

  it('times out without a final result, drops the late answer, and answers the next command correctly', async () => {
    const { wire, at } = session();
    await expect(at.command('AT+CSQ', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    // The late answer arrives while nothing waits.
    wire.deliver(`${frame('+CSQ: 5,99')}${frame('OK')}`);
    wire.whenWritten(() => wire.deliver(`${frame('+CSQ: 17,99')}${frame('OK')}`));
    expect((await at.command('AT+CSQ')).lines).toEqual(['+CSQ: 17,99']);
  });

  it('rejects at once when its signal aborts', async () => {
    const { at } = session();
    const controller = new AbortController();
    const pending = at.command('AT+CPIN?', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow(/aborted/);
  });

  it('knows which answer each command waits for', () => {
    expect(answerPrefix('AT+CSQ')).toBe('+CSQ:');
    expect(answerPrefix('AT+CREG?')).toBe('+CREG:');
    expect(answerPrefix('AT')).toBeUndefined();
  });
});

/** Lines that are neither a final result nor a URC nor the awaited answer: noise inside an answer. */
const garbageLine = fc
  .string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789 +:,"#*-_.?!'.split('')), minLength: 1, maxLength: 60 })
  .filter((line) => {
    const text = line.trim();
    return text !== '' && !text.startsWith('+CSQ') && !text.startsWith('AT') && classifyLine(text, '+CSQ:').kind === 'information';
  });

const urc = fc.constantFrom('RING', '+CREG: 2', '+CREG: 5', '+CEREG: 3,"1A2B","01A2D001",7', '+CMTI: "SM",3', '+CGREG: 1', '+CREG: 1,"00C3","0000FD05",7');

describe('AtSession under hostile input (property-based)', () => {
  it('never throws and never buffers more than a line on random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3_000 }), { maxLength: 8 }), (chunks) => {
        const { wire, at } = session();
        for (const chunk of chunks) {
          wire.deliver(Buffer.from(chunk));
          expect(at.bufferedBytes).toBeLessThanOrEqual(MAX_LINE_BYTES);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('answers correctly again after random bytes, garbage lines, oversized lines and URCs, however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2_000 }),
        fc.array(fc.oneof(urc.map((text) => ({ urc: text })), garbageLine.map((text) => ({ garbage: text })), fc.integer({ min: MAX_LINE_BYTES + 1, max: 4_000 }).map((size) => ({ oversized: size }))), { maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 0, max: 31 }),
        async (noise, inserts, echo, cuts, rssi) => {
          const { wire, at, urcs } = session();
          let expectedUrcs: string[] = [];
          // Noise while nothing waits: dropped, whatever it is.
          wire.deliver(Buffer.from(noise));
          wire.whenWritten((command) => {
            let bytes = echo ? command : '';
            expectedUrcs = [];
            const answer = [frame(`+CSQ: ${rssi},99`), frame('OK')];
            // Extra lines go before the final result: after it the command is answered.
            const parts: string[] = [];
            for (const insert of inserts) {
              if ('urc' in insert) {
                parts.push(frame(insert.urc));
                expectedUrcs.push(insert.urc);
              } else if ('garbage' in insert) {
                parts.push(frame(insert.garbage));
              } else {
                parts.push(`${'x'.repeat(insert.oversized)}\r\n`);
              }
            }
            bytes += [...parts.slice(0, 2), answer[0], ...parts.slice(2), answer[1]].join('');
            setImmediate(() => {
              for (const chunk of chunked(Buffer.from(bytes, 'latin1'), cuts)) wire.deliver(chunk);
            });
          });
          const answer = await at.command('AT+CSQ', { timeoutMs: 2_000 });
          expect(answer.final).toEqual({ result: 'OK' });
          expect(answer.lines.filter((line) => line.startsWith('+CSQ'))).toEqual([`+CSQ: ${rssi},99`]);
          expect(parseCsq(answer.lines)?.rssiDbm).toBe(-113 + 2 * rssi);
          // Every URC inside the answer was reported as one, in order (the noise before may add its own).
          expect(urcs.slice(urcs.length - expectedUrcs.length)).toEqual(expectedUrcs);
          expect(at.bufferedBytes).toBeLessThanOrEqual(MAX_LINE_BYTES);
        },
      ),
      { numRuns: 150 },
    );
  });
});
