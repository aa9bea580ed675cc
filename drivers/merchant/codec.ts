import type { MerchantField, MerchantValues } from '../../protocol/readings.js';

/**
 * The payment application's merchant parameters (SPEC.md section 10): a file in `json` form
 * (fields by dotted path) or `properties` form (`key=value` lines, `#` comments), of which the
 * agent watches four fields. A file that cannot be decoded, or lacks `mid` or `tid`, is a problem
 * with a reason a person can act on, never an exception.
 */

export const MERCHANT_FIELDS = ['mid', 'tid', 'mcc', 'name'] as const satisfies readonly MerchantField[];

export type ParamsFormat = 'json' | 'properties';

/** Where each field is in the file: a dotted path (json) or a key (properties). */
export interface FieldMap {
  mid: string;
  tid: string;
  mcc?: string;
  name?: string;
}

export type Decoded = { ok: true; values: MerchantValues; mccFrom: 'field' | 'mid' | 'none' } | { ok: false; problem: string };

/** Longest value kept of each field; a longer one is a problem, not cut (a cut could hide a change). */
const MAX_VALUE = { mid: 32, tid: 32, mcc: 4, name: 128 } as const;

export function decodeParams(bytes: Uint8Array, format: ParamsFormat, fields: FieldMap): Decoded {
  const text = decodeText(bytes);
  if (text === undefined) return { ok: false, problem: 'not UTF-8 text (binary data?)' };
  const raw = format === 'json' ? jsonFields(text, fields) : propertiesFields(text, fields);
  if ('problem' in raw) return { ok: false, problem: raw.problem };
  return checkValues(raw.values, fields);
}

/**
 * The MCC in a 15-digit China UnionPay merchant number: acquirer 3, area 4, MCC 4, serial 4
 * digits, so digits 8 to 11.
 */
export function mccOfMerchantNumber(mid: string): string | undefined {
  return /^\d{15}$/.test(mid) ? mid.slice(7, 11) : undefined;
}

function decodeText(bytes: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    // NUL and other C0 controls but tab and line ends do not occur in a parameters file.
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

type RawFields = { values: Partial<Record<MerchantField, string>> } | { problem: string };

function jsonFields(text: string, fields: FieldMap): RawFields {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON: ${(error as Error).message.slice(0, 120)}` };
  }
  const values: Partial<Record<MerchantField, string>> = {};
  for (const field of MERCHANT_FIELDS) {
    const where = fields[field];
    if (where === undefined) continue;
    let node: unknown = document;
    for (const key of where.split('.')) {
      node = typeof node === 'object' && node !== null && !Array.isArray(node) && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (node === undefined || node === null) continue;
    if (typeof node === 'string') values[field] = node;
    // A number is taken as its digits only where that is exact: leading zeros are already gone.
    else if (typeof node === 'number' && Number.isSafeInteger(node) && node >= 0 && field !== 'name') values[field] = String(node);
    else return { problem: `${where} is ${Array.isArray(node) ? 'an array' : typeof node === 'object' ? 'an object' : `a ${typeof node}`}, not a string` };
  }
  return { values };
}

/**
 * `key=value` lines; `#` and `!` start a comment line; blank lines, CRLF and a missing last newline
 * are fine. A watched key given twice with two values is a problem: which one the payment
 * application uses is its own business, so the agent cannot tell which identity is in force.
 */
function propertiesFields(text: string, fields: FieldMap): RawFields {
  const wanted = new Map<string, MerchantField>();
  for (const field of MERCHANT_FIELDS) if (fields[field] !== undefined) wanted.set(fields[field]!, field);
  const values: Partial<Record<MerchantField, string>> = {};
  const lineOf: Partial<Record<MerchantField, number>> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const equals = line.indexOf('=');
    if (equals < 0) continue;
    const field = wanted.get(line.slice(0, equals).trim());
    if (field === undefined) continue;
    const value = line.slice(equals + 1).trim();
    if (values[field] !== undefined && values[field] !== value) {
      return { problem: `${fields[field]} is given twice with different values (lines ${lineOf[field]! + 1} and ${i + 1})` };
    }
    values[field] = value;
    lineOf[field] ??= i;
  }
  return { values };
}

function checkValues(raw: Partial<Record<MerchantField, string>>, fields: FieldMap): Decoded {
  const values: MerchantValues = { mid: null, tid: null, mcc: null, name: null };
  for (const field of MERCHANT_FIELDS) {
    const value = raw[field]?.trim();
    if (value === undefined || value === '') continue;
    if (value.length > MAX_VALUE[field]) return { ok: false, problem: `${fields[field]} is ${value.length} characters; at most ${MAX_VALUE[field]}` };
    if (field !== 'name' && !/^[\x21-\x7e]+$/.test(value)) return { ok: false, problem: `${fields[field]} holds characters other than printable ASCII` };
    values[field] = value;
  }
  for (const field of ['mid', 'tid'] as const) {
    if (values[field] === null) return { ok: false, problem: `no ${field} (${fields[field]})` };
  }
  if (values.mcc !== null && !/^\d{4}$/.test(values.mcc)) return { ok: false, problem: `${fields.mcc} is not a 4-digit MCC` };
  let mccFrom: 'field' | 'mid' | 'none' = values.mcc !== null ? 'field' : 'none';
  if (fields.mcc === undefined) {
    values.mcc = mccOfMerchantNumber(values.mid!) ?? null;
    mccFrom = values.mcc === null ? 'none' : 'mid';
  }
  return { ok: true, values, mccFrom };
}
