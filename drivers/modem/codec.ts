import type { Registration } from '../../protocol/heartbeat.js';
import type { RegistrationStat, SimState } from '../../protocol/network-reading.js';

/**
 * 3GPP TS 27.007 / V.250 result lines, text to values. A line is classified on its own, knowing
 * only which command is waiting for an answer: unsolicited result codes (URCs) can arrive at any
 * moment, also between a command and its answer, and must never be taken for the answer.
 */

/** `code` is -1 for an error text this codec does not know (`+CMEE=2`). */
export type FinalResult = { result: 'OK' } | { result: 'ERROR' } | { result: 'CME ERROR'; code: number };

export type AtLine =
  | { kind: 'final'; final: FinalResult }
  | { kind: 'unsolicited'; text: string }
  | { kind: 'information'; text: string };

export interface Signal {
  /** Absent when the modem does not know (rssi 99). */
  rssiDbm?: number;
  rssi: number;
  ber: number;
}

export interface Operator {
  name?: string;
  /** The access technology, when the modem reports it (AcT 7 is LTE). */
  accessTechnology?: string;
}

/**
 * Codes that only ever arrive unsolicited. `+CREG:` and `+CEREG:` are both a URC and the answer
 * to a query: `isRegistrationUrc` tells them apart by shape.
 */
const UNSOLICITED_PREFIXES = [
  'RING', '+CRING:', '+CLIP:', '+CMTI:', '+CMT:', '+CDS:', '+CBM:', '+CGEV:', '+CUSD:', '+CIEV:',
  '+CTZV:', '+CTZE:', '+CGREG:', '+QIND:', '+QUSIM:', '^SYSSTART', '+PACSP', 'NO CARRIER',
];

const CME_ERROR = /^\+CM[ES] ERROR:\s*(.{1,80})$/;

/** `+CMEE=2` gives the text instead of the number; these are the ones that matter here. */
const CME_TEXTS: Record<string, number> = {
  'sim not inserted': 10, 'sim pin required': 11, 'sim puk required': 12, 'sim failure': 13, 'sim busy': 14, 'sim wrong': 15,
};

function cmeCode(text: string): number {
  if (/^\d{1,4}$/.test(text)) return Number(text);
  return CME_TEXTS[text.trim().toLowerCase()] ?? -1;
}

/**
 * `+CREG: <stat>[,<lac>,<ci>[,<AcT>]]` arrives unsolicited; the answer to `AT+CREG?` is
 * `+CREG: <n>,<stat>[,…]`. A URC has one number, or a quoted or empty second field; an answer
 * has two numbers first.
 */
function isRegistrationUrc(text: string): boolean {
  const match = /^\+C(?:E)?REG:\s*(.*)$/.exec(text);
  if (!match) return false;
  const fields = match[1]!.split(',').map((field) => field.trim());
  if (fields.length === 1) return true;
  return !/^\d+$/.test(fields[1]!);
}

/** Classifies one line (without its `\r\n`); `expected` is the prefix the pending command answers with. */
export function classifyLine(text: string, expected?: string): AtLine {
  if (text === 'OK') return { kind: 'final', final: { result: 'OK' } };
  if (text === 'ERROR') return { kind: 'final', final: { result: 'ERROR' } };
  const cme = CME_ERROR.exec(text);
  if (cme) return { kind: 'final', final: { result: 'CME ERROR', code: cmeCode(cme[1]!) } };
  if (/^\+C(?:E)?REG:/.test(text)) return isRegistrationUrc(text) ? { kind: 'unsolicited', text } : { kind: 'information', text };
  // A modem that announces its SIM by itself (`+CPIN: READY` after boot) says the same as the answer.
  if (expected !== undefined && text.startsWith(expected)) return { kind: 'information', text };
  if (UNSOLICITED_PREFIXES.some((prefix) => text.startsWith(prefix))) return { kind: 'unsolicited', text };
  return { kind: 'information', text };
}

/** The value after `<prefix>:` in the first line that carries it. */
function valueOf(lines: readonly string[], prefix: string): string | undefined {
  const line = lines.find((candidate) => candidate.startsWith(`${prefix}:`));
  return line?.slice(prefix.length + 1).trim();
}

const CPIN_STATES: Record<string, SimState> = { READY: 'ready', 'SIM PIN': 'pin', 'SIM PUK': 'puk' };
/** CME error codes of TS 27.007 9.2.1 that concern the SIM. */
const CME_SIM: Record<number, SimState> = { 10: 'absent', 11: 'pin', 12: 'puk', 13: 'failure', 15: 'failure' };

