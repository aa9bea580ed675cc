import type { DeviceStatus, DeviceStatuses } from '../protocol/status.js';
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../basics/clock.js';
import { errorMessage } from '../basics/errors.js';
import { allThresholdDefaults, deviceModule } from '../drivers/index.js';
import { serialportOpener } from '../drivers/serial/serialport-transport.js';
import { sysfsAt } from '../drivers/sysfs.js';
import { tcpProbe } from '../drivers/tcp-probe.js';
import { resolveThresholds } from '../drivers/thresholds.js';
import type { DeviceModule, Driver, DriverEnv, Sample } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';
import type { HeartbeatDevices } from '../protocol/heartbeat.js';
import { polledDevices, type AgentConfig } from './config.js';
import type { FaultEngine } from './fault-engine.js';
import type { PollFigures, Scheduler } from './scheduler.js';

export interface DevicesOptions {
  config: AgentConfig;
  clock: Clock;
  log: Logger;
  /** Replaces transports that drivers receive (fake serial ports, fixture trees). */
  driverEnv?: Partial<DriverEnv>;
}

/**
 * The configured devices wired to the agent: each one's module from the registry, its driver with
 * the transports of this terminal, its rules in the fault engine, its interval in the scheduler,
 * and its latest sample, from which the heartbeat and the `status` answer are made.
 */
export class Devices {
  readonly polled: DeviceName[];
  private readonly modules = new Map<DeviceName, DeviceModule<unknown, unknown>>();
  private readonly created = new Map<DeviceName, Driver<unknown>>();
  private readonly latest = new Map<DeviceName, Sample<unknown>>();

  constructor(private readonly options: DevicesOptions) {
    this.polled = polledDevices(options.config);
    for (const name of this.polled) this.modules.set(name, deviceModule(name));
  }

  get drivers(): ReadonlyMap<DeviceName, Driver<unknown>> {
    return this.created;
  }

  /** (Re)applies rules and intervals from a config; drivers are created once, on the first call. */
  configure(config: AgentConfig, engine: FaultEngine, scheduler: Scheduler): void {
    const thresholds = resolveThresholds(allThresholdDefaults(), config.thresholds);
    for (const [name, module] of this.modules) {
      const deviceConfig = module.config.parse((config.devices as Record<string, unknown>)[name] ?? {});
      engine.setRules(name, module.rules(thresholds));
      const intervalMs = module.pollSeconds(deviceConfig) * 1000;
      if (scheduler.has(name)) {
        scheduler.setInterval(name, intervalMs);
      } else {
        const driver = module.create(deviceConfig, this.env(name));
        this.created.set(name, driver);
        scheduler.add(name, driver, intervalMs);
      }
    }
  }

  record(device: DeviceName, sample: Sample<unknown>): void {
    this.latest.set(device, sample);
  }

  /** Every configured device has been read once (or timed out). */
  get allRead(): boolean {
    return this.polled.every((name) => this.latest.has(name));
  }

  /** Each device's heartbeat fields, from its latest sample; none of a device that has no part in it. */
  heartbeat(): HeartbeatDevices {
    const fields: Record<string, unknown> = {};
    for (const [name, module] of this.modules) {
      const sample = this.latest.get(name);
      const part = sample && module.heartbeat(sample);
      if (part) fields[name] = part;
    }
    // Each module's part is typed by its name (DeviceModule's third parameter).
    return fields as HeartbeatDevices;
  }

  /** Each device's latest reading or error, with its poll figures (the `status` answer). */
  status(polls: Partial<Record<DeviceName, PollFigures>>): DeviceStatuses {
    const devices: Partial<Record<DeviceName, DeviceStatus>> = {};
    for (const name of this.polled) {
      const sample = this.latest.get(name);
      devices[name] = !sample
        ? { online: false, polls: polls[name] }
        : sample.ok
          ? { online: true, at: sample.at, reading: sample.reading, polls: polls[name] }
          : { online: false, at: sample.at, error: errorMessage(sample.error), polls: polls[name] };
    }
    // Each module's reading is typed by its name (the registry in drivers/index.ts).
    return devices as DeviceStatuses;
  }

  private env(device: DeviceName): DriverEnv {
    const { config, clock, log, driverEnv } = this.options;
    return {
      clock,
      log: log.child({ device }),
      sysfs: sysfsAt(config.sysfsRoot),
      procfs: sysfsAt(config.procRoot),
      stateDir: config.stateDir,
      statfs: (where) => fs.promises.statfs(where),
      serial: serialportOpener,
      probe: tcpProbe,
      tlsFiles: [config.mqtt.ca, config.mqtt.cert].filter((file) => file !== undefined),
      ...driverEnv,
    };
  }
}
