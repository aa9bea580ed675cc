/**
 * The merchant device's reading in one line of `pos-agent tech status`: the values the terminal
 * reads, how its baseline was set, and what differs from it.
 */

interface BaselineEntry {
  value: string | null;
  how: string;
  at: number;
  kid?: string;
}

export interface MerchantReadingView {
  file?: string;
  values?: Record<string, string | null>;
  problem?: string;
  baseline?: Record<string, BaselineEntry>;
  changed?: Record<string, { baseline: string | null; current: string | null }>;
}

const shown = (value: string | null | undefined) => (value === null || value === undefined ? '(none)' : value);

export function merchantSummary(reading: MerchantReadingView | undefined, time: (ms: number) => string): string {
  if (!reading) return '';
  if (!reading.values) return `${reading.file ?? 'parameters file'}: ${reading.problem ?? 'not read yet'}`;
  const values = Object.entries(reading.values).map(([field, value]) => `${field}=${shown(value)}`);
  // Fields whose baseline was set the same way at the same time are named together.
  const setBy = new Map<string, string[]>();
  for (const [field, entry] of Object.entries(reading.baseline ?? {})) {
    const how = `${entry.how}${entry.kid ? ` by ${entry.kid}` : ''} ${time(entry.at)}`;
    setBy.set(how, [...(setBy.get(how) ?? []), field]);
  }
  const baseline = [...setBy].map(([how, fields]) => `${fields.join('/')} ${how}`).join(', ');
  const changed = Object.entries(reading.changed ?? {}).map(([field, change]) => `${field} ${shown(change.baseline)} -> ${shown(change.current)}`);
  return `${values.join(' ')}; baseline ${baseline || 'none yet'}${changed.length > 0 ? `; CHANGED ${changed.join(', ')}` : ''}`;
}
