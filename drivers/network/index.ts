import { z } from 'zod';
import type { DeviceModule } from '../types.js';
import { createNetworkDriver, type NetworkConfig, type NetworkReading } from './driver.js';
import { NETWORK_THRESHOLDS, networkRules } from './faults.js';

export const network: DeviceModule<NetworkConfig, NetworkReading> = {
  name: 'network',
  config: z.strictObject({
    interface: z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'an interface name under class/net (at most 15 characters)'),
    pollSeconds: z.number().min(0.5).max(86_400).default(10),
    modem: z
      .strictObject({
        path: z.string().min(1),
        baudRate: z.int().min(300).max(4_000_000).default(115_200),
      })
      .optional(),
    probe: z
      .strictObject({
        host: z.string().min(1).max(253),
        port: z.int().min(1).max(65_535),
        timeoutMs: z.int().min(100).max(60_000).default(3_000),
      })
      .optional(),
  }),
  thresholds: NETWORK_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: createNetworkDriver,
  rules: networkRules,
  heartbeat(sample) {
    if (!sample.ok) return { up: false };
    const r = sample.reading;
    return { up: r.up ?? false, rssiDbm: r.rssiDbm, registration: r.modem?.registration, probeRttMs: r.probe?.rttMs };
  },
};
