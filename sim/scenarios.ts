import type { Scenario } from './scenario.js';

/**
 * The demo's story (`npm start`): a day at a shop counter, in a minute. Each thing that goes
 * wrong is one a merchant meets, and each shows up as a fault and a verdict with its reason.
 */
export const DEMO_SCENARIO: Scenario = {
  name: 'a day at the counter',
  duration: 64,
  steps: [
    {
      at: 0,
      note: 'A healthy terminal: every device answers',
      set: { battery: { capacity: 62, status: 'Discharging', mainsOnline: false, temperatureC: 31.5 } },
    },
    { at: 3, note: 'A long day of sales on battery', ramp: { device: 'battery', field: 'capacity', to: 3, over: 30 } },
    { at: 5, note: 'The receipt roll runs low', set: { printer: { paper: 'low' } } },
    { at: 10, note: '...and runs out: no receipt, no sale', set: { printer: { paper: 'out' } } },
    { at: 14, note: 'The merchant puts a new roll in', set: { printer: { paper: 'ok' } } },
    { at: 17, note: 'The cellular signal fades', set: { modem: { rssi: 3 } } },
    { at: 22, note: "The acquirer's host stops answering", set: { probe: { mode: 'refuse' } } },
    { at: 24.5, note: 'The payment application crashes: no sale can start', set: { app: { running: false } } },
    { at: 28, note: 'Signal and acquirer are back', set: { modem: { rssi: 21 }, probe: { mode: 'accept' } } },
    { at: 30.5, note: 'Its supervisor starts the payment application again (a new pid)', set: { app: { running: true } } },
    { at: 33.5, note: 'The charger goes in: the battery faults clear', set: { battery: { mainsOnline: true, status: 'Charging' } } },
    { at: 34, ramp: { device: 'battery', field: 'capacity', to: 20, over: 28 } },
    { at: 36, note: 'A card gets stuck in the slot', set: { cardReader: { slotBlocked: true } } },
    { at: 37, note: 'Code jumping: the payment app now says MCC 5411 (supermarket), not 5812 (restaurant)', set: { merchant: { mcc: '5411' } } },
    { at: 41, note: 'The card is pulled out; the right MCC is put back', set: { cardReader: { slotBlocked: false }, merchant: { mcc: '5812' } } },
    { at: 45, note: 'The acquirer moves the merchant to a new merchant number', set: { merchant: { mid: '102310058120015' } } },
    { at: 50, note: 'A technician checks the new number and approves it (signed merchant-approve)', technician: 'merchant-approve' },
    { at: 44, note: 'The terminal sits in the sun while it charges', ramp: { device: 'battery', field: 'temperatureC', to: 58, over: 6 } },
    { at: 51, note: 'Moved to the shade: it cools down', ramp: { device: 'battery', field: 'temperatureC', to: 44, over: 4 } },
    { at: 56, note: 'A firmware upgrade starts: maintenance mode', set: { maintenance: { on: true, reason: 'firmware 4.2.1' } } },
    { at: 61, note: 'Upgrade done: back in service', set: { maintenance: { on: false } } },
  ],
};
