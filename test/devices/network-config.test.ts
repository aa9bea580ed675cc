import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config.js';

const base = { terminalId: 'T-1', mqtt: { url: 'mqtt://127.0.0.1:1883' } };

describe('network config (SPEC.md section 3)', () => {
  it('fills in the defaults of poll interval, baud rate and probe timeout', () => {
    const result = parseConfig({ ...base, devices: { network: { interface: 'wwan0', modem: { path: '/dev/ttyUSB2' }, probe: { host: 'acquirer.example', port: 443 } } } }, {});
    expect(result.ok && result.config.devices.network).toEqual({
      interface: 'wwan0',
      pollSeconds: 10,
      modem: { path: '/dev/ttyUSB2', baudRate: 115200 },
      probe: { host: 'acquirer.example', port: 443, timeoutMs: 3000, answeringSeconds: 300 },
    });
  });

  it('names every problem with its path, unknown keys included', () => {
    const result = parseConfig({ ...base, devices: { network: { interface: 'a/b', probe: { host: 'x', port: 70000 }, modem: {}, ssid: 'x' } } }, {});
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((problem) => problem.path).sort();
    expect(paths).toEqual(['devices.network.interface', 'devices.network.modem.path', 'devices.network.probe.port', 'devices.network.ssid']);
  });

  it('takes threshold overrides of the network codes and refuses unknown keys', () => {
    const good = parseConfig({ ...base, thresholds: { NET_WEAK_SIGNAL: { raiseDbm: -95, clearDbm: -90 }, NET_HIGH_LATENCY: { raiseMs: 800, polls: 2 } } }, {});
    expect(good.ok).toBe(true);
    const bad = parseConfig({ ...base, thresholds: { NET_HOST_UNREACHABLE: { raiseMs: 5 } } }, {});
    expect(bad.ok ? [] : bad.problems.map((problem) => problem.path)).toEqual(['thresholds.NET_HOST_UNREACHABLE.raiseMs']);
  });
});
