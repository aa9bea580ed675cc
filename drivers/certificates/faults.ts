import { readingRule } from '../rules.js';
import type { ThresholdDefaults, Thresholds } from '../thresholds.js';
import type { Assessment, FaultRule } from '../types.js';
import type { CertificateInfo, CertificatesReading } from '../../protocol/readings.js';

export const CERTIFICATES_THRESHOLDS: ThresholdDefaults = {};

/**
 * One code for all certificates: raised once, its detail listing every certificate in that state
 * as it was at the raise. It clears only when every file was read whole and none is in it: a file
 * that cannot be read hides what it holds.
 */
function assess(reading: CertificatesReading, states: CertificateInfo['state'][]): Assessment | undefined {
  const matching = reading.certificates.filter((certificate) => states.includes(certificate.state));
  if (matching.length > 0) {
    return { holds: true, detail: { certificates: matching.map(({ file, subject, notBefore, notAfter, state }) => ({ file, subject, notBefore, notAfter, state })) } };
  }
  return reading.unreadable.length > 0 ? undefined : { holds: false, detail: {} };
}

export function certificatesRules(t: Thresholds): FaultRule<CertificatesReading>[] {
  return [
    readingRule('CERT_EXPIRING', t, (r) => assess(r, ['expiring'])),
    readingRule('CERT_EXPIRED', t, (r) => assess(r, ['expired', 'not-yet-valid'])),
  ];
}
