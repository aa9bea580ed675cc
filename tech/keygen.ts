import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import { AgentError, errnoCode } from '../basics/errors.js';

/**
 * `pos-agent tech keygen`: an Ed25519 key pair in PEM. The private key stays with the technician
 * (mode 0600, never overwritten unless asked); the public key goes into the agents' config as a
 * `technicianKeys` entry, which is printed ready to paste.
 */
export interface KeygenOptions {
  key: string;
  kid: string;
  force: boolean;
}

export function keygen(options: KeygenOptions): { entry: { kid: string; publicKey: string }; publicFile: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicFile = `${options.key}.pub`;
  try {
    fs.writeFileSync(options.key, privatePem, { mode: 0o600, flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') throw new AgentError('USAGE', `${options.key} exists; --force replaces it (and every agent must then get the new public key)`);
    throw new AgentError('USAGE', `cannot write ${options.key}: ${(error as Error).message}`);
  }
  if (options.force) fs.chmodSync(options.key, 0o600);
  fs.writeFileSync(publicFile, publicPem, { mode: 0o644 });
  return { entry: { kid: options.kid, publicKey: publicPem }, publicFile };
}
