import { describe, expect, it } from 'vitest';
import { FaultEngine } from '../../agent/fault-engine.js';
import { memoryFaultStore } from '../../agent/fault-store.js';
import { allThresholdDefaults } from '../../drivers/index.js';
import { resolveThresholds } from '../../drivers/thresholds.js';
import type { FaultRule, Sample } from '../../drivers/types.js';
import { networkRules } from '../../drivers/network/faults.js';
import type { NetworkReading } from '../../protocol/network-reading.js';

const UP: NetworkReading = { interface: 'wwan0', operstate: 'unknown', carrier: 1, up: true };
const MODEM = { online: true, sim: 'ready', rssiDbm: -71, creg: 1, cereg: 1, registration: 'home' } as const;
const PROBE = { host: '127.0.0.1', port: 443, ok: true, rttMs: 40 };

type Poll = Partial<NetworkReading> | 'failed';

/** Feeds one sample per poll and returns the active codes after each. */
function run(polls: Poll[], overrides: Record<string, unknown> = {}): string[][] {
  let seq = 0;
  const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
  engine.setRules('network', networkRules(resolveThresholds(allThresholdDefaults(), overrides)) as FaultRule<unknown>[]);
  return polls.map((poll, at) => {
    const sample: Sample<NetworkReading> = poll === 'failed' ? { ok: false, at, error: new Error('poll did not finish') } : { ok: true, at, reading: { ...UP, ...poll } };
    engine.observe('network', sample);
    return engine.list().map((fault) => fault.code).sort();
  });
}

const modem = (change: Record<string, unknown>) => ({ modem: { ...MODEM, ...change } as NetworkReading['modem'] });

describe('network faults (SPEC.md section 5)', () => {
  it('NET_LINK_DOWN on operstate down, lowerlayerdown, notpresent or carrier 0; unknown/dormant/testing with carrier 1 are up', () => {
    expect(run([{ operstate: 'down', carrier: 0, up: false }, { up: true }])).toEqual([['NET_LINK_DOWN'], []]);
    for (const operstate of ['lowerlayerdown', 'notpresent'] as const) expect(run([{ operstate, up: false }])).toEqual([['NET_LINK_DOWN']]);
    expect(run([{ operstate: 'up', carrier: 0, up: false }])).toEqual([['NET_LINK_DOWN']]);
    expect(run([{ operstate: 'dormant', up: true }, { operstate: 'testing', up: true }])).toEqual([[], []]);
    // Nothing known about the link (garbage files): no change.
    expect(run([{ up: false }, { up: undefined }])).toEqual([['NET_LINK_DOWN'], ['NET_LINK_DOWN']]);
  });

  it('NET_NO_SIM while +CPIN is not READY, at once; READY clears', () => {
    expect(run([modem({ sim: 'absent' }), modem({ sim: 'pin' }), modem({ sim: 'ready' })])).toEqual([['NET_NO_SIM'], ['NET_NO_SIM'], []]);
    expect(run([modem({ sim: 'error' })])).toEqual([['NET_NO_SIM']]);
  });

  it('NET_NOT_REGISTERED after 2 polls not home or roaming; registered clears', () => {
    const searching = modem({ registration: 'searching', creg: 2, cereg: 2 });
    expect(run([searching, searching, modem({ registration: 'roaming' })])).toEqual([[], ['NET_NOT_REGISTERED'], []]);
    const denied = modem({ registration: 'denied' });
    expect(run([denied, modem({}), denied])).toEqual([[], [], []]);
  });

  it('NET_WEAK_SIGNAL at <= -105 dBm or unknown for 2 polls; clears at >= -101', () => {
    expect(run([{ rssiDbm: -105 }, { rssiDbm: -105 }, { rssiDbm: -103 }, { rssiDbm: -101 }])).toEqual([
      [], ['NET_WEAK_SIGNAL'], ['NET_WEAK_SIGNAL'], [],
    ]);
    expect(run([{ signalUnknown: true }, { signalUnknown: true }, { rssiDbm: -71 }])).toEqual([[], ['NET_WEAK_SIGNAL'], []]);
    expect(run([{ rssiDbm: -104 }, { rssiDbm: -104 }])).toEqual([[], []]);
  });

  it('NET_HOST_UNREACHABLE after 2 failed probes; one success clears', () => {
    const failed = { probe: { ...PROBE, ok: false, rttMs: undefined, error: 'connect ECONNREFUSED' } };
    expect(run([failed, failed, failed, { probe: PROBE }])).toEqual([[], ['NET_HOST_UNREACHABLE'], ['NET_HOST_UNREACHABLE'], []]);
    expect(run([failed, { probe: PROBE }, failed])).toEqual([[], [], []]);
  });

  it('NET_HIGH_LATENCY after 3 probes >= 1500 ms; clears below 1000 ms', () => {
    const slow = { probe: { ...PROBE, rttMs: 1500 } };
    const middling = { probe: { ...PROBE, rttMs: 1200 } };
    expect(run([slow, slow, slow, middling, { probe: { ...PROBE, rttMs: 999 } }])).toEqual([
      [], [], ['NET_HIGH_LATENCY'], ['NET_HIGH_LATENCY'], [],
    ]);
    // A failed probe says nothing about latency.
    expect(run([slow, slow, slow, { probe: { ...PROBE, ok: false, rttMs: undefined } }])).toEqual([[], [], ['NET_HIGH_LATENCY'], ['NET_HIGH_LATENCY']]);
  });

  it('MODEM_OFFLINE after 2 polls without an answer; an answer clears; SIM, registration and signal keep their state meanwhile', () => {
    const offline = { modem: { online: false, error: 'no answer to AT+CPIN? within 5000 ms' } };
    const bad = { ...modem({ sim: 'absent', rssiDbm: -110, registration: 'none' }), rssiDbm: -110 };
    const active = run([bad, bad, offline, offline, offline, { ...modem({}), rssiDbm: -71 }]);
    expect(active).toEqual([
      ['NET_NO_SIM'],
      ['NET_NOT_REGISTERED', 'NET_NO_SIM', 'NET_WEAK_SIGNAL'],
      ['NET_NOT_REGISTERED', 'NET_NO_SIM', 'NET_WEAK_SIGNAL'],
      ['MODEM_OFFLINE', 'NET_NOT_REGISTERED', 'NET_NO_SIM', 'NET_WEAK_SIGNAL'],
      ['MODEM_OFFLINE', 'NET_NOT_REGISTERED', 'NET_NO_SIM', 'NET_WEAK_SIGNAL'],
      [],
    ]);
  });

  it('a poll that failed as a whole counts as no answer from a modem, and raises nothing without one', () => {
    expect(run([modem({}), 'failed', 'failed'])).toEqual([[], [], ['MODEM_OFFLINE']]);
    expect(run([{}, 'failed', 'failed'])).toEqual([[], [], []]);
  });

  it('takes every level and debounce from the config', () => {
    expect(run([{ rssiDbm: -90 }], { NET_WEAK_SIGNAL: { raiseDbm: -90, clearDbm: -85, polls: 1 } })).toEqual([['NET_WEAK_SIGNAL']]);
    expect(run([{ probe: { ...PROBE, rttMs: 600 } }], { NET_HIGH_LATENCY: { raiseMs: 500, polls: 1 } })).toEqual([['NET_HIGH_LATENCY']]);
    const offline = { modem: { online: false } };
    expect(run([offline], { MODEM_OFFLINE: { polls: 1 } })).toEqual([['MODEM_OFFLINE']]);
  });
});
