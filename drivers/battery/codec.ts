import { maskedExcerpt } from '../../basics/cardholder-data.js';
import type { BatteryStatus } from '../../protocol/heartbeat.js';
import type { BatteryHealth, BatteryReading } from '../../protocol/readings.js';
/**
 * The Linux power_supply class (kernel Documentation/ABI/testing/sysfs-class-power), file text to
 * values. Every parser returns undefined for a missing file and a problem for garbage or an
 * absurd value, so the reading leaves the field out and the driver says which file was bad.
 */

export const BATTERY_STATUSES = ['Unknown', 'Charging', 'Discharging', 'Not charging', 'Full'] as const satisfies readonly BatteryStatus[];

export const BATTERY_HEALTHS = [
  'Unknown', 'Good', 'Overheat', 'Dead', 'Over voltage', 'Unspecified failure', 'Cold',
  'Watchdog timer expire', 'Safety timer expire', 'Over current', 'Calibration required',
  'Warm', 'Cool', 'Hot',
] as const satisfies readonly BatteryHealth[];

export const SUPPLY_TYPES = ['Battery', 'Mains', 'USB', 'UPS', 'Wireless'] as const;

/** The files of one supply folder, by name; a missing file is undefined. */
export type SupplyFiles = Partial<Record<string, string>>;

export type Parsed<T> = { value?: T; problem?: string };

export const BATTERY_FILES = [
  'present', 'status', 'capacity', 'health', 'voltage_now', 'current_now', 'temp', 'cycle_count',
  'charge_full', 'charge_full_design', 'energy_full', 'energy_full_design',
] as const;

export function parseInteger(text: string | undefined, min: number, max: number): Parsed<number> {
  if (text === undefined) return {};
  if (!/^-?\d+$/.test(text)) return { problem: `not an integer: ${JSON.stringify(maskedExcerpt(text, 40))}` };
  const value = Number(text);
  if (value < min || value > max) return { problem: `out of range ${min}..${max}: ${value}` };
  return { value };
}

export function parseEnum<T extends string>(text: string | undefined, allowed: readonly T[]): Parsed<T> {
  if (text === undefined) return {};
  if ((allowed as readonly string[]).includes(text)) return { value: text as T };
  return { problem: `unknown value ${JSON.stringify(maskedExcerpt(text, 40))}` };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Turns a battery folder's files into a reading. `problems` names each file whose content was
 * rejected; its field is left out.
 */
export function parseBattery(files: SupplyFiles): { reading: BatteryReading; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const take = <T>(file: string, parsed: Parsed<T>): T | undefined => {
    if (parsed.problem) problems[file] = parsed.problem;
    return parsed.value;
  };

  // A battery folder without a `present` file is a battery that is there.
  const present = take('present', parseInteger(files.present, 0, 1)) ?? 1;
  const reading: BatteryReading = { present: present === 1 };
  if (!reading.present) return { reading, problems };

  reading.status = take('status', parseEnum(files.status, BATTERY_STATUSES));
  reading.percent = take('capacity', parseInteger(files.capacity, 0, 100));
  reading.health = take('health', parseEnum(files.health, BATTERY_HEALTHS));
  const microvolts = take('voltage_now', parseInteger(files.voltage_now, 0, 100_000_000));
  if (microvolts !== undefined) reading.voltageV = round(microvolts / 1e6, 3);
  const microamps = take('current_now', parseInteger(files.current_now, -100_000_000, 100_000_000));
  if (microamps !== undefined) reading.currentMa = Math.round(Math.abs(microamps) / 1000);
  const tenths = take('temp', parseInteger(files.temp, -400, 1500));
  if (tenths !== undefined) reading.temperatureC = tenths / 10;
  const cycles = take('cycle_count', parseInteger(files.cycle_count, 0, 1_000_000));
  if (cycles) reading.cycleCount = cycles; // 0 means the gauge does not know
  reading.stateOfHealthPercent =
    stateOfHealth(files, 'charge_full', 'charge_full_design', problems) ??
    stateOfHealth(files, 'energy_full', 'energy_full_design', problems);

  for (const key of Object.keys(reading) as (keyof BatteryReading)[]) {
    if (reading[key] === undefined) delete reading[key];
  }
  return { reading, problems };
}

function stateOfHealth(files: SupplyFiles, fullFile: string, designFile: string, problems: Record<string, string>) {
  const full = parseInteger(files[fullFile], 0, 1e12);
  const design = parseInteger(files[designFile], 1, 1e12);
  if (full.problem) problems[fullFile] = full.problem;
  if (design.problem) problems[designFile] = design.problem;
  if (full.value === undefined || design.value === undefined) return undefined;
  const percent = round((full.value / design.value) * 100, 1);
  // A gauge can report a little above design on a new cell; far above is a broken value.
  if (percent > 150) {
    problems[fullFile] = `${fullFile} / ${designFile} is ${percent} %, not plausible`;
    return undefined;
  }
  return percent;
}

/** `online` of a Mains or USB supply: 0 offline, 1 or 2 online (2 is "programmable" on some chargers). */
export function parseMainsOnline(text: string | undefined): Parsed<boolean> {
  const parsed = parseInteger(text, 0, 2);
  return parsed.value === undefined ? { problem: parsed.problem } : { value: parsed.value > 0 };
}