/**
 * The answer to `AT+CPIN?`. Only `READY` is a usable SIM; a plain `ERROR` (a modem with `+CMEE=0`
 * hides the code) is a SIM the modem cannot use either.
 */
export function parseCpin(lines: readonly string[], final: FinalResult): SimState | undefined {
  if (final.result === 'CME ERROR') return CME_SIM[final.code] ?? 'error';
  if (final.result === 'ERROR') return 'error';
  const value = valueOf(lines, '+CPIN');
  if (value === undefined) return undefined;
  return CPIN_STATES[value] ?? 'other';
}

/** `+CSQ: <rssi>,<ber>`: dBm = -113 + 2·rssi for 0..31 (0 is ≤ -113, 31 is ≥ -51), 99 unknown. */
export function parseCsq(lines: readonly string[]): Signal | undefined {
  const match = /^(\d{1,3}),(\d{1,3})$/.exec(valueOf(lines, '+CSQ') ?? '');
  if (!match) return undefined;
  const rssi = Number(match[1]);
  const ber = Number(match[2]);
  if (rssi === 99) return { rssi, ber };
  if (rssi > 31) return undefined;
  return { rssi, ber, rssiDbm: -113 + 2 * rssi };
}

function parseStat(text: string | undefined): RegistrationStat | undefined {
  if (text === undefined || !/^[0-5]$/.test(text)) return undefined;
  return Number(text) as RegistrationStat;
}

/** The answer to `AT+CREG?` / `AT+CEREG?`: `+CREG: <n>,<stat>[,…]`. */
export function parseRegistrationAnswer(lines: readonly string[], prefix: '+CREG' | '+CEREG'): RegistrationStat | undefined {
  const value = valueOf(lines, prefix);
  if (value === undefined) return undefined;
  const fields = value.split(',').map((field) => field.trim());
  if (fields.length < 2 || !/^\d$/.test(fields[0]!)) return undefined;
  return parseStat(fields[1]);
}

/** A registration URC, `+CREG: <stat>` or `+CEREG: <stat>,…`: which one, and its stat. */
export function parseRegistrationUrc(text: string): { prefix: '+CREG' | '+CEREG'; stat: RegistrationStat } | undefined {
  const match = /^(\+CE?REG):\s*([^,]*)/.exec(text);
  if (!match || !isRegistrationUrc(text)) return undefined;
  const stat = parseStat(match[2]!.trim());
  return stat === undefined ? undefined : { prefix: match[1] as '+CREG' | '+CEREG', stat };
}

const STAT_ORDER: [RegistrationStat, Registration][] = [
  [1, 'home'], [5, 'roaming'], [2, 'searching'], [3, 'denied'], [4, 'unknown'], [0, 'none'],
];

/**
 * One verdict from +CREG (circuit switched) and +CEREG (LTE): an LTE-only modem is registered
 * on +CEREG while +CREG says 0, so the better of the two counts.
 */
export function registrationOf(...stats: (RegistrationStat | undefined)[]): Registration | undefined {
  for (const [stat, name] of STAT_ORDER) if (stats.includes(stat)) return name;
  return undefined;
}

/** Access technologies of +COPS (TS 27.007 7.3). */
const ACCESS_TECHNOLOGIES: Record<string, string> = {
  0: 'GSM', 1: 'GSM Compact', 2: 'UTRAN', 3: 'GSM/EGPRS', 4: 'UTRAN/HSDPA', 5: 'UTRAN/HSUPA',
  6: 'UTRAN/HSPA', 7: 'LTE', 8: 'EC-GSM-IoT', 9: 'LTE Cat-M', 10: 'E-UTRA-5GCN', 11: 'NR-5GCN',
  12: 'NG-RAN', 13: 'E-UTRA-NR', 14: 'LTE NB-IoT',
};

/** `+COPS: <mode>[,<format>,"<oper>"[,<AcT>]]`; a bare `+COPS: 0` means no operator. */
export function parseCops(lines: readonly string[]): Operator | undefined {
  const value = valueOf(lines, '+COPS');
  if (value === undefined) return undefined;
  const match = /^(\d)(?:,(\d),"([^"]*)"(?:,(\d{1,2}))?)?$/.exec(value);
  if (!match) return undefined;
  const operator: Operator = {};
  if (match[3]) operator.name = match[3];
  if (match[4] !== undefined) operator.accessTechnology = ACCESS_TECHNOLOGIES[match[4]] ?? `AcT ${match[4]}`;
  return operator;
}
