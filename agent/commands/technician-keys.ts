import { createPublicKey, type KeyObject } from 'node:crypto';
import { COMMAND_ALG, type JwsHeader } from '../../protocol/command.js';

/**
 * The technicians' public keys from the config (`technicianKeys`), by kid. A command is signed by
 * one of them with EdDSA, or it is refused; the signature is checked by jose, with EdDSA the only
 * algorithm allowed, so that `none`, HMAC with a public key as secret and the like cannot pass.
 */
export class TechnicianKeys {
  private readonly keys = new Map<string, KeyObject>();

  constructor(entries: readonly { kid: string; publicKey: string }[]) {
    for (const entry of entries) this.keys.set(entry.kid, createPublicKey(entry.publicKey));
  }

  get size(): number {
    return this.keys.size;
  }

  /** Why the token is not signed by a technician, or undefined when it is. */
  async refuse(token: string, header: JwsHeader): Promise<string | undefined> {
    if (header.alg !== COMMAND_ALG) return `algorithm ${shown(header.alg)} is not ${COMMAND_ALG}`;
    const key = typeof header.kid === 'string' ? this.keys.get(header.kid) : undefined;
    if (!key) return `kid ${shown(header.kid)} is not one of technicianKeys`;
    try {
      // Loaded on the first signed command: most terminals go weeks without one.
      const { compactVerify } = await import('jose');
      await compactVerify(token, key, { algorithms: [COMMAND_ALG] });
      return undefined;
    } catch {
      return `the signature does not verify with key ${shown(header.kid)}`;
    }
  }
}

/** A header value in a refusal: whatever a sender put there, short. */
function shown(value: unknown): string {
  return (JSON.stringify(value) ?? 'none').slice(0, 64);
}
