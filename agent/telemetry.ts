import { HEARTBEAT_DEVICES, type HeartbeatDevices } from '../protocol/heartbeat.js';
import type { BirthMessage, FaultMessage, FaultsSnapshot, HeartbeatMessage } from '../protocol/messages.js';
import type { Verdict } from './availability.js';
import type { ActiveFault, FaultTransition } from './fault-engine.js';
import type { MaintenanceState } from './maintenance.js';
import { AGENT_VERSION } from './version.js';

/** Builders of the payloads of SPEC.md section 4, fields in the order the contract shows them. */

export function birthMessage(fields: Omit<BirthMessage, 'online' | 'agentVersion'>): BirthMessage {
  const { ts, session, boot, heartbeatSeconds, devices, restart } = fields;
  return { online: true, ts, session, boot, agentVersion: AGENT_VERSION, heartbeatSeconds, devices, restart };
}

export function heartbeatMessage(
  seq: number,
  ts: number,
  verdict: Verdict,
  devices: HeartbeatDevices,
  outbox: { depth: number; dropped: number },
): HeartbeatMessage {
  const parts: HeartbeatDevices = {};
  for (const name of HEARTBEAT_DEVICES) {
    const fields = devices[name];
    // A device's part with nothing in it is left out, not sent as an empty object.
    if (fields && Object.keys(fields).length > 0) Object.assign(parts, { [name]: fields });
  }
  return { seq, ts, availability: verdict.availability, reasons: verdict.reasons, ...parts, outbox };
}

export function faultMessage(transition: FaultTransition, ts: number): FaultMessage {
  const { fault } = transition;
  const head = {
    seq: transition.seq,
    ts,
    id: fault.id,
    device: fault.device,
    code: fault.code,
    severity: fault.severity,
    state: transition.state,
    raisedAt: fault.raisedAt,
  };
  if (transition.state === 'raised') return { ...head, message: fault.message, detail: fault.detail };
  return { ...head, clearedAt: transition.clearedAt, message: fault.message, detail: transition.detail };
}

export function faultsSnapshot(
  ts: number,
  faults: readonly ActiveFault[],
  verdict: Verdict,
  maintenance: MaintenanceState,
): FaultsSnapshot {
  const snapshot: FaultsSnapshot = {
    ts,
    availability: verdict.availability,
    reasons: verdict.reasons,
    active: faults.map(({ id, device, code, severity, raisedAt, message }) => ({ id, device, code, severity, raisedAt, message })),
  };
  if (maintenance.on) snapshot.maintenance = { reason: maintenance.reason, until: maintenance.until };
  return snapshot;
}
