import type { Availability, Reason } from '../protocol/messages.js';
import type { ActiveFault } from './fault-engine.js';

export interface Verdict {
  availability: Availability;
  reasons: Reason[];
}

/**
 * Can the terminal take payments now, and why not (SPEC.md section 4). `faults` come in reasons
 * order (critical first, each group in the order raised).
 */
export function verdict(faults: readonly ActiveFault[], maintenance: boolean): Verdict {
  const codes: Reason[] = faults.map((fault) => fault.code);
  if (maintenance) return { availability: 'MAINTENANCE', reasons: ['MAINTENANCE', ...codes] };
  if (faults.some((fault) => fault.severity === 'critical')) return { availability: 'OUT_OF_SERVICE', reasons: codes };
  if (faults.length > 0) return { availability: 'DEGRADED', reasons: codes };
  return { availability: 'IN_SERVICE', reasons: [] };
}
