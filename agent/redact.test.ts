import { describe, expect, it } from 'vitest';
import { isCardholderField, maskedBase64, maskedHex, redact, redactMessage } from './redact.js';

const PAN = '4111111111111111';
const MASKED = '411111******1111';

describe('redact', () => {
  it('masks every string of nested objects and arrays, keys included, and leaves the input alone', () => {
    const input = { reading: { lines: [`a ${PAN}`, { deep: [[`x${PAN}y`]] }] }, [`k${PAN}`]: 1 };
    const before = structuredClone(input);
    expect(redact(input)).toEqual({ reading: { lines: [`a ${MASKED}`, { deep: [[`x${MASKED}y`]] }] }, [`k${MASKED}`]: 1 });
    expect(input).toEqual(before);
  });

  it('removes the fields that can only hold cardholder data, in any case, and no other', () => {
    const input = {
      pan: 'x', PAN: 'x', cardNumber: 'x', card_number: 'x', Track: 'x', track1: 'x', TRACK2: 'x', track_2: 'x',
      cvv: 'x', CVC: 'x', cvv2: 'x', pin: 'x', pinBlock: 'x', PIN_BLOCK: 'x',
      nested: [{ pan: 'x', panel: 'kept' }],
      spin: 'kept', pinned: 'kept', company: 'kept', tracking: 'kept', pinCount: 3,
    };
    expect(redact(input)).toEqual({ nested: [{ panel: 'kept' }], spin: 'kept', pinned: 'kept', company: 'kept', tracking: 'kept', pinCount: 3 });
    expect(isCardholderField('pinBlock')).toBe(true);
    expect(isCardholderField('pinBlockSize')).toBe(false);
  });

  it('leaves JSON numbers alone: timestamps and counters are not card numbers', () => {
    expect(redact({ ts: 4111111111111111, reads: 1795370000000 })).toEqual({ ts: 4111111111111111, reads: 1795370000000 });
  });

  it('masks bytes as text before encoding them, also a Buffer already turned into JSON', () => {
    const frame = Buffer.from(`\x02E\x00\x27D;${PAN}=25121010000000000000?\x03\x17`, 'latin1');
    const out = redact({ frame, view: new Uint8Array(Buffer.from(`card ${PAN}`)), json: JSON.parse(JSON.stringify(Buffer.from(PAN))) }) as Record<string, string>;
    expect(out.frame).toBe(maskedHex(frame));
    expect(Buffer.from(out.frame!.replace(/ /g, ''), 'hex').toString('latin1')).toBe('\x02E\x00\x27D[track data]\x03\x17');
    expect(out.view).toBe(maskedHex(Buffer.from(`card ${PAN}`)));
    expect(out.json).toBe(maskedHex(Buffer.from(PAN)));
    const panHex = Buffer.from(PAN).toString('hex');
    for (const hex of Object.values(out)) expect(hex.replace(/ /g, '')).not.toContain(panHex);
  });

  it('reads a list of byte values that spells cardholder data as bytes, and leaves other number lists alone', () => {
    const spelled = [...Buffer.from(`pan ${PAN}`)];
    expect(redact({ spelled })).toEqual({ spelled: maskedHex(Buffer.from(`pan ${PAN}`)) });
    // Small counters read as bytes would be BCD digits, every other one 0: not a PAN.
    const counters = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3];
    expect(redact({ counters, loads: [0.5, 1, 2] })).toEqual({ counters, loads: [0.5, 1, 2] });
  });

  it('turns an Error into its type, message, stack, own fields and cause, all masked', () => {
    const cause = new Error(`reader said ${PAN}`);
    const error = Object.assign(new Error(`declined ${PAN}`, { cause }), { code: 'E_CARD', pan: PAN });
    const out = redact({ err: error }) as { err: Record<string, any> };
    expect(out.err.type).toBe('Error');
    expect(out.err.message).toBe(`declined ${MASKED}`);
    expect(out.err.stack).toContain(`declined ${MASKED}`);
    expect(out.err.code).toBe('E_CARD');
    expect(out.err.pan).toBeUndefined();
    expect(out.err.cause.message).toBe(`reader said ${MASKED}`);
    expect(JSON.stringify(out)).not.toContain(PAN);
  });

  it('survives cycles, deep nesting, unreadable values and values JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = { name: PAN };
    cyclic.self = cyclic;
    const shared = { n: 1 };
    expect(redact({ cyclic, a: shared, b: shared })).toEqual({ cyclic: { name: MASKED, self: '[Circular]' }, a: { n: 1 }, b: { n: 1 } });

    let deep: Record<string, unknown> = { end: PAN };
    for (let i = 0; i < 100; i++) deep = { deep };
    expect(JSON.stringify(redact(deep))).toContain('[too deep]');

    const hostile = { get secret(): string { throw new Error(PAN); } };
    expect(redact({ hostile })).toEqual({ hostile: '[unreadable]' });
    expect(redact({ f: () => 1, s: Symbol('x'), big: 4111111111111111n, when: new Date(0) })).toEqual({ big: MASKED, when: '1970-01-01T00:00:00.000Z' });
  });
});

