import { maskedExcerpt } from '../../basics/cardholder-data.js';
import type { Parsed } from '../battery/codec.js';
import type { CounterName, Counters, Operstate, WirelessLine } from '../../protocol/network-reading.js';

/**
 * The net class (kernel Documentation/ABI/testing/sysfs-class-net) and `/proc/net/wireless`,
 * text to values.
 */

export const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const satisfies readonly Operstate[];

/** RFC 2863 states in which the interface cannot carry traffic, whatever its carrier says. */
const DOWN_STATES: ReadonlySet<Operstate> = new Set(['down', 'lowerlayerdown', 'notpresent']);

export const COUNTER_NAMES = [
  'rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped',
] as const satisfies readonly CounterName[];

export function parseOperstate(text: string | undefined): Parsed<Operstate> {
  if (text === undefined) return {};
  if ((OPERSTATES as readonly string[]).includes(text)) return { value: text as Operstate };
  return { problem: `unknown operstate ${JSON.stringify(maskedExcerpt(text, 40))}` };
}

export function parseCarrier(text: string | undefined): Parsed<0 | 1> {
  if (text === undefined) return {};
  if (text === '0' || text === '1') return { value: Number(text) as 0 | 1 };
  return { problem: `carrier is neither 0 nor 1: ${JSON.stringify(maskedExcerpt(text, 40))}` };
}

/** A statistics counter: an unsigned integer (u64 in the kernel; beyond 2^53 it loses precision only). */
export function parseCounter(text: string | undefined): Parsed<number> {
  if (text === undefined) return {};
  if (!/^\d{1,20}$/.test(text)) return { problem: `not a counter: ${JSON.stringify(maskedExcerpt(text, 40))}` };
  return { value: Number(text) };
}

/**
 * Up or down, or undefined when neither can be told. Down: operstate down, lowerlayerdown or
 * notpresent, or carrier 0. Up: any other operstate with carrier 1 (cellular and ppp
 * interfaces say `unknown` while they work), or with no carrier file at all.
 */
export function linkUp(operstate: Operstate | undefined, carrier: 0 | 1 | undefined): boolean | undefined {
  if (operstate !== undefined && DOWN_STATES.has(operstate)) return false;
  if (carrier === 0) return false;
  if (operstate === undefined) return carrier === 1 ? true : undefined;
  return true;
}

/**
 * Counter increases since the previous reading. A counter that went back (the driver was
 * reloaded) counts from 0: a delta is never negative.
 */
export function counterDeltas(previous: Counters | undefined, current: Counters): Counters {
  const deltas: Counters = {};
  if (!previous) return deltas;
  for (const name of COUNTER_NAMES) {
    const now = current[name];
    const before = previous[name];
    if (now === undefined || before === undefined) continue;
    deltas[name] = now >= before ? now - before : now;
  }
  return deltas;
}

/** `54.`, `-56`, `0` → the number and whether a dot marked it as updated. */
function wirelessNumber(field: string | undefined): { value: number; updated: boolean } | undefined {
  const match = /^(-?\d+)(\.?)$/.exec(field ?? '');
  return match ? { value: Number(match[1]), updated: match[2] === '.' } : undefined;
}

/**
 * One interface's line of `/proc/net/wireless`, after its two header lines:
 * `wlan0: 0000   54.  -56.  -256        0      0      0      0      0        0`.
 * Level and noise are dBm; -256 is the kernel's "no value". Undefined when the interface has no line.
 */
export function parseWireless(text: string | undefined, name: string): Parsed<WirelessLine> {
  if (text === undefined) return {};
  const line = text.split('\n').slice(2).find((candidate) => candidate.trim().startsWith(`${name}:`));
  if (line === undefined) return {};
  const fields = line.trim().slice(name.length + 1).trim().split(/\s+/);
  const [status, ...numbers] = fields;
  const link = wirelessNumber(numbers[0]);
  const level = wirelessNumber(numbers[1]);
  const noise = wirelessNumber(numbers[2]);
  if (!status || !/^[0-9a-f]{4}$/i.test(status) || !link || !level || !noise) {
    return { problem: `not a wireless line: ${JSON.stringify(maskedExcerpt(line.trim(), 80))}` };
  }
  const wireless: WirelessLine = {
    status,
    linkQuality: link.value,
    updated: { link: link.updated, level: level.updated, noise: noise.updated },
  };
  if (level.value > -256 && level.value < 0) wireless.levelDbm = level.value;
  if (noise.value > -256 && noise.value < 0) wireless.noiseDbm = noise.value;
  return { value: wireless };
}
