import { createSecretKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { signCommand, type CommandPayload } from '../../protocol/command.js';

/** A technician's key pair, and commands signed (or forged) the ways an attacker would try. */
export interface Technician {
  kid: string;
  privateKey: KeyObject;
  /** The `technicianKeys` entry of the agent's config. */
  entry: { kid: string; publicKey: string };
}

export function technician(kid = `tech-${randomUUID().slice(0, 8)}`): Technician {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, entry: { kid, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

/** A command payload for `aud`, valid for two minutes from `nowMs`, with `change` applied. */
export function payload(aud: string, op: string, args: Record<string, unknown> = {}, change: Partial<CommandPayload> = {}, nowMs = Date.now()): CommandPayload {
  const iat = Math.floor(nowMs / 1000);
  return { id: randomUUID(), op, args, aud, iat, exp: iat + 120, ...change };
}

export function sign(tech: Technician, body: CommandPayload, kid = tech.kid): Promise<string> {
  return signCommand(body, tech.privateKey, kid);
}

/** A token with any header and any signature bytes: `alg: none`, a made-up signature. */
export function rawToken(header: object, body: object, signature = ''): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(body)}.${signature}`;
}

/** HS256 with the technician's public key as the HMAC secret: the classic algorithm confusion. */
export function hs256(tech: Technician, body: CommandPayload): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(body)))
    .setProtectedHeader({ alg: 'HS256', kid: tech.kid })
    .sign(createSecretKey(Buffer.from(tech.entry.publicKey)));
}
