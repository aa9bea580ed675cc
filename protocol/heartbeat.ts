/**
 * Each device's part of R/heartbeat (SPEC.md section 4): the few values a fleet watches over time.
 * A device that is configured but not answering says so (`online: false`, the network `up: false`)
 * and leaves its other fields out; a device that is not configured is absent.
 */

export type Paper = 'ok' | 'low' | 'out';
export type Registration = 'home' | 'roaming' | 'searching' | 'denied' | 'none' | 'unknown';
export type BatteryStatus = 'Unknown' | 'Charging' | 'Discharging' | 'Not charging' | 'Full';

/** Not answering: the only field of a device that did not answer its last poll. */
export interface Silent {
  online: false;
}

export interface PrinterHeartbeat {
  /** Answers on its line: a printer with its cover open is online, and reports the open cover. */
  online: boolean;
  paper?: Paper;
}

export interface CardReaderHeartbeat {
  online: boolean;
}

export type BatteryHeartbeat =
  | Silent
  | { present: false; mainsOnline?: boolean }
  | { percent?: number; status?: BatteryStatus; temperatureC?: number; mainsOnline?: boolean };

export interface NetworkHeartbeat {
  up: boolean;
  rssiDbm?: number;
  registration?: Registration;
  probeRttMs?: number;
}

/** MiB. */
export type SystemHeartbeat = Silent | { memAvailableMb?: number; diskFreeMb?: number };

/** The devices that have a part in the heartbeat; the others report through faults and `status` only. */
export interface DeviceHeartbeats {
  printer: PrinterHeartbeat;
  cardReader: CardReaderHeartbeat;
  battery: BatteryHeartbeat;
  network: NetworkHeartbeat;
  system: SystemHeartbeat;
}

export type HeartbeatDevice = keyof DeviceHeartbeats;

/** In the order the contract shows them. */
export const HEARTBEAT_DEVICES = ['printer', 'cardReader', 'battery', 'network', 'system'] as const satisfies readonly HeartbeatDevice[];

/** What a device of this name puts in the heartbeat: nothing (undefined) for one that has no part in it. */
export type HeartbeatOf<N extends string> = N extends HeartbeatDevice ? DeviceHeartbeats[N] : undefined;

export type HeartbeatDevices = { [N in HeartbeatDevice]?: DeviceHeartbeats[N] };
