import { below, readingRule } from '../rules.js';
import type { ThresholdDefaults, Thresholds } from '../thresholds.js';
import type { FaultRule } from '../types.js';
import type { NetworkReading } from '../../protocol/network-reading.js';

export const NETWORK_THRESHOLDS: ThresholdDefaults = {
  NET_LINK_DOWN: {},
  NET_NO_SIM: {},
  NET_NOT_REGISTERED: { polls: 2 },
  NET_WEAK_SIGNAL: { raiseDbm: -105, clearDbm: -101, polls: 2 },
  NET_HOST_UNREACHABLE: { polls: 2 },
  NET_HIGH_LATENCY: { raiseMs: 1500, clearMs: 1000, polls: 3 },
  MODEM_OFFLINE: { polls: 2 },
};

/** The modem's fields when it answered in this poll; without them the cellular faults keep their state. */
function answering(reading: NetworkReading) {
  return reading.modem?.online ? reading.modem : undefined;
}

export function networkRules(t: Thresholds): FaultRule<NetworkReading>[] {
  const modemOffline = readingRule<NetworkReading>('MODEM_OFFLINE', t, (r) =>
    r.modem ? { holds: !r.modem.online, detail: { error: r.modem.error } } : undefined,
  );
  // A poll that failed as a whole got no answer from the modem either, if there is one.
  let hasModem = false;
  const modemRule: FaultRule<NetworkReading> = {
    ...modemOffline,
    assess(sample) {
      if (sample.ok) {
        hasModem = sample.reading.modem !== undefined;
        return modemOffline.assess(sample);
      }
      return hasModem ? { holds: true, detail: { error: sample.error.message } } : undefined;
    },
  };

  return [
    readingRule('NET_LINK_DOWN', t, (r) =>
      r.up === undefined ? undefined : { holds: !r.up, detail: { interface: r.interface, operstate: r.operstate, carrier: r.carrier } }),

    readingRule('NET_NO_SIM', t, (r) => {
      const sim = answering(r)?.sim;
      return sim === undefined ? undefined : { holds: sim !== 'ready', detail: { sim } };
    }),

    readingRule('NET_NOT_REGISTERED', t, (r) => {
      const modem = answering(r);
      if (modem?.registration === undefined) return undefined;
      const registered = modem.registration === 'home' || modem.registration === 'roaming';
      return { holds: !registered, detail: { registration: modem.registration, creg: modem.creg, cereg: modem.cereg } };
    }),

    readingRule('NET_WEAK_SIGNAL', t, (r) => {
      const { raiseDbm, clearDbm } = t.NET_WEAK_SIGNAL as { raiseDbm: number; clearDbm: number };
      if (r.signalUnknown) return { holds: true, detail: { signal: 'unknown' } };
      const holds = below(r.rssiDbm, raiseDbm, clearDbm);
      return holds === undefined ? undefined : { holds, detail: { rssiDbm: r.rssiDbm } };
    }),

    readingRule('NET_HOST_UNREACHABLE', t, (r) =>
      r.probe ? { holds: !r.probe.ok, detail: { host: r.probe.host, port: r.probe.port, error: r.probe.error } } : undefined),

    readingRule('NET_HIGH_LATENCY', t, (r) => {
      const { raiseMs, clearMs } = t.NET_HIGH_LATENCY as { raiseMs: number; clearMs: number };
      const rtt = r.probe?.rttMs;
      if (rtt === undefined) return undefined;
      const detail = { host: r.probe!.host, rttMs: rtt };
      if (rtt >= raiseMs) return { holds: true, detail };
      if (rtt < clearMs) return { holds: false, detail };
      return undefined;
    }),

    modemRule,
  ];
}
