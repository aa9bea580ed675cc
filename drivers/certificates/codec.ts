import { X509Certificate } from 'node:crypto';
import type { CertificateInfo } from '../../protocol/readings.js';

export interface PemFile {
  certificates: X509Certificate[];
  /** What is wrong with the file, when it yields nothing usable or not all it holds. */
  problem?: string;
}

const BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
const DAY_MS = 86_400_000;

/**
 * Every certificate of a PEM file, parsed by node:crypto. A file with no certificate block, a
 * block cut short, or a block that is not a certificate is a problem named for the log.
 */
export function parsePem(text: string): PemFile {
  if (text.trim() === '') return { certificates: [], problem: 'is empty' };
  const certificates: X509Certificate[] = [];
  const problems: string[] = [];
  let blocks = 0;
  for (const match of text.matchAll(BLOCK)) {
    blocks += 1;
    try {
      certificates.push(new X509Certificate(match[0]));
    } catch (error) {
      problems.push(`certificate ${blocks} cannot be parsed (${(error as Error).message})`);
    }
  }
  const begins = text.split('-----BEGIN CERTIFICATE-----').length - 1;
  if (begins > blocks) problems.push('is truncated: a BEGIN CERTIFICATE without its END');
  if (begins === 0) problems.push('holds no certificate (no BEGIN CERTIFICATE)');
  return problems.length > 0 ? { certificates, problem: problems.join('; ') } : { certificates };
}

/** A certificate's dates against the clock and the warning window. */
export function describeCertificate(file: string, index: number, certificate: X509Certificate, now: number, warnDays: number): CertificateInfo {
  const notBefore = Date.parse(certificate.validFrom);
  const notAfter = Date.parse(certificate.validTo);
  const daysLeft = Math.floor((notAfter - now) / DAY_MS);
  const state = now < notBefore ? 'not-yet-valid' : now >= notAfter ? 'expired' : notAfter - now <= warnDays * DAY_MS ? 'expiring' : 'valid';
  return {
    file,
    index,
    subject: certificate.subject.split('\n').join(', '),
    issuer: certificate.issuer.split('\n').join(', '),
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notAfter).toISOString(),
    daysLeft,
    state,
  };
}
