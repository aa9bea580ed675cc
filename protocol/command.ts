import type { KeyObject } from 'node:crypto';
import * as z from './schema.js';
import { DEVICE_NAMES } from './devices.js';
import { LOG_LEVELS } from './log-levels.js';

/**
 * Technician commands (SPEC.md section 6): a JWS in compact serialization, EdDSA (Ed25519), whose
 * header names the key (`kid`) and whose payload is `{id, op, args, aud, iat, exp}` with JWT-style
 * times in seconds. The terminal verifies them; the technician client signs them.
 */

/** The most bytes an R/cmd payload may have. */
export const MAX_COMMAND_BYTES = 16 * 1024;
/** How far in the future `iat` may be (clocks differ), and the longest a command may live. */
export const MAX_CLOCK_SKEW_SECONDS = 60;
export const MAX_LIFETIME_SECONDS = 15 * 60;
export const COMMAND_ALG = 'EdDSA';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** `since` and `until`: ISO-8601 or epoch milliseconds; epoch milliseconds once parsed. */
export const instant = z
  .union([
    z.int().check(z.nonnegative()),
    z.pipe(z.string().check(z.regex(/^\d{1,16}$/, 'epoch milliseconds')), z.transform(Number)),
    z.pipe(
      z.string().check(z.regex(ISO_8601, 'an ISO-8601 time or epoch milliseconds')),
      z.transform((text: string) => Date.parse(text)),
    ),
  ])
  .check(z.refine((ms) => Number.isFinite(ms), 'not a valid time'));

const device = z.enum(DEVICE_NAMES);
const level = z.enum(LOG_LEVELS);
const merchantValue = z.string().check(z.minLength(1), z.maxLength(128));

/** Each op and the args it accepts; anything else is BAD_REQUEST. */
export const OP_ARGS = {
  status: z.strictObject({}),
  faults: z.strictObject({ since: z.optional(instant), limit: z._default(z.int().check(z.gte(1), z.lte(1000)), 100) }),
  logs: z.strictObject({
    lines: z._default(z.int().check(z.gte(1), z.lte(5000)), 200),
    since: z.optional(instant),
    until: z.optional(instant),
    level: z.optional(level),
    grep: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    device: z.optional(device),
  }),
  diag: z.strictObject({ device: z.optional(device) }),
  loglevel: z.strictObject({ level, minutes: z._default(z.number().check(z.positive(), z.lte(60)), 15) }),
  maintenance: z.strictObject({
    on: z.boolean(),
    reason: z.optional(z.string().check(z.maxLength(200))),
    minutes: z.optional(z.number().check(z.positive(), z.lte(7 * 24 * 60))),
  }),
  rebirth: z.strictObject({}),
  // The values as the technician saw them in `status`; a field the file has no value for is left out or null.
  'merchant-approve': z.strictObject({
    mid: merchantValue,
    tid: merchantValue,
    mcc: z.optional(z.nullable(merchantValue)),
    name: z.optional(z.nullable(merchantValue)),
  }),
} as const;

export type OpName = keyof typeof OP_ARGS;
export const OP_NAMES = Object.keys(OP_ARGS) as OpName[];
export type OpArgs<O extends OpName> = z.output<(typeof OP_ARGS)[O]>;
/** What a client may send for an op, before defaults are filled in. */
export type OpInput<O extends OpName> = z.input<(typeof OP_ARGS)[O]>;

export function isOpName(value: string): value is OpName {
  return Object.hasOwn(OP_ARGS, value);
}

export const commandPayloadSchema = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  op: z.string().check(z.minLength(1), z.maxLength(64)),
  args: z._default(z.record(z.string(), z.unknown()), {}),
  aud: z.string().check(z.maxLength(256)),
  iat: z.number(),
  exp: z.number(),
});

export type CommandPayload = z.output<typeof commandPayloadSchema>;

export interface JwsHeader {
  alg?: unknown;
  kid?: unknown;
  [name: string]: unknown;
}

export type DecodedCommand =
  | { ok: true; token: string; header: JwsHeader; payload: CommandPayload }
  | { ok: false; id: string | null; message: string };

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The cheap checks, before any signature is verified: size, form, and a payload that is the JSON
 * of the contract. The `id` is read even when the rest is wrong, so a refusal can echo it.
 */
export function decodeCommand(bytes: Uint8Array): DecodedCommand {
  if (bytes.byteLength > MAX_COMMAND_BYTES) {
    return { ok: false, id: null, message: `${bytes.byteLength} bytes; a command is at most ${MAX_COMMAND_BYTES}` };
  }
  const token = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').trim();
  if (!COMPACT_JWS.test(token)) return { ok: false, id: null, message: 'not a JWS in compact serialization' };
  const [headerPart, payloadPart] = token.split('.') as [string, string];
  const header = parseJsonObject(headerPart);
  if (!header) return { ok: false, id: null, message: 'the JWS header is not a JSON object' };
  const raw = parseJsonObject(payloadPart);
  if (!raw) return { ok: false, id: null, message: 'the payload is not a JSON object' };
  const id = typeof raw.id === 'string' && raw.id.length > 0 && raw.id.length <= 128 ? raw.id : null;
  const parsed = commandPayloadSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`);
    return { ok: false, id, message: `the payload is not {id, op, args, aud, iat, exp}: ${problems.join('; ')}` };
  }
  return { ok: true, token, header, payload: parsed.data };
}

/** Signs a command with a technician's Ed25519 private key. */
export async function signCommand(payload: CommandPayload, privateKey: KeyObject, kid: string): Promise<string> {
  // The agent only verifies; signing is the technician client's, so jose is loaded here on use.
  const { CompactSign } = await import('jose');
  return new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: COMMAND_ALG, kid }).sign(privateKey);
}

function parseJsonObject(base64url: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(base64url, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
