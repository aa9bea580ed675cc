import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { requireTool } from '../../sim/tools.js';
import { sysfsAt } from '../sysfs.js';
import { resolveThresholds } from '../thresholds.js';
import { createCertificatesDriver } from './driver.js';
import { CERTIFICATES_THRESHOLDS, certificatesRules } from './faults.js';

/** Certificates made here with openssl; the expired and the not yet valid ones under libfaketime. */

const openssl = requireTool('openssl', 'the certificates driver tests');
const faketime = requireTool('faketime', 'the expired certificate tests');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const signal = new AbortController().signal;
const clock = { now: () => Date.now(), monotonic: () => performance.now(), setTimeout: () => undefined as never, clearTimeout: () => {} };

function makeCert(name: string, days: number, at?: string): string {
  const file = path.join(dir, `${name}.pem`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, `${name}.key`), '-out', file, '-subj', `/O=Test/CN=${name}`, '-days', String(days)];
  if (at) execFileSync(faketime!, [at, openssl!, ...args], { stdio: 'pipe' });
  else execFileSync(openssl!, args, { stdio: 'pipe' });
  return file;
}

const file = (name: string, content: string) => {
  fs.writeFileSync(path.join(dir, name), content);
  return path.join(dir, name);
};

describe.runIf(openssl && faketime)('certificates driver', () => {
  let valid: string, expiring: string, expired: string, future: string;
  beforeAll(() => {
    valid = makeCert('valid', 365);
    expiring = makeCert('expiring', 10);
    expired = makeCert('expired', 30, '2020-01-01 00:00:00');
    const year = new Date().getUTCFullYear() + 2;
    future = makeCert('future', 30, `${year}-01-01 00:00:00`);
  });

  const read = async (files: string[], tlsFiles: string[] = []) => {
    const { log, records } = memoryLog();
    const driver = createCertificatesDriver({ files, warnDays: 30, pollSeconds: 3600 }, { log, clock, tlsFiles, files: sysfsAt('/') });
    const reading = await driver.read(signal);
    const [expiringRule, expiredRule] = certificatesRules(resolveThresholds(CERTIFICATES_THRESHOLDS, {}));
    const sample = { ok: true as const, at: Date.now(), reading };
    return { reading, records, expiring: expiringRule!.assess(sample), expired: expiredRule!.assess(sample) };
  };

  it('reads every certificate of a chain, with subject, notAfter and days left', async () => {
    const chain = file('chain.pem', fs.readFileSync(valid, 'utf8') + fs.readFileSync(expiring, 'utf8'));
    const { reading, expiring: soon, expired: gone } = await read([chain]);
    expect(reading.certificates.map((c) => [c.index, c.subject, c.state])).toEqual([
      [1, 'O=Test, CN=valid', 'valid'],
      [2, 'O=Test, CN=expiring', 'expiring'],
    ]);
    expect(reading.certificates[1]!.daysLeft).toBe(9);
    expect(reading.certificates[1]!.notAfter).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(soon).toEqual({ holds: true, detail: { certificates: [expect.objectContaining({ file: chain, subject: 'O=Test, CN=expiring', notAfter: reading.certificates[1]!.notAfter })] } });
    expect(gone?.holds).toBe(false);
  });

  it('an expired and a not yet valid certificate are CERT_EXPIRED, raised once with both listed', async () => {
    const { reading, expired: gone } = await read([expired, valid], [future]);
    expect(reading.certificates.map((c) => c.state)).toEqual(['expired', 'valid', 'not-yet-valid']);
    expect(gone).toMatchObject({ holds: true, detail: { certificates: [{ file: expired, subject: 'O=Test, CN=expired' }, { file: future, state: 'not-yet-valid' }] } });
  });

  it('a missing, empty, truncated, non-certificate or garbage file is named once in a warning, left out, and neither raises nor clears', async () => {
    const pem = fs.readFileSync(valid, 'utf8');
    const bad = [
      path.join(dir, 'missing.pem'),
      file('empty.pem', ''),
      file('truncated.pem', pem.slice(0, pem.length / 2)),
      path.join(dir, 'valid.key'),
      file('garbage.pem', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'),
    ];
    const { reading, records, expiring: soon, expired: gone } = await read(bad);
    expect(reading.certificates).toEqual([]);
    expect(reading.unreadable).toEqual(bad);
    // Files are read side by side: their lines come in any order.
    const warnings = records.filter((record) => record.level === 40);
    expect(warnings).toHaveLength(bad.length);
    expect(Object.fromEntries(warnings.map((record) => [record.file, record.problem]))).toEqual({
      [bad[0]!]: 'is missing',
      [bad[1]!]: 'is empty',
      [bad[2]!]: 'is truncated: a BEGIN CERTIFICATE without its END',
      [bad[3]!]: 'holds no certificate (no BEGIN CERTIFICATE)',
      [bad[4]!]: expect.stringMatching(/^certificate 1 cannot be parsed/),
    });
    expect(soon).toBeUndefined();
    expect(gone).toBeUndefined();
  });
});
