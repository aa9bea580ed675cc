import type { DeviceName } from './devices.js';
import type { FaultCode, Severity } from './faults.js';
import type { LogLevel } from './log-levels.js';
import type { Availability, BirthMessage, Reason } from './messages.js';
import type { DeviceReadings } from './readings.js';

/**
 * The answer of the `status` command (SPEC.md section 6): the running agent as a technician
 * sees it. Each device's `reading` is its driver's whole reading (readings.ts), of which the
 * heartbeat carries a few fields (heartbeat.ts).
 */

export interface PollFigures {
  polls: number;
  failures: number;
  lastDurationMs?: number;
  failing?: string;
  /** When the next poll is due, while the loop runs: a time long past means the loop is stuck. */
  dueAt?: number;
}

export interface DeviceStatus<R = unknown> {
  online: boolean;
  at?: number;
  reading?: R;
  error?: string;
  polls?: PollFigures;
}

/** Each configured device's status, its reading typed by its name. */
export type DeviceStatuses = { [N in DeviceName]?: DeviceStatus<DeviceReadings[N]> };

export interface ActiveFaultStatus {
  /** `f-<seq>`: the sequence number of the raise message, unique per terminal. */
  id: string;
  code: FaultCode;
  device: DeviceName;
  severity: Severity;
  raisedAt: number;
  message: string;
  detail: Record<string, unknown>;
  /** The seq of its raise message, also what orders faults raised in the same millisecond. */
  raiseSeq: number;
}

export interface MaintenanceState {
  on: boolean;
  reason?: string;
  /** Epoch ms when it ends by itself; absent for a file an upgrade tool manages. */
  until?: number;
}

export interface OutboxFigures {
  depth: number;
  dropped: number;
  inFlight: number;
  liveBytes: number;
  diskBytes: number;
  lastSeq: number;
}

export interface LinkFigures {
  up: boolean;
  connects: number;
  attempts: number;
  connectedSince?: number;
  lastError?: string;
  nextAttemptAt?: number;
  /** The agent's own MQTT bytes since it started, by packet, both ways. */
  bytesSent: number;
  bytesReceived: number;
}

export interface LogLevelState {
  level: LogLevel;
  configured: LogLevel;
  /** Epoch ms when the configured level comes back; absent while it is in force. */
  until?: number;
}

export interface StatusAnswer {
  terminalId: string;
  agentVersion: string;
  boot: string;
  session: number;
  startedAt: number;
  /** How the agent came to start, as its birth says. */
  restart: BirthMessage['restart'];
  availability: Availability;
  reasons: Reason[];
  faults: ActiveFaultStatus[];
  maintenance: MaintenanceState;
  devices: DeviceStatuses;
  outbox: OutboxFigures;
  connection: LinkFigures;
  logLevel: LogLevelState;
  /** Steps of the wall clock of 2 s or more since the agent started (NTP, a clock set by hand). */
  clock: ClockFigures;
}

export interface ClockFigures {
  steps: number;
  /** The size of the last step, negative when the clock went back. */
  lastStepMs?: number;
  /** When it was noticed, on the wall clock after the step. */
  lastStepAt?: number;
}
