import { luhnValid, maskCardData } from './cardholder-data.js';

/**
 * Cardholder data in bytes (a serial frame), masked before the bytes are encoded in any form
 * (SPEC.md section 7): a PAN must not be recoverable from hex, base64 or a byte list either.
 * Two readings of the same bytes are masked, until neither finds anything more:
 * - as text, one character per byte (latin1): ASCII PANs and track data, as maskCardData does;
 * - as packed BCD, two digits per byte (EMV tag 5A, `5A 08 41 11 11 11 11 11 11 11`): every 13 to
 *   19-digit stretch of decimal nibbles that passes Luhn, at either nibble alignment, keeps its
 *   first 6 and last 4 digits; the nibbles between become F, the filler nibble of BCD.
 * The price is a nibble or a `*` now and then where bytes happen to look like a card number.
 */

const PAN_MIN = 13;
const PAN_MAX = 19;
const SHOWN_FIRST = 6;
const SHOWN_LAST = 4;
const MAX_PASSES = 4;

/** A masked copy of the bytes; the input is never modified. */
export function maskBytes(bytes: Uint8Array): Buffer {
  let current = Buffer.from(maskCardData(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')), 'latin1');
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = Buffer.from(maskCardData(maskBcd(current).toString('latin1')), 'latin1');
    if (next.equals(current)) return current;
    current = next;
  }
  return current;
}

/** Whether the bytes hold anything that maskBytes masks. */
export function holdsCardData(bytes: Uint8Array): boolean {
  return !maskBytes(bytes).equals(bytes);
}

function maskBcd(bytes: Buffer): Buffer {
  const hex = bytes.toString('hex');
  const masked = hex.replace(/\d{13,}/g, (run: string, at: number) => hideLuhnStretches(run, at));
  return masked === hex ? bytes : Buffer.from(masked, 'hex');
}

/**
 * Every 13 to 19-digit stretch of a digit run of the hex (starting at hex index `at`) that passes
 * Luhn, its middle digits made `f`. A stretch made only of bytes below 10 (a list of small
 * counters, `01 02 03 …`) is not taken for BCD: such a PAN would have every other digit 0.
 */
function hideLuhnStretches(run: string, at: number): string {
  const hidden = new Uint8Array(run.length);
  let found = false;
  for (let start = 0; start + PAN_MIN <= run.length; start++) {
    for (let length = PAN_MIN; length <= PAN_MAX && start + length <= run.length; length++) {
      if (!luhnValid(run.slice(start, start + length)) || smallBytesOnly(run, at, start, start + length)) continue;
      found = true;
      hidden.fill(1, start + SHOWN_FIRST, start + length - SHOWN_LAST);
    }
  }
  if (!found) return run;
  let out = '';
  for (let i = 0; i < run.length; i++) out += hidden[i] ? 'f' : run[i];
  return out;
}

function smallBytesOnly(run: string, at: number, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((at + i) % 2 === 0 && run[i] !== '0') return false;
  return true;
}
