import type { Logger } from 'pino';
import type * as z from '../protocol/schema.js';
import type { Clock } from '../basics/clock.js';
import type { DeviceName } from '../protocol/devices.js';
import type { FaultCode } from '../protocol/faults.js';
import type { HeartbeatOf } from '../protocol/heartbeat.js';
import type { SerialOpener } from './serial/transport.js';
import type { SysfsReader } from './sysfs.js';
import type { TcpProbe } from './tcp-probe.js';
import type { Thresholds } from './thresholds.js';

/** One poll's outcome. A driver that threw or timed out is a failed sample: its device is offline. */
export type Sample<R> = { ok: true; at: number; reading: R } | { ok: false; at: number; error: Error };

/**
 * What one sample says about one fault: its condition holds (`true`), its clear condition holds
 * (`false`), or neither (a value between the raise and the clear level, or no data): the fault
 * keeps its state. `detail` goes into the fault message.
 */
export interface Assessment {
  holds: boolean;
  detail?: Record<string, unknown>;
  /** The device itself reports this state (a sensor bit, a status flag): no debounce. */
  now?: boolean;
}

export interface FaultRule<R> {
  code: FaultCode;
  /** Consecutive samples the condition must hold before the fault is raised. */
  raisePolls: number;
  /** Consecutive samples the clear condition must hold before the fault is cleared. */
  clearPolls: number;
  assess(sample: Sample<R>): Assessment | undefined;
}

/** The result of an active self-test (the `diag` command). */
export interface SelfTest {
  pass: boolean;
  detail: Record<string, unknown>;
}

/**
 * A device's driver: it reads and returns readings, it never publishes. Transports (sysfs, serial
 * ports, the clock) come in through its factory, so a test hands it fakes or fixture trees.
 */
export interface Driver<R> {
  /** Acquires what the driver holds (a serial port). A failure is reported, and open is tried again. */
  open?(): Promise<void>;
  /** One sample. Should settle by itself within its device timeouts; the signal aborts it. */
  read(signal: AbortSignal): Promise<R>;
  /** Push-style devices (printer status back, reader events) report fresh readings between polls. */
  watch?(listener: (reading: R) => void): void;
  selfTest?(signal: AbortSignal): Promise<SelfTest>;
  close?(): Promise<void>;
}

/** What every driver may use; each takes only what it needs. */
export interface DriverEnv {
  clock: Clock;
  log: Logger;
  sysfs: SysfsReader;
  procfs: SysfsReader;
  stateDir: string;
  statfs(path: string): Promise<{ bsize: number; blocks: number; bavail: number }>;
  /** Opens serial lines: `serialport` on a tty in production, an in-process pair in unit tests. */
  serial: SerialOpener;
  /** The agent's own MQTT bytes so far, for the network device's data use. */
  linkTraffic?: () => { bytesSent: number; bytesReceived: number };
  /** The MQTT link's CA and client certificate files, which the certificates device always checks. */
  tlsFiles?: string[];
  /** Times a TCP connect (the acquirer reachability probe). */
  probe: TcpProbe;
}

/**
 * Everything the agent needs to know about one kind of device, in one place: how it is
 * configured, how it is read, which faults it can raise and what it puts in the heartbeat.
 */
export interface DeviceModule<C = unknown, R = unknown, N extends DeviceName = DeviceName> {
  name: N;
  config: z.ZodMiniType<C>;
  /** Default thresholds of each of its fault codes, overridable in the config's `thresholds`. */
  thresholds: Partial<Record<FaultCode, Record<string, number>>>;
  pollSeconds(config: C): number;
  create(config: C, env: DriverEnv): Driver<R>;
  /** Fresh rule objects: rules may keep state across samples (counter deltas). */
  rules(thresholds: Thresholds): FaultRule<R>[];
  /**
   * The few fields a fleet watches over time (protocol/heartbeat.ts); the rest is in the `status`
   * command's answer. Undefined for a device that has no part in the heartbeat.
   */
  heartbeat(sample: Sample<R>): HeartbeatOf<N>;
}
