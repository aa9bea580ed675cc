import { AgentError } from '../basics/errors.js';

/**
 * Times as a technician types them: `--timeout 15s`, `--since 1h` (an hour ago), an ISO-8601 time
 * or epoch milliseconds. What is sent to a terminal is always epoch milliseconds, so the
 * terminal's clock and time zone play no part in what `1h` means.
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/** A duration in milliseconds; a bare number is `bareUnit` (seconds unless said otherwise). */
export function parseDuration(text: string, option: string, bareUnit: keyof typeof UNITS = 's'): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new AgentError('USAGE', `${option}: "${text}" is not a duration (15s, 2m, 1h)`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? bareUnit]!);
}

/** `1h` (ago), an ISO-8601 time, or epoch milliseconds, as epoch milliseconds. */
export function parseInstant(text: string, option: string, now = Date.now()): number {
  if (/^\d{12,}$/.test(text)) return Number(text);
  if (DURATION.test(text) && /[a-z]$/.test(text)) return now - parseDuration(text, option);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new AgentError('USAGE', `${option}: "${text}" is not a time (1h, 30m, 2025-01-15T10:00:00Z or epoch ms)`);
  return ms;
}
