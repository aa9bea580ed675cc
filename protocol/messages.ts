import type { DeviceName } from './devices.js';
import type { FaultCode, Severity } from './faults.js';
import type { HeartbeatDevices } from './heartbeat.js';

/**
 * The payload of every topic (SPEC.md section 4), one table so that the agent, the technician
 * client and the simulator agree on it. Times are integer milliseconds since the epoch.
 */

export type Availability = 'IN_SERVICE' | 'DEGRADED' | 'OUT_OF_SERVICE' | 'MAINTENANCE';

/** `reasons` holds fault codes, and `MAINTENANCE` first while maintenance mode is on. */
export type Reason = FaultCode | 'MAINTENANCE';

export interface BirthMessage {
  online: true;
  ts: number;
  session: number;
  boot: string;
  agentVersion: string;
  heartbeatSeconds: number;
  devices: DeviceName[];
  /** How the agent came to start: `first`, `clean`, `crash`, `reboot` or `power-loss`. */
  restart: 'first' | 'clean' | 'crash' | 'reboot' | 'power-loss';
}

export interface OfflineMessage {
  online: false;
  session: number;
  reason: 'lost' | 'shutdown';
  ts?: number;
}

export type StateMessage = BirthMessage | OfflineMessage;

export type HeartbeatMessage = {
  seq: number;
  ts: number;
  availability: Availability;
  reasons: Reason[];
} & HeartbeatDevices & {
  outbox: { depth: number; dropped: number };
};

export interface FaultMessage {
  seq: number;
  ts: number;
  id: string;
  device: DeviceName;
  code: FaultCode;
  severity: Severity;
  state: 'raised' | 'cleared';
  raisedAt: number;
  clearedAt?: number;
  message: string;
  detail: Record<string, unknown>;
}

export interface ActiveFaultSummary {
  id: string;
  device: DeviceName;
  code: FaultCode;
  severity: Severity;
  raisedAt: number;
  message: string;
}

export interface FaultsSnapshot {
  ts: number;
  availability: Availability;
  reasons: Reason[];
  active: ActiveFaultSummary[];
  maintenance?: { reason?: string; until?: number };
}

export type ReplyErrorCode = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'EXPIRED' | 'REPLAY' | 'UNKNOWN_OP' | 'BUSY' | 'FAILED';

export type ReplyMessage =
  | { seq: number; ts: number; id: string | null; ok: true; data: unknown; part: number; parts: number }
  | { seq: number; ts: number; id: string | null; ok: false; error: { code: ReplyErrorCode; message: string } };

/** The table: what each topic carries. Sending goes through it (agent/uplink.ts). */
export interface TopicPayloads {
  state: StateMessage;
  heartbeat: HeartbeatMessage;
  fault: FaultMessage;
  faults: FaultsSnapshot;
  cmd: string;
  reply: ReplyMessage;
}

/**
 * The topics whose messages carry `seq` and go through the durable outbox; the one list of them.
 * A kind's index is its code in the outbox's records on disk: add at the end, never reorder.
 */
export const SEQUENCED_KINDS = ['heartbeat', 'fault', 'reply'] as const satisfies readonly (keyof TopicPayloads)[];
export type SequencedKind = (typeof SEQUENCED_KINDS)[number];

/** The payload of a sequenced topic. */
export type SequencedMessage<K extends SequencedKind = SequencedKind> = TopicPayloads[K];
