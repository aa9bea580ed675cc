import { DEVICE_NAMES, type DeviceName } from '../protocol/devices.js';
import type { FaultMessage, FaultsSnapshot, HeartbeatMessage } from '../protocol/messages.js';
import type { Verdict } from './availability.js';
import type { ActiveFault, FaultTransition } from './fault-engine.js';
import type { MaintenanceState } from './maintenance.js';

/** Builders of the payloads of SPEC.md section 4, fields in the order the contract shows them. */

export function heartbeatMessage(
  seq: number,
  ts: number,
  verdict: Verdict,
  devices: Partial<Record<DeviceName, Record<string, unknown>>>,
  outbox: { depth: number; dropped: number },
): HeartbeatMessage {
  const message = { seq, ts, availability: verdict.availability, reasons: verdict.reasons } as HeartbeatMessage;
  for (const name of DEVICE_NAMES) {
    const fields = devices[name];
    // Devices that put nothing in the heartbeat (app, certificates) leave no empty object.
    if (fields && Object.keys(fields).length > 0) (message as unknown as Record<string, unknown>)[name] = fields;
  }
  message.outbox = outbox;
  return message;
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
