import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdsCardData, maskBytes } from './cardholder-bytes.js';
import { luhnValid } from './cardholder-data.js';

function withCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit++) if (luhnValid(`${body}${digit}`)) return `${body}${digit}`;
  throw new Error('unreachable');
}

const digit = fc.constantFrom(...'0123456789');
/** A PAN: its first digit (the major industry identifier) is not 0, nor is every other digit. */
const pan = fc
  .integer({ min: 13, max: 19 })
  .chain((length) => fc.array(digit, { minLength: length - 1, maxLength: length - 1 }).map((list) => withCheckDigit(list.join(''))))
  .filter((number) => number[0] !== '0' && !/^(?:\d0)+\d?$/.test(number));

/** The PAN packed as BCD, starting at the high (0) or low (1) nibble of its first byte, F-filled. */
function bcd(number: string, nibble: 0 | 1): Buffer {
  const nibbles = `${nibble ? 'f' : ''}${number}`;
  return Buffer.from(nibbles.length % 2 ? `${nibbles}f` : nibbles, 'hex');
}

/** Every way the bytes could be written in a log: hex (both cases, spaced), base64, a byte list, latin1. */
function encodings(bytes: Buffer): string[] {
  const hex = bytes.toString('hex');
  return [hex, hex.toUpperCase(), hex.replace(/(..)(?!$)/g, '$1 '), bytes.toString('base64'), [...bytes].join(','), bytes.toString('latin1')];
}

/** The middle digits a mask hides, in every form the PAN could be found in any of those encodings. */
function clearForms(number: string): string[] {
  const forms = [number, Buffer.from(number).toString('hex')];
  for (const nibble of [0, 1] as const) {
    const packed = bcd(number, nibble);
    // The BCD digits themselves as they appear in hex (with and without the filler).
    forms.push(number);
    for (let offset = 0; offset < 3; offset++) {
      forms.push(Buffer.concat([Buffer.alloc(offset, 0x78), packed]).toString('base64').slice(4, -4));
      forms.push(Buffer.concat([Buffer.alloc(offset, 0x78), Buffer.from(number)]).toString('base64').slice(4, -4));
    }
    forms.push([...packed].join(','));
  }
  forms.push([...Buffer.from(number)].join(','));
  return forms.filter((form) => form.length >= 8);
}

describe('maskBytes', () => {
  it('masks a PAN in packed BCD (EMV tag 5A) at either nibble alignment', () => {
    const tag5a = Buffer.from('025a084111111111111111ff03', 'hex');
    expect(maskBytes(tag5a).toString('hex')).toBe('025a08411111ffffff1111ff03');
    const odd = Buffer.from('0f41111111111111111f', 'hex');
    expect(maskBytes(odd).toString('hex')).not.toContain('4111111111111111');
    expect(holdsCardData(Buffer.from('025300000352', 'hex'))).toBe(false);
  });

  it('masks a PAN in ASCII, and track data whole', () => {
    expect(maskBytes(Buffer.from('x4111111111111111')).toString('latin1')).toBe('x411111******1111');
    expect(maskBytes(Buffer.from(';4111111111111111=2512101?')).toString('latin1')).toBe('[track data]');
  });

  it('leaves no PAN recoverable in any encoding of bytes that held one in ASCII or BCD', () => {
    fc.assert(
      fc.property(
        pan,
        fc.constantFrom('ascii', 'bcd0', 'bcd1'),
        fc.uint8Array({ maxLength: 12 }),
        fc.uint8Array({ maxLength: 12 }),
        (number, form, before, after) => {
          const inner = form === 'ascii' ? Buffer.from(number) : bcd(number, form === 'bcd0' ? 0 : 1);
          const masked = maskBytes(Buffer.concat([before, inner, after]));
          const middle = number.slice(6, -4);
          for (const text of encodings(masked)) {
            for (const clear of clearForms(number)) expect(text).not.toContain(clear);
            // The hidden digits, with the first 6 that stay shown, are nowhere in hex or latin1.
            expect(text.replace(/ /g, '')).not.toContain(`${number.slice(0, 6)}${middle}`);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('is idempotent and never throws on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const once = maskBytes(bytes);
        expect(maskBytes(once).equals(once)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });
});
