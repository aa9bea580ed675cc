import * as z from '../protocol/schema.js';

/**
 * Schema pieces that devices' configs share. Each device module (drivers/<device>/index.ts)
 * contributes its part of the one config schema; these keep the same key meaning the same thing
 * with the same limits in every part.
 */

/** Seconds between two polls: from `min` to a day, `byDefault` when left out. */
export const pollSeconds = (byDefault: number, min = 0.1) => z._default(z.number().check(z.gte(min), z.lte(86_400)), byDefault);

/** A serial line's tty; `hint` is the error for an empty one. */
export const ttyPath = (hint?: string) => z.string().check(z.minLength(1, hint));

export const baudRate = (byDefault: number, min = 50) => z._default(z.int().check(z.gte(min), z.lte(4_000_000)), byDefault);

export const absolutePath = () => z.string().check(z.regex(/^\//, 'an absolute path'));
