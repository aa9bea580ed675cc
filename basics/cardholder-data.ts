/**
 * Cardholder data in text (SPEC.md section 7; PCI DSS v4.0 3.3.1 and 3.5.1): track data is replaced
 * whole, and anything that looks like a PAN keeps only its first 6 and last 4 digits.
 *
 * A PAN is 13 to 19 digits, single spaces or dashes allowed between them, that pass the Luhn check.
 * Digits are read as runs (digits joined by single separators):
 * - a run of at most 19 digits is masked when it passes Luhn as a whole, or when a part of it that
 *   starts and ends at separators does (`qty 2 4111 1111 1111 1111`); a run that fails, such as a
 *   millisecond timestamp or a serial number, stays as it is;
 * - a run of more than 19 digits cannot be a PAN, only contain one (a PAN run together with a length
 *   prefix, an expiry date, or BCD bytes in a hex dump): every 13 to 19-digit stretch of it that
 *   passes Luhn is masked.
 * The cost is linear in the length of the text: each stretch's Luhn sum comes from prefix sums.
 */

export const TRACK_DATA = '[track data]';

/**
 * Track 1 `%B<PAN>^<name>^<data>?` and track 2 `;<PAN>=<data>?`, also cut short (a partial read),
 * without sentinels (track 2 equivalent data, `D` as the separator in EMV tag 57), with spaces or
 * dashes inside the PAN, and with a name longer than ISO 7813 allows (a reader that runs two
 * fields together must not leave the rest of the track in clear). Quantifiers are bounded and
 * never nested over the same characters, so no input makes a match expensive.
 */
const PAN_DIGITS = (min: number) => String.raw`\d(?:[ -]?\d){${min - 1},18}`;
const TRACKS = new RegExp(
  [
    String.raw`(?:%B${PAN_DIGITS(1)}|B${PAN_DIGITS(12)})\^[^?\n]{0,120}\??`,
    String.raw`;${PAN_DIGITS(6)}=[\d=]{0,37}\??`,
    String.raw`\d{12,19}[=Dd]\d{4}[\d=]{0,33}[Ff]?\??`,
  ].join('|'),
  'g',
);

/** Digits joined by single spaces or dashes. */
const DIGIT_RUN = /\d(?:[ -]?\d)*/g;

const PAN_MIN = 13;
const PAN_MAX = 19;
const SHOWN_FIRST = 6;
const SHOWN_LAST = 4;
/** Passes until nothing changes; more than a few means a pathological input. */
const MAX_PASSES = 6;

/**
 * A UUID (8-4-4-4-12 hex) is masked as a text of its own: its digits never join the digits around
 * it, and a PAN inside its digit groups (`abcdef01-2345-aaaa-4111-111111111111`) is masked like any
 * other. The price: about one random UUID in three hundred, whose digit-only groups happen to run
 * together into a Luhn-valid stretch, is shown masked in a log.
 */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/** Masks track data and PANs in a text; idempotent, and it never throws. */
export function maskCardData(text: string): string {
  let masked = '';
  let from = 0;
  for (const match of text.matchAll(UUID)) {
    masked += maskText(text.slice(from, match.index)) + maskText(match[0]);
    from = match.index + match[0].length;
  }
  return from === 0 ? maskText(text) : masked + maskText(text.slice(from));
}

function maskText(text: string): string {
  let current = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = maskPans(current.replace(TRACKS, TRACK_DATA));
    if (next === current) return current;
    current = next;
  }
  // Masking a stretch can join digits into a new stretch that passes Luhn; inputs built to keep
  // that going lose all long digit runs instead.
  return current.replace(DIGIT_RUN, (run) => (countDigits(run) >= PAN_MIN ? run.replace(/[\d -]/g, '*') : run));
}

/** The Luhn check (ISO/IEC 7812-1) of a string of digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += i % 2 === 1 ? DOUBLED[digit]! : digit;
  }
  return sum % 10 === 0;
}

/** `2 * digit`, with its two digits added when it is 10 or more. */
const DOUBLED = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];

