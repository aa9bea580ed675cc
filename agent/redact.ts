import { holdsCardData, maskBytes } from '../basics/cardholder-bytes.js';
import { maskCardData } from '../basics/cardholder-data.js';

/**
 * Keeps cardholder data out of every log record and every message (SPEC.md section 7): each
 * string is masked (maskCardData), fields that can only hold cardholder data are removed, and bytes
 * are masked as text before they are encoded. The input is never modified; the result is plain
 * JSON-ready data, also for cycles, Errors and Buffers. It never throws.
 */

/** Whole field names, in any case, `_` and `-` ignored (`pinBlock`, `PIN_BLOCK`, `track-2`). */
const CARDHOLDER_FIELDS = new Set(['pan', 'cardnumber', 'track', 'track1', 'track2', 'cvv', 'cvc', 'cvv2', 'pin', 'pinblock']);

/** Fields of an outgoing message that the agent generates itself: a reply echoes the command's id exactly. */
const OWN_FIELDS = new Set(['seq', 'ts', 'id']);

const MAX_DEPTH = 32;

/**
 * `mid` and `tid` below a `merchant` object or in a `MERCHANT_*` fault's detail are the terminal's
 * own identifiers, not card numbers (SPEC.md section 7): a 15-digit merchant number passes the Luhn
 * check one time in ten. Only a plain identifier is exempt; any other text there is masked.
 */
type Scope = 'plain' | 'merchant' | 'merchant-id';
const MERCHANT_ID = /^[A-Za-z0-9]{1,32}$/;

function scopeOf(parent: object, key: string, scope: Scope): Scope {
  if (scope === 'plain') {
    const code = (parent as { code?: unknown }).code;
    return key === 'merchant' || (key === 'detail' && typeof code === 'string' && code.startsWith('MERCHANT_')) ? 'merchant' : 'plain';
  }
  return scope === 'merchant' && (key === 'mid' || key === 'tid') ? 'merchant-id' : scope;
}

export function isCardholderField(name: string): boolean {
  return CARDHOLDER_FIELDS.has(name.toLowerCase().replace(/[_-]/g, ''));
}

/** A masked copy of any value, ready for JSON. */
export function redact(value: unknown): unknown {
  return redactValue(value, 0, new Set());
}

/** An outgoing message: everything masked but its own `seq`, `ts` and `id`. */
export function redactMessage<T extends object>(message: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (OWN_FIELDS.has(key)) out[key] = value;
    else if (!isCardholderField(key)) out[maskCardData(key)] = redactValue(value, 1, new Set([message]), scopeOf(message, key, 'plain'));
  }
  return out as T;
}

/**
 * Raw bytes (a serial frame) for a debug log line: masked as bytes first (ASCII and packed BCD,
 * cardholder-bytes.ts), then hex-encoded, so that neither the track data nor a PAN can be read
 * back from the hex.
 */
export function maskedHex(bytes: Uint8Array): string {
  return maskBytes(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** Like maskedHex, in base64. */
export function maskedBase64(bytes: Uint8Array): string {
  return maskBytes(bytes).toString('base64');
}

/** Bytes as one character each (latin1), masked. */
export function maskedText(bytes: Uint8Array): string {
  return maskBytes(bytes).toString('latin1');
}

/**
 * A string of hex bytes (a frame a driver logged as hex: `0244000a5a08411111…` or `02 44 00 …`)
 * with at least one hex letter, so that plain digit runs stay text. Its bytes are masked as bytes:
 * a PAN in ASCII is not a digit run in hex, and one in BCD need not be set off by separators.
 */
const HEX_BYTES = /^(?:(?:[0-9a-f]{2})+|[0-9a-f]{2}(?: [0-9a-f]{2})+)$/i;

function maskString(text: string): string {
  if (text.length >= 14 && /[a-f]/i.test(text) && HEX_BYTES.test(text)) {
    const bytes = Buffer.from(text.replace(/ /g, ''), 'hex');
    if (holdsCardData(bytes)) {
      const hex = maskBytes(bytes).toString('hex');
      return text.includes(' ') ? hex.replace(/(..)(?!$)/g, '$1 ') : hex;
    }
  }
  return maskCardData(text);
}

function redactValue(value: unknown, depth: number, ancestors: Set<object>, scope: Scope = 'plain'): unknown {
  switch (typeof value) {
    case 'string':
      return scope === 'merchant-id' && MERCHANT_ID.test(value) ? value : maskString(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      return maskCardData(value.toString());
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (ArrayBuffer.isView(object)) return maskedHex(new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
  if (object instanceof ArrayBuffer) return maskedHex(new Uint8Array(object));
  if (ancestors.has(object)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  ancestors.add(object);
  try {
    if (object instanceof Error) return redactError(object, depth, ancestors);
    if (Array.isArray(object)) return isByteList(object) ? maskedByteList(object) : object.map((item) => redactValue(item, depth + 1, ancestors, scope) ?? null);
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return redactValue(toJSON.call(object), depth + 1, ancestors);
    if (isSerializedBuffer(object)) return maskedHex(Uint8Array.from(object.data));
    return redactEntries(Object.entries(object), depth, ancestors, object, scope);
  } catch {
    // A getter that throws, a revoked proxy: the value cannot be read, so it cannot leak either.
    return '[unreadable]';
  } finally {
    ancestors.delete(object);
  }
}

function redactEntries(entries: [string, unknown][], depth: number, ancestors: Set<object>, parent?: object, scope: Scope = 'plain'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    if (isCardholderField(key)) continue;
    const redacted = redactValue(item, depth + 1, ancestors, parent ? scopeOf(parent, key, scope) : 'plain');
    if (redacted !== undefined) out[maskCardData(key)] = redacted;
  }
  return out;
}

/** An Error as pino's serializer shows it (type, message, stack, own fields), masked. */
function redactError(error: Error, depth: number, ancestors: Set<object>): Record<string, unknown> {
  const entries: [string, unknown][] = [
    ['type', error.name],
    ['message', error.message],
    ['stack', error.stack],
  ];
  for (const [key, item] of Object.entries(error)) if (key !== 'type' && key !== 'message' && key !== 'stack') entries.push([key, item]);
  if (error.cause !== undefined) entries.push(['cause', error.cause]);
  return redactEntries(entries, depth, ancestors);
}

/**
 * Numbers are not card numbers, but a list of byte values can spell one in ASCII: such a list is
 * read as bytes, and shown as masked hex when it held cardholder data.
 */
function isByteList(list: unknown[]): list is number[] {
  // Seven bytes hold a 13-digit PAN in BCD.
  return list.length >= 7 && list.every((item) => Number.isInteger(item) && (item as number) >= 0 && (item as number) <= 255);
}

function maskedByteList(list: number[]): number[] | string {
  const bytes = Uint8Array.from(list);
  return holdsCardData(bytes) ? maskedHex(bytes) : list;
}

/** What JSON.stringify makes of a Buffer: a byte list that would show a PAN as numbers. */
function isSerializedBuffer(object: object): object is { type: 'Buffer'; data: number[] } {
  const candidate = object as { type?: unknown; data?: unknown };
  return (
    candidate.type === 'Buffer' &&
    Array.isArray(candidate.data) &&
    Object.keys(object).length === 2 &&
    candidate.data.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255)
  );
}
