import type { Scenario } from './scenario.js';

/** The demo's story (`npm start`): a battery that drains, is charged, overheats and recovers. */
export const DEMO_SCENARIO: Scenario = {
  name: 'battery day',
  duration: 62,
  steps: [
    {
      at: 0,
      note: 'A healthy terminal on battery',
      set: { battery: { capacity: 62, status: 'Discharging', mainsOnline: false, temperatureC: 31.5 } },
    },
    { at: 3, note: 'A long day of sales: the battery drains', ramp: { device: 'battery', field: 'capacity', to: 3, over: 24 } },
    {
      at: 29,
      note: 'The merchant plugs the charger in: the low-battery faults clear',
      set: { battery: { mainsOnline: true, status: 'Charging' } },
    },
    { at: 29.5, ramp: { device: 'battery', field: 'capacity', to: 14, over: 30 } },
    { at: 32, note: 'The terminal sits in the sun while it charges', ramp: { device: 'battery', field: 'temperatureC', to: 58, over: 8 } },
    { at: 42, note: 'Moved to the shade: the battery cools down', ramp: { device: 'battery', field: 'temperatureC', to: 44, over: 6 } },
    { at: 50, note: 'A firmware upgrade starts: maintenance mode', set: { maintenance: { on: true, reason: 'firmware upgrade 4.2.1' } } },
    { at: 55, note: 'Upgrade done: back in service', set: { maintenance: { on: false } } },
  ],
};
