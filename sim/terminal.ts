import fs from 'node:fs';
import path from 'node:path';
import { SimBattery, type BatteryState } from './battery.js';
import { FileTree } from './file-tree.js';
import { SimSystem, type SystemState } from './system.js';

/**
 * One simulated terminal in a folder: `sys/` and `proc/` trees for the agent to read, and its
 * state and log folders. Each device's state can be set; `agentConfig` writes the config that
 * points an agent at it.
 */

export interface TerminalChange {
  battery?: Partial<BatteryState>;
  system?: Partial<SystemState>;
  /** What an upgrade tool does: creates or removes `stateDir/maintenance`. */
  maintenance?: { on: boolean; reason?: string };
}

export interface AgentConfigOptions {
  brokerUrl: string;
  terminalId?: string;
  protocolVersion?: 4 | 5;
  heartbeatSeconds?: number;
  logLevel?: string;
  batteryPollSeconds?: number;
  systemPollSeconds?: number;
}

export class SimTerminal {
  readonly sys: FileTree;
  readonly proc: FileTree;
  readonly battery: SimBattery;
  readonly system: SimSystem;
  readonly stateDir: string;
  readonly logDir: string;

  constructor(readonly dir: string) {
    this.sys = new FileTree(path.join(dir, 'sys'));
    this.proc = new FileTree(path.join(dir, 'proc'));
    this.stateDir = path.join(dir, 'state');
    this.logDir = path.join(dir, 'log');
    fs.mkdirSync(this.stateDir, { recursive: true });
    this.battery = new SimBattery(this.sys);
    this.system = new SimSystem(this.proc);
  }

  apply(change: TerminalChange): void {
    if (change.battery) this.battery.set(checkFields('battery', change.battery, this.battery.current));
    if (change.system) this.system.set(checkFields('system', change.system, this.system.current));
    if (change.maintenance) {
      const file = path.join(this.stateDir, 'maintenance');
      if (change.maintenance.on) fs.writeFileSync(file, change.maintenance.reason ?? '');
      else fs.rmSync(file, { force: true });
    }
  }

  /** Every simulated device's state, for `pos-agent sim status`. */
  state(): Record<string, unknown> {
    return {
      battery: this.battery.current,
      system: this.system.current,
      maintenance: fs.existsSync(path.join(this.stateDir, 'maintenance')),
    };
  }

  agentConfig(options: AgentConfigOptions): Record<string, unknown> {
    return {
      terminalId: options.terminalId ?? 'SIM-0001',
      mqtt: { url: options.brokerUrl, protocolVersion: options.protocolVersion ?? 4, topicRoot: 'pos/v1', keepaliveSeconds: 30 },
      heartbeatSeconds: options.heartbeatSeconds ?? 60,
      stateDir: this.stateDir,
      logDir: this.logDir,
      logLevel: options.logLevel ?? 'info',
      sysfsRoot: this.sys.root,
      procRoot: this.proc.root,
      devices: {
        battery: { supply: this.battery.supply, mains: this.battery.mains, pollSeconds: options.batteryPollSeconds ?? 30 },
        system: { pollSeconds: options.systemPollSeconds ?? 60 },
      },
    };
  }
}

/** A typo in a scenario must fail loudly, not silently set nothing. */
function checkFields<T extends object>(device: string, change: Partial<T>, current: T): Partial<T> {
  for (const key of Object.keys(change)) {
    if (!(key in current) && key !== 'raw' && key !== 'unplugged') throw new Error(`${device} has no field "${key}"`);
  }
  return change;
}
