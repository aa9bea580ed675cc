import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { findTool } from './tools.js';
import { checkFields } from './device-state.js';

const run = promisify(execFile);
const DAY_MS = 86_400_000;

/**
 * The payment application's acquirer CA certificate, which the simulator makes with openssl with
 * the dates asked for: `openssl ca -selfsign` takes any start and end date, also ones in the past
 * (OpenSSL 3.0's `req -x509` takes only a positive number of days).
 */
export interface CertificateState {
  /** Days from now to notAfter; negative is expired. */
  expiresInDays: number;
  /** Days from now to notBefore; positive is not yet valid. */
  validFromDays: number;
}

export class SimCertificate {
  private state: CertificateState = { expiresInDays: 365, validFromDays: -30 };

  constructor(readonly file: string) {}

  get current(): Readonly<CertificateState> {
    return this.state;
  }

  static available(): boolean {
    return findTool('openssl') !== undefined;
  }

  async set(change: Partial<CertificateState>): Promise<void> {
    checkFields('certificate', change, this.state);
    this.state = { ...this.state, ...change };
    await generateCertificate(this.file, '/O=Sim Acquirer/CN=sim-acquirer-ca', Date.now() + this.state.validFromDays * DAY_MS, Date.now() + this.state.expiresInDays * DAY_MS);
  }
}

/** Writes a self-signed certificate (EC P-256) valid from `notBefore` to `notAfter` (ms). */
export async function generateCertificate(file: string, subject: string, notBefore: number, notAfter: number): Promise<void> {
  const openssl = findTool('openssl');
  if (!openssl) throw new Error('openssl is not installed: the simulator cannot make certificates (apt-get install openssl)');
  const work = fs.mkdtempSync(`${file}.work-`);
  try {
    fs.writeFileSync(path.join(work, 'index.txt'), '');
    fs.writeFileSync(path.join(work, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
    fs.writeFileSync(
      path.join(work, 'ca.cnf'),
      ['[ca]', 'default_ca = sim', '[sim]', `database = ${work}/index.txt`, `new_certs_dir = ${work}`, `serial = ${work}/serial`,
        'default_md = sha256', 'policy = any', 'unique_subject = no', '[any]', 'commonName = supplied', 'organizationName = optional', ''].join('\n'),
    );
    await run(openssl, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${work}/key.pem`, '-subj', subject, '-out', `${work}/req.csr`]);
    await run(openssl, ['ca', '-batch', '-config', `${work}/ca.cnf`, '-selfsign', '-keyfile', `${work}/key.pem`, '-in', `${work}/req.csr`,
      '-startdate', asn1Time(notBefore), '-enddate', asn1Time(notAfter), '-notext', '-out', `${work}/cert.pem`]);
    // Replaced whole, as an upgrade tool would: the agent never reads half a file.
    fs.renameSync(`${work}/cert.pem`, file);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca` takes. */
function asn1Time(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}
