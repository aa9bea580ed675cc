import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFleetOptions } from './fleet-options.js';
import { fleetTerminalId, inFleet } from './fleet-terminals.js';

describe('parseFleetOptions', () => {
  it('takes the defaults for what is not given', () => {
    expect(parseFleetOptions(['--terminals', '100', '--broker', 'mqtt://127.0.0.1:1883'])).toEqual({
      terminals: 100,
      firstId: 1,
      broker: 'mqtt://127.0.0.1:1883',
      durationSeconds: undefined,
      heartbeatSeconds: 60,
      faultsPerMinute: 60,
      faultSeconds: 10,
      protocolVersion: 5,
      batch: 50,
      dir: undefined,
      json: undefined,
      keep: false,
    });
  });

  it('reads every option, a relative --json from the working folder', () => {
    const options = parseFleetOptions([
      '--terminals', '4', '--broker', 'mqtts://broker:8883', '--duration', '30', '--heartbeat-seconds', '900',
      '--faults-per-minute', '0', '--fault-seconds', '2.5', '--protocol', '4', '--batch', '2', '--dir', 'fleet', '--json', 'report.json', '--keep', '--first-id', '5001',
    ]);
    expect(options).toEqual({
      terminals: 4, firstId: 5001, broker: 'mqtts://broker:8883', durationSeconds: 30, heartbeatSeconds: 900, faultsPerMinute: 0, faultSeconds: 2.5,
      protocolVersion: 4, batch: 2, dir: 'fleet', json: path.resolve('report.json'), keep: true,
    });
  });

  it.each([
    [['--terminals', '10'], /needs --broker URL/],
    [['--terminals', '10', '--broker', 'localhost:1883'], /is not a broker URL/],
    [['--broker', 'mqtt://b'], /--terminals is a whole number from 1 to 100000/],
    [['--terminals', '1.5', '--broker', 'mqtt://b'], /--terminals is a whole number/],
    [['--terminals', '2', '--broker', 'mqtt://b', '--protocol', '3'], /--protocol is 4 \(MQTT 3.1.1\) or 5/],
    [['--terminals', '2', '--broker', 'mqtt://b', '--fault-seconds', 'soon'], /--fault-seconds is a number from 0.1 to 86400/],
  ])('refuses %j with a usage error', (args, message) => {
    expect(() => parseFleetOptions(args)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(message) }));
  });
});

describe('fleet terminal ids', () => {
  it('numbers terminals from --first-id and tells a fleet its own from another fleet\'s', () => {
    expect(fleetTerminalId(1)).toBe('FLEET-000001');
    expect(fleetTerminalId(5001)).toBe('FLEET-005001');
    expect(fleetTerminalId(1_234_567)).toBe('FLEET-1234567');
    expect(inFleet('FLEET-005001', 5001, 1000)).toBe(true);
    expect(inFleet('FLEET-006000', 5001, 1000)).toBe(true);
    expect(inFleet('FLEET-006001', 5001, 1000)).toBe(false);
    expect(inFleet('FLEET-005000', 5001, 1000)).toBe(false);
    expect(inFleet('T-005001', 5001, 1000)).toBe(false);
  });
});
