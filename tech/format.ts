import { levelName, type LogLevel } from '../protocol/log-levels.js';
import { merchantSummary, type MerchantReadingView } from './merchant-summary.js';

/**
 * What a technician reads: log records the way pino-pretty shows them, and the answers of
 * status, faults and diag as short aligned lines. Colours only when `colour` is set (a TTY).
 */

export interface Style {
  level(level: LogLevel | undefined, text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  good(text: string): string;
  bad(text: string): string;
}

const ESC = '\u001b[';
const paint = (code: string) => (text: string) => `${ESC}${code}m${text}${ESC}0m`;
const LEVEL_COLOURS: Record<LogLevel, (text: string) => string> = {
  fatal: paint('41;97'),
  error: paint('31'),
  warn: paint('33'),
  info: paint('32'),
  debug: paint('34'),
  trace: paint('90'),
};

export function style(colour: boolean): Style {
  if (!colour) {
    const plain = (text: string) => text;
    return { level: (_level, text) => text, dim: plain, bold: plain, good: plain, bad: plain };
  }
  return {
    level: (level, text) => (level ? LEVEL_COLOURS[level](text) : text),
    dim: paint('90'),
    bold: paint('1'),
    good: paint('32'),
    bad: paint('31'),
  };
}

/** Colours when writing to a terminal that wants them. */
export function wantsColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

/** Epoch ms as `2025-01-15 10:30:00.123Z`: terminals sit in every time zone. */
export function time(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().replace('T', ' ');
}

const HIDDEN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'device']);

/** One log record: `[time] LEVEL (device): msg`, then its other fields indented. */
export function formatRecord(record: Record<string, unknown>, s: Style): string {
  const level = levelName(record.level);
  const head = `${s.dim(`[${time(record.time)}]`)} ${s.level(level, (level ?? String(record.level)).toUpperCase())}`;
  const device = typeof record.device === 'string' ? ` (${record.device})` : '';
  const lines = [`${head}${device}: ${typeof record.msg === 'string' ? record.msg : ''}`];
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN_FIELDS.has(key)) continue;
    const text = typeof value === 'string' && key === 'stack' ? value : JSON.stringify(value, null, 2);
    lines.push(`    ${s.dim(`${key}:`)} ${(text ?? String(value)).replace(/\n/g, '\n    ')}`);
  }
  return lines.join('\n');
}

interface StatusData {
  terminalId?: string;
  availability?: string;
  reasons?: string[];
  agentVersion?: string;
  boot?: string;
  session?: number;
  startedAt?: number;
  maintenance?: { on?: boolean; reason?: string; until?: number };
  faults?: { id: string; code: string; severity: string; raisedAt: number; message: string }[];
  devices?: Record<string, { online?: boolean; at?: number; reading?: unknown; error?: string }>;
  outbox?: Record<string, unknown>;
  connection?: Record<string, unknown>;
  logLevel?: { level: string; configured: string; until?: number };
}

export function formatStatus(data: StatusData, s: Style): string {
  const verdict = data.availability === 'IN_SERVICE' ? s.good(data.availability) : s.bad(String(data.availability));
  const lines = [
    `${s.bold(String(data.terminalId))}  ${verdict}${data.reasons?.length ? `  ${data.reasons.join(', ')}` : ''}`,
    s.dim(`agent ${data.agentVersion}, boot ${data.boot}, session ${data.session}, started ${time(data.startedAt)}`),
  ];
  if (data.maintenance?.on) {
    lines.push(`maintenance: on${data.maintenance.reason ? ` (${data.maintenance.reason})` : ''}${data.maintenance.until ? ` until ${time(data.maintenance.until)}` : ''}`);
  }
  lines.push(data.faults?.length ? 'faults:' : 'faults: none');
  for (const fault of data.faults ?? []) {
    lines.push(`  ${fault.severity.padEnd(8)} ${fault.code.padEnd(22)} ${fault.id.padEnd(8)} since ${time(fault.raisedAt)}  ${fault.message}`);
  }
  lines.push('devices:');
  for (const [name, device] of Object.entries(data.devices ?? {})) {
    const state = device.online ? s.good('online ') : s.bad('offline');
    const detail = device.error ?? (name === 'merchant' ? merchantSummary(device.reading as MerchantReadingView, time) : fields(device.reading));
    lines.push(`  ${name.padEnd(10)} ${state} ${s.dim(time(device.at))}  ${detail}`);
  }
  lines.push(`outbox: ${fields(data.outbox)}`);
  lines.push(`connection: ${fields(data.connection)}`);
  if (data.logLevel) {
    const { level, configured, until } = data.logLevel;
    lines.push(`log level: ${level}${until ? ` until ${time(until)}, then ${configured}` : ''}`);
  }
  return lines.join('\n');
}

interface JournalEntry {
  ts: number;
  id: string;
  device: string;
  code: string;
  severity: string;
  state: string;
  message: string;
  detail?: Record<string, unknown>;
}

export function formatFaults(data: { faults?: JournalEntry[] }, s: Style): string {
  const entries = data.faults ?? [];
  if (entries.length === 0) return 'no faults in the journal';
  return entries
    .map((entry) => {
      const state = entry.state === 'raised' ? s.bad('raised ') : s.good('cleared');
      const detail = entry.detail && Object.keys(entry.detail).length > 0 ? `  ${s.dim(fields(entry.detail))}` : '';
      return `${s.dim(time(entry.ts))}  ${state}  ${entry.severity.padEnd(8)} ${entry.code.padEnd(22)} ${entry.id.padEnd(8)} ${entry.message}${detail}`;
    })
    .join('\n');
}

export function formatDiag(data: { pass?: boolean; devices?: Record<string, { pass: boolean; detail?: unknown }> }, s: Style): string {
  const lines = Object.entries(data.devices ?? {}).map(
    ([name, test]) => `${name.padEnd(10)} ${test.pass ? s.good('PASS') : s.bad('FAIL')}  ${fields(test.detail)}`,
  );
  lines.push(data.pass ? s.good('all self-tests passed') : s.bad('a self-test failed'));
  return lines.join('\n');
}

/** `key=value` pairs of an object, nested objects as JSON. */
function fields(value: unknown): string {
  if (typeof value !== 'object' || value === null) return value === undefined ? '' : String(value);
  return Object.entries(value)
    .filter(([, item]) => item !== undefined)
    .map(([key, item]) => `${key}=${typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item)}`)
    .join(' ');
}
