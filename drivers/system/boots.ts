import fs from 'node:fs';
import path from 'node:path';
import type { Parsed } from '../battery/codec.js';
import type { BootRecord } from '../../protocol/readings.js';

/**
 * The terminal's boots as the agent has seen them, kept in `stateDir/boots.json` by the agent at
 * each start (agent/restart.ts), read here for `SYS_REBOOT_LOOP` and the `status` answer.
 */

/** Where the kernel names the current boot: a random UUID, new at every boot. */
export const BOOT_ID_FILE = 'sys/kernel/random/boot_id';
export const BOOTS_FILE = 'boots.json';
/** Boots kept: enough for a loop within an hour, and a few for a technician to read. */
export const BOOTS_KEPT = 10;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function parseBootId(text: string | undefined): Parsed<string> {
  if (text === undefined) return { problem: 'missing' };
  const id = text.trim().toLowerCase();
  return UUID.test(id) ? { value: id } : { problem: `not a boot id: ${JSON.stringify(text.slice(0, 40))}` };
}

/** The boots file, oldest first; a missing or damaged file is an empty history, never an error. */
export function readBoots(stateDir: string): BootRecord[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(stateDir, BOOTS_FILE), 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (entry): entry is BootRecord =>
      typeof entry === 'object' && entry !== null && typeof entry.bootId === 'string' && Number.isFinite(entry.at),
  );
}

export function bootsFileExists(stateDir: string): boolean {
  return fs.existsSync(path.join(stateDir, BOOTS_FILE));
}
