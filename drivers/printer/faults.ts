import { errorMessage } from '../../basics/errors.js';
import { readingRule } from '../rules.js';
import type { ThresholdDefaults, Thresholds } from '../thresholds.js';
import type { FaultRule, Sample } from '../types.js';
import type { PrinterReading } from '../../protocol/readings.js';

/**
 * The printer reports its own state, so every fault but "no reply" follows the status bits at
 * once (one poll or one status back block). Silence needs two polls, so one lost byte on the
 * line does not take a terminal out of service.
 */
export const PRINTER_THRESHOLDS: ThresholdDefaults = {
  PRINTER_OFFLINE: { polls: 2 },
};

/** An offline printer with one of these causes is reported by that fault alone. */
function namedCause(r: PrinterReading): string | undefined {
  if (r.coverOpen) return 'cover open';
  if (r.paper === 'out') return 'paper out';
  if (r.failure) return 'unrecoverable error';
  if (r.cutterError) return 'autocutter error';
  if (r.overheat) return 'head overheat';
  // Someone feeds paper with the button: offline for a moment, nothing to report.
  if (r.feeding || r.feedButton) return 'paper feed';
  return undefined;
}

function offline(t: Thresholds): FaultRule<PrinterReading> {
  return {
    code: 'PRINTER_OFFLINE',
    raisePolls: t.PRINTER_OFFLINE.polls ?? 2,
    clearPolls: t.PRINTER_OFFLINE.clearPolls ?? 1,
    assess(sample: Sample<PrinterReading>) {
      if (!sample.ok) return { holds: true, detail: { error: errorMessage(sample.error) } };
      const r = sample.reading;
      if (!r.offline) return { holds: false, detail: { via: r.via } };
      const cause = namedCause(r);
      if (cause !== undefined) return { holds: false, detail: { via: r.via, offlineCause: cause } };
      // The printer itself says it is offline, for no cause another fault names: no debounce.
      return {
        holds: true,
        now: true,
        detail: { via: r.via, offline: true, recoverableError: r.recoverableError, waitingForRecovery: r.waitingForRecovery },
      };
    },
  };
}

export function printerRules(t: Thresholds): FaultRule<PrinterReading>[] {
  return [
    offline(t),
    readingRule('PRINTER_PAPER_OUT', t, (r) => ({
      holds: r.paper === 'out',
      detail: { paper: r.paper, paperEndStop: r.paperEndStop, via: r.via },
    })),
    // One paper state: at "out" the low warning gives way to the out fault.
    readingRule('PRINTER_PAPER_LOW', t, (r) => ({ holds: r.paper === 'low', detail: { paper: r.paper, via: r.via } })),
    readingRule('PRINTER_COVER_OPEN', t, (r) => ({ holds: r.coverOpen, detail: { via: r.via } })),
    readingRule('PRINTER_CUTTER_ERROR', t, (r) => ({ holds: r.cutterError, detail: { via: r.via } })),
    readingRule('PRINTER_OVERHEAT', t, (r) => ({ holds: r.overheat, detail: { via: r.via } })),
    readingRule('PRINTER_FAILURE', t, (r) => ({ holds: r.failure, detail: { via: r.via } })),
  ];
}
