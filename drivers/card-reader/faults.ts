import { errorMessage } from '../../basics/errors.js';
import { readingRule } from '../rules.js';
import { threshold, type ThresholdDefaults, type Thresholds } from '../thresholds.js';
import type { FaultRule, Sample } from '../types.js';
import type { CardReaderReading } from '../../protocol/readings.js';

export const CARD_READER_THRESHOLDS: ThresholdDefaults = {
  READER_OFFLINE: { polls: 2 },
  // A card pulled out slowly blocks the slot for a moment: two polls before it is a jam.
  READER_JAMMED: { polls: 2, clearPolls: 1 },
  READER_READ_ERRORS: { raisePercent: 20, clearPercent: 10, minReads: 10 },
};

function offline(t: Thresholds): FaultRule<CardReaderReading> {
  return {
    code: 'READER_OFFLINE',
    raisePolls: t.READER_OFFLINE.polls ?? 2,
    clearPolls: t.READER_OFFLINE.clearPolls ?? 1,
    assess: (sample: Sample<CardReaderReading>) =>
      sample.ok ? { holds: false } : { holds: true, detail: { error: errorMessage(sample.error) } },
  };
}

/**
 * The share of failed reads, over windows of at least `minReads` reads taken from the counters'
 * deltas: raised at `raisePercent` or more, cleared below `clearPercent` over the next window,
 * and left as it is in between. A window that is not full yet says nothing.
 */
function readErrors(t: Thresholds): FaultRule<CardReaderReading> {
  const raisePercent = threshold(t, 'READER_READ_ERRORS', 'raisePercent');
  const clearPercent = threshold(t, 'READER_READ_ERRORS', 'clearPercent');
  const minReads = threshold(t, 'READER_READ_ERRORS', 'minReads');
  let reads = 0;
  let failed = 0;
  return readingRule('READER_READ_ERRORS', t, (r) => {
    reads += r.sincePrevious.reads;
    failed += r.sincePrevious.readErrors;
    if (reads === 0 || reads < minReads) return undefined;
    const percent = Math.round((failed / reads) * 1000) / 10;
    const detail = { reads, readErrors: failed, percent };
    reads = 0;
    failed = 0;
    if (percent >= raisePercent) return { holds: true, detail };
    if (percent < clearPercent) return { holds: false, detail };
    return undefined;
  });
}

export function cardReaderRules(t: Thresholds): FaultRule<CardReaderReading>[] {
  return [
    offline(t),
    readingRule('READER_JAMMED', t, (r) => ({ holds: r.slotBlocked, detail: { slotBlocked: r.slotBlocked, cardPresent: r.cardPresent } })),
    readingRule('READER_TAMPER', t, (r) => ({
      holds: r.tamperLive || r.tamperLatched,
      detail: { tamperLive: r.tamperLive, tamperLatched: r.tamperLatched },
    })),
    readErrors(t),
  ];
}
