import { errorMessage } from '../../basics/errors.js';
import { InputProblems } from '../problems.js';
import type { SysfsReader } from '../sysfs.js';
import type { Driver, DriverEnv } from '../types.js';
import { describeCertificate, parsePem } from './codec.js';
import type { CertificateInfo, CertificatesReading } from '../../protocol/readings.js';

export interface CertificatesConfig {
  files: string[];
  warnDays: number;
  pollSeconds: number;
}

/**
 * Reads every certificate of each watched PEM file (the config's and the MQTT link's CA and
 * client certificate) and dates it against the clock. A file that is missing, empty, cut short or
 * not a certificate is logged once, by name, and its certificates are left out.
 */
export function createCertificatesDriver(
  config: CertificatesConfig,
  env: Pick<DriverEnv, 'log' | 'clock' | 'tlsFiles'> & { files: SysfsReader },
): Driver<CertificatesReading> {
  const problems = new InputProblems(env.log);
  const watched = [...new Set([...config.files, ...(env.tlsFiles ?? [])])];

  async function readFile(file: string): Promise<{ certificates: CertificateInfo[]; ok: boolean }> {
    let text: string | undefined;
    try {
      text = await env.files.read(file);
    } catch (error) {
      problems.report(file, `cannot be read: ${errorMessage(error)}`);
      return { certificates: [], ok: false };
    }
    if (text === undefined) {
      problems.report(file, 'is missing');
      return { certificates: [], ok: false };
    }
    const pem = parsePem(text);
    problems.report(file, pem.problem);
    const now = env.clock.now();
    return { certificates: pem.certificates.map((certificate, i) => describeCertificate(file, i + 1, certificate, now, config.warnDays)), ok: pem.problem === undefined };
  }

  return {
    async read() {
      const files = await Promise.all(watched.map(readFile));
      return {
        certificates: files.flatMap((file) => file.certificates),
        unreadable: watched.filter((_, i) => !files[i]!.ok),
      };
    },
  };
}
