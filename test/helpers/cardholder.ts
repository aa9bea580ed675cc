import fs from 'node:fs';
import path from 'node:path';

/** A Luhn-valid test card number whose middle digits are distinctive enough to search for. */
export const TEST_PAN = '4539148803436467';
export const TEST_PAN_MASKED = '453914******6467';
export const TEST_TRACK_2 = `;${TEST_PAN}=25121010000000000000?`;

/**
 * Every way a PAN could be written down: plain, in groups, hex and base64 of its ASCII (base64 at
 * each of the three byte alignments), and as the byte list JSON makes of a Buffer.
 */
export function clearForms(pan: string): string[] {
  const forms = [pan, pan.replace(/(\d{4})(?=\d)/g, '$1 '), pan.replace(/(\d{4})(?=\d)/g, '$1-'), Buffer.from(pan).toString('hex')];
  for (let offset = 0; offset < 3; offset++) forms.push(Buffer.from(`${'x'.repeat(offset)}${pan}`).toString('base64').slice(4, -4));
  forms.push([...Buffer.from(pan)].join(','));
  return forms;
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