describe('redactMessage', () => {
  it('masks a message but for its own seq, ts and id at the top', () => {
    const id = `cmd-${PAN}`;
    const message = { seq: 7, ts: 1, id, ok: true, data: { id: PAN, devices: { battery: { error: `bad ${PAN}` } } } };
    expect(redactMessage(message)).toEqual({ seq: 7, ts: 1, id, ok: true, data: { id: MASKED, devices: { battery: { error: `bad ${MASKED}` } } } });
  });
});

describe('maskedHex and maskedBase64', () => {
  it('encode what is left after masking, byte by byte', () => {
    expect(maskedHex(Buffer.from([0x10, 0x04, 0x01]))).toBe('10 04 01');
    expect(maskedHex(Buffer.from(`x${PAN}`))).toBe('78 34 31 31 31 31 31 2a 2a 2a 2a 2a 2a 31 31 31 31');
    expect(maskedBase64(Buffer.from(`;${PAN}=2512101?`))).toBe(Buffer.from('[track data]').toString('base64'));
  });

  it('mask a PAN in BCD, which shows as its own digits in hex (EMV tag 5A)', () => {
    const tag5a = Buffer.from(`5a08${PAN}`, 'hex');
    expect(maskedHex(tag5a).replace(/ /g, '')).not.toContain(PAN);
    expect(Buffer.from(maskedBase64(tag5a), 'base64').toString('hex')).not.toContain(PAN);
  });
});

describe('redact of bytes a driver already encoded', () => {
  const frame = Buffer.concat([Buffer.from('0244000c', 'hex'), Buffer.from(`5a08${PAN}`, 'hex'), Buffer.from(`x${PAN}`), Buffer.from('03', 'hex')]);

  it('masks a hex string as bytes: a PAN in BCD, and one in ASCII that hex shows as other digits', () => {
    for (const hex of [frame.toString('hex'), frame.toString('hex').replace(/(..)(?!$)/g, '$1 ')]) {
      const out = redact({ frame: hex }) as { frame: string };
      expect(out.frame.replace(/ /g, '')).not.toContain(PAN);
      expect(out.frame.replace(/ /g, '')).not.toContain(Buffer.from(PAN).toString('hex'));
      expect(out.frame.replace(/ /g, '')).toBe(maskedHex(frame).replace(/ /g, ''));
    }
  });

  it('masks a byte list that spells a PAN in BCD, seven bytes and up', () => {
    const bcd = [...Buffer.from(PAN, 'hex')];
    expect(redact({ bytes: bcd })).toEqual({ bytes: maskedHex(Buffer.from(bcd)) });
    expect(redact({ bytes: [1, 2, 3, 4, 5, 6, 7] })).toEqual({ bytes: [1, 2, 3, 4, 5, 6, 7] });
  });

  it('leaves plain hex alone: an id, a hash', () => {
    for (const text of ['deadbeefcafe0123456789', 'a1b2c3d4e5f60718']) expect(redact(text)).toBe(text);
  });
});

describe('merchant identifiers (SPEC.md section 7)', () => {
  // A China UnionPay merchant number that passes the Luhn check, as one in ten do.
  const MID = '102310058120007';
  const MID_MASKED = '102310*****0007';

  it('leaves mid and tid of a merchant object as they are, and still masks a PAN in its name', () => {
    const status = { devices: { merchant: { reading: { values: { mid: MID, tid: '12345678', mcc: '5812', name: `Shop ${PAN}` }, baseline: { mid: { value: MID, how: 'first-read' } } } } } };
    const out = redactMessage({ seq: 1, ts: 1, id: 'c', ok: true, data: status }) as any;
    expect(out.data.devices.merchant.reading.values).toEqual({ mid: MID, tid: '12345678', mcc: '5812', name: `Shop ${MASKED}` });
    expect(out.data.devices.merchant.reading.baseline.mid.value).toBe(MID);
  });

  it("leaves them in a MERCHANT_* fault's detail, also inside a reply that lists faults, and in a log record", () => {
    const detail = { fields: ['mid'], changed: { mid: { baseline: MID, current: '102310054110002' } }, name: PAN };
    const fault = { seq: 2, ts: 1, id: 'f-2', code: 'MERCHANT_CHANGED', detail };
    expect((redactMessage(fault) as any).detail).toEqual({ ...detail, name: MASKED });
    const reply = redactMessage({ seq: 3, ts: 1, id: 'c', ok: true, data: { faults: [fault] } }) as any;
    expect(reply.data.faults[0].detail.changed.mid).toEqual({ baseline: MID, current: '102310054110002' });
    expect((redact({ msg: 'approved', merchant: { baseline: { mid: { value: MID } } } }) as any).merchant.baseline.mid.value).toBe(MID);
  });

  it('masks the same number anywhere else, and text that is not a plain identifier even under mid', () => {
    expect(redactMessage({ seq: 4, ts: 1, id: 'c', code: 'PRINTER_OFFLINE', detail: { mid: MID } }).detail).toEqual({ mid: MID_MASKED });
    expect(redact({ mid: MID, battery: { mid: MID } })).toEqual({ mid: MID_MASKED, battery: { mid: MID_MASKED } });
    expect(redact({ merchant: { mid: `mid ${PAN}`, tid: PAN.replace(/(\d{4})/g, '$1 ').trim() } })).toEqual({ merchant: { mid: `mid ${MASKED}`, tid: MASKED } });
  });
});
