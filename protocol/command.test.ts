import { describe, expect, it } from 'vitest';
import { payload, rawToken, sign, technician } from '../test/helpers/technician.js';
import { decodeCommand, instant, MAX_COMMAND_BYTES, OP_ARGS } from './command.js';

const tech = technician();
const bytes = (text: string) => Buffer.from(text);

describe('decodeCommand', () => {
  it('reads a signed command without verifying it', async () => {
    const body = payload('T-1', 'status');
    const decoded = decodeCommand(bytes(await sign(tech, body)));
    expect(decoded).toMatchObject({ ok: true, header: { alg: 'EdDSA', kid: tech.kid }, payload: body });
  });

  it('tells junk from a command, and reads the id of a bad payload when it can', () => {
    expect(decodeCommand(bytes('{"op":"status"}'))).toEqual({ ok: false, id: null, message: 'not a JWS in compact serialization' });
    expect(decodeCommand(bytes('a.b.c.d'))).toMatchObject({ ok: false, id: null });
    expect(decodeCommand(bytes(`${'A'.repeat(10)}.${'B'.repeat(10)}.`))).toMatchObject({ ok: false, message: 'the JWS header is not a JSON object' });
    expect(decodeCommand(bytes(rawToken({ alg: 'EdDSA' }, { id: 'x-1', op: 'status', aud: 'T-1', iat: 'now', exp: 1 })))).toMatchObject({
      ok: false,
      id: 'x-1',
      message: expect.stringContaining('iat'),
    });
    expect(decodeCommand(bytes(rawToken({ alg: 'EdDSA' }, { id: 42 })))).toMatchObject({ ok: false, id: null });
    const oversized = Buffer.alloc(MAX_COMMAND_BYTES + 1, 0x41);
    expect(decodeCommand(oversized)).toMatchObject({ ok: false, id: null, message: expect.stringContaining('at most 16384') });
  });

  it('takes args as the contract gives them', () => {
    expect(OP_ARGS.logs.parse({})).toEqual({ lines: 200 });
    expect(OP_ARGS.loglevel.parse({ level: 'debug' })).toEqual({ level: 'debug', minutes: 15 });
    expect(OP_ARGS.faults.parse({})).toEqual({ limit: 100 });
    expect(OP_ARGS.logs.safeParse({ lines: 5_001 }).success).toBe(false);
    expect(OP_ARGS.loglevel.safeParse({ level: 'debug', minutes: 61 }).success).toBe(false);
    expect(OP_ARGS.logs.safeParse({ grep: 'x', extra: 1 }).success).toBe(false);
  });

  it('reads since and until as ISO-8601 or epoch milliseconds', () => {
    expect(instant.parse(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(instant.parse('1700000000000')).toBe(1_700_000_000_000);
    expect(instant.parse('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(instant.parse('2023-11-14T23:13:20.000+01:00')).toBe(1_700_000_000_000);
    for (const bad of ['yesterday', '2023-13-45T99:00:00Z', -5, 1.5]) expect(instant.safeParse(bad).success).toBe(false);
  });
});
