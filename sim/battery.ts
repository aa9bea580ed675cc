import type { FileTree } from './file-tree.js';
import { checkFields } from './device-state.js';
import type { BatteryStatus } from '../protocol/heartbeat.js';
import type { BatteryHealth } from '../protocol/readings.js';

/** A battery and its charger under `class/power_supply`, as a kernel fuel-gauge driver shows them. */
export interface BatteryState {
  present: boolean;
  capacity: number;
  status: BatteryStatus;
  health: BatteryHealth;
  temperatureC: number;
  voltageV: number;
  currentMa: number;
  cycleCount: number;
  chargeFullUah: number;
  chargeFullDesignUah: number;
  mainsOnline: boolean;
  /** Replaces a file's content with anything (garbage, an absurd value) to test bad input. */
  raw?: Partial<Record<string, string>>;
  /** Removes the battery's folder altogether (a pack pulled out on a driver that unregisters it). */
  unplugged?: boolean;
}

export const HEALTHY_BATTERY: BatteryState = {
  present: true,
  capacity: 87,
  status: 'Discharging',
  health: 'Good',
  temperatureC: 31.5,
  voltageV: 3.987,
  currentMa: 420,
  cycleCount: 112,
  chargeFullUah: 2_850_000,
  chargeFullDesignUah: 3_000_000,
  mainsOnline: false,
};

export class SimBattery {
  private state: BatteryState = { ...HEALTHY_BATTERY };

  constructor(
    private readonly tree: FileTree,
    readonly supply = 'battery',
    readonly mains = 'ac',
  ) {
    this.write();
  }

  get current(): Readonly<BatteryState> {
    return this.state;
  }

  set(change: Partial<BatteryState>): void {
    checkFields('battery', change, this.state, ['raw', 'unplugged']);
    this.state = { ...this.state, ...change };
    this.write();
  }

  private write(): void {
    const s = this.state;
    const base = `class/power_supply/${this.supply}`;
    const mains = `class/power_supply/${this.mains}`;
    this.tree.write(`${mains}/type`, 'Mains\n');
    this.tree.write(`${mains}/online`, `${s.mainsOnline ? 1 : 0}\n`);
    if (s.unplugged) {
      this.tree.remove(base);
      return;
    }
    const files: Record<string, string> = {
      type: 'Battery',
      present: s.present ? '1' : '0',
      status: s.status,
      capacity: String(Math.round(s.capacity)),
      health: s.health,
      voltage_now: String(Math.round(s.voltageV * 1e6)),
      // Most fuel gauges report discharge as a negative current.
      current_now: String(Math.round((s.status === 'Charging' ? 1 : -1) * s.currentMa * 1000)),
      temp: String(Math.round(s.temperatureC * 10)),
      cycle_count: String(s.cycleCount),
      charge_full: String(s.chargeFullUah),
      charge_full_design: String(s.chargeFullDesignUah),
      ...s.raw,
    };
    for (const [file, value] of Object.entries(files)) this.tree.write(`${base}/${file}`, `${value}\n`);
  }
}
