import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A certificate authority, a broker certificate for 127.0.0.1 and client certificates made with
 * `openssl` in a temp folder, for mutual TLS against mosquitto.
 */
export interface KeyPair {
  cert: string;
  key: string;
}

export interface Pki {
  ca: string;
  server: KeyPair;
  /** Client certificates by their common name. */
  clients: Record<string, KeyPair>;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** `days`: how long the certificates are valid; a short life is fine for a test, not for a run that checks expiry. */
export function makePki(openssl: string, dir: string, clientNames: string[], days = 2): Pki {
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const file = (name: string) => path.join(dir, name);

  run('req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=pos-agent test CA', '-days', String(days),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');

  const issue = (name: string, subject: string, extensions: string): KeyPair => {
    run('req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    fs.writeFileSync(file(`${name}.ext`), extensions);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', String(days), '-extfile', `${name}.ext`);
    return { cert: file(`${name}.pem`), key: file(`${name}.key`) };
  };

  const server = issue('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const clients: Record<string, KeyPair> = {};
  for (const name of clientNames) clients[name] = issue(`client-${name}`, `/CN=${name}`, 'extendedKeyUsage=clientAuth\n');
  return { ca: file('ca.pem'), server, clients };
}
