import fs from 'node:fs';
import path from 'node:path';

/** A Luhn-valid test card number whose middle digits are distinctive enough to search for. */
export const TEST_PAN = '4539148803436467';
export const TEST_PAN_MASKED = '453914******6467';
export const TEST_TRACK_2 = `;${TEST_PAN}=25121010000000000000?`;

/**
 * Every way a PAN could be written down: plain, in groups, hex and base64 of its ASCII (base64 at
 * each of the three byte alignments), the byte list JSON makes of a Buffer; and the same of the PAN
 * packed as BCD (EMV tag 5A) starting at either nibble of a byte, whose hex is the PAN's own digits.
 * Hex in lower and upper case, run together and spaced by byte.
 */
export function clearForms(pan: string): string[] {
  const forms = [pan, pan.replace(/(\d{4})(?=\d)/g, '$1 '), pan.replace(/(\d{4})(?=\d)/g, '$1-')];
  const ascii = Buffer.from(pan);
  const bcd = [0, 1].map((nibble) => {
    const digits = `${nibble ? 'f' : ''}${pan}`;
    return Buffer.from(digits.length % 2 ? `${digits}f` : digits, 'hex');
  });
  for (const bytes of [ascii, ...bcd]) {
    const hex = bytes.toString('hex');
    // The first and last byte of BCD can hold a filler nibble; the bytes between are the PAN alone.
    const inner = bytes === ascii ? hex : hex.slice(2, -2);
    const spaced = inner.replace(/(..)(?!$)/g, '$1 ');
    forms.push(inner, inner.toUpperCase(), spaced, spaced.toUpperCase());
    for (let offset = 0; offset < 3; offset++) forms.push(Buffer.concat([Buffer.alloc(offset, 0x78), bytes]).toString('base64').slice(4, -4));
    forms.push([...bytes].join(','), [...bytes].slice(1, -1).join(','));
  }
  return [...new Set(forms)];
}

/** The forms of `pan` found in `text`. */
export function clearFormsIn(text: string, pan: string): string[] {
  return clearForms(pan).filter((form) => text.includes(form));
}

/** Every file below `dir`, read as bytes (latin1), by path. */
export function filesBelow(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    found.set(file, fs.readFileSync(file).toString('latin1'));
  }
  return found;
}
