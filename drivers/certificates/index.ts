import * as z from '../../protocol/schema.js';
import { sysfsAt } from '../sysfs.js';
import type { DeviceModule } from '../types.js';
import { createCertificatesDriver, type CertificatesConfig } from './driver.js';
import { CERTIFICATES_THRESHOLDS, certificatesRules } from './faults.js';
import type { CertificatesReading } from '../../protocol/readings.js';

/** Certificates' expiry; polled also without a config of its own when the MQTT link has a CA or a client certificate. */
export const certificates: DeviceModule<CertificatesConfig, CertificatesReading, 'certificates'> = {
  name: 'certificates',
  config: z.strictObject({
    files: z._default(z.array(z.string().check(z.regex(/^\//, 'an absolute path'))), []),
    warnDays: z._default(z.number().check(z.gte(0), z.lte(3650)), 30),
    pollSeconds: z._default(z.number().check(z.gte(0.1), z.lte(86_400)), 3600),
  }),
  thresholds: CERTIFICATES_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: (config, env) => createCertificatesDriver(config, { ...env, files: sysfsAt('/') }),
  rules: certificatesRules,
  heartbeat: () => undefined,
};