/** 13 digits in a row with at most single separators: cheap to rule out most strings. */
function mayHoldPan(text: string): boolean {
  let digits = 0;
  let separators = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      if (++digits >= PAN_MIN) return true;
      separators = 0;
    } else if ((code === 32 || code === 45) && digits > 0 && separators === 0) {
      separators = 1;
    } else {
      digits = 0;
      separators = 0;
    }
  }
  return false;
}

function countDigits(run: string): number {
  let count = 0;
  for (let i = 0; i < run.length; i++) if (run.charCodeAt(i) !== 32 && run.charCodeAt(i) !== 45) count++;
  return count;
}

function maskPans(text: string): string {
  if (!mayHoldPan(text)) return text;
  return text.replace(DIGIT_RUN, (run) => (countDigits(run) >= PAN_MIN ? maskRun(run) : run));
}

/** Masks the PANs of one run of digits; returns the run unchanged when it holds none. */
function maskRun(run: string): string {
  const digits: number[] = [];
  /** groupStart[i]: a separator (or the run's start) comes before digit i. */
  const groupStart: boolean[] = [];
  let afterSeparator = true;
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    if (code === 32 || code === 45) {
      afterSeparator = true;
    } else {
      digits.push(code - 48);
      groupStart.push(afterSeparator);
      afterSeparator = false;
    }
  }
  const n = digits.length;
  const isGroupEdge = (index: number) => index === 0 || index === n || groupStart[index] === true;
  const anywhere = n > PAN_MAX;

  // Luhn sums of every stretch from prefix sums: with the stretch ending at `end`, the digits at
  // the parity of `end - 1` count as they are and the others doubled.
  const evenPlain = new Int32Array(n + 1);
  const oddPlain = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const digit = digits[i]!;
    evenPlain[i + 1] = evenPlain[i]! + (i % 2 === 0 ? digit : DOUBLED[digit]!);
    oddPlain[i + 1] = oddPlain[i]! + (i % 2 === 1 ? digit : DOUBLED[digit]!);
  }
  const passes = (start: number, end: number) => {
    const sums = (end - 1) % 2 === 0 ? evenPlain : oddPlain;
    return (sums[end]! - sums[start]!) % 10 === 0;
  };

  const hidden = new Uint8Array(n);
  /** region[i]: which masked stretch (merged when they overlap) digit i belongs to, 0 for none. */
  const region = new Int32Array(n);
  let regions = 0;
  let regionEnd = -1;
  for (let start = 0; start + PAN_MIN <= n; start++) {
    if (!anywhere && !isGroupEdge(start)) continue;
    for (let length = PAN_MIN; length <= PAN_MAX && start + length <= n; length++) {
      const end = start + length;
      if (!anywhere && !isGroupEdge(end)) continue;
      if (!passes(start, end)) continue;
      if (start >= regionEnd) regions++;
      for (let i = start; i < end; i++) region[i] = regions;
      for (let i = start + SHOWN_FIRST; i < end - SHOWN_LAST; i++) hidden[i] = 1;
      regionEnd = Math.max(regionEnd, end);
    }
  }
  if (regions === 0) return run;

  // Separators inside a masked stretch are dropped (`4111 1111 1111 1111` -> `411111******1111`).
  let out = '';
  let index = 0;
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    if (code === 32 || code === 45) {
      const before = region[index - 1]!;
      if (before === 0 || before !== region[index]) out += run[i];
    } else {
      out += hidden[index] ? '*' : run[i];
      index++;
    }
  }
  return out;
}

/**
 * A device's text cut to `max` characters for a message or a log: masked before the cut, since a
 * cut through a PAN leaves digits that no longer look like one (SPEC.md section 7).
 */
export function maskedExcerpt(text: string, max: number): string {
  return maskCardData(text).slice(0, max);
}
