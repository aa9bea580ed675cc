import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { luhnValid, maskCardData, maskedExcerpt, TRACK_DATA } from './cardholder-data.js';

/** A Luhn-valid number: `body` and the check digit that makes it pass. */
function withCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit++) if (luhnValid(`${body}${digit}`)) return `${body}${digit}`;
  throw new Error('unreachable');
}

function masked(pan: string): string {
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

const digit = fc.constantFrom(...'0123456789');
const digits = (min: number, max: number) => fc.array(digit, { minLength: min, maxLength: max }).map((list) => list.join(''));
const pan = fc.integer({ min: 13, max: 19 }).chain((length) => digits(length - 1, length - 1).map(withCheckDigit));

/** A PAN written the ways people and devices write them. */
const formattedPan = fc
  .tuple(pan, fc.constantFrom('none', 'space4', 'dash4', 'random'), fc.array(fc.constantFrom('', ' ', '-'), { minLength: 19, maxLength: 19 }))
  .map(([number, style, random]) => {
    const text =
      style === 'none'
        ? number
        : style === 'random'
          ? [...number].map((d, i) => (i === 0 ? d : `${random[i]}${d}`)).join('')
          : number.replace(/(\d{4})(?=\d)/g, style === 'space4' ? '$1 ' : '$1-');
    return { pan: number, text };
  });

/** Text around a value that does not join with its digits. */
const context = fc.constantFrom(
  (v: string) => v,
  (v: string) => `card ${v} declined`,
  (v: string) => `{"detail":"${v}"}`,
  (v: string) => `https://acquirer.example/auth?pan=${v}&amount=1200`,
  (v: string) => `abc${v}xyz`,
  (v: string) => `ref:${v};`,
  (v: string) => `${v}\n${v}`,
  (v: string) => `D${v}=`,
  (v: string) => `${v}.`,
);

const unchangedDigits = (text: string) => text.replace(/[^0-9]/g, '');

describe('maskCardData', () => {
  it('masks a PAN to its first 6 and last 4 digits, separators dropped (SPEC.md section 7)', () => {
    expect(maskCardData('4111 1111 1111 1111')).toBe('411111******1111');
    expect(maskCardData('card 4111-1111-1111-1111 declined')).toBe('card 411111******1111 declined');
    expect(maskCardData('5555555555554444')).toBe('555555******4444');
    expect(maskCardData('Amex 3782 822463 10005')).toBe('Amex 378282*****0005');
    expect(maskCardData('4222222222222')).toBe('422222***2222');
    expect(maskCardData('6011000990139424 and 3566002020360505')).toBe('601100******9424 and 356600******0505');
    expect(maskCardData('19 digits 6759649826438453 003')).toBe(`19 digits ${masked('6759649826438453003')}`);
  });

  it('keeps digit runs that fail the Luhn check, numbers too short or too long to be a PAN', () => {
    // 4111111111111112 and the two millisecond timestamps fail Luhn; two spaces end a run.
    for (const text of ['4111111111111112', 'ts=1795370000001', '1700000000000', 'SN0012345', '2025-01-15 10:30:00', '12 34 56 78 90', '4111  1111  1111  1111']) {
      expect(maskCardData(text)).toBe(text);
    }
  });

  it('finds a PAN next to other digits: a separated neighbour, or inside a run too long to be a PAN', () => {
    expect(maskCardData('qty 2 4111 1111 1111 1111')).toBe('qty 2 411111******1111');
    const joined = maskCardData('00124111111111111111');
    expect(joined).not.toContain('4111111111111111');
    expect(joined.slice(0, 4)).toBe('0012');
    expect(joined).toMatch(/^0012\d{0,6}\*+/);
    expect(maskCardData('41111111111111112512')).not.toMatch(/4111111111111111/);
  });

  it('replaces track 1 and track 2 whole, also when cut short or without sentinels', () => {
    expect(maskCardData(';4111111111111111=25121010000000000000?')).toBe(TRACK_DATA);
    expect(maskCardData('D;4111111111111111=25121010000000000000?')).toBe(`D${TRACK_DATA}`);
    expect(maskCardData('%B4111111111111111^DOE/JOHN^2512101000000000000000000?')).toBe(TRACK_DATA);
    expect(maskCardData('read %B4111111111111111^DOE/JOHN')).toBe(`read ${TRACK_DATA}`);
    expect(maskCardData('partial ;4111111111111111=2512')).toBe(`partial ${TRACK_DATA}`);
    expect(maskCardData('57: 4111111111111111D25121010000000000000F')).toBe(`57: ${TRACK_DATA}`);
    expect(maskCardData('4111111111111111=25121010000000000000')).toBe(TRACK_DATA);
    // Not track data: no card number before the separator.
    expect(maskCardData('AT+CMGF=1;+CSCS="GSM"')).toBe('AT+CMGF=1;+CSCS="GSM"');
  });

  it('replaces track 1 whole with separators in its PAN and a name longer than ISO 7813 allows', () => {
    expect(maskCardData('%B4111 1111 1111 1111^DOE/JOHN^2512101000000000000?')).toBe(TRACK_DATA);
    expect(maskCardData('%B4111-1111-1111-1111^DOE/JOHN^2512101000000000000?')).toBe(TRACK_DATA);
    const longName = `${'VERYLONGFAMILYNAME'.repeat(3)}/JOHN`;
    expect(maskCardData(`x %B4111111111111111^${longName}^2512101000000000000? y`)).toBe(`x ${TRACK_DATA} y`);
    expect(maskCardData(';4111 1111 1111 1111=25121010000000000000?')).toBe(TRACK_DATA);
  });

  it('masks before a device string is cut, so the cut cannot keep the start of a PAN', () => {
    const text = `reply ${'x'.repeat(16)} 4111 1111 1111 1111`;
    expect(text.slice(0, 40)).toContain('4111 1111 1111 11');
    expect(maskedExcerpt(text, 40)).not.toMatch(/4111 ?1111 ?11/);
    expect(maskedExcerpt(text, 40)).toBe(maskCardData(text).slice(0, 40));
  });

  it('masks a UUID as a text of its own: a PAN inside is masked, digits beside it never join it', () => {
    expect(maskCardData('abcdef01-2345-aaaa-4111-111111111111')).toBe('abcdef01-2345-aaaa-411111******1111');
    const id = 'a1b2c3d4-e5f6-4a7b-8c9d-0123456789ab';
    expect(maskCardData(`command ${id} done`)).toBe(`command ${id} done`);
    expect(maskCardData(`${id} 4111 1111 1111 1111`)).toBe(`${id} 411111******1111`);
    // Only the digits of a random UUID's all-digit groups can be masked, and seldom.
    let changed = 0;
    for (let i = 0; i < 20_000; i++) {
      const uuid = randomUUID();
      const out = maskCardData(uuid);
      if (out === uuid) continue;
      changed += 1;
      expect(out.replace(/[\d*-]/g, '')).toBe(uuid.replace(/[\d-]/g, ''));
    }
    expect(changed).toBeLessThan(200);
  });

  it('has no trouble with long or hostile text', () => {
    // Booleans, not the strings themselves: a failure must not print megabytes.
    const long = '4111111111111111'.repeat(50_000);
    expect(maskCardData(long).includes('4111111111111111')).toBe(false);
    const sentinels = '%B1^'.repeat(100_000);
    expect(maskCardData(sentinels).includes('%B')).toBe(false);
    const separated = '1 '.repeat(200_000);
    expect(maskCardData(separated).length).toBeLessThanOrEqual(separated.length);
    const plain = 'x'.repeat(1_000_000);
    expect(maskCardData(plain) === plain).toBe(true);
  });

  describe('fuzz', () => {
    it('masks every Luhn-valid 13 to 19-digit number, however written, in any context', () => {
      fc.assert(
        fc.property(formattedPan, context, ({ pan: number, text }, around) => {
          const out = maskCardData(around(text));
          expect(out.replace(/[ -]/g, '')).not.toContain(number);
          expect(out).toContain(masked(number));
        }),
        { numRuns: 5_000 },
      );
    });

    it('masks a PAN run together with other digits', () => {
      fc.assert(
        fc.property(formattedPan, digits(1, 12), digits(0, 12), fc.constantFrom('', ' ', '-'), ({ pan: number, text }, before, after, separator) => {
          // Joined without a separator, the digits make one number; within 19 digits that is a
          // number of its own that fails or passes Luhn as a whole (see cardholder-data.ts).
          fc.pre(separator !== '' || before.length + number.length + after.length > 19);
          const out = maskCardData(`${before}${separator}${text}${after ? separator : ''}${after}`);
          expect(out.replace(/[ -]/g, '')).not.toContain(number);
        }),
        { numRuns: 5_000 },
      );
    });

    it('keeps digit runs that fail Luhn (timestamps, counters, serial numbers)', () => {
      fc.assert(
        fc.property(digits(13, 19), context, (number, around) => {
          fc.pre(!luhnValid(number));
          expect(maskCardData(around(number))).toBe(around(number));
        }),
        { numRuns: 3_000 },
      );
      // Numbers shorter than 13 digits stay, however many of them there are.
      fc.assert(
        fc.property(fc.array(fc.tuple(digits(1, 12), fc.constantFrom('  ', ', ', '/', ':', '.')), { maxLength: 20 }), (parts) => {
          const text = parts.map(([number, separator]) => `${number}${separator}`).join('');
          expect(maskCardData(text)).toBe(text);
        }),
        { numRuns: 2_000 },
      );
    });

    it('is idempotent and never throws', () => {
      const digitHeavy = fc.string({ unit: fc.constantFrom(...'0123456789 -;=?^%BDdFfx\n'), maxLength: 120 });
      fc.assert(
        fc.property(fc.oneof(digitHeavy, fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
          const once = maskCardData(text);
          expect(maskCardData(once)).toBe(once);
        }),
        { numRuns: 20_000 },
      );
    });

  });
});

describe('luhnValid', () => {
  it('checks ISO/IEC 7812 check digits', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('12a4')).toBe(false);
  });
});
