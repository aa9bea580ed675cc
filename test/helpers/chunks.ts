import fc from 'fast-check';

/**
 * Random chunking for property tests: a serial line delivers bytes in pieces of any size, and a
 * decoder must give the same answer whatever the pieces are.
 */
export const chunkSizes = fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 16 });

/** Cuts `bytes` into pieces of the given sizes, cycling through them. */
export function chunked(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i += 1) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}
