import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeParams, mccOfMerchantNumber } from './codec.js';

const CASES = path.join(import.meta.dirname, 'testcases');

describe('merchant parameters files (fixtures in testcases/)', () => {
  for (const name of fs.readdirSync(CASES)) {
    it(name, () => {
      const folder = path.join(CASES, name);
      const expected = JSON.parse(fs.readFileSync(path.join(folder, 'expected.json'), 'utf8'));
      const file = fs.readdirSync(folder).find((entry) => entry.startsWith('params.'))!;
      const decoded = decodeParams(fs.readFileSync(path.join(folder, file)), expected.format, expected.fields);
      if (expected.values) expect(decoded).toEqual({ ok: true, values: expected.values, mccFrom: expected.mccFrom });
      else if (expected.problemStartsWith) expect(decoded.ok === false && decoded.problem.startsWith(expected.problemStartsWith)).toBe(true);
      else expect(decoded).toEqual({ ok: false, problem: expected.problem });
    });
  }
});

describe('decodeParams', () => {
  const fields = { mid: 'm.mid', tid: 'm.tid', name: 'm.name' };
  const json = (value: unknown) => Buffer.from(JSON.stringify({ m: value }));

  it('takes the MCC from digits 8 to 11 of a 15-digit merchant number, and from nothing else', () => {
    expect(mccOfMerchantNumber('102310058120007')).toBe('5812');
    expect(mccOfMerchantNumber('10231005812000')).toBeUndefined();
    expect(mccOfMerchantNumber('1023100581200A7')).toBeUndefined();
  });

  it('names the field and its type when a value is not a string', () => {
    for (const [value, what] of [[true, 'a boolean'], [['1'], 'an array'], [1.5, 'a number'], [-3, 'a number']] as const) {
      expect(decodeParams(json({ mid: value, tid: 'T' }), 'json', fields)).toEqual({ ok: false, problem: `m.mid is ${what}, not a string` });
    }
    expect(decodeParams(json({ mid: 'M', tid: 'T', name: 42 }), 'json', fields)).toEqual({ ok: false, problem: 'm.name is a number, not a string' });
  });

  it('refuses over-long values and control characters rather than cut them', () => {
    expect(decodeParams(json({ mid: 'M'.repeat(33), tid: 'T' }), 'json', fields)).toEqual({ ok: false, problem: 'm.mid is 33 characters; at most 32' });
    expect(decodeParams(json({ mid: 'M 1', tid: 'T' }), 'json', fields)).toEqual({ ok: false, problem: 'm.mid holds characters other than printable ASCII' });
    expect(decodeParams(Buffer.from('m.mid=M\u0000\nm.tid=T'), 'properties', fields)).toEqual({ ok: false, problem: 'not UTF-8 text (binary data?)' });
  });

  it('reads an array or a missing branch on the path as no value', () => {
    expect(decodeParams(Buffer.from('[1,2]'), 'json', fields)).toEqual({ ok: false, problem: 'no mid (m.mid)' });
    expect(decodeParams(Buffer.from('{"m":{"tid":"T"},"m.mid":"X"}'), 'json', fields)).toEqual({ ok: false, problem: 'no mid (m.mid)' });
  });
});
