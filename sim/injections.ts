import type { FaultCode } from '../protocol/faults.js';
import type { TerminalChange } from './terminal.js';

/**
 * What to do to a simulated terminal to make a fault happen, and to make it go away: the device
 * states behind each fault code, so a user can say `pos-agent sim inject BATTERY_LOW` without
 * knowing which file holds what.
 */
export interface Injection {
  inject: TerminalChange;
  clear: TerminalChange;
  /** How the fault is made on the simulator, for `pos-agent sim` help. */
  how: string;
}

const onBattery = { status: 'Discharging' as const, mainsOnline: false };

export const INJECTIONS: Partial<Record<FaultCode, Injection>> = {
  BATTERY_MISSING: { inject: { battery: { unplugged: true } }, clear: { battery: { unplugged: false } }, how: 'removes the battery folder' },
  BATTERY_LOW: { inject: { battery: { capacity: 12, ...onBattery } }, clear: { battery: { capacity: 80 } }, how: 'capacity 12 %, discharging' },
  BATTERY_CRITICAL: { inject: { battery: { capacity: 3, ...onBattery } }, clear: { battery: { capacity: 80 } }, how: 'capacity 3 %, discharging' },
  BATTERY_OVERHEAT: { inject: { battery: { temperatureC: 58 } }, clear: { battery: { temperatureC: 32 } }, how: 'temperature 58 °C' },
  BATTERY_DEGRADED: {
    inject: { battery: { chargeFullUah: 1_800_000 } },
    clear: { battery: { chargeFullUah: 2_850_000 } },
    how: 'full charge 60 % of design',
  },
  BATTERY_NOT_CHARGING: {
    inject: { battery: { mainsOnline: true, status: 'Not charging', capacity: 60 } },
    clear: { battery: { status: 'Charging' } },
    how: 'mains online, 60 %, "Not charging"',
  },
  SYS_MEMORY_LOW: { inject: { system: { memAvailableMb: 20 } }, clear: { system: { memAvailableMb: 512 } }, how: 'MemAvailable 20 of 1024 MiB' },
};
