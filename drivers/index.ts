import type { DeviceName } from '../protocol/devices.js';
import type { FaultCode } from '../protocol/faults.js';
import type { DeviceReadings } from '../protocol/readings.js';
import { app } from './app/index.js';
import { battery } from './battery/index.js';
import { certificates } from './certificates/index.js';
import { cardReader } from './card-reader/index.js';
import { merchant } from './merchant/index.js';
import { network } from './network/index.js';
import { printer } from './printer/index.js';
import { system } from './system/index.js';
import type { ThresholdDefaults } from './thresholds.js';
import type { DeviceModule } from './types.js';

/**
 * The registry: each device name maps to its module, under the same name as its config key and
 * its folder. Nothing registers itself by being imported.
 */
export const DEVICES: { [N in DeviceName]?: DeviceModule<any, DeviceReadings[N], N> } = {
  printer,
  cardReader,
  battery,
  network,
  system,
  app,
  merchant,
  certificates,
};

/** The devices that are polled without being configured. */
export const ALWAYS_POLLED: readonly DeviceName[] = ['system'];

export function deviceModule(name: DeviceName): DeviceModule<any, any> {
  const module = DEVICES[name];
  if (!module) throw new Error(`no driver for device ${name}`);
  return module;
}

export function allThresholdDefaults(): ThresholdDefaults {
  const defaults: ThresholdDefaults = {};
  for (const module of Object.values(DEVICES)) {
    for (const [code, values] of Object.entries(module.thresholds)) defaults[code as FaultCode] = values;
  }
  return defaults;
}
