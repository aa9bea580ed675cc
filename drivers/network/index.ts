import * as z from '../../protocol/schema.js';
import { baudRate, pollSeconds, ttyPath } from '../config-parts.js';
import type { DeviceModule } from '../types.js';
import { createNetworkDriver, type NetworkConfig } from './driver.js';
import { NETWORK_THRESHOLDS, networkRules } from './faults.js';
import { ANSWERING_PROBE_SECONDS } from './probe-schedule.js';
import type { NetworkReading } from '../../protocol/network-reading.js';

export const network: DeviceModule<NetworkConfig, NetworkReading, 'network'> = {
  name: 'network',
  config: z.strictObject({
    interface: z.string().check(z.regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'an interface name under class/net (at most 15 characters)')),
    pollSeconds: pollSeconds(10, 0.5),
    modem: z.optional(
      z.strictObject({
        path: ttyPath(),
        baudRate: baudRate(115_200, 300),
      }),
    ),
    probe: z.optional(
      z.strictObject({
        host: z.string().check(z.minLength(1), z.maxLength(253)),
        port: z.int().check(z.gte(1), z.lte(65_535)),
        timeoutMs: z._default(z.int().check(z.gte(100), z.lte(60_000)), 3_000),
        answeringSeconds: z._default(z.number().check(z.gte(0.5), z.lte(86_400)), ANSWERING_PROBE_SECONDS),
      }),
    ),
  }),
  thresholds: NETWORK_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: createNetworkDriver,
  rules: networkRules,
  heartbeat(sample) {
    if (!sample.ok) return { up: false };
    const r = sample.reading;
    return { up: r.up ?? false, rssiDbm: r.rssiDbm, registration: r.modem?.registration, probeRttMs: r.probe?.rttMs ?? r.lastProbeRttMs };
  },
};
